package floats

import (
	"math"
	"testing"
)

// TestExponentsBelowPrefix: the prefix checked is the multiple of 64, and
// a value at or above the exponent anywhere in it is found.
func TestExponentsBelowPrefix(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 65, 128, 1000, 2048} {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(i%17) - 8.5
		}
		done, ok := ExponentsBelowPrefix(v, 255)
		if !ok || done%64 != 0 || done > n || (hasAVX512 && done != n&^63) {
			t.Fatalf("n %d: checked %d, ok %v", n, done, ok)
		}
		for _, bad := range []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 3e38} {
			for _, at := range []int{0, 17, 63, done - 1} {
				if at < 0 || at >= done {
					continue
				}
				old := v[at]
				v[at] = bad
				e := uint64(255)
				if bad == 3e38 {
					e = 254 // 3e38's exponent is 254
				}
				if _, ok := ExponentsBelowPrefix(v, e); ok {
					t.Fatalf("n %d: %v at %d not found", n, bad, at)
				}
				v[at] = old
			}
		}
		if n >= 64 && hasAVX512 { // ±8.5 (exponent 130) is the largest
			if _, ok := ExponentsBelowPrefix(v, 131); !ok {
				t.Fatalf("n %d: not below exponent 131", n)
			}
			if _, ok := ExponentsBelowPrefix(v, 130); ok {
				t.Fatalf("n %d: below exponent 130", n)
			}
		}
	}
}

// TestShiftPrefix: the vector shift is bit for bit the scalar one, NaN,
// ±Inf, subnormals and values that overflow float32 included.
func TestShiftPrefix(t *testing.T) {
	specials := []float32{0, float32(math.Copysign(0, -1)), 1e-45, -1e-45, 1.1754942e-38, math.MaxFloat32, -math.MaxFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 3.4028233e38, 16777217, 0.1, -7.25}
	for _, shift := range []float64{0, 1.5, -3.25, 0.1, 1e-40, -1e300, 3.4028234663852886e38, 1.0000001} {
		for _, n := range []int{0, 1, 15, 16, 17, 100, 2048, 2051} {
			src := make([]float32, n)
			for i := range src {
				src[i] = float32(math.Sin(float64(i)*0.37)) * float32(math.Pow(10, float64(i%31-15)))
				if i%7 == 3 {
					src[i] = specials[(i/7)%len(specials)]
				}
			}
			dst := make([]float32, n)
			done := ShiftPrefix(dst, src, shift)
			if done%16 != 0 || done > n || (hasAVX512 && done != n&^15) {
				t.Fatalf("n %d: shifted %d", n, done)
			}
			for i := range done {
				want := float32(float64(src[i]) - shift)
				if math.Float32bits(dst[i]) != math.Float32bits(want) && !(want != want && dst[i] != dst[i]) {
					t.Fatalf("shift %g, src[%d] = %g: got %g (%#x), want %g (%#x)", shift, i, src[i], dst[i], math.Float32bits(dst[i]), want, math.Float32bits(want))
				}
			}
		}
	}
}
