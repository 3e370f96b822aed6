package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.12g, want %.12g", what, got, want)
	}
}

func mustF(t *testing.T) func(float64, error) float64 {
	return func(v float64, err error) float64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// scikit-learn's confusion_matrix docstring example.
func TestConfusionMatrixSklearnExample(t *testing.T) {
	c, err := NewConfusionMatrix([]int{2, 0, 2, 2, 0, 1}, []int{0, 0, 2, 2, 0, 2}, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{2, 0, 0}, {0, 0, 1}, {1, 0, 2}}
	for i := range want {
		for j := range want[i] {
			if c.Counts[i][j] != want[i][j] {
				t.Fatalf("counts = %v, want %v", c.Counts, want)
			}
		}
	}
	if c.Total() != 6 {
		t.Errorf("total %d", c.Total())
	}
	near(t, "accuracy", c.Accuracy(), 4.0/6, 1e-15)
	c.Labels = []string{"ant", "bird", "cat"}
	wantText := "true\\pred  ant  bird  cat\n" +
		"ant          2     0    0\n" +
		"bird         0     0    1\n" +
		"cat          1     0    2\n"
	if s := c.String(); s != wantText {
		t.Errorf("String() =\n%s\nwant\n%s", s, wantText)
	}
}

// scikit-learn's precision_recall_fscore_support docstring example:
// cat/dog/pig, macro average (0.22, 0.33, 0.26…).
func TestMacroPrecisionRecallF1Sklearn(t *testing.T) {
	yTrue := []int{0, 1, 2, 0, 1, 2}
	yPred := []int{0, 2, 1, 0, 0, 1}
	p, r, f, err := MacroPrecisionRecallF1(yTrue, yPred, 3)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "macro precision", p, 2.0/9, 1e-15)
	near(t, "macro recall", r, 1.0/3, 1e-15)
	near(t, "macro f1", f, 0.8/3, 1e-15) // cat: P=2/3, R=1, F1=0.8; dog and pig 0
	// A fourth class that never occurs is not averaged in.
	p4, r4, f4, err := MacroPrecisionRecallF1(yTrue, yPred, 4)
	if err != nil || p4 != p || r4 != r || f4 != f {
		t.Errorf("with an absent class: %v %v %v %v", p4, r4, f4, err)
	}
}

