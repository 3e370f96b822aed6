package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"
)

// A long result shows its first and last rows, as DuckDB's shell does, and
// says how many there are.
func TestSQLTableShowsHeadAndTail(t *testing.T) {
	r := runIn(t, "", "sql", "-c", "SELECT range AS i, 'row ' || range AS s FROM range(50000)")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if last := lines[len(lines)-1]; last != "50,000 rows (40 shown)" {
		t.Errorf("last line %q, want the row count with how many are shown", last)
	}
	var shown []string
	dots := 0
	for _, l := range lines {
		f := strings.Fields(strings.Trim(l, "│"))
		switch {
		case strings.HasPrefix(l, "│") && len(f) == 4 && f[0] != "i": // │ 12 │ row 12 │
			shown = append(shown, f[0])
		case strings.Count(l, "·") == 2:
			dots++
		}
	}
	if len(shown) != 40 || shown[0] != "0" || shown[19] != "19" || shown[20] != "49980" || shown[39] != "49999" {
		t.Errorf("shown rows %v, want 0…19 then 49980…49999", shown)
	}
	if dots != 3 {
		t.Errorf("%d rows of dots between the head and the tail, want 3:\n%s", dots, r.stdout)
	}
	// --max-rows 0 shows every row; 5 shows 3 + 2.
	r = runIn(t, "", "sql", "--max-rows", "0", "-c", "SELECT * FROM range(100)")
	if !strings.HasSuffix(r.stdout, "│    99 │\n└───────┘\n100 rows\n") {
		t.Errorf("--max-rows 0:\n%s", r.stdout)
	}
	r = runIn(t, "", "sql", "--max-rows", "5", "-c", "SELECT * FROM range(100)")
	if !strings.Contains(r.stdout, "│     2 │\n│   ·   │") || !strings.Contains(r.stdout, "│   ·   │\n│    98 │\n│    99 │\n└") ||
		!strings.HasSuffix(r.stdout, "100 rows (5 shown)\n") {
		t.Errorf("--max-rows 5:\n%s", r.stdout)
	}
	r = runIn(t, "", "sql", "--max-rows", "-1", "-c", "SELECT 1")
	checkUserError(t, result{stderr: r.stderr, code: r.code}, "--max-rows -1")
}

// A table wider than the terminal narrows its widest columns, cutting their
// text with an ellipsis.
func TestSQLTableFitsWidth(t *testing.T) {
	in := ".maxwidth 40\nSELECT 1 AS id, repeat('x', 100) AS long_text, 'short' AS s, repeat('y', 50) AS other;\n" +
		".maxwidth 0\nSELECT repeat('z', 60) AS wide;\n"
	r := runIn(t, in, "sql", "--shell")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	tables := strings.SplitAfter(r.stdout, "1 row\n")
	for _, l := range strings.Split(tables[0], "\n") {
		if n := utf8.RuneCountInString(l); n > 40 {
			t.Errorf("line of %d characters in a 40-wide table: %q", n, l)
		}
	}
	if !strings.Contains(tables[0], "x…") || !strings.Contains(tables[0], "y…") || !strings.Contains(tables[0], "short") {
		t.Errorf("the long columns are not cut with … or the short one is:\n%s", tables[0])
	}
	if !strings.Contains(tables[1], strings.Repeat("z", 60)) {
		t.Errorf("without a width (not a terminal) nothing is cut:\n%s", tables[1])
	}
}

// Dates, times, intervals and UUIDs print as DuckDB prints them, in every format.
func TestSQLTimeTypesTextForms(t *testing.T) {
	q := "SELECT DATE '2024-03-01' AS d, TIMESTAMP '2024-03-01 12:30:05.25' AS ts, TIMESTAMP '2024-03-01 00:00:00' AS midnight, " +
		"TIMESTAMPTZ '2024-03-01 12:30:00+00' AS tz, TIME '07:08:09' AS t, INTERVAL 3 DAY AS i3, " +
		"INTERVAL '1 year 2 months 1 day 04:05:06.5' AS ilong, INTERVAL '36 hours' AS ih, INTERVAL '0 seconds' AS izero, " +
		"'4ac7a9e9-607c-4c8a-84f3-843f0191e3fd'::UUID AS u, 1.5 * 2 AS dec, -0.05::DECIMAL(4,2) AS small, [DATE '2024-01-02', NULL] AS dl"
	t.Setenv("TZ", "UTC")
	want := []string{"2024-03-01", "2024-03-01 12:30:05.25", "2024-03-01 00:00:00", "2024-03-01 12:30:00+00", "07:08:09",
		"3 days", "1 year 2 months 1 day 04:05:06.5", "36:00:00", "00:00:00", "4ac7a9e9-607c-4c8a-84f3-843f0191e3fd", "3.0", "-0.05"}
	r := runIn(t, "", "sql", "-c", "SET TimeZone = 'UTC'; "+q, "--format", "csv")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if got := strings.Join(want, ",") + ",\"[2024-01-02, NULL]\""; lines[len(lines)-1] != got {
		t.Errorf("csv:\ngot  %s\nwant %s", lines[len(lines)-1], got)
	}
	r = runIn(t, "", "sql", "-c", q, "--format", "table")
	for _, w := range want {
		if !strings.Contains(r.stdout, "│ "+w+" ") {
			t.Errorf("table has no cell %q:\n%s", w, r.stdout)
		}
	}
	r = runIn(t, "", "sql", "-c", q, "--format", "json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if rows[0]["d"] != "2024-03-01" || rows[0]["i3"] != "3 days" || rows[0]["u"] != want[9] || rows[0]["t"] != "07:08:09" {
		t.Errorf("json: %v", rows[0])
	}
}

