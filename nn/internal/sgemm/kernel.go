package sgemm

// A microKernel computes one mr×nr tile of C from mr rows of op(A), read
// with any two strides, and a packed B micro-panel (k steps of nr floats):
//
//	acc[i][j]   = Σ_p a[i*rsa+p*csa]·b[p*nr+j]    (p in order, from zero)
//	c[i*ldc+j]  = alpha·acc[i][j]                  (add == false)
//	c[i*ldc+j] += alpha·acc[i][j]                  (add == true)
//
// The A strides let one kernel read a packed micro-panel (rsa = 1,
// csa = mr), A in place (rsa = lda, csa = 1) or Aᵀ in place (rsa = 1,
// csa = lda), so op(A) is never copied except for a last partial panel.
// c must hold at least (mr-1)*ldc+nr floats: the driver hands only full
// tiles to a kernel and routes edge tiles through a scratch tile.
type microKernel struct {
	name   string
	mr, nr int
	tile   func(k int, a []float32, rsa, csa int, b, c []float32, ldc int, alpha float32, add bool)
	// epi, where the kernel has one, is tile with alpha 1 and a Packed
	// product's epilogue in the same pass (see Epilogue): flags&1 adds to
	// C, flags&2 adds bias[j] to column j, flags&4 applies the ReLU.
	epi func(k int, a []float32, rsa, csa int, b, c []float32, ldc int, bias []float32, flags int)
	// cols, where the kernel has one, is epi with A given by its
	// columns: A's element (i, p) is cols[p][row+i].
	cols func(k int, cols []*float32, row int, b, c []float32, ldc int, bias []float32, flags int)
}

// goKernel is the portable 4×4 kernel: sixteen scalar accumulators, about
// what the Go compiler keeps in registers.
var goKernel = &microKernel{name: "go-4x4", mr: 4, nr: 4, tile: tileGo4x4}

func tileGo4x4(k int, a []float32, rsa, csa int, b, c []float32, ldc int, alpha float32, add bool) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	b = b[:4*k]
	_ = a[3*rsa+(k-1)*csa]
	for p := 0; p < k; p++ {
		ap := p * csa
		a0, a1, a2, a3 := a[ap], a[ap+rsa], a[ap+2*rsa], a[ap+3*rsa]
		bp := b[4*p : 4*p+4 : 4*p+4]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	acc := [4][4]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	for i := range acc {
		row := c[i*ldc : i*ldc+4 : i*ldc+4]
		for j, v := range acc[i] {
			if add {
				row[j] += alpha * v
			} else {
				row[j] = alpha * v
			}
		}
	}
}
