//go:build amd64 && !noasm

#include "textflag.h"

// func exponentsBelowAVX512(v *float32, n int, e uint32) bool
//
// Whether every one of the n floats at v (n a positive multiple of 64) has
// a biased exponent below e: the largest exponent field (x & 0x7f800000,
// as an unsigned integer, four running maxima) compared with e<<23.
TEXT ·exponentsBelowAVX512(SB), NOSPLIT, $0-25
	MOVQ v+0(FP), SI
	MOVQ n+8(FP), CX
	MOVL e+16(FP), AX
	SHLL $23, AX
	VPBROADCASTD AX, Z1
	MOVL $0x7f800000, AX
	VPBROADCASTD AX, Z2
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	SHRQ $6, CX
loop:
	VPANDD (SI), Z2, Z8
	VPANDD 64(SI), Z2, Z9
	VPANDD 128(SI), Z2, Z10
	VPANDD 192(SI), Z2, Z11
	VPMAXUD Z8, Z4, Z4
	VPMAXUD Z9, Z5, Z5
	VPMAXUD Z10, Z6, Z6
	VPMAXUD Z11, Z7, Z7
	ADDQ $256, SI
	DECQ CX
	JNE  loop
	VPMAXUD Z5, Z4, Z4
	VPMAXUD Z7, Z6, Z6
	VPMAXUD Z6, Z4, Z4
	VPCMPUD $5, Z1, Z4, K1
	KORTESTW K1, K1
	SETEQ ret+24(FP)
	VZEROUPPER
	RET

// func shiftAVX512(dst, src *float32, n int, shift float64)
//
// dst[i] = float32(float64(src[i]) − shift) for the n floats at src (n a
// positive multiple of 16): widened exactly, subtracted and rounded as the
// scalar conversions do (the same MXCSR rounding), 8 doubles per instruction.
TEXT ·shiftAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSD shift+24(FP), Z2
	SHRQ $4, CX
shiftloop:
	VCVTPS2PD (SI), Z0
	VCVTPS2PD 32(SI), Z1
	VSUBPD Z2, Z0, Z0
	VSUBPD Z2, Z1, Z1
	VCVTPD2PS Z0, Y0
	VCVTPD2PS Z1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNE  shiftloop
	VZEROUPPER
	RET
