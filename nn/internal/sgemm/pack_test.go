package sgemm

import (
	"fmt"
	"testing"
)

func BenchmarkPackTransposed(b *testing.B) {
	for _, rows := range []int{12, 32} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			const kb, ld = 112, 784
			src := make([]float32, rows*ld)
			dst := make([]float32, rows*kb)
			for b.Loop() {
				for r := 0; r < 64; r++ {
					packTransposed(dst, src, ld, rows, kb, rows)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*64*rows*kb), "ns/elem")
		})
	}
}

// TestPackTransposed compares the packing transpose, with and without the
// register transpose, to the definition dst[p*width+i] = src[i*ld+p].
func TestPackTransposed(t *testing.T) {
	variants := map[string]func(dst []float32, lddst int, src []float32, ldsrc int){"go": nil}
	if transpose16 != nil {
		variants["asm"] = transpose16
	}
	defer func(old func(dst []float32, lddst int, src []float32, ldsrc int)) { transpose16 = old }(transpose16)
	for name, tr := range variants {
		transpose16 = tr
		for _, rows := range []int{1, 3, 4, 8, 12, 15, 16, 17, 31, 32} {
			for _, kb := range []int{1, 3, 4, 7, 15, 16, 17, 20, 25, 32, 33, 130} {
				width := max(rows, 32)
				ld := kb + 3
				src := make([]float32, rows*ld)
				for i := range src {
					src[i] = float32(i%977) - 400
				}
				dst := make([]float32, kb*width)
				for i := range dst {
					dst[i] = -1e30 // must survive outside the rows×kb block
				}
				packTransposed(dst, src, ld, rows, kb, width)
				for p := 0; p < kb; p++ {
					for i := 0; i < width; i++ {
						want := float32(-1e30)
						if i < rows {
							want = src[i*ld+p]
						}
						if got := dst[p*width+i]; got != want {
							t.Fatalf("%s rows=%d kb=%d: dst[%d*%d+%d] = %v, want %v", name, rows, kb, p, width, i, got, want)
						}
					}
				}
			}
		}
	}
}
