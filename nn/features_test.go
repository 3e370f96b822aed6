package nn

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestEncoderNumericPipeline(t *testing.T) {
	// raw → impute → clip → log1p → scale, checked against values worked out by hand.
	inputs := []Input{
		{Name: "age", Kind: KindNumeric, Scale: &Scale{Method: ScaleStandard, Mean: 40, Std: 10}},
		{Name: "income", Kind: KindNumeric, Impute: &Impute{Strategy: ImputeMedian, Value: 99, Indicator: true},
			Clip: &Clip{Min: 0, Max: 1000}, Log1p: true, Scale: &Scale{Method: ScaleMinMax, Min: 0, Max: math.Log1p(1000)}},
		{Name: "flat", Kind: KindNumeric, Scale: &Scale{Method: ScaleStandard, Mean: 5, Std: 0}},
	}
	e, err := NewEncoder(inputs)
	if err != nil {
		t.Fatal(err)
	}
	if e.Width() != 4 || e.Offset(1) != 1 || e.Offset(2) != 3 {
		t.Fatalf("width %d offsets %d %d, want 4, 1, 3", e.Width(), e.Offset(1), e.Offset(2))
	}
	row := make([]float32, 4)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.Number(0, 55, true, row))
	must(e.Number(1, 5000, true, row)) // clipped to 1000 → log1p(1000) → 1.0
	must(e.Number(2, 7, true, row))    // std 0: only centred
	want := []float32{1.5, 1, 0, 2}
	for i := range want {
		if math.Abs(float64(row[i]-want[i])) > 1e-6 {
			t.Errorf("row[%d] = %v, want %v", i, row[i], want[i])
		}
	}
	// A NULL income takes the fitted value 99 and sets the indicator.
	must(e.Number(1, 0, false, row))
	if got, w := row[1], float32(math.Log1p(99)/math.Log1p(1000)); math.Abs(float64(got-w)) > 1e-6 || row[2] != 1 {
		t.Errorf("imputed income = %v (indicator %v), want %v (1)", got, row[2], w)
	}
	// NaN counts as missing.
	must(e.Number(1, math.NaN(), true, row))
	if row[2] != 1 {
		t.Errorf("NaN income: indicator %v, want 1", row[2])
	}
	// Without imputation a NULL is an error naming the input.
	err = e.Number(0, 0, false, row)
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), `"age"`) {
		t.Errorf("NULL age: got %v, want ErrMissing naming age", err)
	}
	if err := e.Number(0, math.Inf(1), true, row); !errors.Is(err, ErrNotFinite) {
		t.Errorf("+Inf: got %v, want ErrNotFinite", err)
	}
}

func TestEncoderLog1pDomain(t *testing.T) {
	e, err := NewEncoder([]Input{{Name: "x", Kind: KindNumeric, Log1p: true}})
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, 1)
	if err := e.Number(0, -1, true, row); !errors.Is(err, ErrDomain) {
		t.Errorf("log1p(-1): got %v, want ErrDomain", err)
	}
	if err := e.Number(0, math.E-1, true, row); err != nil || math.Abs(float64(row[0])-1) > 1e-6 {
		t.Errorf("log1p(e-1) = %v, %v; want 1", row[0], err)
	}
}

func TestEncoderCategorical(t *testing.T) {
	inputs := []Input{
		{Name: "region", Kind: KindCategorical, Vocabulary: []string{"north", "south"}, UnknownBucket: true,
			Impute: &Impute{Strategy: ImputeMostFrequent, Category: "south", Indicator: true}},
		{Name: "plan", Kind: KindCategorical, Vocabulary: []string{"basic", "pro"}},
	}
	e, err := NewEncoder(inputs)
	if err != nil {
		t.Fatal(err)
	}
	if e.Width() != 6 {
		t.Fatalf("width %d, want 6", e.Width())
	}
	row := make([]float32, 6)
	cases := []struct {
		s     string
		valid bool
		want  []float32
	}{
		{"north", true, []float32{1, 0, 0, 0}},
		{"south", true, []float32{0, 1, 0, 0}},
		{"east", true, []float32{0, 0, 1, 0}}, // unknown bucket
		{"", false, []float32{0, 1, 0, 1}},    // imputed most frequent + indicator
	}
	for _, c := range cases {
		if err := e.Category(0, c.s, c.valid, row); err != nil {
			t.Fatalf("%q: %v", c.s, err)
		}
		for i, w := range c.want {
			if row[i] != w {
				t.Errorf("%q (valid %v): row = %v, want %v", c.s, c.valid, row[:4], c.want)
				break
			}
		}
	}
	if err := e.Category(1, "enterprise", true, row); !errors.Is(err, ErrUnknownCategory) || !strings.Contains(err.Error(), "enterprise") {
		t.Errorf("unknown plan: got %v", err)
	}
	if err := e.Category(1, "", false, row); !errors.Is(err, ErrMissing) {
		t.Errorf("NULL plan: got %v, want ErrMissing", err)
	}
}

