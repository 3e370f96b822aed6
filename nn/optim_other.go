//go:build !amd64 || noasm

package nn

// adamConsts are the per-step constants of the vector Adam loop.
type adamConsts struct {
	c1, c2, b2, wd, stepSize, invBc2Sqrt, eps, decay float32
}

// haveAdamSIMD is false: there is no vector loop on this build.
var haveAdamSIMD = false

// adamBlocks does nothing here: stepRange's Go loop updates everything.
func adamBlocks(p, g, m, v []float32, k *adamConsts) int { return 0 }