func TestBinaryPrecisionRecallF1(t *testing.T) {
	// TP=2 (rows 0,1), FP=1 (row 2), FN=1 (row 3), TN=1.
	p, r, f, err := BinaryPrecisionRecallF1([]int{1, 1, 0, 1, 0}, []int{1, 1, 1, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "precision", p, 2.0/3, 1e-15)
	near(t, "recall", r, 2.0/3, 1e-15)
	near(t, "f1", f, 2.0/3, 1e-15)
	// Never predicting the positive class: precision 0, not NaN.
	p, r, f, err = BinaryPrecisionRecallF1([]int{1, 0}, []int{0, 0})
	if err != nil || p != 0 || r != 0 || f != 0 {
		t.Errorf("no positive predictions: %v %v %v %v", p, r, f, err)
	}
	acc := mustF(t)(Accuracy([]int{1, 1, 0, 1, 0}, []int{1, 1, 1, 0, 0}))
	near(t, "accuracy", acc, 0.6, 1e-15)
}

func TestROCAUC(t *testing.T) {
	// scikit-learn's roc_auc_score docstring example.
	near(t, "sklearn example", mustF(t)(ROCAUC([]int{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8})), 0.75, 1e-15)
	// Ties: (0.5 vs 0.1)=1, (0.5 vs 0.5)=½, (0.9 vs 0.1)=1, (0.9 vs 0.5)=1 → 3.5/4.
	near(t, "tie", mustF(t)(ROCAUC([]int{0, 0, 1, 1}, []float32{0.1, 0.5, 0.5, 0.9})), 0.875, 1e-15)
	near(t, "all tied", mustF(t)(ROCAUC([]int{0, 1, 0, 1}, []float64{3, 3, 3, 3})), 0.5, 1e-15)
	near(t, "perfect", mustF(t)(ROCAUC([]int{0, 1, 0, 1}, []float64{-2, 5, -1, 4})), 1, 0)
	near(t, "reversed", mustF(t)(ROCAUC([]int{0, 1, 0, 1}, []float64{2, -5, 1, -4})), 0, 0)

	// Against the definition, pair by pair, on random scores with many ties.
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		n := 5 + rng.IntN(200)
		y := make([]int, n)
		s := make([]float64, n)
		for i := range n {
			y[i] = rng.IntN(2)
			s[i] = float64(rng.IntN(7)) // few distinct values: lots of ties
		}
		y[0], y[1] = 0, 1
		var num, den float64
		for i := range n {
			for j := range n {
				if y[i] == 1 && y[j] == 0 {
					den++
					switch {
					case s[i] > s[j]:
						num++
					case s[i] == s[j]:
						num += 0.5
					}
				}
			}
		}
		near(t, "random trial "+string(rune('A'+trial)), mustF(t)(ROCAUC(y, s)), num/den, 1e-12)
	}

	for _, c := range []struct {
		y    []int
		s    []float64
		want string
	}{
		{[]int{1, 1}, []float64{0.1, 0.2}, "needs both classes, got 2 positives and 0 negatives"},
		{[]int{0, 2}, []float64{0.1, 0.2}, "row 1: label 2 is not 0 or 1"},
		{[]int{0, 1}, []float64{0.1, math.NaN()}, "row 1: score NaN is not finite"},
		{[]int{0, 1}, []float64{0.1}, "2 true values but 1 predictions"},
		{nil, nil, "no rows"},
	} {
		if _, err := ROCAUC(c.y, c.s); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ROCAUC(%v, %v) error %v, want %q", c.y, c.s, err, c.want)
		}
	}
}

func TestLogLoss(t *testing.T) {
	// scikit-learn's log_loss docstring example (ham=0, spam=1): 0.21616…
	probs := []float64{0.1, 0.9, 0.9, 0.1, 0.8, 0.2, 0.35, 0.65}
	y := []int{1, 0, 0, 1}
	want := -(math.Log(0.9) + math.Log(0.9) + math.Log(0.8) + math.Log(0.65)) / 4
	near(t, "multiclass form", mustF(t)(LogLoss(y, probs, 2)), want, 1e-15)
	near(t, "known value", want, 0.21616187468057912, 1e-15)
	near(t, "binary form", mustF(t)(BinaryLogLoss(y, []float64{0.9, 0.1, 0.2, 0.65})), want, 1e-15)
	// Clipping: a certain wrong answer costs -log(1e-15), not Inf.
	near(t, "clipped", mustF(t)(BinaryLogLoss([]int{1}, []float32{0})), -math.Log(LogLossEpsilon), 1e-9)
	near(t, "clipped multiclass", mustF(t)(LogLoss([]int{2}, []float32{0.5, 0.5, 0}, 3)), -math.Log(LogLossEpsilon), 1e-9)
	if _, err := LogLoss([]int{3}, []float64{0.5, 0.5, 0}, 3); err == nil || !strings.Contains(err.Error(), "class 3 outside [0, 3)") {
		t.Errorf("bad class: %v", err)
	}
	if _, err := LogLoss([]int{1}, []float64{0.5, 0.5, 0}, 2); err == nil || !strings.Contains(err.Error(), "3 probabilities for 1 rows × 2 classes") {
		t.Errorf("bad length: %v", err)
	}
	if _, err := BinaryLogLoss([]int{1}, []float64{math.NaN()}); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN: %v", err)
	}
}

