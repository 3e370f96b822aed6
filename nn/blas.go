package nn

import "github.com/dense-ml/dense/nn/internal/sgemm"

// gemmFunc is the signature of a row-major float32 GEMM:
//
//	C = alpha·op(A)·op(B) + beta·C
//
// with op(X) = X or Xᵀ, A m×k after op, B k×n after op and C m×n.
type gemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// gemmKernel is the package's own kernel (nn/internal/sgemm: AVX-512/AVX2
// assembly where the CPU has it, both cores for batch-sized products),
// called directly: importing nn changes nothing outside it (gonum's global
// blas32 implementation stays what the program chose). The tests swap it
// for gonum's Sgemm to check that nn's properties hold under both.
var gemmKernel gemmFunc = sgemm.Gemm

// gemm is the one place every matrix product of the package goes through.
//
// The kernel must compute each element of C from its row of op(A) and
// column of op(B) in an order that does not depend on m: that is what
// makes Predict's results identical whatever the batch size.
func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	gemmKernel(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmThreadsKernel is gemmKernel on at most the given number of
// goroutines (the tests swap both).
var gemmThreadsKernel = sgemm.GemmThreads

// gemmOn is gemm on at most threads goroutines: a training shard's
// products, which run beside the other shards'.
func gemmOn(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	gemmThreadsKernel(threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C on row-major float32
// matrices with the kernel every layer of the package uses (op(X) = Xᵀ
// when transX; A m×k and B k×n after op; lda, ldb, ldc are row strides).
// It is for benchmarks and programs that want the same product as training
// and scoring: importing nn does not install it as gonum's blas32
// implementation. Invalid sizes, strides or short slices panic with
// gonum's messages (programmer errors).
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GemmKernel names the matrix-multiply micro-kernel this CPU runs:
// "avx512-12x32", "avx2-6x16" or the portable "go-4x4".
func GemmKernel() string { return sgemm.Kernel() }

// SetGemmThreads caps the goroutines one matrix product may use (n ≤ 0
// means GOMAXPROCS, the default) and returns the previous cap. Results do
// not depend on it.
func SetGemmThreads(n int) int { return sgemm.SetMaxThreads(n) }
