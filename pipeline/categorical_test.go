package pipeline

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dense-ml/dense/internal/arrowtest"
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

// Issue 15 item 2: a DATE column trains as a date input, and the explain
// baseline training records covers it.
func TestTrainWithDates(t *testing.T) {
	mem := checkedMem(t)
	db := array.NewDate32Builder(mem)
	defer db.Release()
	y := make([]any, 60)
	for i := range 60 {
		db.Append(arrow.Date32(19723 + i*5))
		y[i] = float64(i % 7)
	}
	d := db.NewArray()
	r := newMemReader(batch(arrowtest.Col{Name: "d", Arr: d}, f64Col(mem, "y", y...)))
	defer r.Close()
	res, err := Train(context.Background(), r, TrainConfig{Target: "y", Epochs: 1, Hidden: []int{4}})
	if err != nil {
		t.Fatal(err)
	}
	spec := res.Model.Spec()
	in := spec.Inputs[0]
	if in.Kind != nn.KindDate || in.Source != "DATE" || !slices.Equal(in.Cycles, []string{nn.CycleWeek, nn.CycleYear}) {
		t.Errorf("input %+v", in)
	}
	if spec.Explain == nil || spec.Explain.Baseline[0].Number == nil || *spec.Explain.Baseline[0].Number < 19723 {
		t.Errorf("explain baseline %+v", spec.Explain)
	}
}
