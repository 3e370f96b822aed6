//go:build !dense_extension

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

// TestAllBelow: allBelow never passes a value beyond the limit, and passes
// every value below half of it (it rounds the limit down to a power of 2).
func TestAllBelow(t *testing.T) {
	for _, lim := range []float32{math.MaxFloat32, 1.7e38, 3, 1, 0.75, 1e-30} {
		for n := range 9 {
			v := make([]float32, n)
			for i := range v {
				v[i] = lim / 2 * 0.999 * float32(1-2*(i%2))
			}
			if !allBelow(v, lim) {
				t.Fatalf("lim %v n=%d: values below lim/2 refused", lim, n)
			}
			for pos := range n {
				for _, b := range []float32{math.Nextafter32(lim, float32(math.Inf(1))), -lim * 4, float32(math.Inf(1)), float32(math.NaN())} {
					old := v[pos]
					v[pos] = b
					if allBelow(v, lim) {
						t.Fatalf("lim %v n=%d: %v at %d passed", lim, n, b, pos)
					}
					v[pos] = old
				}
			}
		}
	}
}

// BenchmarkAllFinite checks one 2048-row chunk of FLOAT[784] (6.4 MB), as the
// in-place path does for each chunk right after DuckDB has filled it; the
// 784-wide benchmark's 100k rows are 49 such chunks (the doc's "NaN/±Inf
// check" figure).
func BenchmarkAllFinite(b *testing.B) {
	v := make([]float32, 2048*784)
	for i := range v {
		v[i] = float32(i%255) / 255
	}
	b.SetBytes(int64(len(v)) * 4)
	for b.Loop() {
		if !allFinite(v) {
			b.Fatal("not finite")
		}
	}
}
