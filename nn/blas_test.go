package nn

import (
	"testing"

	"github.com/dense-ml/dense/nn/internal/sgemm"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemmImpls are the blas32 implementations nn's properties are tested
// under: gonum's pure-Go one and the package's own fast kernel.
var gemmImpls = []struct {
	name string
	impl blas.Float32
}{
	{"gonum", gonum.Implementation{}},
	{"sgemm", sgemm.Implementation{}},
}

// withGemm runs f with impl installed through blas32.Use and puts the
// previous implementation back afterwards. Tests using it must not run in
// parallel.
func withGemm(tb testing.TB, impl blas.Float32, f func()) {
	tb.Helper()
	prev := blas32.Implementation()
	blas32.Use(impl)
	defer blas32.Use(prev)
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
