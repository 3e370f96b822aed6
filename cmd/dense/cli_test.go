package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every command's --help is pinned by a golden file, and every one shows
// examples; the repository files it names (examples/…, sql/…) exist.
func TestHelpGolden(t *testing.T) {
	repoPath := regexp.MustCompile(`\b(?:examples|sql|bench)/[\w./-]*\w`)
	app := newApp(nil, nil, nil)
	cases := [][]string{{"--help"}}
	for _, c := range app.Commands {
		cases = append(cases, []string{c.Name, "--help"})
		for _, s := range c.Subcommands {
			cases = append(cases, []string{c.Name, s.Name, "--help"})
		}
	}
	for _, args := range cases {
		name := "help_" + strings.Join(args[:len(args)-1], "_")
		if len(args) == 1 {
			name = "help"
		}
		t.Run(name, func(t *testing.T) {
			r := runIn(t, "", args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, "Examples:") && !strings.Contains(r.stdout, "Start with:") {
				t.Errorf("help has no examples:\n%s", r.stdout)
			}
			for _, p := range repoPath.FindAllString(r.stdout, -1) {
				if _, err := os.Stat(filepath.Join("..", "..", p)); err != nil {
					t.Errorf("help names %s, which is not in the repository", p)
				}
			}
			if args[0] == "bench" {
				return // bench.go belongs to the benchmarks, which change it freely
			}
			golden(t, name, r.stdout)
		})
	}
}

func TestParamsGolden(t *testing.T) {
	for name, args := range map[string][]string{
		"params_784_128_10":        {"params", "--inputs", "784", "--units", "128,10"},
		"params_20_64_32_1_nobias": {"params", "--inputs", "20", "--units", "64, 32, 1", "--no-bias"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runIn(t, "", args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			golden(t, name, r.stdout)
		})
	}
	r := runIn(t, "", "params", "--inputs", "784", "--units", "128,10")
	if !strings.Contains(r.stdout, "101,770") {
		t.Errorf("784→128→10 should have 101,770 parameters:\n%s", r.stdout)
	}
}

// The error paths of the commands that need no data: one line, exit 1.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"nosuch"}, []string{`unknown command "nosuch"`}},
		{[]string{"params"}, []string{"missing --inputs, --units"}},
		{[]string{"params", "--inputs", "10"}, []string{"missing --units"}},
		{[]string{"params", "--inputs", "10", "--units", "5,x"}, []string{`"x" is not a positive integer`}},
		{[]string{"params", "--inputs", "0", "--units", "5"}, []string{"inputs must be positive"}},
		{[]string{"params", "--inputs", "10", "--units", "5", "--bogus"}, []string{"-bogus", "dense params --help"}},
		{[]string{"params", "--inputs", "10", "--units", "5", "extra"}, []string{`unexpected argument "extra"`}},
		{[]string{"sql", "-c", "SELECT 1", "--format", "xml"}, []string{`unknown --format "xml"`}},
		{[]string{"sql", "no-such-file.sql"}, []string{"no-such-file.sql"}},
		{[]string{"sql", "-c", "SELECT * FROM no_such_table"}, []string{"no_such_table"}},
		{[]string{"sql", "-c", "SELEC 1"}, []string{"syntax error"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			checkUserError(t, runIn(t, "", tc.args...), tc.want...)
		})
	}
}

