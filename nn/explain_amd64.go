//go:build amd64 && !noasm

package nn

// axpyAVX2 computes dst[i] = x[i] + a·y[i] for i < n (a multiple of 8),
// a product then a sum (no fused multiply-add): the bits of the Go loop.
// dst may be x.
//
//go:noescape
func axpyAVX2(dst, x, y *float32, a float32, n int)

// axpyVec does axpy's elements below the last multiple of 8 and returns
// how many it did.
func axpyVec(dst, x, y []float32, a float32) int {
	n := len(dst) &^ 7
	if !haveSIMD || n == 0 {
		return 0
	}
	_, _ = x[n-1], y[n-1]
	axpyAVX2(&dst[0], &x[0], &y[0], a, n)
	return n
}

// signMaskAVX2 returns z[i]'s sign bits as bits i < n (a multiple of 8, at
// most 64).
//
//go:noescape
func signMaskAVX2(z *float32, n int) uint64

// signMaskVec returns the sign bits of z's first len(z)&^7 elements (len(z)
// ≤ 64) and how many it did.
func signMaskVec(z []float32) (uint64, int) {
	n := len(z) &^ 7
	if !haveSIMD || n == 0 {
		return 0, 0
	}
	return signMaskAVX2(&z[0], n), n
}
