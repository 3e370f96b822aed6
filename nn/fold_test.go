package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomScoringModel draws a model with every kind of preprocessing: numeric
// inputs with standard or min-max scaling (zero spreads, small and large
// shifts), imputation with and without an indicator, clipping, log1p;
// vector inputs with and without scaling; categorical inputs. The first
// layer is sometimes behind a dropout, sometimes without a bias, and
// sometimes a batch norm (nothing can be folded then).
func randomScoringModel(t *testing.T, rng *rand.Rand) *Model {
	t.Helper()
	var inputs []Input
	for i := range 2 + rng.IntN(6) {
		name := fmt.Sprintf("in%d", i)
		switch k := rng.IntN(6); {
		case k < 4:
			in := Input{Name: name, Kind: KindNumeric}
			mean := (rng.Float64()*2 - 1) * math.Pow(10, float64(rng.IntN(5)))
			spread := math.Pow(10, rng.Float64()*6-2)
			switch rng.IntN(5) {
			case 0: // no scaling
			case 1:
				in.Scale = &Scale{Method: ScaleMinMax, Min: mean, Max: mean + spread}
			case 2:
				in.Scale = &Scale{Method: ScaleMinMax, Min: mean, Max: mean} // empty range: always 0
			case 3:
				in.Scale = &Scale{Method: ScaleStandard, Mean: mean, Std: 0}
			default:
				in.Scale = &Scale{Method: ScaleStandard, Mean: mean, Std: spread}
			}
			if rng.IntN(2) == 0 {
				in.Impute = &Impute{Strategy: ImputeMean, Value: mean, Indicator: rng.IntN(2) == 0}
			}
			if rng.IntN(4) == 0 {
				in.Clip = &Clip{Min: mean - spread, Max: mean + spread}
			}
			if rng.IntN(4) == 0 { // the scaling is fitted on log1p's output
				in.Log1p = true
				in.Clip = &Clip{Min: 0, Max: 1e6}
				in.Scale = &Scale{Method: ScaleStandard, Mean: math.Log1p(math.Abs(mean)), Std: 0.1 + rng.Float64()*2}
			}
			inputs = append(inputs, in)
		case k == 4:
			in := VectorInput(name, 1+rng.IntN(5))
			if rng.IntN(3) > 0 {
				in.Scale = &Scale{Method: ScaleStandard, Mean: rng.Float64() * 100, Std: 0.1 + rng.Float64()*50}
				// (the elements below are drawn over [0, 200]: features up to ±2000)
			}
			inputs = append(inputs, in)
		default:
			in := Input{Name: name, Kind: KindCategorical, Vocabulary: []string{"a", "b", "c"}, UnknownBucket: rng.IntN(2) == 0}
			if rng.IntN(2) == 0 {
				in.Impute = &Impute{Strategy: ImputeMostFrequent, Category: "b", Indicator: rng.IntN(2) == 0}
			}
			inputs = append(inputs, in)
		}
	}
	first := Dense(4+rng.IntN(8), ReLU)
	if rng.IntN(4) == 0 {
		first = first.WithoutBias()
	}
	var layers []LayerSpec
	switch rng.IntN(5) {
	case 0:
		layers = append(layers, Dropout(0.2))
	case 1:
		layers = append(layers, BatchNorm())
	}
	layers = append(layers, first, Dense(3, Tanh), Dense(1, Linear))
	spec := Spec{Format: FormatName, Version: FormatVersion, Task: TaskRegression, Inputs: inputs, Layers: layers}
	m, err := NewModel(spec, rng.Int64())
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range m.Tensors() { // biases and batch-norm statistics that are not 0 and 1
		if ts.Name[len(ts.Name)-4:] == "bias" || ts.Name[len(ts.Name)-4:] == "_var" || ts.Name[len(ts.Name)-4:] == "mean" {
			for j := range ts.Data {
				ts.Data[j] = float32(rng.Float64()) + 0.5
			}
		}
	}
	return m
}

// randomRow draws one row of raw values for m's inputs and encodes it with
// both encoders; it reports false when the model's encoder refuses it.
func encodeBoth(t *testing.T, rng *rand.Rand, m *Model, s *Scorer, x1, x2 []float32) bool {
	t.Helper()
	enc1, err := NewEncoder(m.Spec().Inputs)
	if err != nil {
		t.Fatal(err)
	}
	enc2 := s.Encoder()
	for i, in := range m.Spec().Inputs {
		switch in.Kind {
		case KindNumeric:
			// Values whose scaled feature is about N(0, 3), as the training
			// data's would be.
			z := rng.NormFloat64() * 3
			v := z
			switch sc := in.Scale; {
			case sc == nil:
			case sc.Method == ScaleStandard && sc.Std > 0:
				v = sc.Mean + z*sc.Std
			case sc.Method == ScaleStandard:
				v = sc.Mean + z
			default:
				v = sc.Min + z*(sc.Max-sc.Min)
			}
			if in.Log1p {
				v = math.Expm1(v)
			}
			valid := rng.IntN(5) > 0 || in.Impute == nil
			if rng.IntN(10) == 0 && in.Impute != nil {
				v = math.NaN()
			}
			err1 := enc1.Number(i, v, valid, x1)
			err2 := enc2.Number(i, v, valid, x2)
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("input %s value %v: model's encoder: %v; scorer's: %v", in.Name, v, err1, err2)
			}
			if err1 != nil {
				return false
			}
		case KindVector:
			vals := make([]float64, in.Length)
			for j := range vals {
				vals[j] = rng.Float64() * 200
			}
			if err := enc1.Vector(i, vals, x1); err != nil {
				t.Fatal(err)
			}
			if err := enc2.Vector(i, vals, x2); err != nil {
				t.Fatal(err)
			}
		case KindCategorical:
			v := []string{"a", "b", "c", "zz"}[rng.IntN(4)]
			valid := rng.IntN(4) > 0
			err1 := enc1.Category(i, v, valid, x1)
			err2 := enc2.Category(i, v, valid, x2)
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("input %s value %q: model's encoder: %v; scorer's: %v", in.Name, v, err1, err2)
			}
			if err1 != nil {
				return false
			}
		}
	}
	return true
}

