package pipeline

import (
	"slices"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// Issue 15 item 4: integer columns as categories, from the YAML spec's
// kind: categorical (refused before) and from TrainConfig.Categorical
// (dense train --categorical).
func TestIntegerColumnsAsCategories(t *testing.T) {
	mem := checkedMem(t)
	codes := make([]any, 30)
	for i := range codes {
		codes[i] = []int{3, 7, 1067}[i%3]
	}
	mk := func() *memReader {
		return newMemReader(batch(i64Col(mem, "store", codes...), i64Col(mem, "zip", codes...), f64Col(mem, "y", make([]any, 30)...)))
	}
	spec, err := ParseSpec([]byte(validSpec + "features:\n  columns:\n    store: {kind: categorical}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]TrainConfig{
		"yaml": spec.TrainConfig(),
		"flag": {Target: "y", Categorical: []string{"store"}},
	} {
		r := mk()
		cfg = cfg.withDefaults()
		features, err := cfg.features(r.Schema())
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		in, err := fitBatches(t, features, batch(i64Col(mem, "store", codes...), i64Col(mem, "zip", codes...)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if in[0].Kind != nn.KindCategorical || in[0].Source != "BIGINT" || !slices.Equal(in[0].Vocabulary, []string{"1067", "3", "7"}) {
			t.Errorf("%s: store fitted as %+v", name, in[0])
		}
		if in[1].Kind != nn.KindNumeric {
			t.Errorf("%s: zip (not listed) fitted as %s", name, in[1].Kind)
		}
	}
	r := mk()
	defer r.Close()
	cfg := TrainConfig{Target: "y", Categorical: []string{"nope"}}
	if _, err := cfg.features(r.Schema()); err == nil || !strings.Contains(err.Error(), `categorical column "nope" is not a feature`) {
		t.Errorf("unknown categorical column: %v", err)
	}
	cfg = TrainConfig{Target: "y", Categorical: []string{"store"}, Features: []string{"store"}}
	cfg.Transforms = map[string]tabular.FeatureOptions{"store": {Kind: KindNumeric}}
	if _, err := cfg.features(r.Schema()); err == nil || !strings.Contains(err.Error(), "listed as categorical and has kind numeric") {
		t.Errorf("categorical and numeric: %v", err)
	}
	if _, err := ParseSpec([]byte(validSpec + "features:\n  defaults: {kind: date, min_category_count: 0}\n")); err == nil ||
		!strings.Contains(err.Error(), "min_category_count") || strings.Contains(err.Error(), "kind") {
		t.Errorf("kind date is valid YAML, min_category_count 0 is not: %v", err)
	}
}
