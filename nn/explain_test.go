package nn

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// explainInputs are the inputs of the explain tests' models: every kind,
// with preprocessing (scaling, imputation with an indicator, a one-hot
// block with an unknown bucket).
func explainInputs() []Input {
	return []Input{
		{Name: "a", Kind: KindNumeric, Scale: &Scale{Method: ScaleStandard, Mean: 3, Std: 2}},
		{Name: "b", Kind: KindNumeric, Impute: &Impute{Strategy: ImputeMean, Value: 1, Indicator: true}},
		{Name: "v", Kind: KindVector, Length: 3},
		{Name: "c", Kind: KindCategorical, Vocabulary: []string{"p", "q", "r"}, UnknownBucket: true},
	}
}

func f64(v float64) *float64 { return &v }
func str(s string) *string   { return &s }

// explainModel builds a model on explainInputs with random weights, random
// batch-norm statistics and a random baseline.
func explainModel(t *testing.T, rng *rand.Rand, task Task, layers ...LayerSpec) *Model {
	t.Helper()
	spec := Spec{Format: FormatName, Version: FormatVersion, Task: task, Inputs: explainInputs(), Layers: layers}
	m, err := NewModel(spec, rng.Int64())
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.layers {
		if l := &m.layers[i]; l.kind == kindBatchNorm {
			for j := range l.gamma {
				l.gamma[j] = float32(0.5 + rng.Float64())
				l.beta[j] = float32(rng.NormFloat64() * 0.3)
				l.runMean[j] = float32(rng.NormFloat64() * 0.5)
				l.runVar[j] = float32(0.3 + rng.Float64())
			}
		}
		if l := &m.layers[i]; l.kind == kindDense {
			for j := range l.b {
				l.b[j] = float32(rng.NormFloat64() * 0.2)
			}
		}
	}
	m.Spec().Explain = &Explain{Baseline: []Baseline{
		{Input: "a", Number: f64(rng.NormFloat64() + 3)},
		{Input: "b", Number: f64(rng.NormFloat64())},
		{Input: "v", Vector: []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}},
		{Input: "c", Category: str([]string{"p", "q", "r"}[rng.IntN(3)])},
	}}
	if err := m.Spec().Validate(); err != nil {
		t.Fatal(err)
	}
	return m
}

// explainRows encodes n random rows for explainInputs: far from and close
// to the baseline, NULLs imputed, unknown categories.
func explainRows(t *testing.T, rng *rand.Rand, n int) []float32 {
	t.Helper()
	enc, err := NewEncoder(explainInputs())
	if err != nil {
		t.Fatal(err)
	}
	w := enc.Width()
	x := make([]float32, n*w)
	for r := range n {
		row := x[r*w : (r+1)*w]
		s := 1 + 2*rng.Float64()
		check := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		check(enc.Number(0, 3+s*2*rng.NormFloat64(), true, row))
		check(enc.Number(1, s*rng.NormFloat64(), rng.IntN(5) > 0, row))
		check(enc.Vector(2, []float64{s * rng.NormFloat64(), s * rng.NormFloat64(), s * rng.NormFloat64()}, row))
		check(enc.Category(3, []string{"p", "q", "r", "unseen"}[rng.IntN(4)], true, row))
	}
	return x
}

// explainCases are the model shapes of the property tests: every hidden
// activation, batch norm (inference mode, also before the first dense
// layer) and dropout, for each task.
func explainCases() []struct {
	name   string
	task   Task
	layers []LayerSpec
} {
	type c = struct {
		name   string
		task   Task
		layers []LayerSpec
	}
	outputs := []struct {
		task Task
		out  LayerSpec
	}{{TaskBinary, Dense(1, Sigmoid)}, {TaskMulticlass, Dense(4, Softmax)}, {TaskRegression, Dense(1, Linear)}}
	var cs []c
	for _, act := range Activations() {
		if !act.Hidden() {
			continue
		}
		for _, o := range outputs {
			cs = append(cs, c{fmt.Sprintf("%s/%s", o.task, act), o.task,
				[]LayerSpec{Dense(16, act), BatchNorm(), Dropout(0.3), Dense(8, act).WithAlpha(0.2), o.out}})
		}
	}
	for _, o := range outputs {
		cs = append(cs,
			c{fmt.Sprintf("%s/batchnorm_first", o.task), o.task, []LayerSpec{BatchNorm(), Dropout(0.5), Dense(12, Tanh), Dense(6, ReLU), o.out}},
			c{fmt.Sprintf("%s/one_layer", o.task), o.task, []LayerSpec{o.out}},
			c{fmt.Sprintf("%s/deep_relu", o.task), o.task, []LayerSpec{Dense(64, ReLU), Dense(32, ReLU), Dense(32, ReLU), o.out}})
	}
	return cs
}