// TestScorerMatchesModel: on random models with every kind of preprocessing,
// the folded Scorer on its own encoding predicts what the model predicts on
// the model's encoding, within 1e-5 relative.
func TestScorerMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	var folded, shifted, kept, models int
	for trial := range 300 {
		m := randomScoringModel(t, rng)
		before := slices.Clone(m.params)
		s, err := NewScorer(m)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(before, m.params) {
			t.Fatal("NewScorer changed the model's weights")
		}
		w := m.InputWidth()
		if s.InputWidth() != w || s.OutputWidth() != m.OutputWidth() {
			t.Fatalf("scorer widths %d→%d, model %d→%d", s.InputWidth(), s.OutputWidth(), w, m.OutputWidth())
		}
		const rows = 64
		x1, x2 := make([]float32, 0, rows*w), make([]float32, 0, rows*w)
		for len(x1) < rows*w {
			r1, r2 := make([]float32, w), make([]float32, w)
			if encodeBoth(t, rng, m, s, r1, r2) {
				x1, x2 = append(x1, r1...), append(x2, r2...)
			}
		}
		y1, err := m.Predict(x1, rows)
		if err != nil {
			t.Fatal(err)
		}
		y2 := make([]float32, rows)
		if err := s.PredictInto(y2, x2, rows, s.NewWorkspace()); err != nil {
			t.Fatal(err)
		}
		for r := range rows {
			if d := math.Abs(float64(y1[r] - y2[r])); d > 1e-5*max(1, math.Abs(float64(y1[r]))) {
				t.Fatalf("trial %d row %d: model %v, scorer %v (inputs %s)", trial, r, y1[r], y2[r], describeInputs(m.Spec().Inputs, s))
			}
		}
		for i, in := range m.Spec().Inputs {
			switch {
			case s.Folded(i) && s.Inputs()[i].Scale != nil:
				shifted++
			case s.Folded(i):
				folded++
			case in.Scale != nil:
				kept++
			}
		}
		if s.Model() != m {
			models++
		}
	}
	// The draw must exercise every case: folded with the shift in the bias,
	// with the shift kept, and not folded (batch norm first).
	if folded == 0 || shifted == 0 || kept == 0 || models == 0 {
		t.Fatalf("folded %d, shift kept %d, not folded %d, folded models %d: a case is not covered", folded, shifted, kept, models)
	}
	t.Logf("inputs folded with their shift %d, with the shift kept %d, not folded %d", folded, shifted, kept)
}

// TestScorerStandardisedIsCopy: a standardised input without clipping and
// log1p is a plain copy for the Scorer's encoder (its Passthrough), and a
// model with nothing to fold is scored by itself.
func TestScorerStandardisedIsCopy(t *testing.T) {
	spec := Spec{Format: FormatName, Version: FormatVersion, Task: TaskRegression, Inputs: []Input{
		{Name: "a", Kind: KindNumeric, Scale: &Scale{Method: ScaleStandard, Mean: 3, Std: 2}},
		{Name: "year", Kind: KindNumeric, Scale: &Scale{Method: ScaleStandard, Mean: 2000, Std: 10}},
		{Name: "px", Kind: KindVector, Length: 4, Scale: &Scale{Method: ScaleMinMax, Min: 0, Max: 255}},
	}, Layers: []LayerSpec{Dense(2, Linear)}}
	m, err := NewModel(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewScorer(m)
	if err != nil {
		t.Fatal(err)
	}
	enc := s.Encoder()
	if !enc.Passthrough(0) || !enc.Passthrough(2) {
		t.Errorf("standardised a and min-max px should be copies: %+v", s.Inputs())
	}
	if sc := s.Inputs()[1].Scale; enc.Passthrough(1) || sc == nil || sc.Mean != 2000 || sc.Std != 0 {
		t.Errorf("year (|a·c| = 200) keeps its shift: got %+v", sc)
	}
	if m.Spec().Inputs[0].Scale == nil {
		t.Error("the model's own spec lost its scaling")
	}

	plain, err := NewSequential(3, Dense(1, Linear))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := NewScorer(plain); err != nil || s.Model() != plain {
		t.Errorf("nothing to fold: NewScorer = %v, %v; want the model itself", s, err)
	}
}

func describeInputs(inputs []Input, s *Scorer) string {
	var out string
	for i, in := range inputs {
		out += fmt.Sprintf("\n  %s %s folded=%v", in.Name, in.Kind, s.Folded(i))
		if in.Scale != nil {
			out += fmt.Sprintf(" scale=%+v", *in.Scale)
		}
		if in.Clip != nil {
			out += fmt.Sprintf(" clip=%+v", *in.Clip)
		}
		if in.Impute != nil {
			out += fmt.Sprintf(" impute=%+v", *in.Impute)
		}
		if in.Log1p {
			out += " log1p"
		}
	}
	return out
}
