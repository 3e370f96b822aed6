//go:build amd64 && !noasm

package nn

import (
	"github.com/dense-ml/dense/nn/internal/sgemm"
	"golang.org/x/sys/cpu"
)

// colDotFMA is in shard_amd64.s.
//
//go:noescape
func colDotFMA(x *float32, ld int, w *float32, rows, cols int, out *float32, add int)

// haveColDot is whether colDot runs the vector loop (fused multiply-adds,
// like the GEMM kernels it stands in for). Tests switch it off.
var haveColDot = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// colDot sets out[j] = Σ_r w[r]·x[r*ld+j] for j < len(out), r < len(w),
// with the same operations as the GEMM kernels computing the 1×len(out)
// product wᵀ·x: fused multiply-adds in r order, in blocks of rows as deep
// as the kernels' (kBlocks), each block's sum added to out. It reports
// false, doing nothing, when it cannot (no FMA, or len(out) not a
// multiple of 8): then the caller runs the GEMM.
func colDot(x []float32, ld int, w, out []float32) bool {
	cols, rows := len(out), len(w)
	if !haveColDot || cols%8 != 0 || cols == 0 || rows == 0 {
		return false
	}
	_ = x[(rows-1)*ld+cols-1]
	nkb, kc := kBlocks(rows)
	for q := range nkb {
		r0 := q * kc
		kb := min(kc, rows-r0)
		add := 0
		if q > 0 {
			add = 1
		}
		colDotFMA(&x[r0*ld], ld, &w[r0], kb, cols, &out[0], add)
	}
	return true
}

// kBlocks is how the GEMM kernels cut a product's depth.
var kBlocks = sgemm.KBlocks

// reluGradSumsAVX2 is in shard_amd64.s.
//
//go:noescape
func reluGradSumsAVX2(z, da, dz *float32, rows, cols int, sums *float64)

// reluGradSums sets dz to the relu gradient (activationGrad's bits) and
// sums to dz's float64 column sums (columnSums' bits) in one pass, when
// the width is a multiple of 16; it reports false, doing nothing,
// otherwise (or without AVX2).
func reluGradSums(z, da, dz []float32, width int, sums []float64) bool {
	rows := len(z) / width
	if !haveSIMD || width%16 != 0 || rows == 0 {
		return false
	}
	n := rows * width
	_, _, _, _ = z[n-1], da[n-1], dz[n-1], sums[width-1]
	reluGradSumsAVX2(&z[0], &da[0], &dz[0], rows, width, &sums[0])
	return true
}
