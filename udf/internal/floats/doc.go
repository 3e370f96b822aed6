// Package floats holds the vector loops over float32 columns that the udf
// package (a cgo package, which cannot hold Go assembly) needs fast.
package floats

// ExponentsBelowPrefix checks the longest prefix of v whose length is a
// multiple of 64 with AVX-512 (16 floats per instruction) where the CPU
// has it, and returns how many floats it checked (0 without AVX-512) and
// whether each has a biased exponent below e (1 ≤ e ≤ 255): e = 255 means
// finite. The caller checks the rest.
func ExponentsBelowPrefix(v []float32, e uint64) (int, bool) { return exponentsBelowVec(v, e) }

// ShiftPrefix writes dst[i] = float32(float64(src[i]) − shift), bit for bit
// the scalar conversions' result, for the longest prefix of src whose
// length is a multiple of 16 with AVX-512 where the CPU has it, and returns
// how many it wrote (0 without AVX-512). The caller shifts the rest; dst
// must be at least as long as that prefix.
func ShiftPrefix(dst, src []float32, shift float64) int { return shiftVec(dst, src, shift) }
