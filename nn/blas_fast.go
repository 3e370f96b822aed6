package nn

import (
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/dense-ml/dense/nn/internal/sgemm"
)

// init installs dense's own float32 GEMM (package nn/internal/sgemm:
// AVX-512/AVX2 assembly where the CPU has it, both cores for batch-sized
// products) as gonum's blas32 implementation, so every gemm call of this
// package, and any other blas32 user in the program, runs on it. It
// computes each element of C in an order that does not depend on the
// number of rows, which Predict's batch-size invariance relies on.
func init() { blas32.Use(sgemm.Implementation{}) }

// GemmKernel names the matrix-multiply micro-kernel this CPU runs:
// "avx512-12x32", "avx2-6x16" or the portable "go-4x4".
func GemmKernel() string { return sgemm.Kernel() }

// SetGemmThreads caps the goroutines one matrix product may use (n ≤ 0
// means GOMAXPROCS, the default) and returns the previous cap. Results do
// not depend on it.
func SetGemmThreads(n int) int { return sgemm.SetMaxThreads(n) }
