package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/pipeline"
	"github.com/dense-ml/dense/registry"
)

// writeCSV writes a CSV file of header and n rows made by row(i).
func writeCSV(t *testing.T, path, header string, n int, row func(i int) string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(header + "\n")
	for i := range n {
		b.WriteString(row(i) + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The battery of bad training inputs: each is a user error (exit 1, one
// line naming the problem), registers nothing, and none trains with a
// silently different meaning.
func TestTrainBattery(t *testing.T) {
	dir := t.TempDir()
	models := filepath.Join(dir, "models")
	csv := func(name, header string, n int, row func(i int) string) string {
		return writeCSV(t, filepath.Join(dir, name), header, n, row)
	}
	good := csv("good.csv", "a,y", 200, func(i int) string { return fmt.Sprintf("%d,%g", i, float64(i)*0.5) })
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"duplicate target column", []string{"--data", csv("dup_target.csv", "a,y,y", 200, func(i int) string { return fmt.Sprintf("%d,%d,%d", i, i%2, (i+1)%2) }), "--target", "y"},
			[]string{`header names column "y" twice`, "columns 2 and 3 of: a, y, y"}},
		{"duplicate column in a query", []string{"--query", "SELECT a, y, y FROM '" + filepath.Join(dir, "dup_target.csv") + "'", "--target", "y"},
			[]string{`the data has two columns named "y"`, "columns 2 and 3 of: a, y, y"}},
		{"duplicate feature column", []string{"--data", csv("dup_cols.csv", "a,a,y", 200, func(i int) string { return fmt.Sprintf("%d,%d,%g", i, 2*i, float64(i)*0.5) }), "--target", "y"},
			[]string{`header names column "a" twice`, "columns 1 and 2"}},
		{"multiclass on a continuous target", []string{"--data", csv("cont.csv", "a,y", 2000, func(i int) string { return fmt.Sprintf("%d,%g", i, float64(i)*0.37+0.1) }), "--target", "y", "--task", "multiclass"},
			[]string{"task multiclass needs classes", `target "y" holds fractional numbers`, "task regression"}},
		{"target beyond float32", []string{"--data", csv("huge_target.csv", "a,y", 200, func(i int) string {
			if i == 57 {
				return "57,1e300"
			}
			return fmt.Sprintf("%d,%d", i, i)
		}), "--target", "y", "--task", "regression"},
			[]string{`target "y" row 57: 1e+300 is outside float32's range`}},
		{"feature beyond float32", []string{"--data", csv("huge_feature.csv", "a,y", 200, func(i int) string {
			if i == 57 {
				return "1e300,57"
			}
			return fmt.Sprintf("%d,%d", i, i)
		}), "--target", "y", "--task", "regression"},
			[]string{`feature "a": row 57`, "outside float32's range: 1e+300"}},
		{"target NULL everywhere", []string{"--data", csv("null_target.csv", "a,y", 3, func(i int) string {
			return fmt.Sprintf("%d,", i)
		}), "--target", "y"}, []string{`the target "y" is NULL in every one of the 3 rows`}},
		{"threshold 0", []string{"--data", good, "--target", "y", "--threshold", "0"}, []string{"--threshold must be in (0, 1), got 0"}},
		{"threshold on regression", []string{"--data", good, "--target", "y", "--task", "regression", "--threshold", "0.3"}, []string{"a decision threshold is for binary targets; this one is regression"}},
		{"class weights", []string{"--data", good, "--target", "y", "--class-weights", "auto"}, []string{`class weights "auto": want balanced or none`}},
		{"cv 1", []string{"--data", good, "--target", "y", "--cv", "1"}, []string{"--cv needs at least 2 folds, got 1"}},
		{"single class", []string{"--data", csv("one_class.csv", "a,y", 100, func(i int) string { return fmt.Sprintf("%d,1", i) }), "--target", "y"},
			[]string{`single class "1"`}},
		{"no rows", []string{"--data", csv("empty.csv", "a,y", 0, nil), "--target", "y"}, []string{"no rows"}},
		{"string target as regression", []string{"--data", csv("str.csv", "a,y", 100, func(i int) string { return fmt.Sprintf("%d,%c", i, "ab"[i%2]) }), "--target", "y", "--task", "regression"},
			[]string{"regression needs numbers"}},
		{"epochs 0", []string{"--data", good, "--target", "y", "--epochs", "0"}, []string{"--epochs must be ≥ 1, got 0"}},
		{"epochs negative", []string{"--data", good, "--target", "y", "--epochs", "-3"}, []string{"--epochs must be ≥ 1, got -3"}},
		{"batch size 0", []string{"--data", good, "--target", "y", "--batch-size", "0"}, []string{"--batch-size must be ≥ 1, got 0"}},
		{"lr 0", []string{"--data", good, "--target", "y", "--lr", "0"}, []string{"--lr must be > 0, got 0", "leave it out"}},
		{"lr negative", []string{"--data", good, "--target", "y", "--lr", "-0.1"}, []string{"--lr must be > 0"}},
		{"val split 0", []string{"--data", good, "--target", "y", "--val-split", "0"}, []string{"--val-split must be in (0, 1), got 0"}},
		{"val split 1", []string{"--data", good, "--target", "y", "--val-split", "1"}, []string{"--val-split must be in (0, 1), got 1"}},
		{"hidden 0", []string{"--data", good, "--target", "y", "--hidden", "0"}, []string{"--hidden 0", "--hidden none"}},
		{"hidden with a 0 layer", []string{"--data", good, "--target", "y", "--hidden", "8,0"}, []string{"--hidden 8,0"}},
		{"dropout 1", []string{"--data", good, "--target", "y", "--dropout", "1"}, []string{"dropout must be in [0, 1), got 1"}},
		{"patience negative", []string{"--data", good, "--target", "y", "--patience", "-1"}, []string{"patience must be ≥ 0, got -1"}},
		{"target also a feature", []string{"--data", good, "--target", "a", "--features", "a"}, []string{`the target "a" is also listed as a feature`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"train", "--models", models, "--quiet", "--no-plot"}, tc.args...)
			checkUserError(t, runIn(t, "", args...), tc.want...)
		})
	}
	if _, err := os.Stat(models); !os.IsNotExist(err) {
		ents, _ := os.ReadDir(models)
		t.Errorf("a failed training left models behind: %v", ents)
	}
}

