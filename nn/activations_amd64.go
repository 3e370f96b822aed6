//go:build amd64 && !noasm

package nn

import "golang.org/x/sys/cpu"

// AVX2 versions of the hottest element-wise loops of a training step
// (activations_amd64.s). Each computes the same bits as the Go loop it
// replaces; the Go loops do the columns or elements past the last multiple
// of the vector width, and everything without AVX2.

//go:noescape
func biasReLUAVX2(z, a, b *float32, rows, cols, ld int)

//go:noescape
func reluAVX2(z, a *float32, n int)

//go:noescape
func reluGradAVX2(z, da, dz *float32, n int)

//go:noescape
func columnSumsAVX2(a *float32, rows, cols, ld int, sums *float64)

// haveSIMD is whether the AVX2 loops run. Tests switch it off to compare
// with the Go loops.
var haveSIMD = cpu.X86.HasAVX2

// biasReLUVec does biasReLU's columns below the last multiple of 8 and
// returns how many it did.
func biasReLUVec(b, z, a []float32, width int) int {
	cols := width &^ 7
	rows := len(z) / width
	if !haveSIMD || cols == 0 || rows == 0 {
		return 0
	}
	_, _, _ = b[cols-1], z[(rows-1)*width+cols-1], a[(rows-1)*width+cols-1]
	biasReLUAVX2(&z[0], &a[0], &b[0], rows, cols, width)
	return cols
}

// reluVec does relu's elements below the last multiple of 8 and returns
// how many it did.
func reluVec(z, a []float32) int {
	n := len(z) &^ 7
	if !haveSIMD || n == 0 {
		return 0
	}
	_ = a[n-1]
	reluAVX2(&z[0], &a[0], n)
	return n
}

// reluGradVec does the relu gradient's elements below the last multiple of
// 8 and returns how many it did.
func reluGradVec(z, da, dz []float32) int {
	n := len(z) &^ 7
	if !haveSIMD || n == 0 {
		return 0
	}
	_, _ = da[n-1], dz[n-1]
	reluGradAVX2(&z[0], &da[0], &dz[0], n)
	return n
}

// columnSumsVec does columnSums' columns below the last multiple of 16 and
// returns how many it did.
func columnSumsVec(a []float32, width int, sums []float64) int {
	cols := width &^ 15
	rows := len(a) / width
	if !haveSIMD || cols == 0 || rows == 0 {
		return 0
	}
	_, _ = a[(rows-1)*width+cols-1], sums[cols-1]
	columnSumsAVX2(&a[0], rows, cols, width, &sums[0])
	return cols
}
