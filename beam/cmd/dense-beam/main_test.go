package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/arrowio"
)

// The tests run the commands as a user does: dense-beam built from this
// module and, for the reference answers, dense built from the main module
// (`dense score`, `dense eval`, and `dense train` for the model). Both are
// built once; every job runs on Prism in the dense-beam process.

var (
	buildOnce sync.Once
	bins      struct {
		dir, beam, dense string
		err              error
	}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if bins.dir != "" {
		os.RemoveAll(bins.dir)
	}
	os.Exit(code)
}

// commands builds dense-beam and dense (once) and returns their paths.
func commands(t *testing.T) (beamBin, denseBin string) {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dense-beam-cmd-")
		if err != nil {
			bins.err = err
			return
		}
		bins.dir = dir
		bins.beam, bins.dense = filepath.Join(dir, "dense-beam"), filepath.Join(dir, "dense")
		for _, b := range []*exec.Cmd{
			exec.Command("go", "build", "-o", bins.beam, "."),
			exec.Command("go", "build", "-C", filepath.Join("..", "..", ".."), "-o", bins.dense, "./cmd/dense"),
		} {
			if out, err := b.CombinedOutput(); err != nil {
				bins.err = fmt.Errorf("%s: %v\n%s", strings.Join(b.Args, " "), err, out)
				return
			}
		}
	})
	if bins.err != nil {
		t.Fatal(bins.err)
	}
	return bins.beam, bins.dense
}

type result struct {
	code           int
	stdout, stderr string
}

// runCmd runs a command and returns its exit status and output.
func runCmd(t *testing.T, bin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return result{exit.ExitCode(), stdout.String(), stderr.String()}
	case err != nil:
		t.Fatalf("%s %s: %v", bin, strings.Join(args, " "), err)
	}
	return result{0, stdout.String(), stderr.String()}
}

