package tabular

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dense-ml/dense/nn"
)

// fitBatches fits features over batches (held for the second pass) and
// releases them.
func fitBatches(t *testing.T, features []Feature, batches ...arrow.RecordBatch) ([]nn.Input, error) {
	t.Helper()
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	f, err := NewFitter(batches[0].Schema(), features)
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

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*max(1, math.Abs(b)) }

func TestFitNumericDefaultsMeanAndStandard(t *testing.T) {
	mem := checkedMem(t)
	// Observed 1, 2, 4, 10 over two batches: mean 4.25, population variance
	// (3.25² + 2.25² + 0.25² + 5.75²)/4 = 48.75/4 = 12.1875.
	in, err := fitBatches(t, []Feature{{Name: "x", FeatureOptions: FeatureOptions{Indicator: true}}},
		mkBatch(mkF64(mem, "x", 1, 2, nil)), mkBatch(mkF64(mem, "x", 4, math.NaN(), 10)))
	if err != nil {
		t.Fatal(err)
	}
	x := in[0]
	if x.Kind != nn.KindNumeric || x.Impute == nil || x.Scale == nil {
		t.Fatalf("got %+v", x)
	}
	if x.Impute.Strategy != nn.ImputeMean || x.Impute.Value != 4.25 || !x.Impute.Indicator {
		t.Errorf("impute = %+v, want mean 4.25 with indicator", *x.Impute)
	}
	if x.Scale.Method != nn.ScaleStandard || x.Scale.Mean != 4.25 || !near(x.Scale.Std, math.Sqrt(12.1875)) {
		t.Errorf("scale = %+v, want standard mean 4.25 std %v", *x.Scale, math.Sqrt(12.1875))
	}
	// Encoded: a NULL becomes the mean (scaled to 0) and sets the indicator.
	enc, err := nn.NewEncoder(in)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, enc.Width())
	if err := enc.Number(0, 0, false, row); err != nil {
		t.Fatal(err)
	}
	if row[0] != 0 || row[1] != 1 {
		t.Errorf("NULL encodes to %v, want [0 1]", row)
	}
	if err := enc.Number(0, 10, true, row); err != nil {
		t.Fatal(err)
	}
	if want := float32((10 - 4.25) / math.Sqrt(12.1875)); row[0] != want || row[1] != 0 {
		t.Errorf("10 encodes to %v, want [%v 0]", row, want)
	}
}

func TestFitMedianAndMostFrequent(t *testing.T) {
	for _, tc := range []struct {
		strategy string
		vals     []any
		want     float64
	}{
		{ImputeMedian, []any{5, 1, 2, 2, nil, 9}, 2}, // 1 2 2 5 9
		{ImputeMedian, []any{9, nil, 1, 5, 2}, 3.5},  // 1 2 5 9 → (2+5)/2
		{ImputeMostFrequent, []any{5, 1, 2, 2, nil, 9}, 2},
		{ImputeMostFrequent, []any{3, 1, 3, 1, 7}, 1}, // tie → smallest
		{ImputeConstant, []any{3, nil}, -7},
	} {
		mem := checkedMem(t)
		half := len(tc.vals) / 2
		in, err := fitBatches(t, []Feature{{Name: "x", FeatureOptions: FeatureOptions{Impute: tc.strategy, FillValue: -7, Scale: ScaleNone}}},
			mkBatch(mkI64(mem, "x", tc.vals[:half]...)), mkBatch(mkI64(mem, "x", tc.vals[half:]...)))
		if err != nil {
			t.Fatalf("%s %v: %v", tc.strategy, tc.vals, err)
		}
		if in[0].Impute == nil || in[0].Impute.Strategy != tc.strategy || in[0].Impute.Value != tc.want {
			t.Errorf("%s %v: impute %+v, want value %v", tc.strategy, tc.vals, in[0].Impute, tc.want)
		}
		if in[0].Scale != nil {
			t.Errorf("scale none gave %+v", in[0].Scale)
		}
	}
}

