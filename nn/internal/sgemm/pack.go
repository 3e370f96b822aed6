package sgemm

// packTransposed writes dst[p*width+i] = src[i*ld+p] for i < rows,
// p < kb: rows contiguous source rows become interleaved columns of a
// micro-panel. Groups of 16 rows go through the register transposes where
// there are some: 16×16 blocks, then the columns left in 16×4 blocks (the
// last overlapping the one before it: the same values written twice), or
// more than 8 of them in one 16×16 block overlapping the one before; the
// rest is done in Go.
func packTransposed(dst, src []float32, ld, rows, kb, width int) {
	i := 0
	if transpose16 != nil && transpose4 != nil && kb >= 4 {
		p16 := kb &^ 15
		for ; i+16 <= rows; i += 16 {
			for p := 0; p < p16; p += 16 {
				transpose16(dst[p*width+i:], width, src[i*ld+p:], ld)
			}
			switch rem := kb - p16; {
			case rem == 0:
			case rem > 8 && p16 > 0:
				transpose16(dst[(kb-16)*width+i:], width, src[i*ld+kb-16:], ld)
			default:
				for p := p16; p < kb; p += 4 {
					q := min(p, kb-4)
					transpose4(dst[q*width+i:], width, src[i*ld+q:], ld)
				}
			}
		}
	}
	if i < rows {
		packTransposedGo(dst[i:], src[i*ld:], ld, rows-i, kb, width)
	}
}

// packTransposedGo is packTransposed in Go. Rows are taken eight, then
// four at a time, so each step writes contiguous bytes and reads a few
// sequential streams.
func packTransposedGo(dst, src []float32, ld, rows, kb, width int) {
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
			q[0], q[1], q[2], q[3] = r0[p], r1[p], r2[p], r3[p]
			q[4], q[5], q[6], q[7] = r4[p], r5[p], r6[p], r7[p]
		}
	}
	for ; i+4 <= rows; i += 4 {
		r0 := src[i*ld:][:kb]
		r1 := src[(i+1)*ld:][:kb]
		r2 := src[(i+2)*ld:][:kb]
		r3 := src[(i+3)*ld:][:kb]
		d := dst[i:]
		for p := range r0 {
			q := d[p*width : p*width+4 : p*width+4]
			q[0], q[1], q[2], q[3] = r0[p], r1[p], r2[p], r3[p]
		}
	}
	for ; i < rows; i++ {
		r := src[i*ld:][:kb]
		d := dst[i:]
		for p, v := range r {
			d[p*width] = v
		}
	}
}