// TestExplainCompleteness is the property integrated gradients promise and
// Explain checks: on random models, every row's attributions sum to
// f(x) − f(baseline) within ExplainTolerance of the sum of their absolute
// values (with f from Predict), for the score the user sees.
func TestExplainCompleteness(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 300
	for _, tc := range explainCases() {
		t.Run(tc.name, func(t *testing.T) {
			m := explainModel(t, rng, tc.task, tc.layers...)
			e, err := NewExplainer(m)
			if err != nil {
				t.Fatal(err)
			}
			x := explainRows(t, rng, n)
			var a Attributions
			if err := e.Explain(&a, x, n, e.NewExplainWorkspace()); err != nil {
				t.Fatal(err)
			}
			out, _ := m.Predict(x, n)
			base, _ := m.Predict(e.Baseline(), 1)
			outW := m.OutputWidth()
			steps, maxSteps := 0, 0
			for r := range n {
				c := 0
				if tc.task == TaskMulticlass {
					c, _ = m.Spec().Classify(out[r*outW : (r+1)*outW])
				}
				fx, fb := float64(out[r*outW+c]), float64(base[c])
				if a.Score[r] != fx || a.Base[r] != fb || a.Output[r] != c {
					t.Fatalf("row %d: score %v, base %v, output %d; Predict gives %v, %v, %d", r, a.Score[r], a.Base[r], a.Output[r], fx, fb, c)
				}
				var sum, abs float64
				for _, v := range a.Values[r*4 : (r+1)*4] {
					sum, abs = sum+v, abs+math.Abs(v)
				}
				tol := ExplainTolerance*abs + explainFloor*max(1, math.Abs(fx), math.Abs(fb))
				if math.Abs(sum-(fx-fb)) > tol {
					t.Errorf("row %d: attributions %v sum to %.7g, f(x) − f(baseline) = %.7g (steps %d)", r, a.Values[r*4:(r+1)*4], sum, fx-fb, a.Steps[r])
				}
				steps += a.Steps[r]
				maxSteps = max(maxSteps, a.Steps[r])
			}
			t.Logf("mean steps %.1f, max %d", float64(steps)/n, maxSteps)
		})
	}
}

// gradientAt is the score's gradient with respect to the encoded row,
// through the Explainer's prefix and tail (the code Explain integrates).
func (e *Explainer) gradientAt(x []float32, cls []int) []float32 {
	n := len(cls)
	ws := e.NewExplainWorkspace()
	z := slices.Clone(e.prefixForward(ws, x, n))
	ws.cls = cls
	_, dz, _ := e.pass(ws, z, n, true)
	return slices.Clone(e.prefixBackward(ws, slices.Clone(dz), n))
}

// TestExplainGradientFiniteDifference checks the gradient Explain
// integrates against central differences of Predict's score, for every
// case of the property test.
func TestExplainGradientFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range explainCases() {
		t.Run(tc.name, func(t *testing.T) {
			m := explainModel(t, rng, tc.task, tc.layers...)
			e, err := NewExplainer(m)
			if err != nil {
				t.Fatal(err)
			}
			const n = 4
			x := explainRows(t, rng, n)
			w, outW := m.InputWidth(), m.OutputWidth()
			out, _ := m.Predict(x, n)
			cls := make([]int, n)
			for r := range n {
				if tc.task == TaskMulticlass {
					cls[r] = r % outW
				}
			}
			g := e.gradientAt(x, cls)
			score := func(r int) float64 {
				o, _ := m.Predict(x[r*w:(r+1)*w], 1)
				return float64(o[cls[r]])
			}
			checked, skipped := 0, 0
			for r := range n {
				for j := range w {
					const h = 1e-3
					x0 := x[r*w+j]
					f0 := float64(out[r*outW+cls[r]])
					x[r*w+j] = x0 + h
					fp, hp := score(r), float64(x[r*w+j])-float64(x0)
					x[r*w+j] = x0 - h
					fm, hm := score(r), float64(x0)-float64(x[r*w+j])
					x[r*w+j] = x0
					right, left := (fp-f0)/hp, (f0-fm)/hm
					if math.Abs(right-left) > 0.05*(math.Abs(right)+math.Abs(left))+1e-3 {
						skipped++ // a kink between x−h and x+h
						continue
					}
					num, got := (fp-fm)/(hp+hm), float64(g[r*w+j])
					if math.Abs(num-got) > 2e-2*max(math.Abs(num), math.Abs(got))+3e-4 {
						t.Errorf("row %d feature %d: gradient %.6g, finite difference %.6g", r, j, got, num)
					}
					checked++
				}
			}
			if skipped*5 > checked {
				t.Fatalf("skipped %d of %d features at kinks", skipped, checked+skipped)
			}
		})
	}
}

