// Command gen writes ../kernel_amd64.s, the hand-scheduled micro-kernels of
// package sgemm. The instruction sequence is fully unrolled and repetitive,
// so it is printed by this program rather than typed. It uses only the
// standard library and lives under a directory starting with "_" so the go
// tool ignores it; run it with
//
//	cd nn/internal/sgemm/_asm && go run gen.go > ../kernel_amd64.s
//
// Both kernels compute one MR×NR tile of C from A (any two strides) and a
// packed B micro-panel:
//
//	acc[i][j] = Σ_p a[i*rsa + p*csa] · b[p*NR+j]      (p = 0 … k-1, fused multiply-adds in p order)
//	C[i][j]   = alpha·acc[i][j]            if add == 0
//	C[i][j]  += alpha·acc[i][j]            otherwise
//
// with C addressed as c + (i*ldc + j) floats.
package main

import (
	"fmt"
	"os"
	"strings"
)

var out strings.Builder

func p(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) }

// rowAddr returns the address of A's row i (0…5 from SI, 6…11 from R13)
// plus a byte displacement: rows are rsa bytes apart, R10 = rsa,
// R11 = 3·rsa, R12 = 5·rsa.
func rowAddr(i int) string {
	base := "SI"
	if i >= 6 {
		base, i = "R13", i-6
	}
	switch i {
	case 0:
		return "(" + base + ")"
	case 1:
		return "(" + base + ")(R10*1)"
	case 2:
		return "(" + base + ")(R10*2)"
	case 3:
		return "(" + base + ")(R11*1)"
	case 4:
		return "(" + base + ")(R10*4)"
	}
	return "(" + base + ")(R12*1)"
}

// prologue loads the arguments shared by both kernels:
//
//	func kernel(k int, a *float32, rsa, csa int, b, c *float32, ldc int, alpha float32, add int)
//
// A's element (i, p) is at a + i·rsa + p·csa floats, so the same kernel reads
// a packed micro-panel (rsa = 1, csa = mr), A in place (rsa = lda, csa = 1)
// or Aᵀ in place (rsa = 1, csa = lda).
func prologue(name string, mr int) {
	prologueArgs(name, mr, "alpha float32, add int", "add")
}

// prologueArgs is prologue for a kernel whose last two arguments are
// args, the last one named last (loaded into R9).
func prologueArgs(name string, mr int, args, last string) {
	p("// func %s(k int, a *float32, rsa, csa int, b, c *float32, ldc int, %s)", name, args)
	p("TEXT ·%s(SB), NOSPLIT, $0-72", name)
	p("\tMOVQ k+0(FP), CX")
	p("\tMOVQ a+8(FP), SI")
	p("\tMOVQ rsa+16(FP), R10")
	p("\tMOVQ csa+24(FP), R14")
	p("\tMOVQ b+32(FP), DI")
	p("\tMOVQ c+40(FP), DX")
	p("\tMOVQ ldc+48(FP), R8")
	p("\tMOVQ %s+64(FP), R9", last)
	p("\tSHLQ $2, R10")
	p("\tSHLQ $2, R14")
	p("\tSHLQ $2, R8")
	p("\tLEAQ (R10)(R10*2), R11")
	p("\tLEAQ (R10)(R10*4), R12")
	if mr > 6 {
		p("\tLEAQ (R11)(R11*1), R13")
		p("\tADDQ SI, R13")
	}
}

// avx512 emits the 12×32 kernel: 24 zmm accumulators (Z0…Z23), two zmm B
// rows (Z24, Z25), A elements broadcast from memory straight into the FMA.
func avx512() {
	const mr = 12
	name := "kernel12x32AVX512"
	prologue(name, mr)
	loop12x32("512")
	storeTile("512", "Z", 26, 64, mr)
}

