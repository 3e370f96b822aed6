package nn

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestClassLabels(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		want []string
	}{
		{testSpec(2, TaskBinary, Dense(1, Sigmoid)), []string{"0", "1"}},
		{testSpec(2, TaskMulticlass, Dense(3, Softmax)), []string{"0", "1", "2"}},
		{testSpec(2, TaskRegression, Dense(2, Linear)), nil},
	} {
		if got := tc.spec.ClassLabels(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: ClassLabels = %q, want %q", tc.spec.Task, got, tc.want)
		}
	}
	s := testSpec(2, TaskBinary, Dense(1, Sigmoid))
	s.Labels = []string{"stay", "churn"}
	if got := s.ClassLabels(); !slices.Equal(got, s.Labels) || s.PositiveLabel() != "churn" {
		t.Errorf("ClassLabels %q, PositiveLabel %q", got, s.PositiveLabel())
	}
}

// Classify is the one rule every consumer uses: the threshold for binary
// models, the first maximum for multiclass ones, and no class for a NaN.
func TestClassify(t *testing.T) {
	nan := float32(math.NaN())
	bin := testSpec(2, TaskBinary, Dense(1, Sigmoid))
	multi := testSpec(2, TaskMulticlass, Dense(3, Softmax))
	reg := testSpec(2, TaskRegression, Dense(1, Linear))
	for _, tc := range []struct {
		spec  Spec
		out   []float32
		class int
		ok    bool
	}{
		{bin, []float32{0.2}, 0, true},
		{bin, []float32{0.5}, 1, true}, // the threshold itself is positive
		{bin, []float32{0.4999999}, 0, true},
		{bin, []float32{1}, 1, true},
		{bin, []float32{nan}, 0, false},
		{multi, []float32{0.2, 0.5, 0.3}, 1, true},
		{multi, []float32{0.4, 0.2, 0.4}, 0, true}, // ties: the first
		{multi, []float32{0.1, nan, 0.9}, 0, false},
		{multi, []float32{nan, 0.5, 0.5}, 0, false},
		{reg, []float32{3}, 0, false},
	} {
		class, ok := tc.spec.Classify(tc.out)
		if class != tc.class || ok != tc.ok {
			t.Errorf("%s Classify(%v) = %d, %v; want %d, %v", tc.spec.Task, tc.out, class, ok, tc.class, tc.ok)
		}
	}
}

// A model whose output is NaN has no predicted class, so Evaluate refuses
// it with the row instead of counting the NaN as class 0 (as the
// threshold and the argmax did before Classify).
func TestEvaluateNaNOutput(t *testing.T) {
	m, err := NewModel(testSpec(1, TaskBinary, Dense(1, Sigmoid)), 1)
	if err != nil {
		t.Fatal(err)
	}
	m.layers[0].w[0] = float32(math.NaN())
	_, err = Evaluate(m, []float32{1, 2}, []float32{0, 1}, 2)
	if err == nil || !strings.Contains(err.Error(), "nn: evaluate: row 0: the model's output is NaN") {
		t.Errorf("err = %v", err)
	}
}

func TestEvaluateOutputsConfusion(t *testing.T) {
	s := testSpec(1, TaskMulticlass, Dense(3, Softmax))
	s.Labels = []string{"a", "b", "c"}
	pred := []float32{0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.1, 0.2, 0.7, 0.6, 0.3, 0.1}
	ev, err := EvaluateOutputs(&s, pred, []float32{0, 1, 2, 2}, 4)
	if err != nil {
		t.Fatal(err)
	}
	c := ev.Confusion
	if !slices.Equal(c.Labels, s.Labels) || c.Counts[2][0] != 1 || c.Counts[2][2] != 1 || ev.Metrics["accuracy"] != 0.75 {
		t.Errorf("confusion %v labels %q, metrics %v", c.Counts, c.Labels, ev.Metrics)
	}
}

func TestScaleOutputs(t *testing.T) {
	m, err := NewSequential(2, Dense(3, ReLU), Dense(2, Linear))
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{1, 2, -1, 0.5}
	before, _ := m.Predict(x, 2)
	if err := m.ScaleOutputs(100, 7); err != nil {
		t.Fatal(err)
	}
	after, _ := m.Predict(x, 2)
	for i := range before {
		if want := 7*float64(before[i]) + 100; math.Abs(float64(after[i])-want) > 1e-4 {
			t.Errorf("output %d: %v, want 7·%v + 100 = %v", i, after[i], before[i], want)
		}
	}
	c, _ := NewSequential(2, Dense(3, Softmax))
	if err := c.ScaleOutputs(1, 2); err == nil || !strings.Contains(err.Error(), "linear activation") {
		t.Errorf("softmax output: err = %v", err)
	}
	if err := m.ScaleOutputs(math.NaN(), 1); err == nil {
		t.Error("NaN mean: no error")
	}
}

