package sgemm

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is gonum's pure-Go BLAS with Sgemm replaced by this
// package's kernel. Install it for every blas32 caller with
//
//	blas32.Use(sgemm.Implementation{})
type Implementation struct {
	gonum.Implementation
}

var _ blas.Float32Level3 = Implementation{}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C like gonum's Sgemm, with
// the same argument checks and panic messages (ConjTrans is Trans for real
// matrices).
func (Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	transA, okA := transposed(tA)
	transB, okB := transposed(tB)
	if !okA || !okB {
		panic(badTranspose)
	}
	Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func transposed(t blas.Transpose) (trans, ok bool) {
	switch t {
	case blas.NoTrans:
		return false, true
	case blas.Trans, blas.ConjTrans:
		return true, true
	}
	return false, false
}