func TestFitClipLog1pThenScale(t *testing.T) {
	mem := checkedMem(t)
	// Clip to [0, 10] then log1p: -5 → 0 → 0; 0 → 0; e-1 → 1; 100 → 10 → ln 11.
	vals := []any{-5, 0, math.E - 1, 100}
	pre := []float64{0, 0, 1, math.Log(11)}
	mean := (1 + math.Log(11)) / 4
	var ss float64
	for _, p := range pre {
		ss += (p - mean) * (p - mean)
	}
	clip := &nn.Clip{Min: 0, Max: 10}
	in, err := fitBatches(t, []Feature{
		{Name: "x", FeatureOptions: FeatureOptions{Clip: clip, Log1p: true}},
		{Name: "y", FeatureOptions: FeatureOptions{Clip: clip, Log1p: true, Scale: ScaleMinMax}},
	}, mkBatch(mkF64(mem, "x", vals...), mkF64(mem, "y", vals...)))
	if err != nil {
		t.Fatal(err)
	}
	x, y := in[0], in[1]
	if !x.Log1p || x.Clip == nil || *x.Clip != *clip {
		t.Errorf("x lost its clip/log1p: %+v", x)
	}
	if !near(x.Scale.Mean, mean) || !near(x.Scale.Std, math.Sqrt(ss/4)) {
		t.Errorf("x scale %+v, want mean %v std %v", *x.Scale, mean, math.Sqrt(ss/4))
	}
	if y.Scale.Method != nn.ScaleMinMax || y.Scale.Min != 0 || !near(y.Scale.Max, math.Log(11)) {
		t.Errorf("y scale %+v, want minmax 0..ln 11", *y.Scale)
	}
	// The mean imputation value stays in raw units: (−5+0+e−1+100)/4.
	if !near(x.Impute.Value, (-5+math.E-1+100)/4) {
		t.Errorf("impute value %v", x.Impute.Value)
	}
	enc, err := nn.NewEncoder(in)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, enc.Width())
	if err := enc.Number(1, 1000, true, row); err != nil {
		t.Fatal(err)
	}
	if row[1] != 1 { // clipped to 10 → ln 11 → the max → 1
		t.Errorf("1000 min-max encodes to %v, want 1", row[1])
	}
}

func TestFitCategorical(t *testing.T) {
	mem := checkedMem(t)
	// Counts: a 3, b 2, c 1, d 1. Max 3 keeps a, b, and c (tie c/d → c).
	in, err := fitBatches(t, []Feature{
		{Name: "s", FeatureOptions: FeatureOptions{MaxCategories: 3, Indicator: true}},
		{Name: "t", FeatureOptions: FeatureOptions{Impute: ImputeConstant, FillCategory: "zz", UnknownBucket: new(false), MaxCategories: 2}},
	},
		mkBatch(mkStr(mem, "s", "a", "b", "a", "c"), mkStr(mem, "t", "x", "y", "x", "x")),
		mkBatch(mkStr(mem, "s", nil, "a", "b", "d"), mkStr(mem, "t", "x", "y", "y", "x")))
	if err == nil || !strings.Contains(err.Error(), `"zz"`) {
		t.Fatalf("a constant fill outside the vocabulary without an unknown bucket: err = %v", err)
	}
	in, err = fitBatches(t, []Feature{{Name: "s", FeatureOptions: FeatureOptions{MaxCategories: 3, Indicator: true, MinCategoryCount: 1}}},
		mkBatch(mkStr(mem, "s", "a", "b", "a", "c")), mkBatch(mkStr(mem, "s", nil, "a", "b", "d")))
	if err != nil {
		t.Fatal(err)
	}
	s := in[0]
	if !slices.Equal(s.Vocabulary, []string{"a", "b", "c"}) || !s.UnknownBucket {
		t.Fatalf("vocabulary %q unknown %v, want [a b c] with an unknown bucket", s.Vocabulary, s.UnknownBucket)
	}
	if s.Impute == nil || s.Impute.Category != "a" || !s.Impute.Indicator || s.Scale != nil {
		t.Errorf("impute %+v scale %+v", s.Impute, s.Scale)
	}
	enc, err := nn.NewEncoder(in)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, enc.Width()) // a b c unknown missing
	for _, tc := range []struct {
		v     string
		valid bool
		want  []float32
	}{
		{"b", true, []float32{0, 1, 0, 0, 0}},
		{"d", true, []float32{0, 0, 0, 1, 0}},   // cut from the vocabulary → unknown
		{"new", true, []float32{0, 0, 0, 1, 0}}, // never seen → unknown
		{"", false, []float32{1, 0, 0, 0, 1}},   // NULL → most frequent + indicator
	} {
		if err := enc.Category(0, tc.v, tc.valid, row); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(row, tc.want) {
			t.Errorf("%q valid=%v encodes to %v, want %v", tc.v, tc.valid, row, tc.want)
		}
	}
}

