//go:build !amd64 || noasm

package nn

// haveAdamSIMD is false: there is no vector loop on this build.
var haveAdamSIMD = false

// adamBlocks does nothing here: stepRange's Go loop updates everything.
func adamBlocks(p, g, m, v []float32, k *adamConsts) int { return 0 }

// addVec does nothing here: addTo's Go loop adds everything.
func addVec(dst, src []float32) int { return 0 }

// adam2Blocks does nothing here: the caller adds and updates in Go.
func adam2Blocks(p, g0, g1, m, v []float32, k *adamConsts) int { return 0 }