func TestEnums(t *testing.T) {
	if got := List(HiddenActivations()); got != "relu, leaky_relu, elu, gelu, sigmoid, tanh or linear" {
		t.Errorf("hidden activations %q", got)
	}
	for _, a := range Activations() {
		if got, err := ParseActivation(string(a)); got != a || err != nil || !ValidActivation(a) {
			t.Errorf("ParseActivation(%q) = %q, %v", a, got, err)
		}
	}
	if _, err := ParseHiddenActivation("softmax"); err == nil || !strings.Contains(err.Error(), `unknown hidden activation "softmax"`) {
		t.Errorf("softmax as hidden: %v", err)
	}
	if o, err := ParseOptimizer("AdamW"); o != OptAdamW || err != nil {
		t.Errorf("ParseOptimizer(AdamW) = %q, %v", o, err)
	}
	if _, err := ParseOptimizer("lbfgs"); err == nil || err.Error() != `unknown optimizer "lbfgs" (want sgd, adam, adamw or rmsprop)` {
		t.Errorf("lbfgs: %v", err)
	}
	if _, err := ParseTask("ranking"); err == nil || err.Error() != `unknown task "ranking" (want regression, binary or multiclass)` {
		t.Errorf("ranking: %v", err)
	}
	if TaskBinary.DefaultLoss() != LossBinaryCrossentropy || TaskMulticlass.DefaultLoss() != LossSparseCategoricalCrossentropy || TaskRegression.DefaultLoss() != LossMSE {
		t.Error("default losses")
	}
	if ReLU.Init() != InitHeNormal || Tanh.Init() != InitGlorotUniform {
		t.Error("suited initialisers")
	}
}

// Encoder errors are *InputError without the package prefix: the caller's
// message, which names the row, carries it.
func TestInputError(t *testing.T) {
	e, err := NewEncoder([]Input{NumericInput("a"), VectorInput("v", 2)})
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, 3)
	err = e.Number(0, math.Inf(1), true, row)
	var ie *InputError
	if !errors.As(err, &ie) || ie.Input != "a" || err.Error() != `input "a": value is ±Inf` {
		t.Errorf("Number: %v", err)
	}
	err = e.Vector(1, []float64{1, math.NaN()}, row)
	if !errors.As(err, &ie) || ie.Element != 1 || err.Error() != `input "v" element 1: missing value and no imputation for it` {
		t.Errorf("Vector: %v", err)
	}
}

// A binary model's own decision threshold (Spec.Threshold) moves Classify,
// and with it every consumer: metrics, labels, SQL.
func TestDecisionThreshold(t *testing.T) {
	s := testSpec(1, TaskBinary, Dense(1, Sigmoid))
	if s.DecisionThreshold() != BinaryThreshold {
		t.Errorf("default threshold %v", s.DecisionThreshold())
	}
	s.Threshold = 0.3
	for _, tc := range []struct {
		p     float32
		class int
		ok    bool
	}{
		{0.29, 0, true}, {0.3, 1, true}, {math.Nextafter32(0.3, 0), 0, true}, {0.4, 1, true}, {float32(math.NaN()), 0, false},
	} {
		if c, ok := s.Classify([]float32{tc.p}); c != tc.class || ok != tc.ok {
			t.Errorf("threshold 0.3: Classify(%v) = %d, %v; want %d, %v", tc.p, c, ok, tc.class, tc.ok)
		}
	}
	ev, err := EvaluateOutputs(&s, []float32{0.35, 0.2, 0.6, 0.45}, []float32{1, 0, 1, 0}, 4)
	if err != nil {
		t.Fatal(err)
	}
	// At 0.3 the predictions are 1, 0, 1, 1: row 3 is a false positive (at
	// 0.5 it would be 0, 0, 1, 0: row 0 a false negative instead).
	if c := ev.Confusion.Counts; c[0][1] != 1 || c[1][1] != 2 || c[0][0] != 1 || ev.Metrics["accuracy"] != 0.75 {
		t.Errorf("confusion %v, metrics %v", c, ev.Metrics)
	}

	// Validation: binary only, in (0, 1).
	for _, bad := range []struct {
		spec Spec
		want string
	}{
		{func() Spec { s := testSpec(1, TaskMulticlass, Dense(3, Softmax)); s.Threshold = 0.3; return s }(), "a decision threshold is for binary models"},
		{func() Spec { s := testSpec(1, TaskBinary, Dense(1, Sigmoid)); s.Threshold = 1; return s }(), "threshold 1 must be in (0, 1)"},
		{func() Spec { s := testSpec(1, TaskBinary, Dense(1, Sigmoid)); s.Threshold = math.NaN(); return s }(), "must be in (0, 1)"},
	} {
		if err := bad.spec.Validate(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Validate = %v, want %q", err, bad.want)
		}
	}
}

// The fields targets and splits added to the spec (threshold, dropped rows,
// class weights, split, cross-validation) survive a save and a load, and a
// spec without them (every file written before) still loads.
func TestSpecTargetFieldsRoundTrip(t *testing.T) {
	s := testSpec(2, TaskBinary, Dense(1, Sigmoid))
	s.Labels = []string{"no", "yes"}
	old, err := NewModel(s, 1)
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if _, err := old.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if m, err := Read([]byte(buf.String())); err != nil || m.Spec().Threshold != 0 || m.Spec().Provenance.Split != nil {
		t.Fatalf("a spec without the new fields: %v", err)
	}
	s.Threshold = 0.25
	s.Provenance = Provenance{Seed: 3, DroppedRows: 7, ClassWeights: []float64{0.6, 3},
		Split: &Split{Rule: "stratified", Fraction: 0.2, Seed: 3, Rows: 100, ValRows: 20, TargetDigest: "ab"},
		CV:    &CrossValidation{Folds: 5, Seed: 3, Mean: map[string]float64{"accuracy": 0.8}, Std: map[string]float64{"accuracy": 0.05}}}
	m, err := NewModel(s, 1)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := Read([]byte(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	got := back.Spec()
	if got.Threshold != 0.25 || got.Provenance.DroppedRows != 7 || !slices.Equal(got.Provenance.ClassWeights, []float64{0.6, 3}) ||
		*got.Provenance.Split != *s.Provenance.Split || got.Provenance.CV.Folds != 5 || got.Provenance.CV.Std["accuracy"] != 0.05 {
		t.Errorf("round trip: threshold %v, provenance %+v", got.Threshold, got.Provenance)
	}
}
