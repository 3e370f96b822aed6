package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/dense-ml/dense/nn/internal/sgemm"
)

// TestScorerForwardSameBits: a Scorer's PredictInto and PredictColumns
// (packed weights, blocks of rows, one goroutine, or several for the
// largest batch on a machine with more than one core) give
// Model.PredictInto's bits on every kind of layer, at batch sizes around
// the block and panel sizes, and write nothing past the output rows.
func TestScorerForwardSameBits(t *testing.T) {
	nets := []struct {
		inputs int
		task   Task
		layers []LayerSpec
		stack  bool // scored by an sgemm.Stack where the CPU has AVX-512
	}{
		{20, TaskRegression, []LayerSpec{Dense(64, ReLU), Dense(32, ReLU), Dense(1, Linear)}, true},
		{38, TaskBinary, []LayerSpec{Dense(64, ReLU), Dropout(0.1), Dense(32, Linear).WithoutBias(), Dense(16, ReLU), Dense(1, Sigmoid)}, true},
		{7, TaskRegression, []LayerSpec{Dense(16, ReLU), Dense(1, Linear).WithoutBias(), Dropout(0.5)}, true},
		{20, TaskBinary, []LayerSpec{Dense(100, ReLU), Dense(50, Linear), Dense(1, Sigmoid)}, true},
		{20, TaskMulticlass, []LayerSpec{Dense(64, ReLU), Dense(32, ReLU), Dense(3, Softmax)}, true},
		{12, TaskRegression, []LayerSpec{Dense(40, ReLU), Dense(5, Linear)}, true},
		{784, TaskMulticlass, []LayerSpec{Dense(128, ReLU), Dense(10, Softmax)}, false},
		{5, TaskMulticlass, []LayerSpec{Dense(8, ReLU), Dropout(0.2), BatchNorm(), Dense(4, Tanh).WithoutBias(), Dense(3, Softmax)}, false},
		{7, TaskBinary, []LayerSpec{BatchNorm(), Dense(33, LeakyReLU), Dense(1, Sigmoid)}, false},
		{3, TaskRegression, []LayerSpec{Dropout(0.1), Dense(300, ELU), Dense(2, Linear), Dropout(0.5)}, false},
		{1, TaskRegression, []LayerSpec{Dense(1, Linear)}, false},
		{130, TaskRegression, []LayerSpec{Dense(1, Tanh), Dense(17, ReLU), Dense(1, Linear)}, false},
	}
	for ni, nt := range nets {
		m, err := NewModel(testSpec(nt.inputs, nt.task, nt.layers...), int64(ni+1))
		if err != nil {
			t.Fatal(err)
		}
		for i := range m.layers { // batch norm statistics other than 0 and 1
			l := &m.layers[i]
			for j := range l.runMean {
				l.runMean[j], l.runVar[j] = float32(j%5)*0.3-0.5, 0.5+float32(j%3)
				l.gamma[j], l.beta[j] = 1+float32(j%4)*0.1, float32(j%7)*0.05
			}
			for j := range l.b {
				l.b[j] = float32(j%9)*0.05 - 0.2
			}
		}
		s, err := NewScorer(m)
		if err != nil {
			t.Fatal(err)
		}
		if nt.stack && sgemm.Kernel() == "avx512-12x32" && s.net.stack == nil {
			t.Fatalf("net%d: no sgemm.Stack", ni)
		}
		in, ow := m.InputWidth(), m.OutputWidth()
		for _, rows := range []int{0, 1, 5, 16, 47, 48, 49, 64, 97, 100, 2048 + 13, 6000 + 7} {
			name := fmt.Sprintf("net%d/rows%d", ni, rows)
			x := randomInput(rows, in, uint64(rows+1))
			want := make([]float32, rows*ow)
			if err := m.PredictInto(want, x, rows, m.NewWorkspace()); err != nil {
				t.Fatal(err)
			}
			ws := s.NewWorkspace()
			for pass := range 2 { // a used workspace too
				got := make([]float32, rows*ow+3)
				got[rows*ow], got[rows*ow+1], got[rows*ow+2] = 7, 7, 7
				if err := s.PredictInto(got, x, rows, ws); err != nil {
					t.Fatal(err)
				}
				sameBits(t, fmt.Sprintf("%s/pass%d", name, pass), got, want)
				cols := make([][]float32, in)
				for j := range cols {
					cols[j] = make([]float32, rows+1)
					cols[j][rows] = float32(math.NaN())
					for r := range rows {
						cols[j][r] = x[r*in+j]
					}
				}
				got[rows*ow] = 7
				if err := s.PredictColumns(got, cols, rows, ws); err != nil {
					t.Fatal(err)
				}
				sameBits(t, fmt.Sprintf("%s/pass%d/columns", name, pass), got, want)
			}
		}
	}
}