func TestRegressionMetrics(t *testing.T) {
	// scikit-learn's r2_score / mean_squared_error / mean_absolute_error
	// docstring examples.
	yTrue := []float64{3, -0.5, 2, 7}
	yPred := []float64{2.5, 0.0, 2, 8}
	near(t, "mse", mustF(t)(MSE(yTrue, yPred)), 0.375, 1e-15)
	near(t, "rmse", mustF(t)(RMSE(yTrue, yPred)), math.Sqrt(0.375), 1e-15)
	near(t, "mae", mustF(t)(MAE(yTrue, yPred)), 0.5, 1e-15)
	near(t, "r2", mustF(t)(R2(yTrue, yPred)), 0.9486081370449679, 1e-15)
	// float32 inputs give the same answers.
	f32 := func(v []float64) []float32 {
		out := make([]float32, len(v))
		for i := range v {
			out[i] = float32(v[i])
		}
		return out
	}
	near(t, "r2 float32", mustF(t)(R2(f32(yTrue), f32(yPred))), 0.9486081370449679, 1e-7)
	// Constant truth: 1 when perfect, 0 otherwise (scikit-learn's force_finite).
	near(t, "r2 const perfect", mustF(t)(R2([]float64{2, 2}, []float64{2, 2})), 1, 0)
	near(t, "r2 const wrong", mustF(t)(R2([]float64{2, 2}, []float64{2, 3})), 0, 0)
	near(t, "r2 mean predictor", mustF(t)(R2([]float64{1, 2, 3}, []float64{2, 2, 2})), 0, 1e-15)

	for _, c := range []struct {
		a, b []float64
		want string
	}{
		{[]float64{1, math.Inf(1)}, []float64{1, 2}, "mse: true value 1 is +Inf"},
		{[]float64{1, 2}, []float64{math.NaN(), 2}, "mse: prediction 0 is NaN"},
		{[]float64{1, 2}, []float64{1}, "mse: 2 true values but 1 predictions"},
		{nil, nil, "mse: no rows"},
	} {
		if _, err := MSE(c.a, c.b); err == nil || err.Error() != "nn: "+c.want {
			t.Errorf("MSE(%v, %v) error %v, want %q", c.a, c.b, err, "nn: "+c.want)
		}
	}
	if _, err := RMSE([]float64{1}, nil); err == nil || err.Error() != "nn: rmse: mse: 1 true values but 0 predictions" {
		t.Errorf("RMSE error %v", err)
	}
}

func TestConfusionMatrixErrors(t *testing.T) {
	for _, c := range []struct {
		t, p    []int
		classes int
		want    string
	}{
		{[]int{0, 3}, []int{0, 1}, 3, "row 1: true class 3 outside [0, 3)"},
		{[]int{0, 1}, []int{0, -1}, 3, "row 1: predicted class -1 outside [0, 3)"},
		{[]int{0}, []int{0}, 0, "0 classes"},
		{[]int{0}, []int{0, 1}, 2, "1 true values but 2 predictions"},
	} {
		if _, err := NewConfusionMatrix(c.t, c.p, c.classes); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewConfusionMatrix(%v, %v, %d): %v, want %q", c.t, c.p, c.classes, err, c.want)
		}
	}
}

// setWeights fills a model's tensors from a name → values map and fails the
// test when a name is missing or a length is wrong.
func setWeights(t *testing.T, m *Model, w map[string][]float32) {
	t.Helper()
	seen := 0
	for _, tn := range m.Tensors() {
		v, ok := w[tn.Name]
		if !ok {
			continue
		}
		if len(v) != len(tn.Data) {
			t.Fatalf("tensor %s has %d values, test gives %d", tn.Name, len(tn.Data), len(v))
		}
		copy(tn.Data, v)
		seen++
	}
	if seen != len(w) {
		t.Fatalf("model has tensors %v; test sets %d of %d", tensorNames(m), seen, len(w))
	}
}

func tensorNames(m *Model) []string {
	var out []string
	for _, tn := range m.Tensors() {
		out = append(out, tn.Name)
	}
	return out
}

