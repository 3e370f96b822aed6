// Package sqllogic runs dense's SQL test suite, sql/test/*.test, against any
// DuckDB that has dense's functions: the udf package's tests run it in
// process (duckdb-go), the extension's tests through dense.duckdb_extension
// loaded by hosts dense did not build. Both are held to the same files, the
// same parser, the same comparison and the same models (WriteModels).
//
// The files are in the style of sqllogictest (as DuckDB uses it):
//
//	# a comment
//	statement ok
//	CREATE TABLE t AS SELECT 1 AS a
//
//	statement error <substring of the expected error>
//	SELECT dense_predict('nope', 1)
//
//	query <one letter per column: I integer, R real (±1e-6), T text> [rowsort]
//	SELECT …
//	----
//	<expected rows: columns separated by tabs (or, if that does not give the
//	right count, by spaces); NULL for NULL; lists as [a, b]>
//
// A record's SQL runs to the next blank line or "----". __MODELS__ in the
// SQL, in an expected error or in an expected row stands for the models
// folder the functions read (WriteModels's folder), as DuckDB's own suite
// writes __TEST_DIR__.
package sqllogic

import (
	"bufio"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// ModelsVar stands for the models folder in the test files.
const ModelsVar = "__MODELS__"

// Host runs SQL on one connection (SET statements apply to the next
// records). DB adapts a database/sql pool; extension/hosttest drives a
// Node.js process.
type Host interface {
	// Exec runs a statement and reads its whole result, so an error raised
	// while rows are produced is returned too.
	Exec(sql string) error
	// Query runs a query and returns its result.
	Query(sql string) (Result, error)
}

// Result is a query's result. Values are Go values: nil for NULL, bool,
// int64, *big.Int, float32 (FLOAT), float64 (DOUBLE), string, []byte,
// []any for a LIST, or any other value whose fmt form is what the test
// files expect.
type Result struct {
	Columns int
	Rows    [][]any
}

// Record is one record of a test file.
type Record struct {
	Line     int
	Kind     string // statement ok | statement error | query
	Arg      string // the error substring, or the column types
	RowSort  bool
	SQL      string
	Expected []string
}

// Files returns the suite's files in dir (sql/test), failing the test if
// there are none.
func Files(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.test"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no SQL test files in %s", dir)
	}
	return files
}

// ParseFile reads the records of a test file.
func ParseFile(file string) ([]Record, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("sqllogic: %w", err)
	}
	defer f.Close()
	var recs []Record
	var cur *Record
	state := "" // "sql" | "result"
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	flush := func() {
		if cur != nil {
			recs = append(recs, *cur)
			cur = nil
		}
		state = ""
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		trimmed := strings.TrimSpace(text)
		switch {
		case state == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")):
		case state == "":
			fields := strings.Fields(trimmed)
			cur = &Record{Line: line}
			switch {
			case len(fields) >= 2 && fields[0] == "statement" && fields[1] == "ok":
				cur.Kind = "statement ok"
			case len(fields) >= 2 && fields[0] == "statement" && fields[1] == "error":
				cur.Kind = "statement error"
				cur.Arg = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(trimmed, "statement"), " error"))
			case len(fields) >= 2 && fields[0] == "query":
				cur.Kind = "query"
				cur.Arg = fields[1]
				cur.RowSort = slices.Contains(fields[2:], "rowsort")
			default:
				return nil, fmt.Errorf("sqllogic: %s:%d: unknown record %q", file, line, trimmed)
			}
			state = "sql"
		case state == "sql" && trimmed == "----":
			state = "result"
		case state == "sql" && trimmed == "":
			flush()
		case state == "sql":
			if cur.SQL != "" {
				cur.SQL += "\n"
			}
			cur.SQL += text
		case state == "result" && trimmed == "":
			flush()
		case state == "result":
			cur.Expected = append(cur.Expected, text)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sqllogic: %s: %w", file, err)
	}
	flush()
	return recs, nil
}

// RunFile runs every record of file on h, reporting each failure with
// t.Errorf; modelsDir replaces __MODELS__.
func RunFile(t testing.TB, h Host, file, modelsDir string) {
	t.Helper()
	recs, err := ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	subst := func(s string) string { return strings.ReplaceAll(s, ModelsVar, modelsDir) }
	for _, r := range recs {
		where := fmt.Sprintf("%s:%d", filepath.Base(file), r.Line)
		sql := subst(r.SQL)
		switch r.Kind {
		case "statement ok":
			if err := h.Exec(sql); err != nil {
				t.Errorf("%s: %s\nfailed: %v", where, sql, err)
			}
		case "statement error":
			want := subst(r.Arg)
			switch err := h.Exec(sql); {
			case err == nil:
				t.Errorf("%s: %s\nsucceeded, want an error containing %q", where, sql, want)
			case !strings.Contains(err.Error(), want):
				t.Errorf("%s: %s\nerror %q does not contain %q", where, sql, err, want)
			}
		case "query":
			res, err := h.Query(sql)
			if err != nil {
				t.Errorf("%s: %s\nfailed: %v", where, sql, err)
				continue
			}
			if res.Columns != len(r.Arg) {
				t.Errorf("%s: %s\nthe query returns %d columns, the record's type string has %d", where, sql, res.Columns, len(r.Arg))
				continue
			}
			got := make([][]string, len(res.Rows))
			for i, row := range res.Rows {
				got[i] = make([]string, len(row))
				for j, v := range row {
					got[i][j] = Format(v)
				}
			}
			if r.RowSort {
				slices.SortFunc(got, func(a, b []string) int { return strings.Compare(strings.Join(a, "\t"), strings.Join(b, "\t")) })
			}
			expected := make([]string, len(r.Expected))
			for i, e := range r.Expected {
				expected[i] = subst(e)
			}
			if msg := Compare(got, expected, r.Arg); msg != "" {
				var b strings.Builder
				for _, row := range got {
					b.WriteString(strings.Join(row, "\t") + "\n")
				}
				t.Errorf("%s: %s\n%s\ngot:\n%s", where, sql, msg, b.String())
			}
		}
	}
}

// Format prints a value the way the test files write it: NULL, lists as
// [a, b], FLOAT and DOUBLE in the shortest form that reads back exactly.
func Format(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = Format(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []byte:
		return string(v)
	case *big.Int:
		return v.String()
	}
	return fmt.Sprint(v)
}

// Compare checks formatted rows against a record's expected lines and
// says what differs ("" when they match). R columns match within 1e-6
// (relative above 1).
func Compare(got [][]string, expected []string, types string) string {
	if len(got) != len(expected) {
		return fmt.Sprintf("got %d rows, want %d", len(got), len(expected))
	}
	for i, line := range expected {
		want := strings.Split(line, "\t")
		if len(want) != len(types) {
			want = strings.Fields(line)
		}
		if len(want) != len(types) {
			return fmt.Sprintf("expected row %d %q does not have %d columns", i+1, line, len(types))
		}
		for j, w := range want {
			g := got[i][j]
			if types[j] == 'R' && g != "NULL" && w != "NULL" {
				gf, err1 := strconv.ParseFloat(g, 64)
				wf, err2 := strconv.ParseFloat(w, 64)
				if err1 == nil && err2 == nil && math.Abs(gf-wf) <= 1e-6*max(1, math.Abs(wf)) {
					continue
				}
			}
			if g != w {
				return fmt.Sprintf("row %d column %d: got %q, want %q", i+1, j+1, g, w)
			}
		}
	}
	return ""
}