// mustRun runs a command that must succeed.
func mustRun(t *testing.T, bin string, args ...string) string {
	t.Helper()
	r := runCmd(t, bin, args...)
	if r.code != 0 {
		t.Fatalf("%s %s: exit %d\nstdout:\n%s\nstderr:\n%s", filepath.Base(bin), strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// customers writes n rows (ids from first) to path in row groups of
// n/2 rows; bad(i, age, income) may change a row's features.
func customers(t *testing.T, path string, n int, first int64, rng *rand.Rand, bad func(i int, age, income *float64)) {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "age", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "income", Type: arrow.PrimitiveTypes.Float64},
		{Name: "tenure", Type: arrow.PrimitiveTypes.Int64},
		{Name: "region", Type: arrow.BinaryTypes.String},
		{Name: "churned", Type: arrow.FixedWidthTypes.Boolean},
	}, nil)
	w, err := arrowio.Create(path, schema, arrowio.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	regions := []string{"north", "south", "east", "west"}
	for half := range 2 {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := half * n / 2; i < (half+1)*n/2; i++ {
			age, income := 18+rng.Float64()*60, math.Exp(10+rng.NormFloat64()*0.5)
			tenure, region := rng.Int64N(120), rng.IntN(len(regions))
			z := -0.04*(age-45) - 0.02*float64(tenure-60) + 0.5*float64(region-1) + rng.NormFloat64()
			if bad != nil {
				bad(i, &age, &income)
			}
			b.Field(0).(*array.Int64Builder).Append(first + int64(i))
			if i%97 == 5 {
				b.Field(1).(*array.Float64Builder).AppendNull() // imputed by the model
			} else {
				b.Field(1).(*array.Float64Builder).Append(age)
			}
			b.Field(2).(*array.Float64Builder).Append(income)
			b.Field(3).(*array.Int64Builder).Append(tenure)
			b.Field(4).(*array.StringBuilder).Append(regions[region])
			b.Field(5).(*array.BooleanBuilder).Append(z > 0)
		}
		rec := b.NewRecordBatch()
		b.Release()
		err := w.Write(rec)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// fixture is a registry with the model churn and a folder of 3 Parquet
// files of 4,000 rows each.
type fixture struct {
	dir, models, data string
}

var (
	fixOnce sync.Once
	fix     fixture
)

func testData(t *testing.T) fixture {
	t.Helper()
	_, denseBin := commands(t)
	fixOnce.Do(func() {
		dir, err := os.MkdirTemp(bins.dir, "data-")
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 8))
		f := fixture{dir: dir, models: filepath.Join(dir, "models"), data: filepath.Join(dir, "data")}
		train := filepath.Join(dir, "train.parquet")
		customers(t, train, 6000, -6000, rng, nil)
		mustRun(t, denseBin, "train", "--data", train, "--target", "churned", "--exclude", "id",
			"--hidden", "8", "--epochs", "2", "--seed", "1", "--name", "churn", "--models", f.models, "--no-plot", "--quiet")
		os.MkdirAll(f.data, 0o755)
		for i := range 3 {
			customers(t, filepath.Join(f.data, fmt.Sprintf("part-%d.parquet", i)), 4000, int64(i*4000), rng, nil)
		}
		fix = f
	})
	if fix.dir == "" {
		t.Fatal("the test data could not be made (see the first failure)")
	}
	return fix
}

// predictions reads the prediction columns of the Parquet files by id, as
// text (exact for floats: the shortest representation that reads back).
func predictions(t *testing.T, files ...string) map[int64]string {
	t.Helper()
	got := map[int64]string{}
	eachBatch(t, files, func(b arrow.RecordBatch) {
		ids := column(t, b, "id").(*array.Int64)
		cols := []arrow.Array{column(t, b, "prediction"), column(t, b, "predicted_label"), column(t, b, "probabilities")}
		for i := range ids.Len() {
			var row []string
			for _, c := range cols {
				row = append(row, c.ValueStr(i))
			}
			if _, dup := got[ids.Value(i)]; dup {
				t.Fatalf("id %d appears twice", ids.Value(i))
			}
			got[ids.Value(i)] = strings.Join(row, " ")
		}
	})
	return got
}

// eachBatch calls f with every record batch of the Parquet files, in order.
func eachBatch(t *testing.T, files []string, f func(arrow.RecordBatch)) {
	t.Helper()
	r, err := arrowio.OpenParquet(files, arrowio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		b, err := r.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		f(b)
		b.Release()
	}
}

func column(t *testing.T, b arrow.RecordBatch, name string) arrow.Array {
	t.Helper()
	i := b.Schema().FieldIndices(name)
	if len(i) == 0 {
		t.Fatalf("no column %q in %s", name, b.Schema())
	}
	return b.Column(i[0])
}

// parts lists the output files of a folder and checks their names:
// part-00000-of-0000N … without gaps, and no temporary files left.
func parts(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() {
			files = append(files, filepath.Join(dir, e.Name()))
		} else if e.Name() != "dead_letter" {
			t.Errorf("%s: unexpected folder %s (temporary files left behind?)", dir, e.Name())
		}
	}
	for i, f := range files {
		if want := fmt.Sprintf("part-%05d-of-%05d.parquet", i, len(files)); filepath.Base(f) != want {
			t.Errorf("%s: file %s, want %s", dir, filepath.Base(f), want)
		}
	}
	return files
}

