package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
)

// gonumKBlock is the k-block of gonum's parallel Sgemm. Its serial path
// (small m·n) takes one dot product over the whole of k for A·Bᵀ while the
// parallel path sums dot products over blocks of 64, so the same row would
// round differently in a small and a large batch. Feeding gonum's Sgemm k in
// blocks of 64 makes both paths add the same partial sums in the same order.
const gonumKBlock = 64

// gemm is the one place every matrix product of the package goes through:
//
//	C = alpha·op(A)·op(B) + beta·C
//
// with row-major float32 matrices, op(X) = X or Xᵀ, A m×k after op, B k×n
// after op and C m×n. It calls blas32.Gemm, so a faster implementation
// installed with blas32.Use is picked up without changes here.
//
// The implementation must compute each element of C from its row of op(A)
// and column of op(B) in an order that does not depend on m: that is what
// makes Predict's results identical whatever the batch size.
func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	tA, tB := blas.NoTrans, blas.NoTrans
	ar, ac := m, k
	if transA {
		tA = blas.Trans
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		tB = blas.Trans
		br, bc = n, k
	}
	if !transA && transB && k > gonumKBlock {
		if _, ok := blas32.Implementation().(gonum.Implementation); ok {
			for k0 := 0; k0 < k; k0 += gonumKBlock {
				kb := min(gonumKBlock, k-k0)
				blas32.Gemm(tA, tB, alpha,
					blas32.General{Rows: m, Cols: kb, Stride: lda, Data: a[k0:]},
					blas32.General{Rows: n, Cols: kb, Stride: ldb, Data: b[k0:]},
					beta,
					blas32.General{Rows: m, Cols: n, Stride: ldc, Data: c})
				beta = 1
			}
			return
		}
	}
	blas32.Gemm(tA, tB, alpha,
		blas32.General{Rows: ar, Cols: ac, Stride: lda, Data: a},
		blas32.General{Rows: br, Cols: bc, Stride: ldb, Data: b},
		beta,
		blas32.General{Rows: m, Cols: n, Stride: ldc, Data: c})
}
