package nn

import (
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func testSpec(inputs int, task Task, layers ...LayerSpec) Spec {
	return Spec{Format: FormatName, Version: FormatVersion, Task: task,
		Inputs: []Input{VectorInput("x", inputs)}, Layers: layers}
}

func TestTensorsNamingAndShapes(t *testing.T) {
	m, err := NewModel(testSpec(5, TaskMulticlass,
		Dense(8, ReLU), Dropout(0.2), BatchNorm(), Dense(4, Tanh).WithoutBias(), Dense(3, Softmax)), 1)
	if err != nil {
		t.Fatal(err)
	}
	type nt struct {
		name      string
		shape     []int
		trainable bool
	}
	want := []nt{
		{"layers.0.weight", []int{8, 5}, true}, {"layers.0.bias", []int{8}, true},
		{"layers.2.weight", []int{8}, true}, {"layers.2.bias", []int{8}, true},
		{"layers.2.running_mean", []int{8}, false}, {"layers.2.running_var", []int{8}, false},
		{"layers.3.weight", []int{4, 8}, true},
		{"layers.4.weight", []int{3, 4}, true}, {"layers.4.bias", []int{3}, true},
	}
	ts := m.Tensors()
	if len(ts) != len(want) {
		t.Fatalf("%d tensors, want %d", len(ts), len(want))
	}
	for i, w := range want {
		g := ts[i]
		if g.Name != w.name || !reflect.DeepEqual(g.Shape, w.shape) || g.Trainable != w.trainable || len(g.Data) != prod(w.shape) {
			t.Errorf("tensor %d = %s %v trainable=%v len=%d, want %s %v %v", i, g.Name, g.Shape, g.Trainable, len(g.Data), w.name, w.shape, w.trainable)
		}
	}
	// Initial values: bias 0, gamma 1, beta 0, running mean 0, running var 1.
	for _, g := range ts {
		want := float32(math.NaN())
		switch {
		case strings.HasSuffix(g.Name, "bias"), strings.HasSuffix(g.Name, "running_mean"):
			want = 0
		case g.Name == "layers.2.weight", strings.HasSuffix(g.Name, "running_var"):
			want = 1
		}
		if want == want {
			for _, v := range g.Data {
				if v != want {
					t.Fatalf("%s starts with %v, want all %v", g.Name, v, want)
				}
			}
		}
	}
	// Data aliases the model: a write changes predictions.
	x := []float32{1, 2, 3, 4, 5}
	before, _ := m.Predict(x, 1)
	ts[len(ts)-1].Data[0] += 1
	after, _ := m.Predict(x, 1)
	if reflect.DeepEqual(before, after) {
		t.Fatal("writing a tensor's Data did not change the model")
	}
	if p := m.Params(); p.Total != 8*5+8+32+4*8+3*4+3 || p.NonTrainable != 16 || p.Trainable != p.Total-16 {
		t.Fatalf("params %+v", p)
	}
}

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

func TestInitialisers(t *testing.T) {
	const in, out = 400, 300
	m1, err := NewModel(testSpec(in, TaskRegression, Dense(out, ReLU), Dense(out, ReLU).WithInit(InitHeNormal), Dense(1, Linear).WithInit(InitZeros)), 7)
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := NewModel(testSpec(in, TaskRegression, Dense(out, ReLU), Dense(out, ReLU).WithInit(InitHeNormal), Dense(1, Linear).WithInit(InitZeros)), 7)
	m3, _ := NewModel(testSpec(in, TaskRegression, Dense(out, ReLU), Dense(out, ReLU).WithInit(InitHeNormal), Dense(1, Linear).WithInit(InitZeros)), 8)
	if !reflect.DeepEqual(m1.params, m2.params) {
		t.Fatal("same seed gave different weights")
	}
	if reflect.DeepEqual(m1.params, m3.params) {
		t.Fatal("different seeds gave the same weights")
	}
	// Glorot uniform: inside ±limit, variance limit²/3.
	limit := math.Sqrt(6.0 / (in + out))
	w := m1.layers[0].w
	var s2 float64
	for _, v := range w {
		if math.Abs(float64(v)) > limit {
			t.Fatalf("glorot weight %v outside ±%v", v, limit)
		}
		s2 += float64(v) * float64(v)
	}
	if v := s2 / float64(len(w)); math.Abs(v/(limit*limit/3)-1) > 0.05 {
		t.Fatalf("glorot variance %v, want %v", v, limit*limit/3)
	}
	// He normal: variance 2/fan_in.
	w = m1.layers[1].w
	s2 = 0
	for _, v := range w {
		s2 += float64(v) * float64(v)
	}
	if v := s2 / float64(len(w)); math.Abs(v/(2.0/out)-1) > 0.05 {
		t.Fatalf("he_normal variance %v, want %v", v, 2.0/out)
	}
	for _, v := range m1.layers[2].w {
		if v != 0 {
			t.Fatal("zeros initialiser left a non-zero weight")
		}
	}
}

func TestNewModelErrors(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{testSpec(3, TaskRegression, Dense(0, ReLU)), "units 0"},
		{testSpec(3, TaskRegression, Dense(2, "swish")), `unknown activation "swish"`},
		{testSpec(3, TaskBinary, Dense(2, Sigmoid)), "binary model has 1 output"},
		{testSpec(3, TaskRegression, Dense(1<<24, ReLU), Dense(1<<24, ReLU)), "parameters"},
		{testSpec(3, TaskRegression, Dense(2, LeakyReLU).WithAlpha(math.NaN())), "alpha NaN must be finite"},
		{testSpec(3, TaskRegression, Dense(2, ReLU).WithL2(math.Inf(1))), "l2 +Inf must be finite"},
		{testSpec(3, TaskRegression, Dense(2, ReLU), LayerSpec{Type: LayerBatchNorm, Momentum: 0.9, Epsilon: math.Inf(1)}), "epsilon +Inf"},
	} {
		_, err := NewModel(tc.spec, 0)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "nn: ") {
			t.Errorf("NewModel error %v, want one containing %q", err, tc.want)
		}
	}
	if _, err := NewSequential(0, Dense(1, Linear)); err == nil {
		t.Error("NewSequential(0) succeeded")
	}
}

