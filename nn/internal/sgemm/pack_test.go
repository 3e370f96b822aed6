package sgemm

import "testing"

func BenchmarkPackT(b *testing.B) {
	const rows, kb, ld = 12, 196, 784
	src := make([]float32, rows*ld)
	dst := make([]float32, rows*kb)
	for b.Loop() {
		for r := 0; r < 64; r++ {
			packTransposed(dst, src, ld, rows, kb, 12, 1)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*64*rows*kb), "ns/elem")
}
