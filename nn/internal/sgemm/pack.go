package sgemm

// packTransposed writes dst[p*width+i] = alpha·src[i*ld+p] for i < rows,
// p < kb: rows contiguous source rows become interleaved columns of a
// micro-panel. Rows are taken four at a time so each step writes 16
// contiguous bytes and reads four sequential streams.
func packTransposed(dst, src []float32, ld, rows, kb, width int, alpha float32) {
	i := 0
	for ; i+8 <= rows; i += 8 {
		r0 := src[i*ld:][:kb]
		r1 := src[(i+1)*ld:][:kb]
		r2 := src[(i+2)*ld:][:kb]
		r3 := src[(i+3)*ld:][:kb]
		r4 := src[(i+4)*ld:][:kb]
		r5 := src[(i+5)*ld:][:kb]
		r6 := src[(i+6)*ld:][:kb]
		r7 := src[(i+7)*ld:][:kb]
		d := dst[i:]
		for p := range r0 {
			q := d[p*width : p*width+8 : p*width+8]
			q[0], q[1], q[2], q[3] = alpha*r0[p], alpha*r1[p], alpha*r2[p], alpha*r3[p]
			q[4], q[5], q[6], q[7] = alpha*r4[p], alpha*r5[p], alpha*r6[p], alpha*r7[p]
		}
	}
	for ; i+4 <= rows; i += 4 {
		r0 := src[i*ld:][:kb]
		r1 := src[(i+1)*ld:][:kb]
		r2 := src[(i+2)*ld:][:kb]
		r3 := src[(i+3)*ld:][:kb]
		d := dst[i:]
		if alpha == 1 {
			for p := range r0 {
				q := d[p*width : p*width+4 : p*width+4]
				q[0], q[1], q[2], q[3] = r0[p], r1[p], r2[p], r3[p]
			}
		} else {
			for p := range r0 {
				q := d[p*width : p*width+4 : p*width+4]
				q[0], q[1], q[2], q[3] = alpha*r0[p], alpha*r1[p], alpha*r2[p], alpha*r3[p]
			}
		}
	}
	for ; i < rows; i++ {
		r := src[i*ld:][:kb]
		d := dst[i:]
		for p, v := range r {
			d[p*width] = alpha * v
		}
	}
}
