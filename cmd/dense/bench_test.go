package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// runBench runs `bench args…` through a bare app holding only benchCommand.
func runBench(t *testing.T, args ...string) (lines []string, err error) {
	t.Helper()
	var out bytes.Buffer
	app := &cli.App{Name: "dense", Commands: []*cli.Command{benchCommand()}, Writer: &out, ErrWriter: &out,
		ExitErrHandler: func(*cli.Context, error) {}}
	err = app.RunContext(context.Background(), append([]string{"dense", "bench"}, args...))
	return strings.Split(strings.TrimSpace(out.String()), "\n"), err
}

// lastFigure checks the last line is "<number> <unit>" and returns the number.
func lastFigure(t *testing.T, lines []string, unit string) float64 {
	t.Helper()
	last := lines[len(lines)-1]
	m := regexp.MustCompile(`^([0-9.]+) ` + regexp.QuoteMeta(unit) + `$`).FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("last line %q is not \"<number> %s\"; output:\n%s", last, unit, strings.Join(lines, "\n"))
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	if !(v > 0) {
		t.Fatalf("figure %v is not positive", v)
	}
	return v
}

func TestBenchGemm(t *testing.T) {
	for _, args := range [][]string{
		{"gemm", "--m", "70", "--n", "33", "--k", "50", "--seconds", "0.05"},
		{"gemm", "--m", "9", "--n", "300", "--k", "20", "--trans-a", "--trans-b", "--threads", "1", "--seconds", "0.05"},
	} {
		lines, err := runBench(t, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		lastFigure(t, lines, "GFLOP/s")
	}
}

func TestBenchTrain(t *testing.T) {
	for _, layers := range []string{"20,16,3", "6,8,4,1"} {
		lines, err := runBench(t, "train", "--layers", layers, "--rows", "600", "--batch-size", "64", "--epochs", "2")
		if err != nil {
			t.Fatalf("%s: %v", layers, err)
		}
		lastFigure(t, lines, "samples/s")
		if !strings.Contains(strings.Join(lines, "\n"), "final training loss") {
			t.Errorf("%s: no training loss reported:\n%s", layers, strings.Join(lines, "\n"))
		}
	}
}

func TestBenchSQL(t *testing.T) {
	for _, tc := range []struct{ data, inputs, sum string }{
		{"numeric", "inputs 20 numeric (standard)", `sum -?[0-9]`},
		{"categorical", "inputs 10 numeric (standard), 2 categorical (5 slots)", `sum -?[0-9]`},
		// A classifier sums its top probabilities: between rows/classes and rows.
		{"vector", "inputs 1 vector (standard)", `sum (1[0-9]{2}|[2-9][0-9]{2}|1000)\b`},
	} {
		lines, err := runBench(t, "sql", "--data", tc.data, "--rows", "1000", "--train-rows", "300", "--epochs", "1", "--repeat", "1")
		if err != nil {
			if strings.Contains(err.Error(), "not slower than the scan") {
				t.Logf("%s: %v (timing noise at this size)", tc.data, err)
				continue
			}
			t.Fatalf("%s: %v", tc.data, err)
		}
		out := strings.Join(lines, "\n")
		if !strings.Contains(out, tc.inputs) {
			t.Errorf("%s: no %q in:\n%s", tc.data, tc.inputs, out)
		}
		for _, form := range []string{"struct", "columns"} {
			re := regexp.MustCompile(`(?m)^  ` + form + ` .*\(` + tc.sum)
			if !re.MatchString(out) {
				t.Errorf("%s: no %s query with a sum matching %s:\n%s", tc.data, form, tc.sum, out)
			}
			if !regexp.MustCompile(`(?m)^` + form + `: [0-9]+ rows/s$`).MatchString(out) {
				t.Errorf("%s: no %q figure:\n%s", tc.data, form+": … rows/s", out)
			}
		}
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"gemm", "--m", "0"}, "--m, --n and --k must be at least 1"},
		{[]string{"gemm", "--seconds", "-1"}, "--seconds must be between"},
		{[]string{"train", "--layers", "784"}, "want at least an input and an output width"},
		{[]string{"train", "--layers", "784,x,10"}, `width 2 ("x") is not an integer`},
		{[]string{"train", "--layers", "4,2", "--optimizer", "nope", "--rows", "10"}, "nope"},
		{[]string{"sql", "--rows", "-1"}, "--rows, --train-rows, --epochs and --repeat must be at least 1"},
		{[]string{"sql", "--data", "images"}, `--data "images": want numeric, categorical or vector`},
	} {
		_, err := runBench(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}