// TestExplainMatchesReference compares each attribution with an
// independent integration: the midpoint rule over 4,000 steps of the
// finite-difference-checked gradient at explicitly built path points
// b + t(x − b), summed per input by hand.
func TestExplainMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		task   Task
		layers []LayerSpec
	}{
		{TaskBinary, []LayerSpec{Dense(10, Tanh), BatchNorm(), Dense(6, GELU), Dense(1, Sigmoid)}},
		{TaskMulticlass, []LayerSpec{BatchNorm(), Dense(10, ReLU), Dropout(0.2), Dense(3, Softmax)}},
		{TaskRegression, []LayerSpec{Dense(10, ELU), Dense(1, Linear)}},
		// a relu after a relu: the second layer's kinks (corrected in their cells)
		{TaskBinary, []LayerSpec{Dense(16, ReLU), Dense(8, ReLU), Dense(1, Sigmoid)}},
		{TaskMulticlass, []LayerSpec{Dense(16, LeakyReLU), Dropout(0.1), Dense(8, LeakyReLU).WithAlpha(0.2), Dense(3, Softmax)}},
		{TaskRegression, []LayerSpec{Dense(16, Tanh), Dense(8, ReLU), Dense(8, ReLU), Dense(1, Linear)}},
	} {
		m := explainModel(t, rng, tc.task, tc.layers...)
		e, err := NewExplainer(m)
		if err != nil {
			t.Fatal(err)
		}
		const n, steps = 3, 4000
		x := explainRows(t, rng, n)
		var a Attributions
		if err := e.Explain(&a, x, n, e.NewExplainWorkspace()); err != nil {
			t.Fatal(err)
		}
		w, b := m.InputWidth(), e.Baseline()
		owner := []int{0, 1, 1, 2, 2, 2, 3, 3, 3, 3} // explainInputs' features
		for r := range n {
			pts := make([]float32, steps*w)
			cls := make([]int, steps)
			for k := range steps {
				t := (float64(k) + 0.5) / steps
				for j := range w {
					pts[k*w+j] = float32(float64(b[j]) + t*(float64(x[r*w+j])-float64(b[j])))
				}
				cls[k] = a.Output[r]
			}
			g := e.gradientAt(pts, cls)
			want := make([]float64, 4)
			for j := range w {
				var s float64
				for k := range steps {
					s += float64(g[k*w+j])
				}
				want[owner[j]] += (float64(x[r*w+j]) - float64(b[j])) * s / steps
			}
			var scale float64
			for _, v := range want {
				scale += math.Abs(v)
			}
			for i := range 4 {
				if d := math.Abs(a.Values[r*4+i] - want[i]); d > 0.02*scale+1e-4 {
					t.Errorf("%s row %d input %d: attribution %.6g, reference %.6g", tc.task, r, i, a.Values[r*4+i], want[i])
				}
			}
		}
	}
}

