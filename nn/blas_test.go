package nn

import (
	"testing"

	"github.com/dense-ml/dense/nn/internal/sgemm"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemmImpls are the kernels nn's properties are tested under: gonum's
// pure-Go Sgemm and the package's own one.
var gemmImpls = []struct {
	name string
	impl gemmFunc
}{
	{"gonum", gonumGemm},
	{"sgemm", sgemm.Gemm},
}

// gonumKBlock is the k-block of gonum's parallel Sgemm. Its serial path
// (small m·n) takes one dot product over the whole of k for A·Bᵀ while the
// parallel path sums dot products over blocks of 64, so the same row would
// round differently in a small and a large batch. Feeding gonum's Sgemm k in
// blocks of 64 makes both paths add the same partial sums in the same order.
const gonumKBlock = 64

// gonumGemm is gemmFunc on gonum's Sgemm, batch-size invariant.
func gonumGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	var g gonum.Implementation
	tA, tB := blas.NoTrans, blas.NoTrans
	if transA {
		tA = blas.Trans
	}
	if transB {
		tB = blas.Trans
	}
	if !transA && transB && k > gonumKBlock {
		for k0 := 0; k0 < k; k0 += gonumKBlock {
			kb := min(gonumKBlock, k-k0)
			g.Sgemm(tA, tB, m, n, kb, alpha, a[k0:], lda, b[k0:], ldb, beta, c, ldc)
			beta = 1
		}
		return
	}
	g.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// withGemm runs f with kernel in nn's gemm and puts the package's own back
// afterwards. Tests using it must not run in parallel.
func withGemm(tb testing.TB, kernel gemmFunc, f func()) {
	tb.Helper()
	prev, prevThreads := gemmKernel, gemmThreadsKernel
	gemmKernel = kernel
	gemmThreadsKernel = func(_ int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
		kernel(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
	defer func() { gemmKernel, gemmThreadsKernel = prev, prevThreads }()
	f()
}

func TestGemmShapes(t *testing.T) {
	// The one gemm function against a naive product, for every transpose
	// combination, including k beyond gonum's 64-wide blocks.
	for _, g := range gemmImpls {
		withGemm(t, g.impl, func() {
			for _, sz := range [][3]int{{1, 1, 1}, {3, 5, 7}, {70, 9, 130}, {130, 66, 200}} {
				m, n, k := sz[0], sz[1], sz[2]
				for _, tA := range []bool{false, true} {
					for _, tB := range []bool{false, true} {
						a := randomInput(m, k, 1)
						b := randomInput(k, n, 2)
						at, bt := a, b
						lda, ldb := k, n
						if tA {
							at, lda = transpose(a, m, k), m
						}
						if tB {
							bt, ldb = transpose(b, k, n), k
						}
						c := randomInput(m, n, 3)
						want := make([]float64, m*n)
						for i := range m {
							for j := range n {
								s := 0.5 * float64(c[i*n+j])
								for p := range k {
									s += 2 * float64(a[i*k+p]) * float64(b[p*n+j])
								}
								want[i*n+j] = s
							}
						}
						gemm(tA, tB, m, n, k, 2, at, lda, bt, ldb, 0.5, c, n)
						for i, w := range want {
							if d := float64(c[i]) - w; d > 1e-3 || d < -1e-3 {
								t.Fatalf("%s %dx%dx%d tA=%v tB=%v: c[%d]=%v want %v", g.name, m, n, k, tA, tB, i, c[i], w)
							}
						}
					}
				}
			}
		})
	}
}

func transpose(a []float32, rows, cols int) []float32 {
	t := make([]float32, len(a))
	for i := range rows {
		for j := range cols {
			t[j*rows+i] = a[i*cols+j]
		}
	}
	return t
}

// Importing nn leaves gonum's global float32 BLAS alone.
func TestNoGlobalBLASChange(t *testing.T) {
	if _, ok := blas32.Implementation().(gonum.Implementation); !ok {
		t.Errorf("blas32's implementation is %T, want gonum's: something installed another one", blas32.Implementation())
	}
}