// A script's several results in JSON are one document: an array with one
// array of rows per statement.
func TestSQLJSONSeveralStatements(t *testing.T) {
	r := runIn(t, "CREATE TABLE t AS SELECT 1 AS a; SELECT a FROM t; SELECT 'x' AS s UNION ALL SELECT 'y';", "sql", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc [][]map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, r.stdout)
	}
	if len(doc) != 3 || len(doc[0]) != 0 || len(doc[1]) != 1 || doc[1][0]["a"] != 1.0 || len(doc[2]) != 2 || doc[2][1]["s"] != "y" {
		t.Errorf("got %v", doc)
	}
	r = runIn(t, "", "sql", "--format", "json", "-c", "SELECT 1 AS a")
	if r.stdout != "[\n  {\"a\": 1}\n]\n" {
		t.Errorf("one statement: %q", r.stdout)
	}
}

// The shell's .mode line, .schema and .output.
func TestSQLShellDotCommands(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.csv")
	in := "CREATE TABLE people (name VARCHAR, age INTEGER);\nINSERT INTO people VALUES ('ann', 31), ('bob', 4);\n" +
		"CREATE VIEW adults AS SELECT * FROM people WHERE age >= 18;\n" +
		".mode line\nSELECT * FROM people;\n.schema\n.schema adults\n" +
		".mode csv\n.output " + out + "\nSELECT name FROM adults;\n.output\nSELECT 'back' AS here;\n.maxrows x\n"
	r := runIn(t, in, "sql", "--shell")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "name = ann\n age = 31\n\nname = bob\n age = 4\n") {
		t.Errorf(".mode line:\n%s", r.stdout)
	}
	if strings.Count(r.stdout, "CREATE TABLE people(\"name\" VARCHAR, age INTEGER);") != 1 || strings.Count(r.stdout, "CREATE VIEW adults") != 2 {
		t.Errorf(".schema:\n%s", r.stdout)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "name\nann\n" {
		t.Errorf(".output file: %v %q", err, b)
	}
	if strings.Contains(r.stdout, "\nann\n") {
		t.Errorf("the .output result went to the screen too:\n%s", r.stdout)
	}
	if !strings.HasSuffix(r.stdout, "here\nback\n") {
		t.Errorf("after .output alone results go back to the screen:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, ".maxrows N") {
		t.Errorf("bad .maxrows not reported: %s", r.stderr)
	}
}

// The table format keeps only the rows it shows: printing a result of
// millions of rows takes about the memory of streaming it as CSV (before,
// the table kept every row: 3 GB for 5 million).
func TestSQLTableMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 2-million-row query twice")
	}
	q := "SELECT range AS id, 'customer ' || range AS name, range * 0.5 AS x FROM range(2000000)"
	peak := func(format string) int64 {
		cmd := exec.Command(denseBin, "sql", "--format", format, "-c", q)
		cmd.Stdout = nil // /dev/null: only the memory matters
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", format, err, out)
		}
		return cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
	}
	csv, table := peak("csv"), peak("table")
	t.Logf("peak RSS: csv %d MiB, table %d MiB", csv>>10, table>>10)
	if table > csv+64<<10 {
		t.Errorf("table output took %d MiB, streaming CSV %d MiB: the table keeps rows it does not show", table>>10, csv>>10)
	}
}

// Reading an Arrow IPC file fails in DuckDB; the error says what to do.
func TestSQLArrowFileHint(t *testing.T) {
	r := runIn(t, "", "sql", "-c", "SELECT * FROM 'scored.arrow'")
	checkUserError(t, result{stderr: r.stderr, code: r.code}, "DuckDB reads no Arrow IPC files", ".parquet", "--out duckdb:")
	r = runIn(t, "", "sql", "-c", "SELECT * FROM 'nosuch.parquet'")
	if strings.Contains(r.stderr, "Arrow") {
		t.Errorf("the hint shows for a Parquet file: %s", r.stderr)
	}
}
