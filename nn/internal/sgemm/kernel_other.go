//go:build !amd64 || noasm

package sgemm

// availableKernels: only the portable Go kernel without amd64 assembly.
func availableKernels() []*microKernel { return []*microKernel{goKernel} }