// TestScore: dense-beam score writes every row with the predictions dense
// score gives on the same files.
func TestScore(t *testing.T) {
	beamBin, denseBin := commands(t)
	f := testData(t)
	out := filepath.Join(t.TempDir(), "out")
	stdout := mustRun(t, beamBin, "score", "--model", "churn", "--models", f.models,
		"--input", filepath.Join(f.data, "*.parquet"), "--output", out, "--runner", "prism")
	if !strings.Contains(stdout, "Scored 12,000 rows with churn@1") {
		t.Errorf("stdout %q, want it to say 12,000 rows were scored with churn@1", stdout)
	}
	if _, err := os.Stat(filepath.Join(out, "dead_letter")); err == nil {
		t.Error("a dead_letter folder without a bad row")
	}
	ref := filepath.Join(t.TempDir(), "ref.parquet")
	mustRun(t, denseBin, "score", "--model", "churn", "--models", f.models,
		"--data", filepath.Join(f.data, "*.parquet"), "--out", ref, "--quiet")
	got, want := predictions(t, parts(t, out)...), predictions(t, ref)
	if len(want) != 12000 || len(got) != len(want) {
		t.Fatalf("dense-beam wrote %d rows, dense score %d, want 12000", len(got), len(want))
	}
	bad := 0
	for id, w := range want {
		if g := got[id]; g != w {
			t.Errorf("row id %d: dense-beam %q, dense score %q", id, g, w)
			if bad++; bad == 10 {
				t.Fatal("too many differences")
			}
		}
	}

	// A second run into the same folder is refused: it would mix two jobs' files.
	r := runCmd(t, beamBin, "score", "--model", "churn", "--models", f.models, "--input", f.data, "--output", out)
	if r.code != 1 || !strings.Contains(r.stderr, "already holds output files") {
		t.Errorf("scoring into a used folder: exit %d, stderr %q; want 1 and a message that it holds output files", r.code, r.stderr)
	}
}

// TestEval: dense-beam eval prints the metrics and confusion matrix of
// dense eval on the same files.
func TestEval(t *testing.T) {
	beamBin, denseBin := commands(t)
	f := testData(t)
	metrics := filepath.Join(t.TempDir(), "metrics.json")
	got := mustRun(t, beamBin, "eval", "--model", "churn", "--models", f.models, "--input", f.data, "--output", metrics)
	if _, err := os.Stat(metrics); err != nil {
		t.Errorf("no metrics file: %v", err)
	}
	want := mustRun(t, denseBin, "eval", "--model", "churn", "--models", f.models, "--data", filepath.Join(f.data, "*.parquet"), "--quiet")
	if !strings.Contains(got, "on 12,000 rows, target churned") {
		t.Errorf("dense-beam eval:\n%s\nwant it to name 12,000 rows and the target churned", got)
	}
	// The metric table and the confusion matrix: a header line and the
	// indented lines under it.
	block := func(out, header string) string {
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			switch {
			case lines == nil && strings.HasPrefix(l, header):
				lines = []string{l}
			case lines != nil && strings.HasPrefix(l, "  "):
				lines = append(lines, l)
			case lines != nil:
				return strings.Join(lines[1:], "\n")
			}
		}
		return strings.Join(lines, "\n")
	}
	t.Logf("dense-beam eval:\n%s\ndense eval:\n%s", got, want)
	for _, header := range []string{"Evaluated", "Confusion matrix"} {
		g, w := block(got, header), block(want, header)
		if w == "" || g != w {
			t.Errorf("dense-beam eval prints under %q\n%s\ndense eval prints\n%s", header, g, w)
		}
	}
}

