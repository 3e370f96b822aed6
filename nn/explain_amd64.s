//go:build amd64 && !noasm

#include "textflag.h"

// func axpyAVX2(dst, x, y *float32, a float32, n int)
//
// dst[i] = x[i] + a*y[i] for i < n (a multiple of 8): VMULPS then VADDPS,
// rounded twice like the Go loop.
TEXT ·axpyAVX2(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DX
	VBROADCASTSS a+24(FP), Y0
	MOVQ         n+32(FP), CX
	SHLQ         $2, CX
	XORQ         BX, BX

loop:
	CMPQ    BX, CX
	JAE     done
	VMULPS  (DX)(BX*1), Y0, Y1
	VADDPS  (SI)(BX*1), Y1, Y1
	VMOVUPS Y1, (DI)(BX*1)
	ADDQ    $32, BX
	JMP     loop

done:
	VZEROUPPER
	RET

// func signMaskAVX2(z *float32, n int) uint64
//
// Bit i of the result is z[i]'s sign bit, for i < n (a multiple of 8, at
// most 64): VMOVMSKPS, eight at a time from the last eight down.
TEXT ·signMaskAVX2(SB), NOSPLIT, $0-24
	MOVQ z+0(FP), SI
	MOVQ n+8(FP), DX
	XORQ AX, AX
	SUBQ $8, DX

loop:
	CMPQ      DX, $0
	JL        done
	VMOVUPS   (SI)(DX*4), Y0
	VMOVMSKPS Y0, BX
	SHLQ      $8, AX
	ORQ       BX, AX
	SUBQ      $8, DX
	JMP       loop

done:
	MOVQ AX, ret+16(FP)
	VZEROUPPER
	RET