func TestEvaluateRegression(t *testing.T) {
	// y = 2x + 1 exactly, so predictions are the identity of that line.
	m, err := NewSequential(1, Dense(1, Linear))
	if err != nil {
		t.Fatal(err)
	}
	setWeights(t, m, map[string][]float32{"layers.0.weight": {2}, "layers.0.bias": {1}})
	x := []float32{0, 1, 2, 3}
	y := []float32{1, 3, 6, 7} // row 2 is off by one
	got, err := Evaluate(m, x, y, 4)
	if err != nil {
		t.Fatal(err)
	}
	// Residuals 0,0,1,0 → mse 0.25, mae 0.25; mean y 4.25, SS_tot = 10.75+1.5625+3.0625+7.5625 = 22.75.
	near(t, "mse", got["mse"], 0.25, 1e-12)
	near(t, "rmse", got["rmse"], 0.5, 1e-12)
	near(t, "mae", got["mae"], 0.25, 1e-12)
	near(t, "r2", got["r2"], 1-1/22.75, 1e-9)
	if len(got) != 4 {
		t.Errorf("metrics %v, want exactly mse rmse mae r2", got)
	}
	if _, err := Evaluate(m, x, y[:3], 4); err == nil || !strings.Contains(err.Error(), "y has 3 values, want 4") {
		t.Errorf("short y: %v", err)
	}
}

