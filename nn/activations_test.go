package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestVectorLoopsMatchGo runs the element-wise loops a training step spends
// its time in (bias + activation, relu and its gradient, column sums) with
// and without the vector versions (AVX2 on amd64) and wants the same bits,
// over widths around the vector sizes, values that include signed zeros,
// and in place as well as into another slice.
func TestVectorLoopsMatchGo(t *testing.T) {
	if !haveSIMD {
		t.Skip("no vector loops on this build or CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	rnd := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
			switch i % 13 {
			case 1:
				v[i] = 0
			case 2:
				v[i] = float32(math.Copysign(0, -1))
			}
		}
		return v
	}
	both := func(f func()) {
		t.Helper()
		haveSIMD = false
		defer func() { haveSIMD = true }()
		f()
	}
	same := func(what string, width int, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s width %d element %d: vector %v, Go %v", what, width, i, got[i], want[i])
			}
		}
	}
	for _, width := range []int{1, 7, 8, 10, 16, 17, 32, 33, 64, 128} {
		for _, rows := range []int{0, 1, 3, 64} {
			n := rows * width
			z0, b, da := rnd(n), rnd(width), rnd(n)
			for _, k := range []actKind{actReLU, actLinear, actSigmoid} {
				for _, inPlace := range []bool{false, true} {
					zv, zg := slices.Clone(z0), slices.Clone(z0)
					av, ag := make([]float32, n), make([]float32, n)
					if inPlace {
						av, ag = zv, zg
					}
					biasActivate(k, 0, b, zv, av, width)
					both(func() { biasActivate(k, 0, b, zg, ag, width) })
					same("biasActivate z", width, zv, zg)
					same("biasActivate a", width, av, ag)
				}
			}
			av, ag := make([]float32, n), make([]float32, n)
			activate(actReLU, 0, z0, av, width)
			both(func() { activate(actReLU, 0, z0, ag, width) })
			same("relu", width, av, ag)
			dv, dg := make([]float32, n), make([]float32, n)
			activationGrad(actReLU, 0, z0, av, da, dv, width)
			both(func() { activationGrad(actReLU, 0, z0, ag, da, dg, width) })
			same("relu gradient", width, dv, dg)
			sv, sg := make([]float64, width), make([]float64, width)
			sv[0], sg[0] = 5, 5 // overwritten, not added to
			columnSums(z0, width, sv)
			both(func() { columnSums(z0, width, sg) })
			for j := range sg {
				var want float64
				for r := range rows {
					want += float64(z0[r*width+j])
				}
				if math.Float64bits(sv[j]) != math.Float64bits(sg[j]) || sg[j] != want {
					t.Fatalf("column sums width %d rows %d column %d: vector %v, Go %v, want %v", width, rows, j, sv[j], sg[j], want)
				}
			}
		}
	}
}
