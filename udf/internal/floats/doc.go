// Package floats holds the vector loops over float32 columns that the udf
// package (a cgo package, which cannot hold Go assembly) needs fast.
package floats

// ExponentsBelowPrefix checks the longest prefix of v whose length is a
// multiple of 64 with AVX-512 (16 floats per instruction) where the CPU
// has it, and returns how many floats it checked (0 without AVX-512) and
// whether each has a biased exponent below e (1 ≤ e ≤ 255): e = 255 means
// finite. The caller checks the rest.
func ExponentsBelowPrefix(v []float32, e uint64) (int, bool) { return exponentsBelowVec(v, e) }
