//go:build !amd64 || noasm

package nn

var haveColDot = false

// colDot cannot match the GEMM kernels' fused multiply-adds here: the
// caller runs the GEMM.
func colDot(x []float32, ld int, w, out []float32) bool { return false }

// reluGradSums declines here: the caller runs the two Go loops.
func reluGradSums(z, da, dz []float32, width int, sums []float64) bool { return false }
