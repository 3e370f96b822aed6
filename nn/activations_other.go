//go:build !amd64 || noasm

package nn

// haveSIMD is false: there are no vector loops on this build.
var haveSIMD = false

// The vector loops do nothing here; the Go loops do all the work.
func biasReLUVec(b, z, a []float32, width int) int             { return 0 }
func reluVec(z, a []float32) int                               { return 0 }
func reluGradVec(z, da, dz []float32) int                      { return 0 }
func columnSumsVec(a []float32, width int, sums []float64) int { return 0 }
