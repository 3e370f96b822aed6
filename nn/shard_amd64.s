//go:build amd64 && !noasm

#include "textflag.h"

// func colDotFMA(x *float32, ld int, w *float32, rows, cols int, out *float32, add int)
//
// For j < cols (a multiple of 8): acc = Σ_r w[r]·x[r*ld+j], fused
// multiply-adds in r order from +0 (the micro-kernels' accumulation), then
// out[j] = acc (add == 0) or out[j] += acc. Columns go 32 at a time (four
// independent chains), then 8.
TEXT ·colDotFMA(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ ld+8(FP), R8
	SHLQ $2, R8 // row stride, bytes
	MOVQ w+16(FP), DX
	MOVQ rows+24(FP), R9
	MOVQ cols+32(FP), R13
	SHLQ $2, R13 // bytes
	MOVQ out+40(FP), DI
	MOVQ add+48(FP), R10
	XORQ R12, R12 // column offset, bytes

blk32:
	LEAQ   128(R12), AX
	CMPQ   AX, R13
	JA     blk8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	LEAQ   (SI)(R12*1), AX
	MOVQ   DX, BX
	MOVQ   R9, CX

loop32:
	TESTQ        CX, CX
	JE           store32
	VBROADCASTSS (BX), Y4
	VFMADD231PS  (AX), Y4, Y0
	VFMADD231PS  32(AX), Y4, Y1
	VFMADD231PS  64(AX), Y4, Y2
	VFMADD231PS  96(AX), Y4, Y3
	ADDQ         R8, AX
	ADDQ         $4, BX
	DECQ         CX
	JMP          loop32

store32:
	TESTQ   R10, R10
	JE      set32
	VADDPS  (DI)(R12*1), Y0, Y0
	VADDPS  32(DI)(R12*1), Y1, Y1
	VADDPS  64(DI)(R12*1), Y2, Y2
	VADDPS  96(DI)(R12*1), Y3, Y3

set32:
	VMOVUPS Y0, (DI)(R12*1)
	VMOVUPS Y1, 32(DI)(R12*1)
	VMOVUPS Y2, 64(DI)(R12*1)
	VMOVUPS Y3, 96(DI)(R12*1)
	ADDQ    $128, R12
	JMP     blk32

blk8:
	CMPQ   R12, R13
	JAE    done
	VXORPS Y0, Y0, Y0
	LEAQ   (SI)(R12*1), AX
	MOVQ   DX, BX
	MOVQ   R9, CX

loop8:
	TESTQ        CX, CX
	JE           store8
	VBROADCASTSS (BX), Y4
	VFMADD231PS  (AX), Y4, Y0
	ADDQ         R8, AX
	ADDQ         $4, BX
	DECQ         CX
	JMP          loop8

store8:
	TESTQ  R10, R10
	JE     set8
	VADDPS (DI)(R12*1), Y0, Y0

set8:
	VMOVUPS Y0, (DI)(R12*1)
	ADDQ    $32, R12
	JMP     blk8

done:
	VZEROUPPER
	RET
