package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestPacked: a Packed product gives Gemm's bits (alpha 1, beta 0), from a
// row-major A (in place, packed because of its stride, or with a partial
// last panel) and from A's columns, writes nothing outside C, and reads
// nothing outside A (A's padding is NaN).
func TestPacked(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var s Scratch
	for _, k := range []int{1, 5, 20, 64, 129, 300, 784} {
		for _, n := range []int{1, 3, 10, 32, 64, 100} {
			for _, transB := range []bool{false, true} {
				br, bc := k, n
				if transB {
					br, bc = n, k
				}
				b, ldb := randMatrix(rng, br, bc, 1, float32(math.NaN()))
				p := NewPacked(transB, k, n, b, ldb)
				for _, m := range []int{1, 5, 12, 13, 16, 17, 63, 64, 65, 100, 130} {
					for _, pad := range []int{0, 3, 512 - k%512} {
						name := fmt.Sprintf("k%d/n%d/transB=%v/m%d/lda=k+%d", k, n, transB, m, pad)
						a, lda := randMatrix(rng, m, k, pad, float32(math.NaN()))
						want, ldc := randMatrix(rng, m, n, 2, sentinel)
						Gemm(false, transB, m, n, k, 1, a, lda, b, ldb, 0, want, ldc)
						got, _ := randMatrix(rng, m, n, 2, sentinel)
						p.Mul(m, a, lda, got, ldc, nil, &s)
						same(t, name, got, want)
						// With an epilogue: bias, ReLU, both.
						bias := make([]float32, n)
						for j := range bias {
							bias[j] = float32(rng.NormFloat64())
						}
						for _, ep := range []Epilogue{{Bias: bias}, {ReLU: true}, {Bias: bias, ReLU: true}} {
							wantEp := append([]float32(nil), want...)
							for i := range m {
								ep.apply(wantEp[i*ldc:i*ldc+n], 0)
							}
							got, _ := randMatrix(rng, m, n, 2, sentinel)
							p.Mul(m, a, lda, got, ldc, &ep, &s)
							same(t, fmt.Sprintf("%s/bias=%v/relu=%v", name, ep.Bias != nil, ep.ReLU), got, wantEp)
						}
						if pad != 3 {
							continue
						}
						// A by columns, starting at row 2 of longer columns.
						cols := make([][]float32, k)
						for j := range cols {
							cols[j] = make([]float32, m+4)
							cols[j][0], cols[j][1], cols[j][m+2], cols[j][m+3] = float32(math.NaN()), float32(math.NaN()), float32(math.NaN()), float32(math.NaN())
							for i := range m {
								cols[j][2+i] = a[i*lda+j]
							}
						}
						got, _ = randMatrix(rng, m, n, 2, sentinel)
						p.MulColumns(m, cols, 2, got, ldc, nil, &s)
						same(t, name+"/columns", got, want)
					}
				}
			}
		}
	}
}

func same(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d is %v, Gemm's %v", name, i, got[i], want[i])
		}
	}
}

// BenchmarkPacked is a 2048-row product with a packed op(B) on one
// goroutine against Gemm on one thread, for the layers of issue 12's
// networks.
func BenchmarkPacked(b *testing.B) {
	for _, sh := range []struct{ m, n, k int }{{2048, 64, 20}, {2048, 32, 64}, {2048, 1, 32}, {2048, 128, 784}, {2048, 10, 128}} {
		rng := rand.New(rand.NewPCG(1, 2))
		a, _ := randMatrix(rng, sh.m, sh.k, 0, 0)
		w, _ := randMatrix(rng, sh.n, sh.k, 0, 0)
		c := make([]float32, sh.m*sh.n)
		flops := 2 * float64(sh.m*sh.n*sh.k)
		b.Run(fmt.Sprintf("%dx%dx%d/gemm", sh.m, sh.n, sh.k), func(b *testing.B) {
			defer SetMaxThreads(SetMaxThreads(1))
			cpu0 := cpuSeconds()
			for b.Loop() {
				Gemm(false, true, sh.m, sh.n, sh.k, 1, a, sh.k, w, sh.k, 0, c, sh.n)
			}
			b.ReportMetric(flops*float64(b.N)/(cpuSeconds()-cpu0)/1e9, "GFLOP/cpu-s")
			b.ReportMetric((cpuSeconds()-cpu0)*1e9/float64(b.N*sh.m), "cpu-ns/row")
		})
		b.Run(fmt.Sprintf("%dx%dx%d/packed", sh.m, sh.n, sh.k), func(b *testing.B) {
			p := NewPacked(true, sh.k, sh.n, w, sh.k)
			var s Scratch
			cpu0 := cpuSeconds()
			for b.Loop() {
				p.Mul(sh.m, a, sh.k, c, sh.n, nil, &s)
			}
			b.ReportMetric(flops*float64(b.N)/(cpuSeconds()-cpu0)/1e9, "GFLOP/cpu-s")
			b.ReportMetric((cpuSeconds()-cpu0)*1e9/float64(b.N*sh.m), "cpu-ns/row")
		})
	}
}
