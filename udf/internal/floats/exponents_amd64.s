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
