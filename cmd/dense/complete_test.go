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
