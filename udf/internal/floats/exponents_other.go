//go:build !amd64 || noasm

package floats

// exponentsBelowVec: no vector code here; allExponentsBelow's loop checks everything.
func exponentsBelowVec(v []float32, e uint64) (int, bool) { return 0, true }

// shiftVec: no vector code here; the caller shifts everything.
func shiftVec(dst, src []float32, shift float64) int { return 0 }

// hasAVX512: no vector code here.
const hasAVX512 = false
