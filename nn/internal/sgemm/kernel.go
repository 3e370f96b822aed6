package sgemm

// A microKernel computes one mr×nr tile of C from a packed A micro-panel
// (k steps of mr floats) and a packed B micro-panel (k steps of nr floats):
//
//	acc[i][j] = Σ_p a[p*mr+i]·b[p*nr+j]
//	c[i*ldc+j] = acc[i][j]       (add == false)
//	c[i*ldc+j] += acc[i][j]      (add == true)
//
// c must hold at least (mr-1)*ldc+nr floats; the driver only hands full
// tiles to a kernel and routes edge tiles through a scratch tile.
type microKernel struct {
	name   string
	mr, nr int
	tile   func(k int, a, b, c []float32, ldc int, add bool)
}

// goKernel is the portable 4×4 kernel: sixteen scalar accumulators, which
// is about what the Go compiler keeps in registers.
var goKernel = &microKernel{name: "go-4x4", mr: 4, nr: 4, tile: tileGo4x4}

func tileGo4x4(k int, a, b, c []float32, ldc int, add bool) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	a = a[:4*k]
	b = b[:4*k]
	for p := 0; p+3 < len(a); p += 4 {
		a0, a1, a2, a3 := a[p], a[p+1], a[p+2], a[p+3]
		bp := b[p : p+4 : p+4]
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
	r0 := c[0:4:4]
	r1 := c[ldc : ldc+4 : ldc+4]
	r2 := c[2*ldc : 2*ldc+4 : 2*ldc+4]
	r3 := c[3*ldc : 3*ldc+4 : 3*ldc+4]
	if add {
		r0[0] += c00
		r0[1] += c01
		r0[2] += c02
		r0[3] += c03
		r1[0] += c10
		r1[1] += c11
		r1[2] += c12
		r1[3] += c13
		r2[0] += c20
		r2[1] += c21
		r2[2] += c22
		r2[3] += c23
		r3[0] += c30
		r3[1] += c31
		r3[2] += c32
		r3[3] += c33
		return
	}
	r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
	r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
	r2[0], r2[1], r2[2], r2[3] = c20, c21, c22, c23
	r3[0], r3[1], r3[2], r3[3] = c30, c31, c32, c33
}
