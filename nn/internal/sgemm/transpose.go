package sgemm

// Transpose writes the transpose of the r×c row-major src into dst (c×r
// row-major): dst[j*r+i] = src[i*c+j]. Blocks of 16×16 go through the
// register transpose where the CPU has AVX-512 (the kernels' packing
// routine), the rest is done in Go. It panics if dst or src is shorter
// than r·c.
func Transpose(dst, src []float32, r, c int) {
	if r <= 0 || c <= 0 {
		return
	}
	_, _ = dst[r*c-1], src[r*c-1]
	packTransposed(dst, src, c, r, c, r)
}
