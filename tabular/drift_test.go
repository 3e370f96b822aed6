package tabular

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
)

// The fit keeps the raw training statistics: rows, NULLs (NaN counts as
// NULL) and the min and max before clipping, log1p and scaling.
func TestFitStoresRawStats(t *testing.T) {
	mem := checkedMem(t)
	clip := &nn.Clip{Min: 0, Max: 10}
	in, err := fitBatches(t, []Feature{
		{Name: "x", FeatureOptions: FeatureOptions{Clip: clip, Log1p: true}},
		{Name: "c"},
		{Name: "v"},
	},
		mkBatch(mkF64(mem, "x", -5, nil, 100), mkStr(mem, "c", "a", nil, "b"), mkVec(mem, "v", 2, []float32{1, -2}, []float32{3, 4}, []float32{0, 9})),
		mkBatch(mkF64(mem, "x", math.NaN()), mkStr(mem, "c", nil), mkVec(mem, "v", 2, []float32{5, 5})))
	if err != nil {
		t.Fatal(err)
	}
	x, c, v := in[0].Stats, in[1].Stats, in[2].Stats
	if x == nil || c == nil || v == nil {
		t.Fatalf("stats missing: %+v %+v %+v", x, c, v)
	}
	if x.Rows != 4 || x.Nulls != 2 || x.Min == nil || *x.Min != -5 || *x.Max != 100 {
		t.Errorf("x stats %+v, want 4 rows, 2 NULLs, raw range [-5, 100]", *x)
	}
	if c.Rows != 4 || c.Nulls != 2 || c.Min != nil || c.Max != nil {
		t.Errorf("c stats %+v, want 4 rows, 2 NULLs, no range", *c)
	}
	if v.Rows != 4 || v.Nulls != 0 || *v.Min != -2 || *v.Max != 9 {
		t.Errorf("v stats %+v, want 4 rows, no NULL, range [-2, 9]", *v)
	}
	// They survive the model file (and the strict parser).
	spec := &nn.Spec{Inputs: in, Layers: []nn.LayerSpec{{Units: 1}}}
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"stats":{"rows":4,"nulls":2,"min":-5,"max":100}`)) {
		t.Errorf("spec JSON lacks x's stats: %s", data)
	}
}

func TestDriftReport(t *testing.T) {
	mem := checkedMem(t)
	lo, hi := 0.0, 10.0
	inputs := []nn.Input{
		{Name: "x", Kind: nn.KindNumeric, Impute: &nn.Impute{Strategy: nn.ImputeMean}, Stats: &nn.Stats{Rows: 10, Nulls: 1, Min: &lo, Max: &hi}},
		{Name: "c", Kind: nn.KindCategorical, Vocabulary: []string{"a", "b"}, UnknownBucket: true, Impute: &nn.Impute{Strategy: nn.ImputeMostFrequent, Category: "a"}, Stats: &nn.Stats{Rows: 10}},
	}
	// 8 rows over two batches: x has 2 NULLs (one NaN), -1 below, 11 and 50
	// above; c has 1 NULL and unseen z, z, y.
	b1 := mkBatch(mkF64(mem, "x", 1, nil, -1, 11), mkStr(mem, "c", "a", "z", nil, "b"))
	b2 := mkBatch(mkF64(mem, "x", 10, 0, math.NaN(), 50), mkStr(mem, "c", "y", "z", "a", "a"))
	for _, b := range []interface{ Release() }{b1, b2} {
		defer b.Release()
	}
	d, err := NewDriftChecker(inputs, b1.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Observe(b1); err != nil {
		t.Fatal(err)
	}
	if err := d.Observe(b2); err != nil {
		t.Fatal(err)
	}
	r := d.Report()
	x, c := r[0], r[1]
	if x.Rows != 8 || x.Nulls != 2 || x.Values != 6 || x.Below != 1 || x.Above != 2 || x.OutOfRange() != 3 {
		t.Errorf("x drift %+v, want 8 rows, 2 NULLs, 6 values, 1 below, 2 above", x)
	}
	if x.NullShare() != 0.25 {
		t.Errorf("x NULL share %v, want 0.25", x.NullShare())
	}
	if c.Rows != 8 || c.Nulls != 1 || c.Values != 7 || c.Unseen != 3 || !slices.Equal(c.UnseenExamples, []string{"z", "y"}) {
		t.Errorf("c drift %+v, want 8 rows, 1 NULL, 7 values, 3 unseen (z, y)", c)
	}
	var buf bytes.Buffer
	if err := WriteDriftReport(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"x  NULL 25.0% (training 10.0%); outside training range [0, 10]: 3 values (50.0%; 1 below, 2 above)",
		`c  NULL 12.5% (training 0.0%); unseen categories: 3 (42.9%), e.g. "z", "y"`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, buf.String())
		}
	}
}

// A model written before inputs kept statistics gets a report that says so.
func TestDriftReportOldModel(t *testing.T) {
	mem := checkedMem(t)
	inputs := []nn.Input{{Name: "x", Kind: nn.KindNumeric}}
	b := mkBatch(mkF64(mem, "x", 1, 2))
	defer b.Release()
	d, err := NewDriftChecker(inputs, b.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Observe(b); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteDriftReport(&buf, d.Report()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "no training statistics in this model (trained before") {
		t.Errorf("report: %s", buf.String())
	}
}