// loop12x32 emits the 12×32 kernels' k loop over a packed A (after their
// prologue): zero the accumulators Z0…Z23, then the k steps, unrolled
// unroll times, leaving the tile in Z0…Z23 at label "store"+sfx (the other
// labels are suffixed with sfx too).
func loop12x32(sfx string) {
	const mr, nr, unroll = 12, 32, 4
	for r := 0; r < 2*mr; r++ {
		p("\tVPXORD Z%d, Z%d, Z%d", r, r, r)
	}
	step := func(off int) {
		p("\tVMOVUPS %d(DI), Z24", off*nr*4)
		p("\tVMOVUPS %d(DI), Z25", off*nr*4+64)
		for i := 0; i < mr; i++ {
			p("\tVFMADD231PS.BCST %s, Z24, Z%d", rowAddr(i), 2*i)
			p("\tVFMADD231PS.BCST %s, Z25, Z%d", rowAddr(i), 2*i+1)
		}
		p("\tADDQ R14, SI")
		p("\tADDQ R14, R13")
	}
	p("\tCMPQ CX, $%d", unroll)
	p("\tJL   tail%s", sfx)
	p("loop%s:", sfx)
	p("\tPREFETCHT0 %d(DI)", unroll*nr*4*2)
	p("\tPREFETCHT0 %d(DI)", unroll*nr*4*2+64)
	for u := 0; u < unroll; u++ {
		step(u)
	}
	p("\tADDQ $%d, DI", unroll*nr*4)
	p("\tSUBQ $%d, CX", unroll)
	p("\tCMPQ CX, $%d", unroll)
	p("\tJGE  loop%s", sfx)
	p("tail%s:", sfx)
	p("\tTESTQ CX, CX")
	p("\tJE   store%s", sfx)
	p("tailloop%s:", sfx)
	step(0)
	p("\tADDQ $%d, DI", nr*4)
	p("\tDECQ CX")
	p("\tJNE  tailloop%s", sfx)
}

// avx512Epilogue emits kernel12x32EpiAVX512, the 12×32 kernel with alpha
// fixed at 1 and the epilogue of a network's layer, for products with a
// packed op(B) (Packed):
//
//	func kernel12x32EpiAVX512(k int, a *float32, rsa, csa int, b, c *float32, ldc int, bias *float32, flags int)
//
//	v = acc[i][j]; flags&1: v = C[i][j] + v; flags&2: v = v + bias[j];
//	flags&4: v = 0 if v's sign bit is set (ReLU, on the bits, as package
//	nn does it); C[i][j] = v
//
// the same operations, in the same order, as the plain kernel followed by
// nn's bias and ReLU pass, so the bits are the same.
func avx512Epilogue() {
	const mr = 12
	name := "kernel12x32EpiAVX512"
	prologueArgs(name, mr, "bias *float32, flags int", "flags")
	p("\tMOVQ bias+56(FP), AX")
	loop12x32("epi")
	epilogueStore("epi", mr)
}