func TestFitVector(t *testing.T) {
	mem := checkedMem(t)
	in, err := fitBatches(t, []Feature{{Name: "v"}, {Name: "w", FeatureOptions: FeatureOptions{Scale: ScaleNone}}},
		mkBatch(mkVec(mem, "v", 2, []float32{1, 2}), mkList(mem, "w", []float64{1, 2, 3})),
		mkBatch(mkVec(mem, "v", 2, []float32{3, 4}), mkList(mem, "w", []float64{0, 0, 0})))
	if err != nil {
		t.Fatal(err)
	}
	v, w := in[0], in[1]
	if v.Kind != nn.KindVector || v.Length != 2 || v.Scale.Mean != 2.5 || !near(v.Scale.Std, math.Sqrt(1.25)) {
		t.Errorf("v = %+v scale %+v, want length 2, mean 2.5, std √1.25", v, v.Scale)
	}
	if w.Length != 3 || w.Scale != nil {
		t.Errorf("w = %+v, want length 3 unscaled", w)
	}
}

func TestFitErrors(t *testing.T) {
	mem := checkedMem(t)
	binCol := func() col {
		b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
		defer b.Release()
		b.Append([]byte{1})
		return col{Name: "d", Arr: b.NewArray()}
	}
	for _, tc := range []struct {
		name     string
		features []Feature
		batches  func() []arrow.RecordBatch
		want     []string
	}{
		{"infinity", []Feature{{Name: "x"}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkF64(mem, "x", 1, 2)), mkBatch(mkF64(mem, "x", 3, math.Inf(1)))}
		}, []string{`feature "x"`, "row 3", "+Inf"}},
		{"log1p domain", []Feature{{Name: "x", FeatureOptions: FeatureOptions{Log1p: true}}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkF64(mem, "x", 1, -2))}
		}, []string{`feature "x"`, "row 1", "log1p"}},
		{"fill outside log1p domain", []Feature{{Name: "x", FeatureOptions: FeatureOptions{Log1p: true, Impute: ImputeConstant, FillValue: -3}}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkF64(mem, "x", 1, nil))}
		}, []string{`feature "x"`, "fill value", "log1p"}},
		{"all missing", []Feature{{Name: "x"}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkF64(mem, "x", nil, nil))}
		}, []string{`feature "x"`, "all 2 values are missing"}},
		{"vector NULL", []Feature{{Name: "v"}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkVec(mem, "v", 2, []float32{1, 2}, nil))}
		}, []string{`feature "v"`, "row 1", "NULL"}},
		{"vector length", []Feature{{Name: "v"}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkList(mem, "v", []float64{1, 2}, []float64{1}))}
		}, []string{`feature "v"`, "row 1", "1 elements, want 2"}},
		{"no column", []Feature{{Name: "nope"}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkF64(mem, "x", 1), mkF64(mem, "y", 1))}
		}, []string{`feature "nope"`, "no such column", "columns: x, y"}},
		{"type", []Feature{{Name: "d"}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(binCol())}
		}, []string{`feature "d"`, "binary", "can't be a feature"}},
		{"kind mismatch", []Feature{{Name: "x", FeatureOptions: FeatureOptions{Kind: KindCategorical}}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkF64(mem, "x", 1))}
		}, []string{`feature "x"`, "kind categorical", "float64"}},
		{"unknown scale", []Feature{{Name: "x", FeatureOptions: FeatureOptions{Scale: "robust"}}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkF64(mem, "x", 1))}
		}, []string{`unknown scale "robust"`}},
		{"unknown impute", []Feature{{Name: "x", FeatureOptions: FeatureOptions{Impute: "zero"}}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkF64(mem, "x", 1))}
		}, []string{`unknown impute "zero"`}},
		{"mean of strings", []Feature{{Name: "s", FeatureOptions: FeatureOptions{Impute: ImputeMean}}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkStr(mem, "s", "a"))}
		}, []string{`feature "s"`, "impute mean needs numbers"}},
		{"indicator without impute", []Feature{{Name: "x", FeatureOptions: FeatureOptions{Impute: ImputeNone, Indicator: true}}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkF64(mem, "x", 1))}
		}, []string{"indicator needs an imputation"}},
		{"vector log1p", []Feature{{Name: "v", FeatureOptions: FeatureOptions{Log1p: true}}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkVec(mem, "v", 1, []float32{1}))}
		}, []string{"vector feature takes only scaling"}},
		{"clip order", []Feature{{Name: "x", FeatureOptions: FeatureOptions{Clip: &nn.Clip{Min: 2, Max: 1}}}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkF64(mem, "x", 1))}
		}, []string{"clip min 2 is greater than max 1"}},
		{"twice", []Feature{{Name: "x"}, {Name: "x"}}, func() []arrow.RecordBatch {
			return []arrow.RecordBatch{mkBatch(mkF64(mem, "x", 1))}
		}, []string{`"x" is listed twice`}},
	} {
		_, err := fitBatches(t, tc.features, tc.batches()...)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tc.name, err, w)
			}
		}
	}
}

