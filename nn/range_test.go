package nn

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// The one finite-range rule: a finite value whose encoded feature does not
// fit float32 is ErrFloat32Range, for numbers and vector elements, with or
// without preprocessing; values that fit are encoded.
func TestEncoderFloat32Range(t *testing.T) {
	scaled := Input{Name: "income", Kind: KindNumeric, Scale: &Scale{Method: ScaleStandard, Mean: 10, Std: 0.5}}
	minmax := Input{Name: "mm", Kind: KindNumeric, Scale: &Scale{Method: ScaleMinMax, Min: 0, Max: 1e-30}}
	clipped := Input{Name: "c", Kind: KindNumeric, Clip: &Clip{Min: 0, Max: 100}, Scale: &Scale{Method: ScaleStandard, Std: 1}}
	logged := Input{Name: "l", Kind: KindNumeric, Log1p: true}
	vec := Input{Name: "v", Kind: KindVector, Length: 2, Scale: &Scale{Method: ScaleStandard, Std: 0.5}}
	enc, err := NewEncoder([]Input{NumericInput("raw"), scaled, minmax, clipped, logged, vec})
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, enc.Width())
	for _, c := range []struct {
		input int
		v     float64
		want  string // "" for success
	}{
		{0, 3e38, ""},
		{0, 1e39, `input "raw": value is outside float32's range: 1e+39`},
		{0, -1e305, `input "raw": value is outside float32's range: -1e+305`},
		{1, 1e38, ""},
		{1, 2e38, `input "income": value is outside float32's range: 2e+38 encodes to 4e+38`},
		{1, 1e44, "1e+44 encodes to 2e+44"},
		{1, math.MaxFloat64, "encodes to +Inf"}, // the scaling overflows float64 too
		{2, 1e10, "1e+10 encodes to 9.99"},
		{3, 1e305, ""}, // clipped to 100 first
		{4, math.MaxFloat64, ""},
	} {
		err := enc.Number(c.input, c.v, true, row)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("input %d value %g: %v", c.input, c.v, err)
		case c.want != "" && (!errors.Is(err, ErrFloat32Range) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("input %d value %g: %v, want ErrFloat32Range …%s…", c.input, c.v, err, c.want)
		}
		if err == nil {
			if f := row[enc.Offset(c.input)]; f-f != 0 {
				t.Errorf("input %d value %g encoded to %v", c.input, c.v, f)
			}
		}
	}
	if err := enc.Vector(5, []float64{1, 1e38}, row); err != nil {
		t.Errorf("vector in range: %v", err)
	}
	err = enc.Vector(5, []float64{1, 1e44}, row)
	var ie *InputError
	if !errors.As(err, &ie) || ie.Element != 1 || !errors.Is(err, ErrFloat32Range) {
		t.Errorf("vector element beyond range: %v", err)
	}
	// A missing element wins over a huge one, wherever it is.
	if err := enc.Vector(5, []float64{1e44, math.NaN()}, row); !errors.Is(err, ErrMissing) {
		t.Errorf("vector with a huge and a missing element: %v, want ErrMissing", err)
	}
}