// TestExplainLinear: for a linear model integrated gradients are exact, an
// input's attribution is w·(x − b), and a one-hot input's is the weight of
// the row's category minus that of the baseline's.
func TestExplainLinear(t *testing.T) {
	spec := Spec{Format: FormatName, Version: FormatVersion, Task: TaskRegression,
		Inputs: []Input{NumericInput("a"), {Name: "c", Kind: KindCategorical, Vocabulary: []string{"p", "q", "r"}}, NumericInput("d")},
		Layers: []LayerSpec{Dense(1, Linear)},
		Explain: &Explain{Baseline: []Baseline{
			{Input: "a", Number: f64(1)}, {Input: "c", Category: str("q")}, {Input: "d", Number: f64(-2)}}},
	}
	m, err := NewModel(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	copy(m.Tensors()[0].Data, []float32{2, 10, 20, 30, -1})
	m.Tensors()[1].Data[0] = 0.5
	e, err := NewExplainer(m)
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{4, 0, 0, 1, 3} // a = 4, c = r, d = 3
	var a Attributions
	if err := e.Explain(&a, x, 1, e.NewExplainWorkspace()); err != nil {
		t.Fatal(err)
	}
	want := []float64{2 * 3, 30 - 20, -1 * 5}
	for i, v := range want {
		if math.Abs(a.Values[i]-v) > 1e-5 {
			t.Errorf("input %d: attribution %v, want %v", i, a.Values[i], v)
		}
	}
	if a.Score[0] != 8+30-3+0.5 || a.Base[0] != 2+20+2+0.5 || a.Steps[0] != explainSteps {
		t.Errorf("score %v, base %v, steps %d", a.Score[0], a.Base[0], a.Steps[0])
	}
}

// TestExplainNaN: a row whose output is NaN is NaN throughout.
func TestExplainNaN(t *testing.T) {
	m, err := NewModel(testSpec(2, TaskBinary, Dense(1, Sigmoid)), 1)
	if err != nil {
		t.Fatal(err)
	}
	m.Spec().Explain = &Explain{Baseline: []Baseline{{Input: "x", Vector: []float64{0, 0}}}}
	copy(m.Tensors()[0].Data, []float32{1, 2})
	e, err := NewExplainer(m)
	if err != nil {
		t.Fatal(err)
	}
	var a Attributions
	if err := e.Explain(&a, []float32{float32(math.NaN()), 0, 1, 1}, 2, e.NewExplainWorkspace()); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(a.Score[0]) || !math.IsNaN(a.Values[0]) || a.Steps[0] != 0 {
		t.Errorf("NaN row: score %v, value %v, steps %d", a.Score[0], a.Values[0], a.Steps[0])
	}
	if math.IsNaN(a.Score[1]) || math.Abs(a.Values[1]-(a.Score[1]-a.Base[1])) > 1e-2*math.Abs(a.Score[1]-a.Base[1]) {
		t.Errorf("finite row: score %v, base %v, value %v", a.Score[1], a.Base[1], a.Values[1])
	}
}

func TestNewExplainerErrors(t *testing.T) {
	m, _ := NewModel(testSpec(2, TaskRegression, Dense(2, Linear)), 1)
	if _, err := NewExplainer(m); !errors.Is(err, ErrNoBaseline) {
		t.Errorf("no baseline: %v", err)
	}
	m.Spec().Explain = &Explain{Baseline: []Baseline{{Input: "x", Vector: []float64{0, 0}}}}
	if _, err := NewExplainer(m); err == nil || !strings.Contains(err.Error(), "2 outputs") {
		t.Errorf("two outputs: %v", err)
	}
}

// TestFitBaseline: means of the encoded training rows mapped back to raw
// values (through scaling and log1p), the most frequent category.
func TestFitBaseline(t *testing.T) {
	inputs := []Input{
		{Name: "n", Kind: KindNumeric, Log1p: true, Clip: &Clip{Min: 0, Max: 100}, Scale: &Scale{Method: ScaleStandard, Mean: 1, Std: 2}},
		{Name: "v", Kind: KindVector, Length: 2, Scale: &Scale{Method: ScaleMinMax, Min: -1, Max: 3}},
		{Name: "c", Kind: KindCategorical, Vocabulary: []string{"x", "y", "z"}, UnknownBucket: true,
			Impute: &Impute{Strategy: ImputeMostFrequent, Category: "z", Indicator: true}},
	}
	enc, err := NewEncoder(inputs)
	if err != nil {
		t.Fatal(err)
	}
	raw := []struct {
		n   float64
		v   []float64
		c   string
		ok  bool
		use bool
	}{
		{1, []float64{0, 1}, "y", true, true},
		{e1(2), []float64{2, 3}, "y", true, true},
		{e1(3), []float64{1, -1}, "x", false, true}, // NULL category: imputed as z
		{1000, []float64{9, 9}, "z", true, false},   // not a training row
	}
	w := enc.Width()
	x := make([]float32, len(raw)*w)
	for r, v := range raw {
		row := x[r*w : (r+1)*w]
		if err := errors.Join(enc.Number(0, v.n, true, row), enc.Vector(1, v.v, row), enc.Category(2, v.c, v.ok, row)); err != nil {
			t.Fatal(err)
		}
	}
	b, err := FitBaseline(inputs, x, []int{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	// log1p of 1, e²−1 and e³−1 is ln 2, 2 and 3.
	if want := math.Expm1((math.Log(2) + 5) / 3); math.Abs(*b[0].Number-want) > 1e-5*want {
		t.Errorf("numeric baseline %v, want %v", *b[0].Number, want)
	}
	if want := []float64{1, 1}; math.Abs(b[1].Vector[0]-want[0]) > 1e-6 || math.Abs(b[1].Vector[1]-want[1]) > 1e-6 {
		t.Errorf("vector baseline %v, want %v", b[1].Vector, want)
	}
	if *b[2].Category != "y" {
		t.Errorf("categorical baseline %q, want y", *b[2].Category)
	}
	spec := Spec{Format: FormatName, Version: FormatVersion, Task: TaskRegression, Inputs: inputs,
		Layers: []LayerSpec{Dense(1, Linear)}, Explain: &Explain{Baseline: b}}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := FitBaseline(inputs, x, []int{7}); err == nil {
		t.Error("a row out of range is accepted")
	}
}

func e1(v float64) float64 { return math.Expm1(v) }

// TestExplainSpec: the record survives the spec's JSON, a spec without it
// parses (older files), and a record that does not fit the inputs is an
// invalid spec naming the problem.
func TestExplainSpec(t *testing.T) {
	spec := Spec{Format: FormatName, Version: FormatVersion, Task: TaskRegression, Inputs: explainInputs(),
		Layers: []LayerSpec{Dense(1, Linear)}}
	old, _ := json.Marshal(spec)
	if s, err := ParseSpec(old); err != nil || s.Explain != nil {
		t.Fatalf("a spec without explain: %v, %+v", err, s.Explain)
	}
	rec := func() *Explain {
		return &Explain{
			Baseline: []Baseline{{Input: "a", Number: f64(0)}, {Input: "b", Number: f64(1)}, {Input: "v", Vector: []float64{1, 2, 3}}, {Input: "c", Category: str("")}},
			Importance: &Importance{Metric: ImportanceR2, Score: 0.9, Rows: 10, Repeats: 5, Inputs: []InputImportance{
				{Input: "a", Drop: 0.5, Std: 0.1}, {Input: "b"}, {Input: "v", Drop: -0.01, Std: 0.02}, {Input: "c", Drop: 0.2}}},
		}
	}
	spec.Explain = rec()
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSpec(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(back)
	if string(again) != string(data) {
		t.Errorf("round trip changed the spec:\n%s\n%s", data, again)
	}
	for _, bad := range []struct {
		edit func(*Explain)
		want string
	}{
		{func(x *Explain) { x.Baseline = x.Baseline[:3] }, "3 baseline values for 4 inputs"},
		{func(x *Explain) { x.Baseline[1].Input = "z" }, `baseline 1 is for input "z", want "b"`},
		{func(x *Explain) { x.Baseline[0].Number = f64(math.NaN()) }, `numeric input "a" must be one finite number`},
		{func(x *Explain) { x.Baseline[2].Vector = x.Baseline[2].Vector[:2] }, `vector input "v" must be one vector of 3 finite numbers`},
		{func(x *Explain) { x.Baseline[3].Number = f64(1) }, `categorical input "c" must be one category`},
		{func(x *Explain) { x.Importance.Metric = "auc" }, `importance metric "auc"`},
		{func(x *Explain) { x.Importance.Inputs[2].Input = "w" }, `importance 2 must be for input "v"`},
		{func(x *Explain) { x.Importance.Inputs[0].Std = -1 }, `importance 0 must be for input "a"`},
	} {
		spec.Explain = rec()
		bad.edit(spec.Explain)
		err := spec.Validate()
		if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("got %v, want %q", err, bad.want)
		}
	}
}