func TestEncoderVector(t *testing.T) {
	e, err := NewEncoder([]Input{NumericInput("a"), {Name: "px", Kind: KindVector, Length: 3, Scale: &Scale{Method: ScaleMinMax, Min: 0, Max: 255}}})
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, 4)
	if err := e.Vector(1, []float64{0, 51, 255}, row); err != nil {
		t.Fatal(err)
	}
	if row[1] != 0 || math.Abs(float64(row[2])-0.2) > 1e-6 || row[3] != 1 {
		t.Errorf("scaled vector = %v, want [0 0.2 1]", row[1:])
	}
	if err := e.Vector(1, []float64{1, 2}, row); err == nil || !strings.Contains(err.Error(), "2 elements, want 3") {
		t.Errorf("short vector: got %v", err)
	}
	if err := e.Vector(1, []float64{1, math.NaN(), 2}, row); !errors.Is(err, ErrMissing) {
		t.Errorf("NaN element: got %v", err)
	}
	if !e.Passthrough(0) || e.Passthrough(1) {
		t.Errorf("Passthrough = %v %v, want true false", e.Passthrough(0), e.Passthrough(1))
	}
}

func TestInputValidation(t *testing.T) {
	bad := []struct {
		in   Input
		want string
	}{
		{Input{Kind: KindNumeric}, "empty name"},
		{Input{Name: "x", Kind: "text"}, "unknown kind"},
		{Input{Name: "x", Kind: KindVector}, "vector length 0"},
		{Input{Name: "x", Kind: KindCategorical}, "empty vocabulary"},
		{Input{Name: "x", Kind: KindCategorical, Vocabulary: []string{"a", "a"}}, "appears twice"},
		{Input{Name: "x", Kind: KindNumeric, Impute: &Impute{Strategy: "mode"}}, "unknown imputation"},
		{Input{Name: "x", Kind: KindNumeric, Impute: &Impute{Strategy: ImputeMean, Value: math.NaN()}}, "not finite"},
		{Input{Name: "x", Kind: KindNumeric, Clip: &Clip{Min: 2, Max: 1}}, "clip min"},
		{Input{Name: "x", Kind: KindNumeric, Scale: &Scale{Method: "robust"}}, "unknown scaling"},
		{Input{Name: "x", Kind: KindNumeric, Scale: &Scale{Method: ScaleStandard, Std: -1}}, "std"},
	}
	for _, c := range bad {
		_, err := NewEncoder([]Input{c.in})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

func TestSpecValidate(t *testing.T) {
	good := func() Spec {
		return Spec{Format: FormatName, Version: FormatVersion, Task: TaskMulticlass,
			Inputs: []Input{VectorInput("x", 4)},
			Layers: []LayerSpec{Dense(8, ReLU), Dropout(0.1), BatchNorm(), Dense(3, Softmax)},
			Labels: []string{"a", "b", "c"}}
	}
	s := good()
	if err := s.Validate(); err != nil {
		t.Fatalf("valid spec refused: %v", err)
	}
	lo, hi := -1.0, 1.0
	s.Inputs[0].Stats = &Stats{Rows: 10, Nulls: 0, Min: &lo, Max: &hi}
	if err := s.Validate(); err != nil {
		t.Fatalf("valid stats refused: %v", err)
	}
	if s.InputWidth() != 4 || s.OutputWidth() != 3 {
		t.Errorf("widths %d→%d, want 4→3", s.InputWidth(), s.OutputWidth())
	}
	cases := []struct {
		edit func(*Spec)
		want string
	}{
		{func(s *Spec) { s.Format = "keras" }, "format"},
		{func(s *Spec) { s.Version = 2 }, "version 2 is not supported"},
		{func(s *Spec) { s.Task = "ranking" }, "unknown task"},
		{func(s *Spec) { s.Inputs = nil }, "no inputs"},
		{func(s *Spec) { s.Inputs = append(s.Inputs, VectorInput("x", 1)) }, "appears twice"},
		{func(s *Spec) { s.Layers = nil }, "no layers"},
		{func(s *Spec) { s.Layers[0].Units = 0 }, "units 0"},
		{func(s *Spec) { s.Layers[0].Activation = "swish" }, `unknown activation "swish"`},
		{func(s *Spec) { s.Layers[0].Init = "orthogonal" }, "unknown initialiser"},
		{func(s *Spec) { s.Layers[0].L2 = -1 }, "l2"},
		{func(s *Spec) { s.Layers[1].Rate = 1 }, "dropout rate"},
		{func(s *Spec) { s.Layers[2].Epsilon = 0 }, "epsilon"},
		{func(s *Spec) { s.Layers[2].Momentum = 1 }, "momentum"},
		{func(s *Spec) { s.Layers[1].Type = "conv2d" }, `unknown layer type "conv2d"`},
		{func(s *Spec) { s.Labels = []string{"a", "b"} }, "2 labels for 3 outputs"},
		{func(s *Spec) { s.Task = TaskBinary }, "binary model has 1 output"},
		{func(s *Spec) { s.Inputs[0].Stats = &Stats{Rows: 2, Nulls: 3} }, "0 ≤ nulls ≤ rows"},
		{func(s *Spec) { lo := 1.0; s.Inputs[0].Stats = &Stats{Rows: 2, Min: &lo} }, "min and max go together"},
		{func(s *Spec) { lo, hi := 2.0, 1.0; s.Inputs[0].Stats = &Stats{Rows: 2, Min: &lo, Max: &hi} }, "min ≤ max"},
		{func(s *Spec) { lo, hi := math.Inf(-1), 1.0; s.Inputs[0].Stats = &Stats{Rows: 2, Min: &lo, Max: &hi} }, "finite"},
	}
	for _, c := range cases {
		s := good()
		c.edit(&s)
		err := s.Validate()
		if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want ErrInvalidSpec containing %q", err, c.want)
		}
	}
}
