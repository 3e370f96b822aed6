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
