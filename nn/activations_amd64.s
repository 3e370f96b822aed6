//go:build amd64 && !noasm

#include "textflag.h"

// func biasReLUAVX2(z, a, b *float32, rows, cols, ld int)
//
// For every row r and column j < cols (a multiple of 8):
// z[r*ld+j] += b[j]; a[r*ld+j] = relu(z[r*ld+j]), relu being the bit
// operation of activate (u &^ (int32(u)>>31)), so the bits are those of the
// Go loops. a may be z.
TEXT ·biasReLUAVX2(SB), NOSPLIT, $0-48
	MOVQ z+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ rows+24(FP), R8
	MOVQ cols+32(FP), CX
	MOVQ ld+40(FP), R9
	SHLQ $2, CX
	SHLQ $2, R9

row:
	TESTQ R8, R8
	JE    done
	XORQ  BX, BX

col:
	CMPQ    BX, CX
	JAE     next
	VMOVUPS (DI)(BX*1), Y0
	VADDPS  (DX)(BX*1), Y0, Y0
	VMOVUPS Y0, (DI)(BX*1)
	VPSRAD  $31, Y0, Y1
	VPANDN  Y0, Y1, Y1      // ^sign & u
	VMOVUPS Y1, (SI)(BX*1)
	ADDQ    $32, BX
	JMP     col

next:
	ADDQ R9, DI
	ADDQ R9, SI
	DECQ R8
	JMP  row

done:
	VZEROUPPER
	RET

// func reluAVX2(z, a *float32, n int)
//
// a[i] = relu(z[i]) for i < n (a multiple of 8), bits as in activate.
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ z+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ n+16(FP), CX
	SHLQ $2, CX
	XORQ BX, BX

loop:
	CMPQ    BX, CX
	JAE     done
	VMOVUPS (DI)(BX*1), Y0
	VPSRAD  $31, Y0, Y1
	VPANDN  Y0, Y1, Y1
	VMOVUPS Y1, (SI)(BX*1)
	ADDQ    $32, BX
	JMP     loop

done:
	VZEROUPPER
	RET

// func reluGradAVX2(z, da, dz *float32, n int)
//
// dz[i] = da[i] if int32 bits of z[i] > 0 (z > 0), else 0, for i < n (a
// multiple of 8): activationGrad's keep mask. dz may be da.
TEXT ·reluGradAVX2(SB), NOSPLIT, $0-32
	MOVQ   z+0(FP), DI
	MOVQ   da+8(FP), SI
	MOVQ   dz+16(FP), DX
	MOVQ   n+24(FP), CX
	SHLQ   $2, CX
	XORQ   BX, BX
	VPXOR  Y2, Y2, Y2

loop:
	CMPQ     BX, CX
	JAE      done
	VMOVUPS  (DI)(BX*1), Y0
	VPCMPGTD Y2, Y0, Y1 // z > 0 as int32: all ones
	VPAND    (SI)(BX*1), Y1, Y1
	VMOVUPS  Y1, (DX)(BX*1)
	ADDQ     $32, BX
	JMP      loop

done:
	VZEROUPPER
	RET

// func columnSumsAVX2(a *float32, rows, cols, ld int, sums *float64)
//
// sums[j] = Σ_r float64(a[r*ld+j]) in row order, for j < cols (a multiple
// of 16), 16 columns at a time in four registers of float64 (0 + x is x,
// as in the Go loop, so the bits are the same).
TEXT ·columnSumsAVX2(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ cols+16(FP), CX
	MOVQ ld+24(FP), R9
	MOVQ sums+32(FP), DX
	SHLQ $2, R9

block:
	CMPQ  CX, $16
	JB    done
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ  DI, SI
	MOVQ  R8, BX

rowloop:
	TESTQ     BX, BX
	JE        store
	VCVTPS2PD 0(SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VADDPD    Y6, Y2, Y2
	VADDPD    Y7, Y3, Y3
	ADDQ      R9, SI
	DECQ      BX
	JMP       rowloop

store:
	VMOVUPD Y0, 0(DX)
	VMOVUPD Y1, 32(DX)
	VMOVUPD Y2, 64(DX)
	VMOVUPD Y3, 96(DX)
	ADDQ    $64, DI
	ADDQ    $128, DX
	SUBQ    $16, CX
	JMP     block

done:
	VZEROUPPER
	RET