// The shell reports an error and carries on; dot commands work; a statement
// may span lines.
func TestSQLShellCarriesOn(t *testing.T) {
	in := "CREATE TABLE t AS SELECT 1 AS a;\nSELECT * FROM nope;\n.format csv\nSELECT a + 1\n  AS b FROM t;\n.bogus\nSELECT 'still here' AS s;\n"
	history := filepath.Join(t.TempDir(), "history")
	t.Setenv("DENSE_HISTORY", history)
	r := runIn(t, in, "sql", "--shell")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "Error: ") || !strings.Contains(r.stderr, "nope") {
		t.Errorf("the failing statement's error is missing from stderr:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "unknown command .bogus") {
		t.Errorf("unknown dot command not reported:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "b\n2\n") || !strings.Contains(r.stdout, "s\nstill here\n") {
		t.Errorf("results missing after the error:\n%s", r.stdout)
	}
	if h, err := os.ReadFile(history); err != nil || !strings.Contains(string(h), "SELECT 'still here' AS s;") ||
		!strings.Contains(string(h), "SELECT a + 1 AS b FROM t;\n") || !strings.Contains(string(h), ".format csv\n") {
		t.Errorf("history file %s: %v\n%s", history, err, h)
	}
}

// In batch mode the first error stops the script with exit code 1 and
// names the statement.
func TestSQLBatchStopsAtError(t *testing.T) {
	r := runIn(t, "SELECT 1 AS a;\nSELECT * FROM nope;\nSELECT 3 AS c;\n", "sql", "--format", "csv")
	checkUserError(t, result{stderr: r.stderr, code: r.code}, "nope", "statement 2 of 3 in standard input")
	if r.stdout != "a\n1\n" {
		t.Errorf("stdout %q, want only the first result", r.stdout)
	}
}

func TestSQLFormats(t *testing.T) {
	q := "SELECT 1 AS n, 'x,y' AS s, 0.5::DOUBLE AS f, NULL AS z, [1.5, 2]::FLOAT[] AS l, MAP {'b': 1.25, 'a': 2} AS m"
	for format, want := range map[string]string{
		"csv":  "n,s,f,z,l,m\n1,\"x,y\",0.5,,\"[1.5, 2]\",\"{b=1.25, a=2.00}\"\n",
		"json": "[\n  {\"n\": 1, \"s\": \"x,y\", \"f\": 0.5, \"z\": null, \"l\": [1.5,2], \"m\": {\"b\":1.25,\"a\":2.00}}\n]\n",
		"table": "┌───┬─────┬─────┬──────┬──────────┬──────────────────┐\n" +
			"│ n │ s   │ f   │ z    │ l        │ m                │\n" +
			"├───┼─────┼─────┼──────┼──────────┼──────────────────┤\n" +
			"│ 1 │ x,y │ 0.5 │ NULL │ [1.5, 2] │ {b=1.25, a=2.00} │\n" +
			"└───┴─────┴─────┴──────┴──────────┴──────────────────┘\n1 row\n",
	} {
		r := runIn(t, "", "sql", "-c", q, "--format", format)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", format, r.code, r.stderr)
		}
		if r.stdout != want {
			t.Errorf("%s:\ngot  %q\nwant %q", format, r.stdout, want)
		}
	}
}

func TestFlagsFirst(t *testing.T) {
	app := newApp(nil, nil, nil)
	for _, tc := range []struct{ in, want string }{
		{"dense models show churn --models /m", "dense models show --models /m churn"},
		{"dense models show --models=/m churn", "dense models show --models=/m churn"},
		{"dense sql q.sql --format csv --shell", "dense sql --format csv --shell q.sql"},
		{"dense sql -c x -- --not-a-flag", "dense sql -c x -- --not-a-flag"},
		{"dense params --inputs 3 --units 2", "dense params --inputs 3 --units 2"},
		{"dense models", "dense models"},
		{"dense nosuch a --b", "dense nosuch a --b"},
	} {
		got := strings.Join(flagsFirst(app, strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("flagsFirst(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The README's command reference names every command and every flag of
// train, score, sql and eval, so it cannot silently fall behind.
func TestREADMECoversCommands(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "## Command reference")
	if i < 0 {
		t.Fatal("README.md has no \"## Command reference\" section")
	}
	ref := readme[i:]
	if j := strings.Index(ref[3:], "\n## "); j >= 0 {
		ref = ref[:j+3]
	}
	for _, c := range newApp(nil, nil, nil).Commands {
		if !strings.Contains(ref, "`dense "+c.Name) {
			t.Errorf("the command reference does not show dense %s", c.Name)
		}
		switch c.Name {
		case "train", "score", "sql", "eval":
			for _, f := range c.Flags {
				name := f.Names()[0]
				if name == "help" || name == "shell" || name == "quiet" && c.Name != "train" {
					continue
				}
				found := false
				for _, n := range f.Names() { // the flag or one of its aliases (-c)
					found = found || strings.Contains(ref, "--"+n) || strings.Contains(ref, "`-"+n+" ") || strings.Contains(ref, " -"+n+" ")
				}
				if !found {
					t.Errorf("the command reference does not mention dense %s --%s", c.Name, name)
				}
			}
		}
	}
}
