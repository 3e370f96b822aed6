package tabular

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dense-ml/dense/nn"
)

// TestColumnwiseIsRowwise: the Featurizer's column loops (numbers through
// nn.Encoder.Numbers, categories through codes and OneHots, dictionaries
// looked up once) give what nn.Encoder's row methods give, row for row:
// the same features, the same refused rows, the same first error; over
// several tiles, with NULLs, NaN, ±Inf, log1p's domain, unknown categories.
func TestColumnwiseIsRowwise(t *testing.T) {
	mem := checkedAlloc(t)
	rng := rand.New(rand.NewPCG(5, 6))
	const rows = 20_000 // several tiles of encodeTileBytes
	odd := []float64{math.NaN(), math.Inf(1), -2, 1e300}
	nums := make([][]float64, 3)
	valid := make([][]bool, 5)
	for c := range valid {
		valid[c] = make([]bool, rows)
		for r := range rows {
			valid[c][r] = rng.IntN(9) > 0
		}
	}
	for c := range nums {
		nums[c] = make([]float64, rows)
		for r := range rows {
			nums[c][r] = rng.NormFloat64() * 10
			if rng.IntN(500) == 0 {
				nums[c][r] = odd[rng.IntN(len(odd))]
			}
		}
	}
	cats := []string{"a", "b", "c", "zz"}
	strs := make([]string, rows)
	dictIdx := make([]int, rows)
	for r := range rows {
		strs[r] = cats[rng.IntN(3)]
		if rng.IntN(300) == 0 {
			strs[r] = "zz"
		}
		dictIdx[r] = rng.IntN(len(cats))
	}
	f32 := make([]float32, rows)
	for r, v := range nums[2] {
		f32[r] = float32(v)
	}
	db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	for r, k := range dictIdx {
		if !valid[4][r] {
			db.AppendNull()
			continue
		}
		if err := db.AppendString(cats[k]); err != nil {
			t.Fatal(err)
		}
	}
	dict := db.NewArray()
	db.Release()
	names := []string{"std", "logc", "f32", "s", "d"}
	batch := buildBatch(names, f64Col(mem, nums[0], valid[0]), f64Col(mem, nums[1], valid[1]), f32Col(mem, f32, valid[2]),
		strCol(mem, strs, valid[3]), dict)
	defer batch.Release()

	inputs := []nn.Input{
		{Name: "std", Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 1, Std: 3},
			Impute: &nn.Impute{Strategy: nn.ImputeMean, Value: 1, Indicator: true}},
		{Name: "logc", Kind: nn.KindNumeric, Clip: &nn.Clip{Min: -0.5, Max: 50}, Log1p: true,
			Impute: &nn.Impute{Strategy: nn.ImputeMedian, Value: 2}},
		{Name: "f32", Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleMinMax, Min: -5, Max: 5}},
		{Name: "s", Kind: nn.KindCategorical, Vocabulary: []string{"a", "b", "c"},
			Impute: &nn.Impute{Strategy: nn.ImputeMostFrequent, Category: "a", Indicator: true}},
		{Name: "d", Kind: nn.KindCategorical, Vocabulary: []string{"a", "b", "c"}}, // "zz" and NULL refused
	}
	f, err := NewFeaturizer(inputs, batch.Schema())
	if err != nil {
		t.Fatal(err)
	}
	x, ok, firstErr := f.EncodeMasked(batch, nil, nil)

	// The reference: nn.Encoder's row methods, row by row.
	enc := f.Encoder()
	w := enc.Width()
	want := make([]float32, rows*w)
	wantOK := make([]bool, rows)
	rowErrs := make([][]error, rows)
	for r := range rows {
		row := want[r*w : (r+1)*w]
		errs := []error{
			enc.Number(0, nums[0][r], valid[0][r], row),
			enc.Number(1, nums[1][r], valid[1][r], row),
			enc.Number(2, float64(f32[r]), valid[2][r], row),
			enc.Category(3, strs[r], valid[3][r], row),
			enc.Category(4, cats[dictIdx[r]], valid[4][r], row),
		}
		rowErrs[r] = errs
		wantOK[r] = true
		for _, e := range errs {
			if e != nil {
				wantOK[r] = false
				break
			}
		}
		if !wantOK[r] {
			clear(row)
		}
	}
	// The first error: the first tile with one, in it the first input, then
	// the first row.
	var wantFirst error
	tile := max(1, encodeTileBytes/(4*w))
	for lo := 0; lo < rows && wantFirst == nil; lo += tile {
		for c := range inputs {
			for r := lo; r < min(lo+tile, rows) && wantFirst == nil; r++ {
				if err := rowErrs[r][c]; err != nil {
					wantFirst = &RowError{Column: inputs[c].Name, Row: r, Err: err}
				}
			}
			if wantFirst != nil {
				break
			}
		}
	}
	if !slices.Equal(ok, wantOK) {
		t.Fatalf("refused rows differ")
	}
	for r := range rows {
		if !slices.Equal(x[r*w:(r+1)*w], want[r*w:(r+1)*w]) {
			t.Fatalf("row %d: %v, want %v", r, x[r*w:(r+1)*w], want[r*w:(r+1)*w])
		}
	}
	if wantFirst == nil || firstErr == nil || firstErr.Error() != wantFirst.Error() {
		t.Fatalf("first error %v, want %v", firstErr, wantFirst)
	}
	var re *RowError
	if !errors.As(firstErr, &re) {
		t.Fatalf("first error %T, want a *RowError", firstErr)
	}

	// Encode (strict) stops at the same kind of first error.
	if _, err := f.Encode(batch, nil); err == nil || err.Error() != firstErr.Error() {
		t.Errorf("Encode: %v; EncodeMasked's first: %v", err, firstErr)
	}
}