// TestBadInput: rows with ±Inf and a file without a column the model
// needs go to the dead letters with the reason; the other rows are
// scored and the job succeeds. A first file that cannot feed the model
// fails before the job starts.
func TestBadInput(t *testing.T) {
	beamBin, _ := commands(t)
	f := testData(t)
	data := t.TempDir()
	rng := rand.New(rand.NewPCG(9, 10))
	customers(t, filepath.Join(data, "a.parquet"), 1000, 0, rng, func(i int, age, income *float64) {
		switch i {
		case 10:
			*age = math.Inf(1)
		case 500:
			*income = math.Inf(-1)
		}
	})
	// b.parquet lacks income.
	noIncome := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "age", Type: arrow.PrimitiveTypes.Float64}}, nil)
	ib, ab := array.NewInt64Builder(memory.DefaultAllocator), array.NewFloat64Builder(memory.DefaultAllocator)
	ib.AppendValues([]int64{5000, 5001, 5002}, nil)
	ab.AppendValues([]float64{30, 40, 50}, nil)
	rec := array.NewRecordBatch(noIncome, []arrow.Array{ib.NewArray(), ab.NewArray()}, 3)
	w, err := arrowio.Create(filepath.Join(data, "b.parquet"), noIncome, arrowio.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(w.Write(rec), w.Close()); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "out")
	stdout := mustRun(t, beamBin, "score", "--model", "churn", "--models", f.models, "--input", data, "--output", out)
	if !strings.Contains(stdout, "Scored 998 rows") || !strings.Contains(stdout, "5 rows could not be scored: "+out+"/dead_letter") {
		t.Errorf("stdout %q, want 998 rows scored and 5 that could not be", stdout)
	}
	if n := len(predictions(t, parts(t, out)...)); n != 998 {
		t.Errorf("%d rows in the output, want 998", n)
	}
	reasons := map[int64]string{}
	for _, file := range parts(t, filepath.Join(out, "dead_letter")) { // one per schema
		eachBatch(t, []string{file}, func(b arrow.RecordBatch) {
			ids, why, row := column(t, b, "id").(*array.Int64), column(t, b, "dense_error"), column(t, b, "dense_row").(*array.Int64)
			for i := range ids.Len() {
				reasons[ids.Value(i)] = fmt.Sprintf("row %d: %s", row.Value(i), why.ValueStr(i))
			}
		})
	}
	for id, want := range map[int64][]string{
		10: {"row 10:", `"age"`, "±Inf"}, 500: {"row 500:", `"income"`, "±Inf"},
		5000: {"row 0:", "income"}, 5001: {"row 1:", "income"}, 5002: {"row 2:", "income"},
	} {
		for _, w := range want {
			if !strings.Contains(reasons[id], w) {
				t.Errorf("dead letter of id %d: %q, want it to contain %s", id, reasons[id], w)
			}
		}
	}
	t.Logf("dead letters: %v", reasons)
	if len(reasons) != 5 {
		t.Errorf("%d dead letters, want 5: %v", len(reasons), reasons)
	}

	// The first file is checked against the model before the job starts.
	r2 := runCmd(t, beamBin, "score", "--model", "churn", "--models", f.models,
		"--input", filepath.Join(data, "b.parquet"), "--output", filepath.Join(t.TempDir(), "o"))
	if r2.code != 1 || !strings.Contains(r2.stderr, "cannot feed model churn@1") || !strings.Contains(r2.stderr, "income") {
		t.Errorf("a file without income: exit %d, stderr %q; want 1 and a message naming the column", r2.code, r2.stderr)
	}
}

// TestErrors: the exit status and message of command lines that cannot
// work (2: the command line, 1: what it names).
func TestErrors(t *testing.T) {
	beamBin, _ := commands(t)
	f := testData(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.safetensors")
	os.WriteFile(garbage, []byte("not a model"), 0o644)
	for _, c := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no command", nil, 2, []string{"usage: dense-beam score|eval"}},
		{"unknown command", []string{"predict"}, 2, []string{"usage: dense-beam"}},
		{"unknown flag", []string{"score", "--modle", "churn"}, 2, []string{"-modle"}},
		{"no model", []string{"score", "--input", f.data, "--output", dir}, 2, []string{"--model is required"}},
		{"no output", []string{"eval", "--model", "churn", "--input", f.data}, 2, []string{"--output is required"}},
		{"bad batch rows", []string{"score", "--model", "churn", "--models", f.models, "--input", f.data, "--output", dir, "--batch_rows", "0"}, 2, []string{"--batch_rows 0"}},
		{"unknown model", []string{"score", "--model", "nosuch", "--models", f.models, "--input", f.data, "--output", dir}, 1, []string{`"nosuch"`, "neither a file nor a registered model"}},
		{"damaged model file", []string{"score", "--model", garbage, "--input", f.data, "--output", dir}, 1, []string{garbage}},
		{"no input files", []string{"score", "--model", "churn", "--models", f.models, "--input", filepath.Join(dir, "*.parquet"), "--output", dir}, 1, []string{"no Parquet files match"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCmd(t, beamBin, c.args...)
			if r.code != c.code {
				t.Errorf("exit %d, want %d\nstderr: %s", r.code, c.code, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q, want it to contain %q", r.stderr, w)
				}
			}
			if strings.Contains(r.stdout, "Scored") {
				t.Errorf("stdout %q: nothing should have been scored", r.stdout)
			}
		})
	}
}