// A plot that cannot be written (here history.png is a folder; in the
// field, a full disk) after the version is published: the command reports
// the registration, warns about the plot, exits 0 and leaves no partial
// file.
func TestPlotFailureAfterRegistration(t *testing.T) {
	dir := t.TempDir()
	reg, err := registry.Open(filepath.Join(dir, "models"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.NewModel(nn.Spec{Format: nn.FormatName, Version: nn.FormatVersion, Task: nn.TaskRegression,
		Inputs: []nn.Input{nn.NumericInput("x")}, Layers: []nn.LayerSpec{nn.Dense(1, nn.Linear)}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := reg.Register("y", m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(entry.Dir(), "history.png", "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	e := &env{stdout: &out, stderr: &errOut}
	res := &pipeline.TrainResult{Model: m, Entry: entry, Metrics: map[string]float64{"mse": 1},
		History: &nn.History{Epochs: []nn.EpochLog{{Epoch: 1, Values: map[string]float64{"loss": 1, "val_loss": 1.5}}}}, TrainRows: 8, ValRows: 2}
	if err := e.reportTraining(res, time.Second, true, false); err != nil {
		t.Fatalf("a plot failure after registration failed the command: %v", err)
	}
	if !strings.Contains(out.String(), "Registered y@1 in "+entry.Dir()) {
		t.Errorf("stdout lacks the Registered line:\n%s", out.String())
	}
	if w := errOut.String(); !strings.HasPrefix(w, "warning: y@1 is registered, but its training history could not be drawn") || !strings.Contains(w, "history.png") {
		t.Errorf("stderr: %q, want the plot warning", w)
	}
	ents, _ := os.ReadDir(entry.Dir())
	for _, de := range ents {
		if strings.HasSuffix(de.Name(), ".tmp") {
			t.Errorf("a partial plot was left behind: %s", de.Name())
		}
	}
}

// One damaged version hides nothing: dense models lists the others and
// warns about it; using it is an error that says why.
func TestModelsWithDamagedVersion(t *testing.T) {
	dir := t.TempDir()
	fixtureModels(t, dir)
	vdir := filepath.Join(dir, "churn", "2")
	if err := os.Remove(filepath.Join(vdir, registry.EntryFile)); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(vdir, registry.ModelFile), 100); err != nil {
		t.Fatal(err)
	}
	r := runIn(t, "", "models", "list", "--models", dir, "--format", "csv")
	if r.code != 0 {
		t.Fatalf("dense models with a damaged version: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"\nchurn,1,", "\nprice,1,"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("listing lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "churn,2,") {
		t.Errorf("the damaged version is listed as usable:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "warning: churn@2 is damaged") || !strings.Contains(r.stderr, vdir) {
		t.Errorf("stderr lacks the warning naming %s: %q", vdir, r.stderr)
	}
	checkUserError(t, runIn(t, "", "models", "show", "churn", "--models", dir), "damaged version churn@2", vdir, "entry.json is missing")
	if r := runIn(t, "", "models", "show", "churn@1", "--models", dir); r.code != 0 {
		t.Errorf("models show churn@1: exit %d: %s", r.code, r.stderr)
	}
	if r := runIn(t, "", "models", "rm", "churn@2", "--models", dir, "--yes"); r.code != 0 {
		t.Fatalf("models rm of the damaged version: exit %d: %s", r.code, r.stderr)
	}
	if r := runIn(t, "", "models", "list", "--models", dir); r.code != 0 || r.stderr != "" {
		t.Errorf("after rm: exit %d, stderr %q", r.code, r.stderr)
	}
}
