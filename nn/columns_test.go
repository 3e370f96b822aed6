package nn

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestNumbersIsNumber: the column loop writes Number's features bit for bit
// and fails exactly the rows Number fails, with Number's errors, for every
// kind of numeric preprocessing and every kind of awkward value.
func TestNumbersIsNumber(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	odd := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e39, -1e300, -1, -2, 0, 5e-324}
	for trial := range 400 {
		in := Input{Name: "x", Kind: KindNumeric}
		switch rng.IntN(4) {
		case 1:
			in.Scale = &Scale{Method: ScaleStandard, Mean: rng.NormFloat64() * 10, Std: float64(rng.IntN(2)) * rng.Float64() * 5}
		case 2:
			lo := rng.NormFloat64()
			in.Scale = &Scale{Method: ScaleMinMax, Min: lo, Max: lo + float64(rng.IntN(2))*rng.Float64()}
		case 3:
			in.Scale = &Scale{Method: ScaleStandard, Mean: 1, Std: 1e-300} // beyond float32 after scaling
		}
		if rng.IntN(2) == 0 {
			in.Impute = &Impute{Strategy: ImputeMean, Value: rng.NormFloat64(), Indicator: rng.IntN(2) == 0}
		}
		if rng.IntN(3) == 0 {
			in.Clip = &Clip{Min: -3, Max: 3}
		}
		in.Log1p = rng.IntN(3) == 0
		inputs := []Input{{Name: "before", Kind: KindNumeric}, in}
		enc, err := NewEncoder(inputs)
		if err != nil {
			t.Fatal(err)
		}
		const rows = 50
		stride := enc.Width() + 1
		vals := make([]float64, rows)
		for r := range vals {
			vals[r] = rng.NormFloat64() * 4
			if rng.IntN(4) == 0 {
				vals[r] = odd[rng.IntN(len(odd))]
			}
		}
		got := make([]float32, rows*stride)
		want := make([]float32, rows*stride)
		gotErr := make([]error, rows)
		enc.Numbers(1, vals, got, stride, func(r int, err error) { gotErr[r] = err })
		for r, v := range vals {
			wantErr := enc.Number(1, v, true, want[r*stride:(r+1)*stride])
			if (wantErr == nil) != (gotErr[r] == nil) || wantErr != nil && wantErr.Error() != gotErr[r].Error() {
				t.Fatalf("trial %d: value %v: Number: %v, Numbers: %v", trial, v, wantErr, gotErr[r])
			}
			if wantErr != nil {
				continue
			}
			if g, w := got[r*stride:(r+1)*stride], want[r*stride:(r+1)*stride]; !slices.Equal(g, w) {
				t.Fatalf("trial %d: value %v (%+v): Numbers wrote %v, Number %v", trial, v, in, g, w)
			}
		}
	}
}

// TestOneHotsIsCategory: CategoryCode + OneHots write Category's block and
// refuse what it refuses, with its errors.
func TestOneHotsIsCategory(t *testing.T) {
	for _, in := range []Input{
		{Name: "c", Kind: KindCategorical, Vocabulary: []string{"a", "b"}},
		{Name: "c", Kind: KindCategorical, Vocabulary: []string{"a", "b"}, UnknownBucket: true},
		{Name: "c", Kind: KindCategorical, Vocabulary: []string{"a", "b"}, Impute: &Impute{Strategy: ImputeMostFrequent, Category: "b"}},
		{Name: "c", Kind: KindCategorical, Vocabulary: []string{"a", "b"}, UnknownBucket: true,
			Impute: &Impute{Strategy: ImputeConstant, Category: "zz", Indicator: true}},
	} {
		enc, err := NewEncoder([]Input{NumericInput("n"), in})
		if err != nil {
			t.Fatal(err)
		}
		values := []string{"a", "b", "zz", ""}
		valid := []bool{true, true, true, false}
		stride := enc.Width()
		got := make([]float32, len(values)*stride)
		for j := range got {
			got[j] = 7 // OneHots must clear the block
		}
		want := slices.Clone(got)
		codes := make([]CategoryCode, len(values))
		for r, v := range values {
			code, err := enc.CategoryCode(1, v, valid[r])
			wantErr := enc.Category(1, v, valid[r], want[r*stride:(r+1)*stride])
			if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
				t.Fatalf("%+v value %q: CategoryCode: %v, Category: %v", in, v, err, wantErr)
			}
			if err != nil {
				if code != SkipRow || !errors.As(err, new(*InputError)) {
					t.Fatalf("a refused value has code %d, error %T", code, err)
				}
				copy(want[r*stride:(r+1)*stride], got[r*stride:(r+1)*stride]) // left alone
			}
			codes[r] = code
		}
		enc.OneHots(1, codes, got, stride)
		if !slices.Equal(got, want) {
			t.Fatalf("%+v: OneHots wrote %v, Category %v", in, got, want)
		}
	}
}
