package pipeline

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// fitBatches fits features over batches and releases them.
func fitBatches(t *testing.T, features []tabular.Feature, batches ...arrow.RecordBatch) ([]nn.Input, error) {
	t.Helper()
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	f, err := tabular.NewFitter(batches[0].Schema(), features)
	if err != nil {
		return nil, err
	}
	for _, b := range batches {
		if err := f.Observe(b); err != nil {
			return nil, err
		}
	}
	return f.Finish(batches)
}

// Defaults apply to every feature where they make sense: a default scaling
// or log1p is skipped for a categorical column, imputation for a vector. In
// a column's own transforms the same setting is an error.
func TestDefaultsSkipWhatDoesNotFit(t *testing.T) {
	mem := checkedMem(t)
	b := batch(f64Col(mem, "x", 1, 2, nil, 4), strCol(mem, "s", "a", "b", "a", nil),
		vecCol(mem, "v", 2, []float32{1, 2}, []float32{3, 4}, []float32{5, 6}, []float32{7, 8}), f64Col(mem, "y", 0, 1, 0, 1))
	cfg := TrainConfig{Target: "y", Defaults: tabular.FeatureOptions{Scale: ScaleMinMax, Log1p: true, Impute: ImputeMedian, Indicator: true}}
	features, err := cfg.features(b.Schema())
	if err != nil {
		t.Fatal(err)
	}
	in, err := fitBatches(t, features, b)
	if err != nil {
		t.Fatal(err)
	}
	x, s, v := in[0], in[1], in[2]
	if x.Scale == nil || x.Scale.Method != ScaleMinMax || !x.Log1p || x.Impute.Strategy != ImputeMedian || !x.Impute.Indicator {
		t.Errorf("numeric x did not get the defaults: %+v", x)
	}
	if s.Scale != nil || s.Log1p || s.Impute == nil || s.Impute.Strategy != ImputeMostFrequent || s.Impute.Category != "a" || !s.Impute.Indicator {
		t.Errorf("categorical s: %+v impute %+v", s, s.Impute)
	}
	if v.Scale == nil || v.Scale.Method != ScaleMinMax || v.Impute != nil || v.Log1p {
		t.Errorf("vector v: %+v", v)
	}

	// The same scaling set for the categorical column itself is an error.
	cfg.Transforms = map[string]tabular.FeatureOptions{"s": {Scale: ScaleMinMax}}
	features, err = cfg.features(b.Schema())
	if err != nil {
		t.Fatal(err)
	}
	b2 := batch(f64Col(mem, "x", 1), strCol(mem, "s", "a"), vecCol(mem, "v", 2, []float32{1, 2}), f64Col(mem, "y", 0))
	if _, err := fitBatches(t, features, b2); err == nil || !strings.Contains(err.Error(), `feature "s": a categorical feature takes no scaling`) {
		t.Errorf("explicit scaling of a categorical: err = %v", err)
	}

	// Through a spec: a column's own keys are strict, inherited ones lenient.
	spec, err := ParseSpec([]byte(validSpec + "features:\n  defaults: {scale: minmax, log1p: true}\n  columns:\n    s: {max_categories: 1, min_category_count: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	spec.Target = "y"
	tc := spec.TrainConfig()
	features, err = tc.features(b.Schema())
	if err != nil {
		t.Fatal(err)
	}
	b3 := batch(f64Col(mem, "x", 1, 3), strCol(mem, "s", "a", "b"), vecCol(mem, "v", 2, []float32{1, 2}, []float32{0, 0}), f64Col(mem, "y", 0, 1))
	in, err = fitBatches(t, features, b3)
	if err != nil {
		t.Fatal(err)
	}
	if in[1].Scale != nil || len(in[1].Vocabulary) != 1 || in[0].Scale.Method != ScaleMinMax {
		t.Errorf("spec: x %+v, s %+v", in[0], in[1])
	}
}
