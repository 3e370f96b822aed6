//go:build amd64 && !noasm

#include "textflag.h"

// ADAM_CONSTS broadcasts the adamConsts at AX into Y0…Y7.
#define ADAM_CONSTS \
	VBROADCASTSS 0(AX), Y0; \
	VBROADCASTSS 4(AX), Y1; \
	VBROADCASTSS 8(AX), Y2; \
	VBROADCASTSS 12(AX), Y3; \
	VBROADCASTSS 16(AX), Y4; \
	VBROADCASTSS 20(AX), Y5; \
	VBROADCASTSS 24(AX), Y6; \
	VBROADCASTSS 28(AX), Y7

// ADAM_STEP updates the 8 parameters at DI+BX from p in Y8 and g in Y9, the
// moments at R8+BX and R9+BX, with the constants of ADAM_CONSTS:
//
//	p *= decay; g += wd*p
//	m += c1*(g-m); v = b2*v + (c2*g)*g
//	p -= (stepSize*m) / (sqrt(v)*invBc2Sqrt + eps)
#define ADAM_STEP \
	VMULPS  Y7, Y8, Y8; \
	VMULPS  Y3, Y8, Y10; \
	VADDPS  Y10, Y9, Y9; \
	VMOVUPS (R8)(BX*1), Y11; \
	VSUBPS  Y11, Y9, Y12; \
	VMULPS  Y0, Y12, Y12; \
	VADDPS  Y12, Y11, Y11; \
	VMOVUPS Y11, (R8)(BX*1); \
	VMOVUPS (R9)(BX*1), Y13; \
	VMULPS  Y2, Y13, Y13; \
	VMULPS  Y1, Y9, Y14; \
	VMULPS  Y9, Y14, Y14; \
	VADDPS  Y14, Y13, Y13; \
	VMOVUPS Y13, (R9)(BX*1); \
	VSQRTPS Y13, Y13; \
	VMULPS  Y5, Y13, Y13; \
	VADDPS  Y6, Y13, Y13; \
	VMULPS  Y4, Y11, Y11; \
	VDIVPS  Y13, Y11, Y11; \
	VSUBPS  Y11, Y8, Y8; \
	VMOVUPS Y8, (DI)(BX*1)

// func adamAVX2(params, grads, moment1, moment2 *float32, n int, k *adamConsts)
//
// One Adam/AdamW update of n (a multiple of 8) parameters, 8 per iteration,
// with the same operations in the same order as optimizer.stepRange's Go
// loop (no fused multiply-add), so both give identical bits:
//
//	p *= decay; g += wd*p
//	m += c1*(g-m); v = b2*v + (c2*g)*g
//	p -= (stepSize*m) / (sqrt(v)*invBc2Sqrt + eps)
//
// adamConsts: c1, c2, b2, wd, stepSize, invBc2Sqrt, eps, decay (float32).
TEXT ·adamAVX2(SB), NOSPLIT, $0-48
	MOVQ params+0(FP), DI
	MOVQ grads+8(FP), SI
	MOVQ moment1+16(FP), R8
	MOVQ moment2+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ k+40(FP), AX
	ADAM_CONSTS
	XORQ BX, BX
	SHLQ $2, CX // bytes

loop:
	CMPQ BX, CX
	JAE  done
	VMOVUPS (DI)(BX*1), Y8  // p
	VMOVUPS (SI)(BX*1), Y9  // g
	ADAM_STEP
	ADDQ    $32, BX
	JMP     loop

done:
	VZEROUPPER
	RET

// func addAVX2(dst, src *float32, n int)
//
// dst[i] += src[i] for i < n (a multiple of 8).
TEXT ·addAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHLQ $2, CX // bytes
	XORQ BX, BX
	MOVQ CX, DX
	ANDQ $-128, DX // bytes in blocks of 32 floats

add4:
	CMPQ    BX, DX
	JAE     add1
	VMOVUPS (DI)(BX*1), Y0
	VMOVUPS 32(DI)(BX*1), Y1
	VMOVUPS 64(DI)(BX*1), Y2
	VMOVUPS 96(DI)(BX*1), Y3
	VADDPS  (SI)(BX*1), Y0, Y0
	VADDPS  32(SI)(BX*1), Y1, Y1
	VADDPS  64(SI)(BX*1), Y2, Y2
	VADDPS  96(SI)(BX*1), Y3, Y3
	VMOVUPS Y0, (DI)(BX*1)
	VMOVUPS Y1, 32(DI)(BX*1)
	VMOVUPS Y2, 64(DI)(BX*1)
	VMOVUPS Y3, 96(DI)(BX*1)
	ADDQ    $128, BX
	JMP     add4

add1:
	CMPQ    BX, CX
	JAE     done
	VMOVUPS (DI)(BX*1), Y0
	VADDPS  (SI)(BX*1), Y0, Y0
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ    $32, BX
	JMP     add1

done:
	VZEROUPPER
	RET

// func adam2AVX2(params, grads0, grads1, moment1, moment2 *float32, n int, k *adamConsts)
//
// adamAVX2 with the gradient g = grads0 + grads1 (two training shards'
// gradients, added as addAVX2 adds them; grads0 is not written).
TEXT ·adam2AVX2(SB), NOSPLIT, $0-56
	MOVQ params+0(FP), DI
	MOVQ grads0+8(FP), SI
	MOVQ grads1+16(FP), DX
	MOVQ moment1+24(FP), R8
	MOVQ moment2+32(FP), R9
	MOVQ n+40(FP), CX
	MOVQ k+48(FP), AX
	ADAM_CONSTS
	XORQ BX, BX
	SHLQ $2, CX // bytes

loop:
	CMPQ BX, CX
	JAE  done
	VMOVUPS (DI)(BX*1), Y8  // p
	VMOVUPS (SI)(BX*1), Y9  // g0
	VADDPS  (DX)(BX*1), Y9, Y9 // g = g0 + g1
	ADAM_STEP
	ADDQ    $32, BX
	JMP     loop

done:
	VZEROUPPER
	RET
