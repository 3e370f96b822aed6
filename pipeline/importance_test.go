package pipeline

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/nn"
)

// signalBatches: y is "yes" when a + 0.3·[color = red] > 0; noise has no
// link with y.
func signalBatches(mem memory.Allocator, n int) []arrow.RecordBatch {
	rng := rand.New(rand.NewPCG(7, 8))
	var out []arrow.RecordBatch
	for start := 0; start < n; start += 250 {
		var as, noise, colors, ys []any
		for range min(250, n-start) {
			a, c := rng.NormFloat64()+2, []string{"red", "blue", "blue"}[rng.IntN(3)]
			as, noise, colors = append(as, a), append(noise, rng.NormFloat64()*5), append(colors, c)
			z := a - 2
			if c == "red" {
				z += 0.3
			}
			ys = append(ys, map[bool]string{true: "yes", false: "no"}[z > 0])
		}
		out = append(out, batch(f64Col(mem, "a", as...), f64Col(mem, "noise", noise...), strCol(mem, "color", colors...), strCol(mem, "y", ys...)))
	}
	return out
}

// TestTrainRecordsExplain: training stores the baseline (training means
// and the most frequent category) and the permutation importance, which
// ranks the signal above the noise; both survive registration.
func TestTrainRecordsExplain(t *testing.T) {
	mem := checkedMem(t)
	r := newMemReader(signalBatches(mem, 2000)...)
	defer r.Close()
	cfg := TrainConfig{Target: "y", Hidden: []int{16}, Epochs: 15, LR: 0.01, Seed: 4,
		Name: "sig", Models: filepath.Join(t.TempDir(), "models")}
	res, err := Train(context.Background(), r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	x := res.Model.Spec().Explain
	if x == nil || x.Importance == nil {
		t.Fatalf("no explain record: %+v", x)
	}
	// a is standardised: its baseline is the training mean, about 2.
	if a := *x.Baseline[0].Number; math.Abs(a-2) > 0.1 {
		t.Errorf("baseline of a = %v, want about 2", a)
	}
	if c := *x.Baseline[2].Category; c != "blue" {
		t.Errorf("baseline of color = %q, want the most frequent, blue", c)
	}
	im := x.Importance
	if im.Metric != nn.ImportanceAccuracy || im.Rows != res.ValRows || im.Repeats != ImportanceRepeats || math.Abs(im.Score-res.Metrics["accuracy"]) > 1e-12 {
		t.Errorf("importance %s on %d rows × %d, score %v (validation accuracy %v)", im.Metric, im.Rows, im.Repeats, im.Score, res.Metrics["accuracy"])
	}
	a, noise, color := im.Inputs[0], im.Inputs[1], im.Inputs[2]
	t.Logf("importance: a %+v, noise %+v, color %+v", a, noise, color)
	if !(a.Drop > 0.2 && a.Drop > color.Drop && color.Drop > noise.Drop && math.Abs(noise.Drop) < 0.03) {
		t.Errorf("want a ≫ color > noise ≈ 0: %+v %+v %+v", a, noise, color)
	}
	m, err := nn.Load(res.Entry.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Spec().Explain, x) {
		t.Errorf("the record changed through the model file:\n%+v\n%+v", m.Spec().Explain, x)
	}
	if _, err := nn.NewExplainer(m); err != nil {
		t.Errorf("the trained model cannot be explained: %v", err)
	}
}

// TestPermutationImportance checks the computation on a hand-made linear
// model: R² drops by 2·w²·var(x) / var(y) in expectation when x is
// shuffled (the shuffled x is independent of y), zero for an input with
// weight 0, and the same seed gives the same result.
func TestPermutationImportance(t *testing.T) {
	spec := nn.Spec{Format: nn.FormatName, Version: nn.FormatVersion, Task: nn.TaskRegression,
		Inputs: []nn.Input{nn.NumericInput("u"), nn.NumericInput("zero")}, Layers: []nn.LayerSpec{nn.Dense(1, nn.Linear)}}
	m, err := nn.NewModel(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	copy(m.Tensors()[0].Data, []float32{3, 0})
	const n = 20000
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := make([]float32, 2*n), make([]float32, n)
	for r := range n {
		x[2*r], x[2*r+1] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		y[r] = 3*x[2*r] + float32(rng.NormFloat64()) // var(y) = 10, R² = 0.9
	}
	im, err := PermutationImportance(m, x, y, n, 5)
	if err != nil {
		t.Fatal(err)
	}
	if im.Metric != nn.ImportanceR2 || im.Rows != ImportanceMaxRows || math.Abs(im.Score-0.9) > 0.02 {
		t.Errorf("metric %s, rows %d, score %v", im.Metric, im.Rows, im.Score)
	}
	if u := im.Inputs[0]; math.Abs(u.Drop-1.8) > 0.06 || u.Std <= 0 || u.Std > 0.05 {
		t.Errorf("u: %+v, want a drop of about 2·9/10 = 1.8", u)
	}
	if z := im.Inputs[1]; z.Drop != 0 || z.Std != 0 {
		t.Errorf("zero: %+v, want 0", z)
	}
	again, _ := PermutationImportance(m, x, y, n, 5)
	if !reflect.DeepEqual(im, again) {
		t.Error("the same seed gave another result")
	}
	if _, err := PermutationImportance(m, x[:3], y, n, 5); err == nil {
		t.Error("a short x is accepted")
	}
}
