package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdamVectorMatchesGo checks that the vector Adam loop (AVX2 on amd64)
// gives the same bits as the Go loop, for Adam and AdamW, on lengths that
// are and are not multiples of its width, including zero gradients and
// moments and signed zeros.
func TestAdamVectorMatchesGo(t *testing.T) {
	if !haveAdamSIMD {
		t.Skip("no vector Adam loop on this build or CPU")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, adamW := range []bool{false, true} {
		for _, n := range []int{1, 7, 8, 9, 64, 1001} {
			p := make([]float32, n)
			g := make([]float32, n)
			m := make([]float32, n)
			v := make([]float32, n)
			for i := range n {
				p[i] = float32(rng.NormFloat64())
				g[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)-8)))
				m[i] = float32(rng.NormFloat64() * 1e-3)
				v[i] = float32(rng.ExpFloat64() * 1e-6)
				switch i % 11 {
				case 3:
					g[i] = 0
				case 5:
					g[i], m[i], v[i] = float32(math.Copysign(0, -1)), 0, 0
				case 7:
					p[i] = float32(math.Copysign(0, -1))
				}
			}
			k := adamConsts{c1: 0.1, c2: 0.001, b2: 0.999, wd: 0.01, stepSize: 0.0013, invBc2Sqrt: 1 / 0.0447, eps: 1e-8, decay: 1}
			if adamW {
				k.wd, k.decay = 0, 1-0.001*0.01
			}
			p2, m2, v2 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
			for range 3 { // a few steps, so the moments feed back
				done := adamBlocks(p, g, m, v, &k)
				if done != n&^7 {
					t.Fatalf("vector loop did %d of %d", done, n)
				}
				adamGo(p[done:], g[done:], m[done:], v[done:], &k)
				adamGo(p2, g, m2, v2, &k)
			}
			for i := range n {
				if math.Float32bits(p[i]) != math.Float32bits(p2[i]) || math.Float32bits(m[i]) != math.Float32bits(m2[i]) || math.Float32bits(v[i]) != math.Float32bits(v2[i]) {
					t.Fatalf("adamW=%v n=%d element %d: vector p,m,v = %v,%v,%v, Go %v,%v,%v", adamW, n, i, p[i], m[i], v[i], p2[i], m2[i], v2[i])
				}
			}
		}
	}
}
