//go:build amd64 && !noasm

package nn

import "golang.org/x/sys/cpu"

// adamAVX2 is in optim_amd64.s; n must be a multiple of 8.
//
//go:noescape
func adamAVX2(params, grads, moment1, moment2 *float32, n int, k *adamConsts)

// haveAdamSIMD is whether adamBlocks runs the AVX2 loop. Tests switch it
// off to compare with the Go loop.
var haveAdamSIMD = cpu.X86.HasAVX2

// adamBlocks updates the longest prefix of p whose length is a multiple of
// 8 with the AVX2 loop and returns its length (0 without AVX2). The
// element-wise result is bit-identical to stepRange's Go loop.
func adamBlocks(p, g, m, v []float32, k *adamConsts) int {
	n := len(g) &^ 7
	if !haveAdamSIMD || n == 0 {
		return 0
	}
	_, _, _ = p[n-1], m[n-1], v[n-1]
	adamAVX2(&p[0], &g[0], &m[0], &v[0], n, k)
	return n
}

// addAVX2 is in optim_amd64.s; n must be a multiple of 8.
//
//go:noescape
func addAVX2(dst, src *float32, n int)

// addVec adds src into dst over the longest prefix whose length is a
// multiple of 8 and returns its length (0 without AVX2).
func addVec(dst, src []float32) int {
	n := len(dst) &^ 7
	if !haveSIMD || n == 0 {
		return 0
	}
	_ = src[n-1]
	addAVX2(&dst[0], &src[0], n)
	return n
}

// adam2AVX2 is in optim_amd64.s; n must be a multiple of 8.
//
//go:noescape
func adam2AVX2(params, grads0, grads1, moment1, moment2 *float32, n int, k *adamConsts)

// adam2Blocks is adamBlocks with the gradient g0 + g1, the two training
// shards' gradients (g0 is not written). The bits are those of addTo
// followed by adamBlocks.
func adam2Blocks(p, g0, g1, m, v []float32, k *adamConsts) int {
	n := len(g0) &^ 7
	if !haveAdamSIMD || n == 0 {
		return 0
	}
	_, _, _, _ = p[n-1], g1[n-1], m[n-1], v[n-1]
	adam2AVX2(&p[0], &g0[0], &g1[0], &m[0], &v[0], n, k)
	return n
}