// epilogueStore emits the epilogue kernels' store of the 12×32 tile in
// Z0…Z23 (see avx512Epilogue), labels suffixed with sfx: C at DX (rows R8
// bytes apart), bias at AX, flags in R9.
func epilogueStore(sfx string, mr int) {
	p("store%s:", sfx)
	p("\tTESTQ $1, R9")
	p("\tJE   bias%s", sfx)
	p("\tMOVQ DX, BX")
	for i := 0; i < mr; i++ {
		p("\tVADDPS (BX), Z%d, Z%d", 2*i, 2*i)
		p("\tVADDPS 64(BX), Z%d, Z%d", 2*i+1, 2*i+1)
		if i < mr-1 {
			p("\tADDQ R8, BX")
		}
	}
	p("bias%s:", sfx)
	p("\tTESTQ $2, R9")
	p("\tJE   relu%s", sfx)
	p("\tVMOVUPS (AX), Z26")
	p("\tVMOVUPS 64(AX), Z27")
	for i := 0; i < mr; i++ {
		p("\tVADDPS Z26, Z%d, Z%d", 2*i, 2*i)
		p("\tVADDPS Z27, Z%d, Z%d", 2*i+1, 2*i+1)
	}
	p("relu%s:", sfx)
	p("\tTESTQ $4, R9")
	p("\tJE   write%s", sfx)
	p("\tVPXORD Z28, Z28, Z28")
	for r := 0; r < 2*mr; r++ {
		p("\tVPMAXSD Z28, Z%d, Z%d", r, r)
	}
	p("write%s:", sfx)
	for i := 0; i < mr; i++ {
		p("\tVMOVUPS Z%d, (DX)", 2*i)
		p("\tVMOVUPS Z%d, 64(DX)", 2*i+1)
		if i < mr-1 {
			p("\tADDQ R8, DX")
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// avx512Columns emits kernel12x32ColsEpiAVX512, kernel12x32EpiAVX512 with
// A given by its columns (Packed.MulColumns): A's element (i, p) is at
// cols[p] + rowoff + 4·i bytes, so a table's columns are read where they
// are, without packing A:
//
//	func kernel12x32ColsEpiAVX512(k int, cols **float32, rowoff int, b, c *float32, ldc int, bias *float32, flags int)
//
// Each k step loads its column's address, then broadcasts the 12 rows'
// elements into the same fused multiply-adds as the other kernels.
func avx512Columns() {
	const mr, nr, unroll = 12, 32, 4
	name := "kernel12x32ColsEpiAVX512"
	p("// func %s(k int, cols **float32, rowoff int, b, c *float32, ldc int, bias *float32, flags int)", name)
	p("TEXT ·%s(SB), NOSPLIT, $0-64", name)
	p("\tMOVQ k+0(FP), CX")
	p("\tMOVQ cols+8(FP), R14")
	p("\tMOVQ rowoff+16(FP), R10")
	p("\tMOVQ b+24(FP), DI")
	p("\tMOVQ c+32(FP), DX")
	p("\tMOVQ ldc+40(FP), R8")
	p("\tMOVQ bias+48(FP), AX")
	p("\tMOVQ flags+56(FP), R9")
	p("\tSHLQ $2, R8")
	for r := 0; r < 2*mr; r++ {
		p("\tVPXORD Z%d, Z%d, Z%d", r, r, r)
	}
	step := func(off int) {
		p("\tMOVQ %d(R14), SI", off*8)
		p("\tVMOVUPS %d(DI), Z24", off*nr*4)
		p("\tVMOVUPS %d(DI), Z25", off*nr*4+64)
		for i := 0; i < mr; i++ {
			p("\tVFMADD231PS.BCST %d(SI)(R10*1), Z24, Z%d", 4*i, 2*i)
			p("\tVFMADD231PS.BCST %d(SI)(R10*1), Z25, Z%d", 4*i, 2*i+1)
		}
	}
	p("\tCMPQ CX, $%d", unroll)
	p("\tJL   tailcols")
	p("loopcols:")
	p("\tPREFETCHT0 %d(DI)", unroll*nr*4*2)
	p("\tPREFETCHT0 %d(DI)", unroll*nr*4*2+64)
	for u := 0; u < unroll; u++ {
		step(u)
	}
	p("\tADDQ $%d, DI", unroll*nr*4)
	p("\tADDQ $%d, R14", unroll*8)
	p("\tSUBQ $%d, CX", unroll)
	p("\tCMPQ CX, $%d", unroll)
	p("\tJGE  loopcols")
	p("tailcols:")
	p("\tTESTQ CX, CX")
	p("\tJE   storecols")
	p("tailloopcols:")
	step(0)
	p("\tADDQ $%d, DI", nr*4)
	p("\tADDQ $8, R14")
	p("\tDECQ CX")
	p("\tJNE  tailloopcols")
	epilogueStore("cols", mr)
}

// avx2 emits the 6×16 kernel: 12 ymm accumulators (Y0…Y11), two ymm B rows
// (Y12, Y13) and two broadcast registers (Y14, Y15) used alternately.
func avx2() {
	const mr, nr, unroll = 6, 16, 4
	name := "kernel6x16AVX2"
	prologue(name, mr)
	for r := 0; r < 2*mr; r++ {
		p("\tVXORPS Y%d, Y%d, Y%d", r, r, r)
	}
	step := func(off int) {
		p("\tVMOVUPS %d(DI), Y12", off*nr*4)
		p("\tVMOVUPS %d(DI), Y13", off*nr*4+32)
		for i := 0; i < mr; i++ {
			bc := 14 + i%2
			p("\tVBROADCASTSS %s, Y%d", rowAddr(i), bc)
			p("\tVFMADD231PS Y12, Y%d, Y%d", bc, 2*i)
			p("\tVFMADD231PS Y13, Y%d, Y%d", bc, 2*i+1)
		}
		p("\tADDQ R14, SI")
	}
	p("\tCMPQ CX, $%d", unroll)
	p("\tJL   tail256")
	p("loop256:")
	p("\tPREFETCHT0 %d(DI)", unroll*nr*4*2)
	for u := 0; u < unroll; u++ {
		step(u)
	}
	p("\tADDQ $%d, DI", unroll*nr*4)
	p("\tSUBQ $%d, CX", unroll)
	p("\tCMPQ CX, $%d", unroll)
	p("\tJGE  loop256")
	p("tail256:")
	p("\tTESTQ CX, CX")
	p("\tJE   store256")
	p("tailloop256:")
	step(0)
	p("\tADDQ $%d, DI", nr*4)
	p("\tDECQ CX")
	p("\tJNE  tailloop256")
	storeTile("256", "Y", 14, 32, mr)
}

// storeTile emits the store of a plain kernel's mr×2 tile of registers
// reg0…: scaled by alpha (into register scale), then added to C or
// written over it (R9: add), C at DX with rows R8 bytes apart, the second
// register of a row off bytes after the first; labels suffixed with sfx.
func storeTile(sfx, reg string, scale, off, mr int) {
	p("store%s:", sfx)
	p("\tVBROADCASTSS alpha+56(FP), %s%d", reg, scale)
	for r := 0; r < 2*mr; r++ {
		p("\tVMULPS %s%d, %s%d, %s%d", reg, scale, reg, r, reg, r)
	}
	p("\tTESTQ R9, R9")
	p("\tJE   overwrite%s", sfx)
	for i := 0; i < mr; i++ {
		p("\tVADDPS (DX), %s%d, %s%d", reg, 2*i, reg, 2*i)
		p("\tVADDPS %d(DX), %s%d, %s%d", off, reg, 2*i+1, reg, 2*i+1)
		p("\tVMOVUPS %s%d, (DX)", reg, 2*i)
		p("\tVMOVUPS %s%d, %d(DX)", reg, 2*i+1, off)
		if i < mr-1 {
			p("\tADDQ R8, DX")
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
	p("overwrite%s:", sfx)
	for i := 0; i < mr; i++ {
		p("\tVMOVUPS %s%d, (DX)", reg, 2*i)
		p("\tVMOVUPS %s%d, %d(DX)", reg, 2*i+1, off)
		if i < mr-1 {
			p("\tADDQ R8, DX")
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// transpose emits a 16×16 transpose through registers, used to pack
// op(B) = Bᵀ (the forward pass x·Wᵀ) without a scalar gather:
//
//	dst[p*lddst + i] = src[i*ldsrc + p]    (i, p < 16)
//
// Rows go into Z0…Z15, then four rounds of shuffles (32-bit interleave,
// 64-bit interleave, two 128-bit lane shuffles) turn rows into columns.
func transpose() {
	name := "transpose16x16AVX512"
	p("// func %s(dst *float32, lddst int, src *float32, ldsrc int)", name)
	p("TEXT ·%s(SB), NOSPLIT, $0-32", name)
	p("\tMOVQ dst+0(FP), DI")
	p("\tMOVQ lddst+8(FP), R8")
	p("\tMOVQ src+16(FP), SI")
	p("\tMOVQ ldsrc+24(FP), R9")
	p("\tSHLQ $2, R8")
	p("\tSHLQ $2, R9")
	for i := 0; i < 16; i++ {
		p("\tVMOVUPS (SI), Z%d", i)
		if i < 15 {
			p("\tADDQ R9, SI")
		}
	}
	// Go's operand order is Intel's reversed: OP src2, src1, dst.
	for a := 0; a < 8; a++ {
		p("\tVUNPCKLPS Z%d, Z%d, Z%d", 2*a+1, 2*a, 16+2*a)
		p("\tVUNPCKHPS Z%d, Z%d, Z%d", 2*a+1, 2*a, 16+2*a+1)
	}
	for g := 0; g < 4; g++ {
		t := 16 + 4*g
		p("\tVUNPCKLPD Z%d, Z%d, Z%d", t+2, t, 4*g)
		p("\tVUNPCKHPD Z%d, Z%d, Z%d", t+2, t, 4*g+1)
		p("\tVUNPCKLPD Z%d, Z%d, Z%d", t+3, t+1, 4*g+2)
		p("\tVUNPCKHPD Z%d, Z%d, Z%d", t+3, t+1, 4*g+3)
	}
	for _, h := range []int{0, 8} {
		for i := 0; i < 4; i++ {
			p("\tVSHUFF32X4 $0x88, Z%d, Z%d, Z%d", h+4+i, h+i, 16+h+i)
			p("\tVSHUFF32X4 $0xdd, Z%d, Z%d, Z%d", h+4+i, h+i, 16+h+4+i)
		}
	}
	for i := 0; i < 8; i++ {
		p("\tVSHUFF32X4 $0x88, Z%d, Z%d, Z%d", 16+8+i, 16+i, i)
		p("\tVSHUFF32X4 $0xdd, Z%d, Z%d, Z%d", 16+8+i, 16+i, 8+i)
	}
	for i := 0; i < 16; i++ {
		p("\tVMOVUPS Z%d, (DI)", i)
		if i < 15 {
			p("\tADDQ R8, DI")
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// transpose4 emits a 16×4 transpose, for the columns of a transpose left
// over after the 16×16 blocks:
//
//	dst[p*lddst + i] = src[i*ldsrc + p]    (i < 16, p < 4)
//
// Row i's four floats go into 128-bit lane i/4 of register i%4, so one
// in-lane 4×4 transpose (32-bit, then 64-bit interleaves) leaves column p
// of the 16 rows, in row order, in one register.
func transpose4() {
	name := "transpose16x4AVX512"
	p("// func %s(dst *float32, lddst int, src *float32, ldsrc int)", name)
	p("TEXT ·%s(SB), NOSPLIT, $0-32", name)
	p("\tMOVQ dst+0(FP), DI")
	p("\tMOVQ lddst+8(FP), R8")
	p("\tMOVQ src+16(FP), SI")
	p("\tMOVQ ldsrc+24(FP), R9")
	p("\tSHLQ $2, R8")
	p("\tSHLQ $2, R9")
	p("\tLEAQ (R9)(R9*2), R11")
	p("\tLEAQ (R9*4), R10")
	rows := []string{"(SI)", "(SI)(R9*1)", "(SI)(R9*2)", "(SI)(R11*1)"}
	for r := 0; r < 4; r++ {
		p("\tVMOVUPS %s, X%d", rows[r], r)
	}
	for l := 1; l < 4; l++ {
		p("\tADDQ R10, SI")
		for r := 0; r < 4; r++ {
			p("\tVINSERTF32X4 $%d, %s, Z%d, Z%d", l, rows[r], r, r)
		}
	}
	// Go's operand order is Intel's reversed: OP src2, src1, dst.
	p("\tVUNPCKLPS Z1, Z0, Z4")
	p("\tVUNPCKHPS Z1, Z0, Z5")
	p("\tVUNPCKLPS Z3, Z2, Z6")
	p("\tVUNPCKHPS Z3, Z2, Z7")
	p("\tVUNPCKLPD Z6, Z4, Z0")
	p("\tVUNPCKHPD Z6, Z4, Z1")
	p("\tVUNPCKLPD Z7, Z5, Z2")
	p("\tVUNPCKHPD Z7, Z5, Z3")
	for c := 0; c < 4; c++ {
		p("\tVMOVUPS Z%d, (DI)", c)
		if c < 3 {
			p("\tADDQ R8, DI")
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// gemv emits the one-column product of 16·g rows given transposed, the
// rows in the lanes of g zmm accumulators:
//
//	acc[i] = Σ_p t[p*16g + i] · b[p]     (p = 0 … k-1, fused multiply-adds in p order)
//	c[i]   = acc[i]  if add == 0, c[i] += acc[i] otherwise   (i < 16·g)
//
// the arithmetic of the kernels' column j = 0 with alpha = 1, so a
// one-unit output layer gives the same bits as through a padded tile.
func gemv(g int) {
	name := fmt.Sprintf("gemvT%dAVX512", 16*g)
	p("// func %s(k int, t, b, c *float32, add int)", name)
	p("TEXT ·%s(SB), NOSPLIT, $0-40", name)
	p("\tMOVQ k+0(FP), CX")
	p("\tMOVQ t+8(FP), SI")
	p("\tMOVQ b+16(FP), DI")
	p("\tMOVQ c+24(FP), DX")
	p("\tMOVQ add+32(FP), R9")
	for c := 0; c < g; c++ {
		p("\tVPXORD Z%d, Z%d, Z%d", c, c, c)
	}
	p("\tTESTQ CX, CX")
	p("\tJE   store%d", g)
	p("loop%d:", g)
	p("\tVBROADCASTSS (DI), Z16")
	for c := 0; c < g; c++ {
		p("\tVFMADD231PS %d(SI), Z16, Z%d", 64*c, c)
	}
	p("\tADDQ $%d, SI", 64*g)
	p("\tADDQ $4, DI")
	p("\tDECQ CX")
	p("\tJNE  loop%d", g)
	p("store%d:", g)
	p("\tTESTQ R9, R9")
	p("\tJE   overwrite%d", g)
	for c := 0; c < g; c++ {
		p("\tVADDPS %d(DX), Z%d, Z%d", 64*c, c, c)
	}
	p("overwrite%d:", g)
	for c := 0; c < g; c++ {
		p("\tVMOVUPS Z%d, %d(DX)", c, 64*c)
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// The Stack kernels (see mlp).
const (
	mlpHidden = iota
	mlpLast
	mlpLastN
)

// mlp emits a kernel of a Stack (a network's hidden layers, the last fused
// with the output layer, scored feature-major: 16 rows in the 16 lanes of
// a zmm register, one register per unit). Layer l's output for 16 rows is
//
//	acc[j][i] = Σ_p w[j][p] · x[p][i]      (p = 0 … k-1, fused multiply-adds in p order, from zero)
//	v = acc[j][i]; flags&2: v = v + bias[j]; flags&4: ReLU (as the 12×32 epilogue kernel)
//
// the operations the row-major kernels do on element (i, j) (a product
// commutes exactly), units 16 at a time (groups), the group's weights
// packed as w[g][p][j]. x[p] is ptrs[p] + rowoff bytes: a table's
// columns, or the previous layer's output. Hidden:
//
//	func mlpHiddenAVX512(k, groups int, w *float32, ptrs **float32, rowoff int, h, bias *float32, flags int)
//
// writes v to h[(16g+j)*16 + i]. Last (fused with the one-unit output
// layer, so the last hidden layer is never stored):
//
//	func mlpLastAVX512(k, groups int, w *float32, ptrs **float32, rowoff int, wout, out, bias *float32, flags int, obias *float32, tail int)
//
// chains o[i] = fma(v[j][i], wout[j], o[i]) over the units j in order
// from o = 0 (the output layer's product: the row-major kernels' chain
// over its k), the last group's first tail units only (the others pad
// the layer to whole groups), then flags&8: o = o + obias[0], and writes
// out[0…15]. Last with nout outputs:
//
//	func mlpLastNAVX512(k, groups int, w *float32, ptrs **float32, rowoff int, wout, oacc, bias *float32, flags, nout, tail int)
//
// chains oacc[c][i] = fma(v[j][i], wout[c*16·groups + j], oacc[c][i]) the
// same way for each output c < nout, the chains kept in oacc (zero on
// entry) between groups.
func mlp(kind int) {
	const unroll = 4
	name := "mlpHiddenAVX512"
	args := "k, groups int, w *float32, ptrs **float32, rowoff int, h, bias *float32, flags int"
	size := 64
	switch kind {
	case mlpLast:
		name = "mlpLastAVX512"
		args = "k, groups int, w *float32, ptrs **float32, rowoff int, wout, out, bias *float32, flags int, obias *float32, tail int"
		size = 88
	case mlpLastN:
		name = "mlpLastNAVX512"
		args = "k, groups int, w *float32, ptrs **float32, rowoff int, wout, oacc, bias *float32, flags, nout, tail int"
		size = 88
	}
	p("// func %s(%s)", name, args)
	p("TEXT ·%s(SB), NOSPLIT, $0-%d", name, size)
	p("\tMOVQ groups+8(FP), BX")
	p("\tMOVQ w+16(FP), DI")
	p("\tMOVQ ptrs+24(FP), R14")
	p("\tMOVQ rowoff+32(FP), R10")
	switch kind {
	case mlpLast:
		p("\tMOVQ wout+40(FP), R12")
		p("\tMOVQ out+48(FP), R13")
		p("\tMOVQ bias+56(FP), AX")
		p("\tMOVQ flags+64(FP), R9")
		p("\tMOVQ obias+72(FP), R8")
		p("\tVPXORD Z30, Z30, Z30")
	case mlpLastN:
		p("\tMOVQ wout+40(FP), R12")
		p("\tMOVQ bias+56(FP), AX")
		p("\tMOVQ flags+64(FP), R9")
		p("\tMOVQ BX, DX")
		p("\tSHLQ $6, DX") // one output's weights: 64 bytes per group
	default:
		p("\tMOVQ h+40(FP), DX")
		p("\tMOVQ bias+48(FP), AX")
		p("\tMOVQ flags+56(FP), R9")
	}
	p("\tVPXORD Z31, Z31, Z31")
	sfx := [...]string{"h", "l", "n"}[kind]
	step := func(u int) {
		b := 16 + u
		p("\tMOVQ %d(R11), SI", 8*u)
		p("\tVMOVUPS (SI)(R10*1), Z%d", b)
		for j := 0; j < 16; j++ {
			p("\tVFMADD231PS.BCST %d(DI), Z%d, Z%d", 64*u+4*j, b, j)
		}
	}
	p("group%s:", sfx)
	for j := 0; j < 16; j++ {
		p("\tVPXORD Z%d, Z%d, Z%d", j, j, j)
	}
	p("\tMOVQ k+0(FP), CX")
	p("\tMOVQ R14, R11")
	p("\tCMPQ CX, $%d", unroll)
	p("\tJL   tail%s", sfx)
	p("loop%s:", sfx)
	for u := 0; u < unroll; u++ {
		step(u)
	}
	p("\tADDQ $%d, R11", 8*unroll)
	p("\tADDQ $%d, DI", 64*unroll)
	p("\tSUBQ $%d, CX", unroll)
	p("\tCMPQ CX, $%d", unroll)
	p("\tJGE  loop%s", sfx)
	p("tail%s:", sfx)
	p("\tTESTQ CX, CX")
	p("\tJE   bias%s", sfx)
	p("tailloop%s:", sfx)
	step(0)
	p("\tADDQ $8, R11")
	p("\tADDQ $64, DI")
	p("\tDECQ CX")
	p("\tJNE  tailloop%s", sfx)
	p("bias%s:", sfx)
	p("\tTESTQ $2, R9")
	p("\tJE   relu%s", sfx)
	for j := 0; j < 16; j++ {
		p("\tVADDPS.BCST %d(AX), Z%d, Z%d", 4*j, j, j)
	}
	p("relu%s:", sfx)
	p("\tTESTQ $4, R9")
	p("\tJE   store%s", sfx)
	for j := 0; j < 16; j++ {
		p("\tVPMAXSD Z31, Z%d, Z%d", j, j)
	}
	p("store%s:", sfx)
	switch kind {
	case mlpLastN:
		p("\tMOVQ nout+72(FP), CX")
		p("\tMOVQ R12, R11")
		p("\tMOVQ oacc+48(FP), R8")
		p("\tCMPQ BX, $1")
		p("\tJEQ  tailc%s", sfx)
		p("chainc%s:", sfx)
		p("\tVMOVUPS (R8), Z30")
		for j := 0; j < 16; j++ {
			p("\tVFMADD231PS.BCST %d(R11), Z%d, Z30", 4*j, j)
		}
		p("\tVMOVUPS Z30, (R8)")
		p("\tADDQ $64, R8")
		p("\tADDQ DX, R11")
		p("\tDECQ CX")
		p("\tJNE  chainc%s", sfx)
		p("\tJMP  chained%s", sfx)
		p("tailc%s:", sfx)
		p("\tVMOVUPS (R8), Z30")
		for j := 0; j < 16; j++ {
			p("\tVFMADD231PS.BCST %d(R11), Z%d, Z30", 4*j, j)
			if j < 15 {
				p("\tCMPQ tail+80(FP), $%d", j+1)
				p("\tJEQ  tailw%s", sfx)
			}
		}
		p("tailw%s:", sfx)
		p("\tVMOVUPS Z30, (R8)")
		p("\tADDQ $64, R8")
		p("\tADDQ DX, R11")
		p("\tDECQ CX")
		p("\tJNE  tailc%s", sfx)
		p("chained%s:", sfx)
		p("\tADDQ $64, R12")
	case mlpLast:
		p("\tCMPQ BX, $1")
		p("\tJNE  chain%s", sfx)
		p("\tMOVQ tail+80(FP), CX")
		for j := 0; j < 16; j++ {
			p("\tVFMADD231PS.BCST %d(R12), Z%d, Z30", 4*j, j)
			if j < 15 {
				p("\tCMPQ CX, $%d", j+1)
				p("\tJEQ  chained%s", sfx)
			}
		}
		p("\tJMP  chained%s", sfx)
		p("chain%s:", sfx)
		for j := 0; j < 16; j++ {
			p("\tVFMADD231PS.BCST %d(R12), Z%d, Z30", 4*j, j)
		}
		p("chained%s:", sfx)
		p("\tADDQ $64, R12")
	default:
		for j := 0; j < 16; j++ {
			p("\tVMOVUPS Z%d, %d(DX)", j, 64*j)
		}
		p("\tADDQ $1024, DX")
	}
	p("\tADDQ $64, AX")
	p("\tDECQ BX")
	p("\tJNE  group%s", sfx)
	if kind == mlpLast {
		p("\tTESTQ $8, R9")
		p("\tJE   write%s", sfx)
		p("\tVADDPS.BCST (R8), Z30, Z30")
		p("write%s:", sfx)
		p("\tVMOVUPS Z30, (R13)")
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

func main() {
	p("// Code generated by _asm/gen.go; DO NOT EDIT.")
	p("")
	p("//go:build amd64 && !noasm")
	p("")
	p("#include \"textflag.h\"")
	p("")
	avx512()
	p("")
	avx512Epilogue()
	p("")
	avx512Columns()
	p("")
	avx2()
	p("")
	transpose()
	p("")
	transpose4()
	p("")
	gemv(1)
	p("")
	gemv(4)
	p("")
	mlp(mlpHidden)
	p("")
	mlp(mlpLast)
	p("")
	mlp(mlpLastN)
	os.Stdout.WriteString(out.String())
}
