//go:build !amd64 || noasm

package sgemm

// availableKernels: only the portable Go kernel without amd64 assembly.
func availableKernels() []*microKernel { return []*microKernel{goKernel} }

// transpose16: none without amd64 assembly.
var transpose16 func(dst []float32, lddst int, src []float32, ldsrc int)

// gemvT: none without amd64 assembly (a one-column product goes through the kernel).
var gemvT func(k int, t, b, c []float32, add bool)
