//go:build amd64 && !noasm

package floats

import "golang.org/x/sys/cpu"

//go:noescape
func exponentsBelowAVX512(v *float32, n int, e uint32) bool

// exponentsBelowVec checks the longest prefix of v that is a multiple of
// 64 floats with AVX-512 (16 floats per instruction) and returns how many
// it checked (0 without AVX-512) and whether they are all below e.
func exponentsBelowVec(v []float32, e uint64) (int, bool) {
	n := len(v) &^ 63
	if !hasAVX512 || n == 0 {
		return 0, true
	}
	return n, exponentsBelowAVX512(&v[0], n, uint32(e))
}

//go:noescape
func shiftAVX512(dst, src *float32, n int, shift float64)

// shiftVec writes float32(float64(src[i]) − shift) for the longest prefix
// of src that is a multiple of 16 floats with AVX-512 and returns its
// length (0 without AVX-512).
func shiftVec(dst, src []float32, shift float64) int {
	n := len(src) &^ 15
	if !hasAVX512 || n == 0 {
		return 0
	}
	_ = dst[n-1]
	shiftAVX512(&dst[0], &src[0], n, shift)
	return n
}

var hasAVX512 = cpu.X86.HasAVX512F