func sameBits(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: output %d is %v, Model.PredictInto's %v", name, i, got[i], want[i])
		}
	}
	for i := len(want); i < len(got); i++ {
		if got[i] != 7 {
			t.Fatalf("%s: wrote %v past the output", name, got[i])
		}
	}
}

func TestScorerForwardErrors(t *testing.T) {
	m, err := NewModel(testSpec(3, TaskRegression, Dense(2, ReLU), Dense(1, Linear)), 1)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := NewScorer(m)
	ws := s.NewWorkspace()
	out := make([]float32, 4)
	col := make([]float32, 4)
	for _, c := range []struct {
		name string
		err  error
	}{
		{"short x", s.PredictInto(out, make([]float32, 5), 2, ws)},
		{"short out", s.PredictInto(out[:1], make([]float32, 6), 2, ws)},
		{"no workspace", s.PredictInto(out, make([]float32, 6), 2, nil)},
		{"columns", s.PredictColumns(out, [][]float32{col, col}, 2, ws)},
		{"short column", s.PredictColumns(out, [][]float32{col, col, col[:1]}, 2, ws)},
		{"negative rows", s.PredictColumns(out, [][]float32{col, col, col}, -1, ws)},
	} {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// TestColumnShift: ColumnShift's promise, the encoding of a present value
// is float32(v − shift), holds for the inputs it accepts, and it refuses
// the others.
func TestColumnShift(t *testing.T) {
	inputs := []Input{
		{Name: "plain", Kind: KindNumeric},
		{Name: "imputed", Kind: KindNumeric, Impute: &Impute{Strategy: ImputeMean, Value: 3}},
		{Name: "shift", Kind: KindNumeric, Impute: &Impute{Strategy: ImputeMean, Value: 3}, Scale: &Scale{Method: ScaleStandard, Mean: 1000.25}},
		{Name: "scaled", Kind: KindNumeric, Scale: &Scale{Method: ScaleStandard, Mean: 1, Std: 2}},
		{Name: "indicator", Kind: KindNumeric, Impute: &Impute{Strategy: ImputeMean, Value: 3, Indicator: true}},
		{Name: "clip", Kind: KindNumeric, Clip: &Clip{Min: 0, Max: 1}},
		{Name: "log", Kind: KindNumeric, Log1p: true},
		{Name: "minmax", Kind: KindNumeric, Scale: &Scale{Method: ScaleMinMax, Min: 1, Max: 1}},
		VectorInput("v", 2),
	}
	enc, err := NewEncoder(inputs)
	if err != nil {
		t.Fatal(err)
	}
	want := []bool{true, true, true, false, false, false, false, false, false}
	row := make([]float32, enc.Width())
	for i := range inputs {
		shift, ok := enc.ColumnShift(i)
		if ok != want[i] {
			t.Fatalf("%s: ColumnShift ok = %v", inputs[i].Name, ok)
		}
		if !ok {
			continue
		}
		for _, v := range []float64{0, -7.125, 1e6 + 0.1, 123456.789} {
			if err := enc.Number(i, v, true, row); err != nil {
				t.Fatal(err)
			}
			if got := row[enc.Offset(i)]; got != float32(v-shift) {
				t.Errorf("%s(%v): encodes %v, float32(v − %v) = %v", inputs[i].Name, v, got, shift, float32(v-shift))
			}
		}
	}
}

// TestOneHotColumns: OneHotColumns writes OneHots' values as columns.
func TestOneHotColumns(t *testing.T) {
	in := Input{Name: "c", Kind: KindCategorical, Vocabulary: []string{"a", "b"}, UnknownBucket: true,
		Impute: &Impute{Strategy: ImputeMostFrequent, Category: "a", Indicator: true}}
	enc, err := NewEncoder([]Input{{Name: "x", Kind: KindNumeric}, in})
	if err != nil {
		t.Fatal(err)
	}
	var codes []CategoryCode
	for _, v := range []struct {
		s     string
		valid bool
	}{{"a", true}, {"b", true}, {"zz", true}, {"", false}} {
		c, err := enc.CategoryCode(1, v.s, v.valid)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c)
	}
	codes = append(codes, SkipRow)
	w := enc.Width()
	x := make([]float32, len(codes)*w)
	enc.OneHots(1, codes, x, w)
	cols := make([][]float32, w-1)
	for j := range cols {
		cols[j] = make([]float32, len(codes))
		for r := range cols[j] {
			cols[j][r] = 9
		}
	}
	enc.OneHotColumns(1, codes, cols)
	for r := range codes {
		for j := range cols {
			if got, want := cols[j][r], x[r*w+1+j]; got != want {
				t.Fatalf("row %d feature %d: %v, OneHots %v", r, j, got, want)
			}
		}
	}
}
