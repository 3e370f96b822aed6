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