func TestNewSequentialTask(t *testing.T) {
	for _, tc := range []struct {
		layers []LayerSpec
		task   Task
	}{
		{[]LayerSpec{Dense(4, ReLU), Dense(3, Softmax)}, TaskMulticlass},
		{[]LayerSpec{Dense(4, ReLU), Dense(1, Sigmoid), Dropout(0.1)}, TaskBinary},
		{[]LayerSpec{Dense(4, ReLU), Dense(2, Sigmoid)}, TaskRegression},
		{[]LayerSpec{Dense(1, Linear)}, TaskRegression},
	} {
		m, err := NewSequential(2, tc.layers...)
		if err != nil {
			t.Fatal(err)
		}
		if m.Spec().Task != tc.task {
			t.Errorf("task %q, want %q", m.Spec().Task, tc.task)
		}
	}
}

func TestSummaryMNIST(t *testing.T) {
	m, err := NewSequential(784, Dense(128, ReLU), Dense(10, Softmax))
	if err != nil {
		t.Fatal(err)
	}
	s := m.Summary()
	for _, want := range []string{
		" dense (Dense)               (None, 128)               100,480\n",
		" dense_1 (Dense)             (None, 10)                1,290\n",
		"Total params: 101,770\n", "Trainable params: 101,770\n", "Non-trainable params: 0\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	m, _ = NewSequential(20, Dense(64, ReLU), BatchNorm(), Dropout(0.5), Dense(1, Sigmoid))
	s = m.Summary()
	for _, want := range []string{"batch_normalization (BatchNormalization)", "256", "dropout (Dropout)",
		"Total params: 1,665\n", "Trainable params: 1,537\n", "Non-trainable params: 128\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}

func randomInput(rows, width int, seed uint64) []float32 {
	x := make([]float32, rows*width)
	s := seed*6364136223846793005 + 1442695040888963407
	for i := range x {
		s = s*6364136223846793005 + 1442695040888963407
		x[i] = float32(int64(s>>33)%2000-1000) / 500
	}
	return x
}

// allActivationsModel has every layer type and activation; batch-norm running
// statistics are set to non-trivial values.
func allActivationsModel(t testing.TB, inputs int) *Model {
	m, err := NewModel(testSpec(inputs, TaskMulticlass,
		Dense(70, ReLU), BatchNorm(), Dense(33, GELU), Dropout(0.3), Dense(65, Tanh), Dense(20, ELU),
		Dense(17, LeakyReLU), Dense(9, Sigmoid).WithoutBias(), Dense(8, Linear), Dense(5, Softmax)), 3)
	if err != nil {
		t.Fatal(err)
	}
	l := &m.layers[1]
	for j := range l.runMean {
		l.runMean[j] = float32(j%5) * 0.1
		l.runVar[j] = 0.5 + float32(j%3)
		l.gamma[j] = 1 + float32(j%4)*0.1
		l.beta[j] = float32(j%7) * 0.05
	}
	return m
}

func TestPredictBatchSizeInvariant(t *testing.T) {
	for _, g := range gemmImpls {
		t.Run(g.name, func(t *testing.T) { withGemm(t, g.impl, func() { testPredictBatchSizeInvariant(t) }) })
	}
}

func testPredictBatchSizeInvariant(t *testing.T) {
	const in, rows = 150, 300
	m := allActivationsModel(t, in)
	x := randomInput(rows, in, 1)
	all, err := m.Predict(x, rows)
	if err != nil {
		t.Fatal(err)
	}
	out := m.OutputWidth()
	ws := m.NewWorkspace()
	for _, bs := range []int{1, 2, 7, 64, 65, 129, 299} {
		got := make([]float32, rows*out)
		for r := 0; r < rows; r += bs {
			n := min(bs, rows-r)
			if err := m.PredictInto(got[r*out:], x[r*in:(r+n)*in], n, ws); err != nil {
				t.Fatal(err)
			}
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(all[i]) {
				t.Fatalf("batch size %d: output %d is %v, with all rows at once %v", bs, i, got[i], all[i])
			}
		}
	}
	// Rows are probabilities.
	for r := 0; r < rows; r++ {
		var s float64
		for _, v := range all[r*out : (r+1)*out] {
			s += float64(v)
		}
		if math.Abs(s-1) > 1e-5 {
			t.Fatalf("row %d sums to %v", r, s)
		}
	}
}

func TestPredictConcurrent(t *testing.T) {
	const in, rows = 40, 50
	m := allActivationsModel(t, in)
	x := randomInput(rows, in, 2)
	want, _ := m.Predict(x, rows)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := m.NewWorkspace()
			out := make([]float32, len(want))
			for it := range 20 {
				var got []float32
				var err error
				if (g+it)%2 == 0 {
					got, err = m.Predict(x, rows)
				} else {
					err = m.PredictInto(out, x, rows, ws)
					got = out
				}
				if err != nil {
					t.Error(err)
					return
				}
				if !reflect.DeepEqual(got, want) {
					t.Error("concurrent Predict gave a different result")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestPredictIntoNoAllocs(t *testing.T) {
	m := allActivationsModel(t, 30)
	x := randomInput(16, 30, 3)
	out := make([]float32, 16*m.OutputWidth())
	ws := m.NewWorkspace()
	allocs := testing.AllocsPerRun(20, func() {
		if err := m.PredictInto(out, x, 16, ws); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("PredictInto allocates %v times per call", allocs)
	}
}

func TestPredictErrors(t *testing.T) {
	m, _ := NewSequential(3, Dense(2, Softmax))
	for _, tc := range []struct {
		x    []float32
		rows int
		want string
	}{
		{make([]float32, 5), 2, "input has 5 values, want 6 (2 rows × 3 features)"},
		{nil, -1, "-1 rows"},
	} {
		_, err := m.Predict(tc.x, tc.rows)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Predict error %v, want %q", err, tc.want)
		}
	}
	if err := m.PredictInto(make([]float32, 3), make([]float32, 6), 2, m.NewWorkspace()); err == nil || !strings.Contains(err.Error(), "output buffer has 3 values, want at least 4") {
		t.Errorf("PredictInto error %v", err)
	}
	if out, err := m.Predict(nil, 0); err != nil || len(out) != 0 {
		t.Errorf("Predict of 0 rows: %v %v", out, err)
	}
}

// TestDenseForwardByHand checks one dense layer against values worked out by hand.
func TestDenseForwardByHand(t *testing.T) {
	m, _ := NewSequential(2, Dense(2, Linear))
	copy(m.layers[0].w, []float32{1, 2, 3, 4}) // W = [[1,2],[3,4]]
	copy(m.layers[0].b, []float32{0.5, -1})
	out, _ := m.Predict([]float32{1, 1, 2, -1}, 2)
	want := []float32{3.5, 6, 0.5, 1} // [1+2+.5, 3+4-1], [2-2+.5, 6-4-1]
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("got %v, want %v", out, want)
	}
}
