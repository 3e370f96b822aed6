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

var hasAVX512 = cpu.X86.HasAVX512F
