package udf

import (
	"math"
	"testing"
)

func TestAllFinite(t *testing.T) {
	bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0x7fc00001), math.Float32frombits(0xffffffff)}
	good := []float32{0, -0, 1, -1, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-40, -3.5}
	for n := range 19 { // every length around the unrolled loop's steps, odd and even
		v := make([]float32, n)
		for i := range v {
			v[i] = good[i%len(good)]
		}
		if !allFinite(v) {
			t.Fatalf("n=%d: finite values reported not finite", n)
		}
		for pos := range n {
			for _, b := range bad {
				old := v[pos]
				v[pos] = b
				if allFinite(v) {
					t.Fatalf("n=%d: %v at %d not found", n, b, pos)
				}
				v[pos] = old
			}
		}
	}
}
