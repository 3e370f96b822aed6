package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
)

// fixtureModels registers two small untrained models with fixed weights
// and metadata, so that listings are deterministic.
func fixtureModels(t *testing.T, dir string) {
	t.Helper()
	reg, err := registry.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	churn := nn.Spec{
		Format: nn.FormatName, Version: nn.FormatVersion, Task: nn.TaskBinary, Target: "churned",
		Labels: []string{"false", "true"},
		Inputs: []nn.Input{
			{Name: "age", Kind: nn.KindNumeric, Impute: &nn.Impute{Strategy: nn.ImputeMean, Value: 41.5},
				Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 41.5, Std: 12.25}},
			{Name: "income", Kind: nn.KindNumeric, Log1p: true, Clip: &nn.Clip{Min: 0, Max: 500000},
				Scale: &nn.Scale{Method: nn.ScaleMinMax, Min: 8, Max: 13}},
			{Name: "region", Kind: nn.KindCategorical, Vocabulary: []string{"north", "south", "east"}, UnknownBucket: true},
		},
		Layers: []nn.LayerSpec{nn.Dense(16, nn.ReLU), nn.Dropout(0.1), nn.Dense(8, nn.ReLU), nn.Dense(1, nn.Sigmoid)},
		Provenance: nn.Provenance{Seed: 7, Epochs: 12, Rows: 1000, Source: "customers.csv",
			Metrics: map[string]float64{"accuracy": 0.8125, "roc_auc": 0.79}},
	}
	price := nn.Spec{
		Format: nn.FormatName, Version: nn.FormatVersion, Task: nn.TaskRegression, Target: "price",
		Inputs: []nn.Input{nn.VectorInput("x", 3)},
		Layers: []nn.LayerSpec{nn.Dense(4, nn.Tanh), nn.BatchNorm(), nn.Dense(1, nn.Linear)},
		Provenance: nn.Provenance{Seed: 1, Rows: 20000, Source: "houses.parquet",
			Metrics: map[string]float64{"r2": 0.9871, "mae": 0.12}},
	}
	for _, m := range []struct {
		name string
		spec nn.Spec
	}{{"churn", churn}, {"churn", churn}, {"price", price}} {
		model, err := nn.NewModel(m.spec, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.Register(m.name, model); err != nil {
			t.Fatal(err)
		}
	}
}