func TestFitterNeedsValues(t *testing.T) {
	mem := checkedMem(t)
	b := mkBatch(mkF64(mem, "x", 1, 2, 3))
	defer b.Release()
	for _, tc := range []struct {
		impute string
		want   bool
	}{{ImputeMean, false}, {ImputeMedian, true}, {ImputeMostFrequent, true}, {ImputeConstant, false}} {
		f, err := NewFitter(b.Schema(), []Feature{{Name: "x", FeatureOptions: FeatureOptions{Impute: tc.impute}}})
		if err != nil {
			t.Fatal(err)
		}
		if f.NeedsValues() != tc.want {
			t.Errorf("%s: NeedsValues = %v", tc.impute, !tc.want)
		}
		if tc.want {
			if err := f.Observe(b); err != nil {
				t.Fatal(err)
			}
			if _, err := f.Finish(nil); err == nil || !strings.Contains(err.Error(), "needs the training batches") {
				t.Errorf("%s: Finish(nil) = %v, want an error asking for the batches", tc.impute, err)
			}
		}
	}
}

// Issue 13: a model with inputs that differ only in case could not be
// scored by SQL's STRUCT form, so training refuses them.
func TestFitterRefusesCaseCollidingNames(t *testing.T) {
	mem := checkedMem(t)
	b := mkBatch(mkF64(mem, "Max.Axis", 1, 2, 3), mkF64(mem, "max.axis", 4, 5, 6))
	defer b.Release()
	_, err := NewFitter(b.Schema(), []Feature{{Name: "Max.Axis"}, {Name: "max.axis"}})
	if err == nil || !strings.Contains(err.Error(), `features "Max.Axis" and "max.axis" differ only in case`) {
		t.Fatalf("got %v, want an error naming both features", err)
	}
}

// Issue 13's feature contract: each fitted input records its column's SQL
// type, and the Featurizer refuses integers for a category fitted from text
// (zero-padded codes "01067" would silently become the unknown "1067").
func TestFeatureContractSource(t *testing.T) {
	mem := checkedMem(t)
	train := mkBatch(mkStr(mem, "zip", "01067", "00501", "01067"), mkI64(mem, "n", 1, 2, 3),
		mkF64(mem, "x", 1.5, 2, 3), mkVec(mem, "v", 2, []float32{1, 2}, []float32{3, 4}, []float32{5, 6}))
	inputs, err := fitBatches(t, []Feature{{Name: "zip"}, {Name: "n"}, {Name: "x"}, {Name: "v"}}, train)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range inputs {
		got = append(got, in.Source)
	}
	if want := []string{"VARCHAR", "BIGINT", "DOUBLE", "FLOAT[2]"}; !slices.Equal(got, want) {
		t.Fatalf("sources %v, want %v", got, want)
	}
	// Widening: a float column for an input fitted from integers is fine.
	same := mkBatch(mkStr(mem, "zip", "00501"), mkF64(mem, "n", 1), mkF64(mem, "x", 1), mkVec(mem, "v", 2, []float32{1, 2}))
	defer same.Release()
	if _, err := NewFeaturizer(inputs, same.Schema()); err != nil {
		t.Fatalf("the training schema: %v", err)
	}
	ints := mkBatch(mkI64(mem, "zip", 1067), mkI64(mem, "n", 1), mkF64(mem, "x", 1), mkVec(mem, "v", 2, []float32{1, 2}))
	defer ints.Release()
	_, err = NewFeaturizer(inputs, ints.Schema())
	if !errors.Is(err, ErrColumnType) || !strings.Contains(err.Error(), `input "zip" was fitted from VARCHAR values and the column is BIGINT`) {
		t.Fatalf("zip as integers: got %v", err)
	}
}
