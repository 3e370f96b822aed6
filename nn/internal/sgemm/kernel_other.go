//go:build !amd64 || noasm

package sgemm

// availableKernels: only the portable Go kernel without amd64 assembly.
func availableKernels() []*microKernel { return []*microKernel{goKernel} }

// transpose16: none without amd64 assembly.
var transpose16 func(dst []float32, lddst int, src []float32, ldsrc int)

// transpose4: none without amd64 assembly.
var transpose4 func(dst []float32, lddst int, src []float32, ldsrc int)

// gemvT: none without amd64 assembly (a one-column product goes through the kernel).
var gemvT func(k int, t, b, c []float32, add bool)

// haveMLP: no Stack kernels without amd64 assembly (NewStack returns nil).
const haveMLP = false

func mlpHidden(k, groups int, w []float32, ptrs []*float32, rowoff int, h, bias []float32, flags int) {
	panic("sgemm: no Stack kernel")
}

func mlpLast(k, groups int, w []float32, ptrs []*float32, rowoff int, wout, out, bias []float32, flags int, obias *float32, tail int) {
	panic("sgemm: no Stack kernel")
}

func mlpLastN(k, groups int, w []float32, ptrs []*float32, rowoff int, wout, oacc, bias []float32, flags, nout, tail int) {
	panic("sgemm: no Stack kernel")
}
