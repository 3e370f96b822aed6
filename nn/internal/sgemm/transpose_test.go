package sgemm

import "testing"

// TestTranspose: every shape around the 16×16 register blocks.
func TestTranspose(t *testing.T) {
	for _, r := range []int{1, 3, 15, 16, 17, 33, 64, 128} {
		for _, c := range []int{1, 7, 16, 20, 31, 64, 784} {
			src := make([]float32, r*c)
			for i := range src {
				src[i] = float32(i) + 0.5
			}
			dst := make([]float32, r*c)
			Transpose(dst, src, r, c)
			for i := range r {
				for j := range c {
					if dst[j*r+i] != src[i*c+j] {
						t.Fatalf("%d×%d: dst[%d][%d] = %v, want %v", r, c, j, i, dst[j*r+i], src[i*c+j])
					}
				}
			}
		}
	}
}
