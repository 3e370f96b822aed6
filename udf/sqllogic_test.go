package udf

import (
	"bufio"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestSQL runs the SQL test suite, ../sql/test/*.test, in the style of
// sqllogictest (as DuckDB uses it). Each file runs on a fresh in-memory
// database with the functions registered over sqlFixture's models.
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
// A record's SQL runs to the next blank line or "----".
func TestSQL(t *testing.T) {
	files, err := filepath.Glob("../sql/test/*.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no SQL test files in ../sql/test")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			db := openDB(t, sqlFixture(t))
			db.SetMaxOpenConns(1) // SET statements apply to the next records
			runSQLFile(t, db, file)
		})
	}
}

type sqlRecord struct {
	line     int
	kind     string // statement ok | statement error | query
	arg      string // error substring, or column types
	rowsort  bool
	sql      string
	expected []string
}

func parseSQLFile(t *testing.T, file string) []sqlRecord {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []sqlRecord
	var cur *sqlRecord
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
			cur = &sqlRecord{line: line}
			switch {
			case len(fields) >= 2 && fields[0] == "statement" && fields[1] == "ok":
				cur.kind = "statement ok"
			case len(fields) >= 2 && fields[0] == "statement" && fields[1] == "error":
				cur.kind = "statement error"
				cur.arg = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(trimmed, "statement"), " error"))
			case len(fields) >= 2 && fields[0] == "query":
				cur.kind = "query"
				cur.arg = fields[1]
				cur.rowsort = slices.Contains(fields[2:], "rowsort")
			default:
				t.Fatalf("%s:%d: unknown record %q", file, line, trimmed)
			}
			state = "sql"
		case state == "sql" && trimmed == "----":
			state = "result"
		case state == "sql" && trimmed == "":
			flush()
		case state == "sql":
			if cur.sql != "" {
				cur.sql += "\n"
			}
			cur.sql += text
		case state == "result" && trimmed == "":
			flush()
		case state == "result":
			cur.expected = append(cur.expected, text)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	flush()
	return recs
}

func runSQLFile(t *testing.T, db *sql.DB, file string) {
	for _, r := range parseSQLFile(t, file) {
		where := fmt.Sprintf("%s:%d", filepath.Base(file), r.line)
		switch r.kind {
		case "statement ok":
			if _, err := db.Exec(r.sql); err != nil {
				t.Errorf("%s: %s\nfailed: %v", where, r.sql, err)
			}
		case "statement error":
			_, err := db.Exec(r.sql)
			if err == nil {
				rows, qerr := db.Query(r.sql) // errors raised while scanning show up on the rows
				if qerr == nil {
					for rows.Next() {
					}
					err = rows.Err()
					rows.Close()
				} else {
					err = qerr
				}
			}
			switch {
			case err == nil:
				t.Errorf("%s: %s\nsucceeded, want an error containing %q", where, r.sql, r.arg)
			case !strings.Contains(err.Error(), r.arg):
				t.Errorf("%s: %s\nerror %q does not contain %q", where, r.sql, err, r.arg)
			}
		case "query":
			got, err := queryStrings(db, r.sql, len(r.arg))
			if err != nil {
				t.Errorf("%s: %s\nfailed: %v", where, r.sql, err)
				continue
			}
			if r.rowsort {
				slices.SortFunc(got, func(a, b []string) int { return strings.Compare(strings.Join(a, "\t"), strings.Join(b, "\t")) })
			}
			if msg := compareRows(got, r.expected, r.arg); msg != "" {
				var b strings.Builder
				for _, row := range got {
					b.WriteString(strings.Join(row, "\t") + "\n")
				}
				t.Errorf("%s: %s\n%s\ngot:\n%s", where, r.sql, msg, b.String())
			}
		}
	}
}

func queryStrings(db *sql.DB, q string, ncols int) ([][]string, error) {
	rows, err := db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if len(cols) != ncols {
		return nil, fmt.Errorf("the query returns %d columns, the record's type string has %d", len(cols), ncols)
	}
	var out [][]string
	for rows.Next() {
		vals := make([]any, ncols)
		ptrs := make([]any, ncols)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, ncols)
		for i, v := range vals {
			row[i] = formatSQLValue(v)
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

func formatSQLValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = formatSQLValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []byte:
		return string(v)
	}
	return fmt.Sprint(v)
}

func compareRows(got [][]string, expected []string, types string) string {
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
