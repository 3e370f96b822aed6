package main

import (
	"slices"
	"testing"
)

func TestSQLCompleter(t *testing.T) {
	c := &sqlCompleter{words: []string{"SELECT", "customers", "dense_predict(", "dense_predict_label(", "region"}}
	complete := func(line string) []string {
		cands, n := c.Do([]rune(line), len([]rune(line)))
		var out []string
		for _, r := range cands {
			out = append(out, string(r))
		}
		if len(out) > 0 && n == 0 {
			t.Errorf("%q: candidates without a word length", line)
		}
		return out
	}
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"sel", []string{"ect"}},
		{"SEL", []string{"ECT"}},
		{"SELECT dense_pre", []string{"dict(", "dict_label("}},
		{"SELECT * FROM cu", []string{"stomers"}},
		{"SELECT ", nil},
		{"SELECT x", nil},
	} {
		if got := complete(tc.line); !slices.Equal(got, tc.want) {
			t.Errorf("complete(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestSQLCompleterKnowsTables(t *testing.T) {
	ctx := t.Context()
	s, err := openSession(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.conn.ExecContext(ctx, "CREATE TABLE shoppers (loyalty_tier VARCHAR)"); err != nil {
		t.Fatal(err)
	}
	c := newSQLCompleter(ctx, s)
	for _, w := range []string{"shoppers", "loyalty_tier", "dense_predict_label(", "SELECT"} {
		if !slices.Contains(c.words, w) {
			t.Errorf("completer lacks %q", w)
		}
	}
}

// TestSQLCompleterKnowsEveryFunction: every dense_ function the session
// registers is a completion (scalar ones with "(", table ones too; the
// argument-less dense_models with "()"); dense_rank is DuckDB's window function.
func TestSQLCompleterKnowsEveryFunction(t *testing.T) {
	ctx := t.Context()
	s, err := openSession(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.conn.QueryContext(ctx, "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_name LIKE 'dense\\_%' ESCAPE '\\' AND function_name <> 'dense_rank' ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	c := newSQLCompleter(ctx, s)
	n := 0
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		n++
		if !slices.Contains(c.words, name+"(") && !slices.Contains(c.words, name+"()") {
			t.Errorf("the shell does not complete %s", name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 13 {
		t.Errorf("only %d dense_ functions registered", n)
	}
}