func TestEvaluateBinary(t *testing.T) {
	m, err := NewSequential(1, Dense(1, Sigmoid))
	if err != nil {
		t.Fatal(err)
	}
	if m.Spec().Task != TaskBinary {
		t.Fatalf("task %q", m.Spec().Task)
	}
	setWeights(t, m, map[string][]float32{"layers.0.weight": {1}, "layers.0.bias": {0}})
	x := []float32{-2, -1, 1, 2, 0.5}
	y := []float32{0, 1, 1, 1, 0}
	got, err := Evaluate(m, x, y, 5)
	if err != nil {
		t.Fatal(err)
	}
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	// Predicted classes 0,0,1,1,1: TP 2, FP 1, FN 1, TN 1.
	near(t, "accuracy", got["accuracy"], 0.6, 1e-12)
	near(t, "precision", got["precision"], 2.0/3, 1e-12)
	near(t, "recall", got["recall"], 2.0/3, 1e-12)
	near(t, "f1", got["f1"], 2.0/3, 1e-12)
	ll := -(math.Log(1-sig(-2)) + math.Log(sig(-1)) + math.Log(sig(1)) + math.Log(sig(2)) + math.Log(1-sig(0.5))) / 5
	near(t, "log_loss", got["log_loss"], ll, 1e-6)
	// Positives score -1, 1, 2; negatives -2, 0.5: pairs won 1+0, 1+1, 1+1 → 5/6.
	near(t, "roc_auc", got["roc_auc"], 5.0/6, 1e-12)
	if _, err := Evaluate(m, x, []float32{0, 1, 2, 1, 0}, 5); err == nil || !strings.Contains(err.Error(), "row 2: label 2 is not 0 or 1") {
		t.Errorf("bad label: %v", err)
	}
	one, err := Evaluate(m, x[:2], []float32{1, 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := one["roc_auc"]; ok {
		t.Errorf("roc_auc reported for a single class: %v", one)
	}
}

func TestEvaluateMulticlass(t *testing.T) {
	m, err := NewSequential(2, Dense(3, Softmax))
	if err != nil {
		t.Fatal(err)
	}
	if m.Spec().Task != TaskMulticlass {
		t.Fatalf("task %q", m.Spec().Task)
	}
	// logits = (x0, x1, 0): the class is the larger input, or 2 when both are negative.
	setWeights(t, m, map[string][]float32{"layers.0.weight": {1, 0, 0, 1, 0, 0}, "layers.0.bias": {0, 0, 0}})
	x := []float32{3, 0, 0, 3, -3, -3, 3, 0}
	idx := []float32{0, 1, 2, 1} // last row is wrong: predicted 0
	got, err := Evaluate(m, x, idx, 4)
	if err != nil {
		t.Fatal(err)
	}
	oneHot := []float32{1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0}
	got2, err := Evaluate(m, x, oneHot, 4)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range got {
		if got2[k] != v {
			t.Errorf("%s: class indices give %v, one-hot %v", k, v, got2[k])
		}
	}
	near(t, "accuracy", got["accuracy"], 0.75, 1e-12)
	// class 0: P=1/2 R=1 F1=2/3; class 1: P=1 R=1/2 F1=2/3; class 2: 1,1,1.
	near(t, "precision", got["precision"], (0.5+1+1)/3, 1e-12)
	near(t, "recall", got["recall"], (1+0.5+1)/3, 1e-12)
	near(t, "f1", got["f1"], (2.0/3+2.0/3+1)/3, 1e-12)
	e3 := math.Exp(3)
	pBig, pSmall := e3/(e3+2), 1/(e3+2) // softmax of (3,0,0)
	p2 := 1 / (1 + 2*math.Exp(-3))      // softmax of (-3,-3,0) at class 2
	near(t, "log_loss", got["log_loss"], -(2*math.Log(pBig)+math.Log(p2)+math.Log(pSmall))/4, 1e-6)
	// roc_auc: the mean of each class's one-vs-rest AUC over the model's
	// probabilities (TestEvaluateOutputsMulticlassROCAUC checks the value
	// against a hand-worked case).
	probs, err := m.Predict(x, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := 0.0
	for k := range 3 {
		bin, score := make([]int, 4), make([]float32, 4)
		for i, c := range idx {
			if int(c) == k {
				bin[i] = 1
			}
			score[i] = probs[i*3+k]
		}
		want += mustF(t)(ROCAUC(bin, score)) / 3
	}
	near(t, "roc_auc", got["roc_auc"], want, 1e-12)
	if _, err := Evaluate(m, x, []float32{0, 1, 2, 3}, 4); err == nil || !strings.Contains(err.Error(), "row 3: label 3 is not a class index in [0, 3)") {
		t.Errorf("bad class: %v", err)
	}
	if _, err := Evaluate(m, x, []float32{0, 1, 2}, 4); err == nil || !strings.Contains(err.Error(), "y has 3 values, want 4 (a class index per row) or 12") {
		t.Errorf("bad length: %v", err)
	}
}

// A multiclass evaluation's roc_auc is one class against the rest,
// macro-averaged. Worked by hand (pairs won, ties half): class 0 scores its
// positives 0.7 and 0.3 against 0.2, 0.5, 0.1, 0.3 → 6.5/8; class 1 (0.6,
// 0.3 against 0.2, 0.4, 0.2, 0.3) → 6.5/8; class 2 (0.7, 0.4 against 0.1,
// 0.3, 0.2, 0.2) → 1; the mean is 0.875, which scikit-learn's
// roc_auc_score(y, p, multi_class="ovr", average="macro") also gives.
func TestEvaluateOutputsMulticlassROCAUC(t *testing.T) {
	s := testSpec(1, TaskMulticlass, Dense(3, Softmax))
	s.Labels = []string{"a", "b", "c"}
	pred := []float32{.7, .2, .1, .3, .4, .3, .2, .6, .2, .5, .3, .2, .1, .2, .7, .3, .3, .4}
	ev, err := EvaluateOutputs(&s, pred, []float32{0, 0, 1, 1, 2, 2}, 6)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "macro one-vs-rest roc_auc", ev.Metrics["roc_auc"], 0.875, 1e-12)
	// One class in the truth: no class has negatives, so no AUC.
	ev, err = EvaluateOutputs(&s, pred[:6], []float32{0, 0}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := ev.Metrics["roc_auc"]; ok {
		t.Errorf("roc_auc with one class in the truth: %v, want none", a)
	}
}
