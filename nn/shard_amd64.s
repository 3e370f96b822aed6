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

// func reluGradSumsAVX2(z, da, dz *float32, rows, cols int, sums *float64)
//
// For rows of cols floats (a multiple of 16, rows packed: the stride is
// cols): dz = da where z > 0 (as int32 bits, like reluGradAVX2), else +0,
// and sums[j] = Σ_r float64(dz[r][j]) in row order (as columnSumsAVX2):
// the relu gradient and the bias gradient in one pass.
TEXT ·reluGradSumsAVX2(SB), NOSPLIT, $0-48
	MOVQ  z+0(FP), DI
	MOVQ  da+8(FP), SI
	MOVQ  dz+16(FP), DX
	MOVQ  rows+24(FP), R8
	MOVQ  cols+32(FP), CX
	MOVQ  sums+40(FP), R10
	MOVQ  CX, R9
	SHLQ  $2, R9 // row stride, bytes
	VPXOR Y15, Y15, Y15

block:
	CMPQ   CX, $16
	JB     done
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ   DI, R11
	MOVQ   SI, R12
	MOVQ   DX, R13
	MOVQ   R8, BX

rowloop:
	TESTQ     BX, BX
	JE        store
	VMOVUPS   (R11), Y4
	VMOVUPS   32(R11), Y5
	VPCMPGTD  Y15, Y4, Y4 // z > 0 as int32: all ones
	VPCMPGTD  Y15, Y5, Y5
	VPAND     (R12), Y4, Y4
	VPAND     32(R12), Y5, Y5
	VMOVUPS   Y4, (R13)
	VMOVUPS   Y5, 32(R13)
	VCVTPS2PD X4, Y6
	VEXTRACTF128 $1, Y4, X4
	VCVTPS2PD X4, Y7
	VCVTPS2PD X5, Y8
	VEXTRACTF128 $1, Y5, X5
	VCVTPS2PD X5, Y9
	VADDPD    Y6, Y0, Y0
	VADDPD    Y7, Y1, Y1
	VADDPD    Y8, Y2, Y2
	VADDPD    Y9, Y3, Y3
	ADDQ      R9, R11
	ADDQ      R9, R12
	ADDQ      R9, R13
	DECQ      BX
	JMP       rowloop

store:
	VMOVUPD Y0, 0(R10)
	VMOVUPD Y1, 32(R10)
	VMOVUPD Y2, 64(R10)
	VMOVUPD Y3, 96(R10)
	ADDQ    $64, DI
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $128, R10
	SUBQ    $16, CX
	JMP     block

done:
	VZEROUPPER
	RET
