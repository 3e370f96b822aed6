package sgemm

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
)

// cpuSeconds is the process's user+system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// benchShapes are the size tiers: the products of an MLP's forward and
// backward passes, then the two headline shapes.
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"tiny/8x8x8", false, false, 8, 8, 8},
	{"mlp/256x64x20", false, true, 256, 64, 20},
	{"mlp/128x10x128", false, true, 128, 10, 128},
	{"mlp/128x128x784/fwd", false, true, 128, 128, 784},
	{"mlp/128x784x128/dX", false, false, 128, 784, 128},
	{"mlp/128x784x128/dW", true, false, 128, 784, 128},
	{"medium/256x256x256", false, false, 256, 256, 256},
	{"large/2048x128x784", false, false, 2048, 128, 784},
	{"large/1024x1024x1024", false, false, 1024, 1024, 1024},
}

func benchGemm(b *testing.B, gemmFn func(tA, tB bool, m, n, k int, a, bm, c []float32), tA, tB bool, m, n, k int) {
	rng := rand.New(rand.NewPCG(1, 1))
	a, _ := randMatrix(rng, m, k, 0, 0)
	bm, _ := randMatrix(rng, k, n, 0, 0)
	c := make([]float32, m*n)
	gemmFn(tA, tB, m, n, k, a, bm, c)
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		gemmFn(tA, tB, m, n, k, a, bm, c)
	}
	flops := 2 * float64(m) * float64(n) * float64(k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	// Per CPU-second: on a shared machine this tracks the code's efficiency
	// better than wall time, which depends on what else runs.
	if cpu := cpuSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(flops/cpu/1e9, "GFLOP/cpu-s")
	}
}

func lds(tA, tB bool, m, n, k int) (int, int) {
	lda, ldb := k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	return lda, ldb
}

func BenchmarkGemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) {
			benchGemm(b, func(tA, tB bool, m, n, k int, a, bm, c []float32) {
				lda, ldb := lds(tA, tB, m, n, k)
				Gemm(tA, tB, m, n, k, 1, a, lda, bm, ldb, 0, c, n)
			}, s.transA, s.transB, s.m, s.n, s.k)
		})
	}
}

// BenchmarkKernels runs each micro-kernel on one thread, to compare them
// with each other and with the single-core peak.
func BenchmarkKernels(b *testing.B) {
	for _, kn := range kernels {
		for _, s := range []struct{ m, n, k int }{{2048, 128, 784}, {512, 512, 512}} {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", kn.name, s.m, s.n, s.k), func(b *testing.B) {
				benchGemm(b, func(tA, tB bool, m, n, k int, a, bm, c []float32) {
					gemm(kn, 1, false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
				}, false, false, s.m, s.n, s.k)
			})
		}
	}
}