var (
	timeRE = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d UTC)?`)
	shaRE  = regexp.MustCompile(`[0-9a-f]{64}`)
	sizeRE = regexp.MustCompile(`\([0-9,]+ bytes\)`)
)

// normalise replaces what changes from run to run (times, checksums, file
// sizes, the temporary folder) with fixed text of the same width.
func normalise(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "$MODELS")
	s = timeRE.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasSuffix(m, "UTC") {
			return "YYYY-MM-DD hh:mm:ss UTC"
		}
		return "YYYY-MM-DD hh:mm"
	})
	s = shaRE.ReplaceAllString(s, "<sha256>")
	return sizeRE.ReplaceAllString(s, "(<size> bytes)")
}

func TestModelsGolden(t *testing.T) {
	dir := t.TempDir()
	r := runIn(t, "", "models", "--models", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "No models in") {
		t.Fatalf("empty registry: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	fixtureModels(t, dir)
	for _, alias := range []string{"prod", "canary"} {
		if r := runIn(t, "", "models", "alias", "price@1", alias, "--models", dir); r.code != 0 {
			t.Fatalf("models alias: exit %d: %s", r.code, r.stderr)
		}
	}
	r = runIn(t, "", "models", "list", "--models", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden(t, "models_list", normalise(r.stdout, dir))
	r = runIn(t, "", "models", "list", "--models", dir, "--format", "csv")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "name,version,task,target,inputs,params,metric,rows,registered,aliases\nchurn,1,binary,churned,3,257,accuracy 0.8125,1000,") {
		t.Errorf("models list --format csv: exit %d\n%s", r.code, r.stdout)
	}
	r = runIn(t, "", "models", "show", "churn@2", "--models", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden(t, "models_show_churn", normalise(r.stdout, dir))
	r = runIn(t, "", "models", "show", "price", "--models", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden(t, "models_show_price", normalise(r.stdout, dir))

	r = runIn(t, "", "models", "rm", "churn@1", "--models", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Deleted churn@1") {
		t.Fatalf("rm: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	checkUserError(t, runIn(t, "", "models", "show", "churn@1", "--models", dir), "deleted version 1", "versions: 2")
	checkUserError(t, runIn(t, "", "models", "rm", "churn@1", "--models", dir), "churn")
}

// Every user mistake: exit code 1 and one line naming the problem.
func TestUserErrors(t *testing.T) {
	dir := t.TempDir()
	writeCustomersCSV(t, dir, 300)
	models := filepath.Join(dir, "models")
	fixtureModels(t, models)
	csv := filepath.Join(dir, "customers.csv")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"train", "--data", filepath.Join(dir, "nope.csv"), "--target", "churned"}, []string{"nope.csv does not exist"}},
		{[]string{"train", "--data", csv, "--target", "nope"}, []string{`target "nope"`, "no such column", "columns: customer_id"}},
		{[]string{"train", "--data", csv, "--target", "churned", "--features", "age,nope"}, []string{`feature "nope"`, "no such column"}},
		{[]string{"train", "--data", csv, "--target", "churned", "--exclude", "nope"}, []string{`"nope"`}},
		{[]string{"train", "--data", csv, "--target", "churned", "--hidden", "3,x"}, []string{`--hidden: "x"`}},
		{[]string{"train", "--data", csv, "--target", "churned", "--task", "foo"}, []string{`unknown task "foo"`}},
		{[]string{"train", "--data", csv, "--target", "churned", "--optimizer", "foo"}, []string{`unknown optimizer "foo"`}},
		{[]string{"train", "--data", csv}, []string{"missing --target"}},
		{[]string{"train", "--target", "churned"}, []string{"no data: give --data FILE or --db FILE --query SQL"}},
		{[]string{"train", "--data", csv, "--db", "x.duckdb", "--query", "SELECT 1", "--target", "churned"}, []string{"not both"}},
		{[]string{"train", "--db", filepath.Join(dir, "nope.duckdb"), "--query", "SELECT 1", "--target", "x"}, []string{"nope.duckdb does not exist"}},
		{[]string{"train", "--query", "SELECT * FROM nope", "--target", "x"}, []string{"nope does not exist"}},
		{[]string{"score", "--model", "nope", "--data", csv, "--out", filepath.Join(dir, "x.parquet"), "--models", models}, []string{`unknown model "nope"`, "available: churn, price"}},
		{[]string{"score", "--model", "churn", "--data", csv, "--out", filepath.Join(dir, "nodir", "x.parquet"), "--models", models}, []string{"nodir does not exist"}},
		{[]string{"score", "--model", "churn", "--data", csv, "--out", filepath.Join(dir, "x.txt"), "--models", models}, []string{`unknown file format ".txt"`}},
		{[]string{"score", "--model", "price", "--data", csv, "--out", filepath.Join(dir, "x.csv"), "--models", models}, []string{`"x"`}},
		{[]string{"score", "--data", csv, "--out", "x.csv"}, []string{"missing --model"}},
		{[]string{"eval", "--model", "churn@99", "--data", csv, "--models", models}, []string{"unknown version 99", "versions: 1, 2"}},
		{[]string{"eval", "--model", "churn", "--data", csv, "--target", "region", "--models", models}, []string{`is not one of the model's labels (false, true)`}},
		{[]string{"eval", "--model", "churn", "--data", csv, "--target", "nope", "--models", models}, []string{`no target column "nope"`}},
		{[]string{"eval", "--model", "price", "--data", csv, "--plot", "x.png", "--models", models}, []string{`no target column "price"`}},
		{[]string{"eval", "--model", "price", "--data", csv, "--thresholds", "--models", models}, []string{"--thresholds is for binary models"}},
		{[]string{"sql", "--models", models, "-c", "SELECT dense_predict('nope', 1.0)"}, []string{`unknown model "nope"`}},
		{[]string{"sql", "--models", models, "-c", "SELECT dense_predict('churn', 1.0)"}, []string{"expected 3", "got 1"}},
		{[]string{"sql", "--db", filepath.Join(dir, "no", "such.duckdb"), "-c", "SELECT 1"}, []string{"does not exist"}},
		{[]string{"models", "show", "nope", "--models", models}, []string{`unknown model "nope"`}},
		{[]string{"models", "show"}, []string{"which model?"}},
		{[]string{"models", "bogus"}, []string{`unknown subcommand "bogus"`}},
		{[]string{"models", "rm", "churn@x", "--models", models}, []string{"churn@x"}},
		{[]string{"pipeline", "run", filepath.Join(dir, "nope.yaml")}, []string{"nope.yaml"}},
		{[]string{"pipeline", "run"}, []string{"give the spec file"}},
		{[]string{"demo", "--customers", "5"}, []string{"--customers 5 is out of range"}},
	} {
		t.Run(strings.Join(tc.args[:min(3, len(tc.args))], " "), func(t *testing.T) {
			checkUserError(t, runIn(t, "", tc.args...), tc.want...)
		})
	}
}

// A bad YAML spec is a user error naming the keys.
func TestPipelineSpecErrors(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(spec, []byte("target: 3\ntraining:\n  epochs: -1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkUserError(t, runIn(t, "", "pipeline", "run", spec), "source", "registry.name")
	checkUserError(t, runIn(t, "", "pipeline", "validate", spec), "source")
}

// The same through the real process: the exit code reaches the shell.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	checkUserError(t, runBin(t, dir, "", nil, "train", "--data", "missing.csv", "--target", "y"), "missing.csv does not exist")
	checkUserError(t, runBin(t, dir, "SELECT * FROM nope;", nil, "sql"), "nope")
	if r := runBin(t, dir, "", nil, "params", "--inputs", "3", "--units", "2"); r.code != 0 {
		t.Errorf("params: exit %d", r.code)
	}
}

// A bug (a panic) is reported in one line with exit code 2, no stack trace.
func TestPanicExitCode(t *testing.T) {
	testCommands = []*cli.Command{{Name: "crash", Action: func(*cli.Context) error { panic(errors.New("boom")) }}}
	defer func() { testCommands = nil }()
	t.Setenv("DENSE_DEBUG", "")
	r := runIn(t, "", "crash")
	if r.code != 2 {
		t.Errorf("exit code %d, want 2", r.code)
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "internal error: boom") ||
		strings.Contains(r.stderr, "goroutine") {
		t.Errorf("stderr %q: want one line naming the panic, no trace", r.stderr)
	}
}

// Ctrl-C stops a long statement: one line and exit code 130.
func TestInterrupt(t *testing.T) {
	cmd := exec.Command(denseBin, "sql", "-c", "SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("dense sql did not stop within 20 s of Ctrl-C")
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 || strings.TrimSpace(stderr.String()) != "dense: interrupted" {
		t.Errorf("exit %d, stderr %q; want 130 and \"dense: interrupted\"", code, stderr.String())
	}
}
