package sgemm

// Transpose writes the transpose of the r×c row-major src into dst (c×r
// row-major): dst[j*r+i] = src[i*c+j], through the kernels' packing
// routine (packTransposed): groups of 16 rows go through the 16×16 and
// 16×4 register transposes where the CPU has AVX-512, the rest is done in
// Go. It panics if dst or src is shorter than r·c.
func Transpose(dst, src []float32, r, c int) {
	if r <= 0 || c <= 0 {
		return
	}
	_, _ = dst[r*c-1], src[r*c-1]
	packTransposed(dst, src, c, r, c, r)
}
