//go:build !dense_extension

package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/duckio"
	"github.com/dense-ml/dense/registry"
)

// writeCustomersCSV writes n generated customers: an id, numeric age and
// income (income sometimes empty = NULL), a region, and a churned yes/no
// that depends on them. DuckDB's CSV reader (the one every source uses, as
// SQL does) reads the yes/no column as BOOLEAN: the labels are false/true.
func writeCustomersCSV(t *testing.T, path string, n int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 2))
	var sb strings.Builder
	sb.WriteString("customer_id,age,income,region,visits,churned\n")
	regions := []string{"north", "south", "east", "west"}
	for i := range n {
		age := 18 + rng.IntN(60)
		income := 20000 + rng.Float64()*80000
		region := regions[rng.IntN(4)]
		visits := rng.IntN(30)
		z := float64(age-48)/15 - (income-60000)/25000 + float64(visits-15)/10
		if region == "north" {
			z += 1
		}
		churned := "no"
		if z > 0 {
			churned = "yes"
		}
		inc := fmt.Sprintf("%.2f", income)
		if rng.IntN(25) == 0 {
			inc = ""
		}
		fmt.Fprintf(&sb, "%d,%d,%s,%s,%d,%s\n", i, age, inc, region, visits, churned)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

const e2eSpec = `
source: {path: customers.csv, batch_size: 128}
target: churned
features:
  exclude: [customer_id]
  columns:
    income: {impute: median, indicator: true, log1p: true, clip: [0, 1000000]}
    visits: {scale: minmax}
architecture: {hidden: [16], activation: relu}
training: {epochs: 25, batch_size: 32, learning_rate: 0.01, patience: 5, seed: 7}
registry: {name: churn, dir: models}
score:
  source: {path: fresh.csv, batch_size: 100}
  sink: {path: scored.parquet}
  columns: {score: p_churn, label: churn_pred}
`

// End to end through the declarative spec: CSV → train → register in a
// temporary registry → score another CSV into Parquet; the scores equal nn
// predictions on the same rows preprocessed by the registered model.
func TestRunEndToEnd(t *testing.T) {
	dir := t.TempDir()
	writeCustomersCSV(t, filepath.Join(dir, "customers.csv"), 1500, 1)
	writeCustomersCSV(t, filepath.Join(dir, "fresh.csv"), 450, 2)
	specPath := filepath.Join(dir, "spec.yaml")
	if err := os.WriteFile(specPath, []byte(e2eSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := LoadSpec(specPath)
	if err != nil {
		t.Fatal(err)
	}
	var epochs, scored int
	spec.OnEvent = func(e Event) {
		switch e.Kind {
		case EventEpoch:
			epochs++
		case EventScored:
			scored++
		}
	}
	res, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Train
	t.Logf("%d epochs, metrics %v", len(tr.History.Epochs), tr.Metrics)
	if tr.Metrics["accuracy"] < 0.85 {
		t.Errorf("validation accuracy %v, want ≥ 0.85", tr.Metrics["accuracy"])
	}
	if tr.Entry.Ref() != "churn@1" || res.Scored != 450 || scored != 5 || epochs != len(tr.History.Epochs) {
		t.Errorf("entry %s, scored %d rows in %d events, %d epoch events", tr.Entry.Ref(), res.Scored, scored, epochs)
	}

	// The registered model, loaded back, is the one that scored.
	reg, err := registry.Open(filepath.Join(dir, "models"))
	if err != nil {
		t.Fatal(err)
	}
	model, entry, err := reg.Load("churn")
	if err != nil {
		t.Fatal(err)
	}
	s := model.Spec()
	if entry.Version != 1 || s.Provenance.Rows != 1500 || s.Provenance.Source != filepath.Join(dir, "customers.csv") ||
		s.Provenance.SchemaFingerprint == "" || s.Labels[1] != "true" {
		t.Errorf("entry %+v provenance %+v labels %v", entry, s.Provenance, s.Labels)
	}
	inc := s.Inputs[1]
	if inc.Name != "income" || inc.Impute == nil || inc.Impute.Strategy != ImputeMedian || !inc.Impute.Indicator || !inc.Log1p || inc.Clip == nil {
		t.Errorf("income input %+v", inc)
	}

	// Recompute: read the fresh rows, encode them with the loaded model's
	// inputs, predict, and compare with what the sink holds.
	fresh, err := duckio.Open(context.Background(), filepath.Join(dir, "fresh.csv"), duckio.Options{BatchSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	batches, err := arrowio.ReadAll(fresh)
	fresh.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	x, rows := encodeAll(t, model, batches)
	want, err := model.Predict(x, rows)
	if err != nil {
		t.Fatal(err)
	}
	out, err := arrowio.Open(filepath.Join(dir, "scored.parquet"), arrowio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := arrowio.ReadAll(out)
	out.Close()
	if err != nil {
		t.Fatal(err)
	}
	row := 0
	for _, b := range got {
		p := column(t, b, "p_churn").(*array.Float64)
		l := column(t, b, "churn_pred").(*array.String)
		if len(b.Schema().FieldIndices("probabilities")) != 1 || len(b.Schema().FieldIndices("customer_id")) != 1 {
			t.Errorf("scored schema %s", b.Schema())
		}
		for i := range int(b.NumRows()) {
			if p.Value(i) != float64(want[row]) {
				t.Fatalf("row %d: sink has %v, nn predicts %v", row, p.Value(i), want[row])
			}
			if wl := map[bool]string{true: "true", false: "false"}[want[row] >= 0.5]; l.Value(i) != wl {
				t.Fatalf("row %d: label %q, want %q", row, l.Value(i), wl)
			}
			row++
		}
		b.Release()
	}
	if row != 450 {
		t.Errorf("sink has %d rows, want 450", row)
	}

	// Running again registers version 2 and never overwrites version 1.
	spec.Score = nil
	res2, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Train.Entry.Ref() != "churn@2" {
		t.Errorf("second run registered %s, want churn@2", res2.Train.Entry.Ref())
	}
	if _, e1, err := reg.Load("churn@1"); err != nil || e1.SHA256 != entry.SHA256 {
		t.Errorf("churn@1 after a second run: %v (sha %s, was %s)", err, e1.SHA256, entry.SHA256)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	writeCustomersCSV(t, filepath.Join(dir, "customers.csv"), 200, 1)
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"missing source file", "source: {path: nope.csv}\ntarget: churned\nregistry: {name: m, dir: models}\n", "pipeline: run: source: "},
		{"unknown target", "source: {path: customers.csv}\ntarget: churn\nregistry: {name: m, dir: models}\n", `pipeline: train: target "churn": no such column`},
		{"missing score source", "source: {path: customers.csv}\ntarget: churned\nfeatures: {exclude: [customer_id]}\ntraining: {epochs: 1}\nregistry: {name: m, dir: models}\n" +
			"score: {source: {path: gone.csv}, sink: {path: out.csv}}\n", "pipeline: run: score source: "},
		{"bad sink extension", "source: {path: customers.csv}\ntarget: churned\nfeatures: {exclude: [customer_id]}\ntraining: {epochs: 1}\nregistry: {name: m, dir: models}\n" +
			"score: {source: {path: customers.csv}, sink: {path: out.xlsx}}\n", "pipeline: run: sink: "},
	} {
		s, err := ParseSpec([]byte(tc.yaml))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		s.Dir = dir
		_, err = Run(context.Background(), s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	// A cancelled run stops with the context's error and leaves no sink file.
	s, err := ParseSpec([]byte("source: {path: customers.csv}\ntarget: churned\nregistry: {name: m, dir: models}\nscore: {source: {path: customers.csv}, sink: {path: out.csv}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s.Dir = dir
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, s); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("cancelled run: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.csv")); !os.IsNotExist(err) {
		t.Errorf("cancelled run left a sink file: %v", err)
	}
}

// Composing stages by hand, the way a Go ETL job would: open, train,
// score into any Writer.
func ExampleTrain() {
	dir, _ := os.MkdirTemp("", "dense-example")
	defer os.RemoveAll(dir)
	var sb strings.Builder
	sb.WriteString("x,y\n")
	for i := range 200 {
		fmt.Fprintf(&sb, "%d,%d\n", i%20, 3*(i%20)+1)
	}
	csvPath := filepath.Join(dir, "data.csv")
	os.WriteFile(csvPath, []byte(sb.String()), 0o644)

	ctx := context.Background()
	src, _ := duckio.Open(ctx, csvPath, duckio.Options{})
	res, err := Train(ctx, src, TrainConfig{
		Target: "y", Task: TaskRegression, Hidden: []int{}, // a linear model
		Epochs: 300, LR: 0.05, Seed: 1, Name: "line", Models: filepath.Join(dir, "models"),
	})
	src.Close()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("registered", res.Entry.Ref(), "task", res.Model.Spec().Task)

	src, _ = duckio.Open(ctx, csvPath, duckio.Options{})
	defer src.Close()
	var out []arrow.RecordBatch
	rows, err := Score(ctx, res.Model, src, writerFunc(func(b arrow.RecordBatch) error {
		b.Retain()
		out = append(out, b)
		return nil
	}), PredictionColumns{Score: "y_hat"})
	fmt.Println("scored", rows, "rows", err)
	yHat := out[0].Column(2).(*array.Float64)
	fmt.Printf("x=%d → %.1f (true %d)\n", 5, yHat.Value(5), 16)
	// Output:
	// registered line@1 task regression
	// scored 200 rows <nil>
	// x=5 → 16.0 (true 16)
}

type writerFunc func(arrow.RecordBatch) error

func (f writerFunc) Write(b arrow.RecordBatch) error { return f(b) }
func (f writerFunc) Close() error                    { return nil }

// The commented example spec runs as written on data of its shape.
func TestExampleSpecRuns(t *testing.T) {
	dir := t.TempDir()
	example, err := os.ReadFile(filepath.Join("testdata", "churn.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "churn.yaml"), example, 0o644); err != nil {
		t.Fatal(err)
	}
	writeCustomersCSV(t, filepath.Join(dir, "customers.csv"), 1000, 3)
	spec, err := LoadSpec(filepath.Join(dir, "churn.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if res.Train.Entry.Ref() != "churn@1" || res.Scored != 1000 || res.Sink != filepath.Join(dir, "churn_scores.parquet") {
		t.Errorf("entry %s, scored %d into %s", res.Train.Entry.Ref(), res.Scored, res.Sink)
	}
	if acc := res.Train.Metrics["accuracy"]; acc < 0.85 {
		t.Errorf("example spec: validation accuracy %v", acc)
	}
	if l := res.Train.Model.Spec().Labels; l[1] != "true" {
		t.Errorf("labels %v", l)
	}
}
