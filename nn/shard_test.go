package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dense-ml/dense/nn/internal/sgemm"
)

// shardCase is a model and loss the sharded training step is checked on.
type shardCase struct {
	name   string
	inputs int
	task   Task
	layers []LayerSpec
	loss   lossKind
	cw     []float32
}

var shardCases = []shardCase{
	{"mse", 6, TaskRegression, []LayerSpec{Dense(9, ReLU), Dense(5, Tanh), Dense(1, Linear)}, lossMSE, nil},
	{"huber-l2-nobias", 6, TaskRegression, []LayerSpec{Dense(9, GELU).WithL2(0.01), Dense(2, Linear).WithoutBias()}, lossHuber, nil},
	{"dropout-sce", 7, TaskMulticlass, []LayerSpec{Dense(16, ReLU), Dropout(0.3), Dense(12, ELU), Dense(4, Softmax)}, lossSCE, nil},
	{"sce-weights", 7, TaskMulticlass, []LayerSpec{Dense(16, LeakyReLU), Dense(4, Softmax)}, lossSCE, []float32{1, 2, 0.5, 3}},
	{"cce-weights", 7, TaskMulticlass, []LayerSpec{Dense(8, Sigmoid), Dense(4, Softmax)}, lossCCE, []float32{1, 2, 0.5, 3}},
	{"bce-weights", 5, TaskBinary, []LayerSpec{Dense(8, ReLU), Dense(1, Sigmoid)}, lossBCE, []float32{0.7, 1.6}},
}

// shardTrainer builds the model and a trainer for it (with or without
// shards) on threads goroutines.
func shardTrainer(t *testing.T, c shardCase, batch, threads int, shards bool) (*Model, *trainer) {
	t.Helper()
	m, err := NewModel(testSpec(c.inputs, c.task, c.layers...), 5)
	if err != nil {
		t.Fatal(err)
	}
	tr := newTrainer(m, batch, 3)
	if !shards {
		tr.shards = nil
	} else if tr.shards == nil {
		t.Fatal("no shards for a model without batch norm")
	}
	tr.loss, tr.fused, tr.cw = c.loss, c.loss.classification(), c.cw
	if tr.opt, err = newOptimizer(OptimizerConfig{Name: OptAdam}, len(m.params)); err != nil {
		t.Fatal(err)
	}
	tr.par = newWorkers(threads)
	tr.opt.par = tr.par
	return m, tr
}

// shardData is rows of inputs and targets for a case, and a shuffled-looking
// order of them.
func shardData(c shardCase, rows, outW int) (x, y []float32, yw int, idx []int) {
	x = randomInput(rows, c.inputs, 11)
	yw = outW
	if c.loss == lossSCE {
		yw = 1
	}
	y = make([]float32, rows*yw)
	for r := range rows {
		switch c.loss {
		case lossSCE:
			y[r] = float32((r * 7) % outW)
		case lossCCE:
			y[r*yw+(r*5)%outW] = 1
		case lossBCE:
			y[r] = float32(r % 2)
		default:
			for j := range yw {
				y[r*yw+j] = x[r*c.inputs+j] - 0.3*x[r*c.inputs+c.inputs-1]
			}
		}
	}
	for r := range rows {
		idx = append(idx, (r*37+5)%rows)
	}
	return x, y, yw, idx
}

// TestShardedStepMatchesWholeBatch: a step in shards computes the loss,
// metric and gradient of the whole batch (up to the order of the sums:
// each shard's weight gradient is summed over its own rows, then the
// shards' are added), for every loss, class weights, dropout (the same
// masks: drawn in the same order), L2 and a layer without bias, including
// a batch of one row (an empty shard) and an odd one.
func TestShardedStepMatchesWholeBatch(t *testing.T) {
	for _, c := range shardCases {
		for _, n := range []int{1, 13, 64} {
			t.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(t *testing.T) {
				m0, whole := shardTrainer(t, c, n, 1, false)
				m1, sharded := shardTrainer(t, c, n, 2, true)
				outW := m0.OutputWidth()
				x, y, yw, idx := shardData(c, 3*n, outW)
				for step := range 3 {
					ids := idx[step*n : (step+1)*n]
					var acc0, acc1 metricAcc
					bx0, by0 := make([]float32, n*c.inputs), make([]float32, n*yw)
					bx1, by1 := make([]float32, n*c.inputs), make([]float32, n*yw)
					s0, w0 := whole.step(bx0, by0, x, y, ids, c.inputs, yw, &acc0)
					s1, w1 := sharded.step(bx1, by1, x, y, ids, c.inputs, yw, &acc1)
					if !close64(s0, s1, 1e-12) || w0 != w1 || acc0.count != acc1.count || !close64(acc0.sum, acc1.sum, 1e-12) {
						t.Fatalf("step %d: loss %v/%v metric %v/%v whole, %v/%v metric %v/%v sharded", step, s0, w0, acc0.sum, acc0.count, s1, w1, acc1.sum, acc1.count)
					}
					sharded.reduceRange(0, len(sharded.grads))
					for i := range whole.grads {
						g0, g1 := float64(whole.grads[i]), float64(sharded.grads[i])
						if math.Abs(g0-g1) > 1e-6*(1+math.Abs(g0)) {
							t.Fatalf("step %d: gradient %d is %v whole, %v sharded", step, i, g0, g1)
						}
					}
					// The same update on both, so the next step starts from
					// the same weights.
					whole.update()
					copy(sharded.grads, whole.grads)
					for s := 1; s < len(sharded.shards); s++ {
						clear(sharded.shards[s].grads)
					}
					sharded.update()
					for i := range m0.params {
						if math.Float32bits(m0.params[i]) != math.Float32bits(m1.params[i]) {
							t.Fatalf("step %d: weight %d is %v whole, %v sharded from the same gradient", step, i, m0.params[i], m1.params[i])
						}
					}
				}
			})
		}
	}
}

func close64(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(a)) }

// TestShardedStepSameOnAnyThreads: the shards are fixed by the batch size,
// so one, two or four goroutines give the same bits, with and without
// gradient clipping (which sums the shards before the optimiser).
func TestShardedStepSameOnAnyThreads(t *testing.T) {
	for _, c := range shardCases {
		for _, clip := range []float64{0, 0.5} {
			const n = 48
			var ref []float32
			for _, threads := range []int{1, 2, 4} {
				m, tr := shardTrainer(t, c, n, threads, true)
				tr.opt.clip = clip
				x, y, yw, idx := shardData(c, 4*n, m.OutputWidth())
				bx, by := make([]float32, n*c.inputs), make([]float32, n*yw)
				for step := range 4 {
					var acc metricAcc
					tr.step(bx, by, x, y, idx[step*n:(step+1)*n], c.inputs, yw, &acc)
					tr.update()
				}
				if ref == nil {
					ref = append([]float32(nil), m.params...)
					continue
				}
				for i, v := range m.params {
					if math.Float32bits(v) != math.Float32bits(ref[i]) {
						t.Fatalf("%s clip %v: weight %d is %v on %d threads, %v on one", c.name, clip, i, v, threads, ref[i])
					}
				}
			}
		}
	}
}

// TestShardedStepNoAllocs: a sharded step and update allocate nothing,
// on one goroutine and on two.
func TestShardedStepNoAllocs(t *testing.T) {
	withGemm(t, gemmImpls[1].impl, func() {
		for _, threads := range []int{1, 2} {
			c := shardCases[2]
			const n = 64
			m, tr := shardTrainer(t, c, n, threads, true)
			x, y, yw, idx := shardData(c, n, m.OutputWidth())
			bx, by := make([]float32, n*c.inputs), make([]float32, n*yw)
			var acc metricAcc
			step := func() {
				tr.step(bx, by, x, y, idx, c.inputs, yw, &acc)
				tr.update()
			}
			step()
			if allocs := testing.AllocsPerRun(20, step); allocs != 0 {
				t.Fatalf("%d threads: a sharded step allocates %v times", threads, allocs)
			}
		}
	})
}

// TestShardProductsSameBits: the shapes a shard computes differently from
// the plain products give the plain products' bits under the package's
// kernel: a 1-wide layer's z = X·w as wᵀ·Xᵀ and its dW as colDot, dW as
// the transpose of xᵀ·dz and z as the transpose of W·Xᵀ, over depths of
// one and several kernel blocks.
func TestShardProductsSameBits(t *testing.T) {
	same := func(what string, a, b []float32) {
		t.Helper()
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s: element %d is %v, want %v", what, i, a[i], b[i])
			}
		}
	}
	for _, rows := range []int{1, 7, 128, 129, 300} {
		for _, in := range []int{8, 20, 32, 40, 64} {
			x := randomInput(rows, in, uint64(rows+in))
			w := randomInput(1, in, 3)
			dz := randomInput(rows, 1, 4)
			want := make([]float32, rows)
			gemm(false, true, rows, 1, in, 1, x, in, w, in, 0, want, 1)
			got := make([]float32, rows)
			gemmOn(1, false, true, 1, rows, in, 1, w, in, x, in, 0, got, rows)
			same(fmt.Sprintf("rows %d in %d: X·w", rows, in), got, want)

			wantG := make([]float32, in)
			gemm(true, false, 1, in, rows, 1, dz, 1, x, in, 0, wantG, in)
			gotG := make([]float32, in)
			if colDot(x, in, dz, gotG) {
				same(fmt.Sprintf("rows %d in %d: colDot", rows, in), gotG, wantG)
			} else if haveColDot && in%8 == 0 {
				t.Fatalf("rows %d in %d: colDot declined", rows, in)
			}

			const out = 48
			dzs := randomInput(rows, out, 5)
			wantW := make([]float32, out*in)
			gemm(true, false, out, in, rows, 1, dzs, out, x, in, 0, wantW, in)
			tmp, gotW := make([]float32, in*out), make([]float32, out*in)
			gemm(true, false, in, out, rows, 1, x, in, dzs, out, 0, tmp, out)
			sgemm.Transpose(gotW, tmp, in, out)
			same(fmt.Sprintf("rows %d in %d: dWᵀ", rows, in), gotW, wantW)

			wz := randomInput(out, in, 6)
			wantZ := make([]float32, rows*out)
			gemm(false, true, rows, out, in, 1, x, in, wz, in, 0, wantZ, out)
			tmpZ, gotZ := make([]float32, out*rows), make([]float32, rows*out)
			gemm(false, true, out, rows, in, 1, wz, in, x, in, 0, tmpZ, rows)
			sgemm.Transpose(gotZ, tmpZ, out, rows)
			same(fmt.Sprintf("rows %d in %d: zᵀ", rows, in), gotZ, wantZ)
		}
	}
}

// TestAdam2SameBits: the Adam loop that adds the two shards' gradients
// gives the bits of adding them first.
func TestAdam2SameBits(t *testing.T) {
	for _, n := range []int{1, 8, 13, 64, 1001} {
		for _, adamW := range []bool{false, true} {
			p, g0, g1 := randomInput(n, 1, 1), randomInput(n, 1, 2), randomInput(n, 1, 3)
			m, v := make([]float32, n), make([]float32, n)
			for i := range v {
				m[i], v[i] = g0[i]*0.1, g1[i]*g1[i]*1e-3
			}
			k := adamConsts{c1: 0.1, c2: 0.001, b2: 0.999, wd: 0.01, stepSize: 0.0013, invBc2Sqrt: 1 / 0.0447, eps: 1e-8, decay: 1}
			if adamW {
				k.wd, k.decay = 0, 1-0.001*0.01
			}
			p2, m2, v2, g := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...), append([]float32(nil), g0...)
			addTo(g, g1)
			done := adamBlocks(p2, g, m2, v2, &k)
			adamGo(p2[done:], g[done:], m2[done:], v2[done:], &k)
			done = adam2Blocks(p, g0, g1, m, v, &k)
			gt := append([]float32(nil), g0[done:]...)
			addTo(gt, g1[done:])
			adamGo(p[done:], gt, m[done:], v[done:], &k)
			for i := range n {
				if math.Float32bits(p[i]) != math.Float32bits(p2[i]) || m[i] != m2[i] || v[i] != v2[i] {
					t.Fatalf("n %d adamW %v element %d: %v %v %v, want %v %v %v", n, adamW, i, p[i], m[i], v[i], p2[i], m2[i], v2[i])
				}
			}
		}
	}
}

// TestReluGradSumsSameBits: the one-pass relu gradient and column sums
// give the bits of activationGrad followed by columnSums, signed zeros and
// NaNs included.
func TestReluGradSumsSameBits(t *testing.T) {
	for _, width := range []int{16, 32, 48, 64} {
		for _, rows := range []int{1, 5, 128} {
			z, da := randomInput(rows, width, 1), randomInput(rows, width, 2)
			z[0], da[1] = float32(math.Copysign(0, -1)), float32(math.NaN())
			dz, dz2 := make([]float32, rows*width), make([]float32, rows*width)
			sums, sums2 := make([]float64, width), make([]float64, width)
			if !reluGradSums(z, da, dz, width, sums) {
				if haveSIMD {
					t.Fatalf("width %d: declined", width)
				}
				return
			}
			activationGrad(actReLU, 0, z, nil, da, dz2, width)
			columnSums(dz2, width, sums2)
			for i := range dz {
				if math.Float32bits(dz[i]) != math.Float32bits(dz2[i]) {
					t.Fatalf("width %d rows %d: dz[%d] = %v, want %v", width, rows, i, dz[i], dz2[i])
				}
			}
			for j := range sums {
				if math.Float64bits(sums[j]) != math.Float64bits(sums2[j]) {
					t.Fatalf("width %d rows %d: sum %d = %v, want %v", width, rows, j, sums[j], sums2[j])
				}
			}
		}
	}
}

// TestEpochOrderShufflesLikeRand: Fit's 32-bit epoch order is permuted
// exactly as rand.Shuffle permutes the rows (the same weights as before it
// existed), epoch after epoch, and hands out the batches in order.
func TestEpochOrderShufflesLikeRand(t *testing.T) {
	for _, n := range []int{1, 2, 7, 1000, 100003} {
		order := make([]int, n)
		for i := range order {
			order[i] = (i * 7) % n
		}
		if n%7 == 0 {
			for i := range order {
				order[i] = i
			}
		}
		want := append([]int(nil), order...)
		e := newEpochOrder(order, 64)
		r1, r2 := rand.New(rand.NewPCG(3, 4)), rand.New(rand.NewPCG(3, 4))
		for range 3 {
			r1.Shuffle(n, func(i, j int) { want[i], want[j] = want[j], want[i] })
			e.shuffle(r2)
			for b := 0; b*64 < n; b++ {
				got := e.batch(b, 64)
				for i, r := range got {
					if r != want[b*64+i] {
						t.Fatalf("n %d: batch %d row %d is %d, want %d", n, b, i, r, want[b*64+i])
					}
				}
			}
		}
	}
}

// TestFirstNonFiniteOn: the split scan finds the first bad value wherever
// it is, with others after it, on any number of goroutines.
func TestFirstNonFiniteOn(t *testing.T) {
	const n = 3<<18 + 5
	v := randomInput(n, 1, 1)
	for _, threads := range []int{1, 2, 4} {
		if got := firstNonFiniteOn(v, threads); got != -1 {
			t.Fatalf("%d threads: clean data reported bad at %d", threads, got)
		}
		for _, at := range []int{0, 1, 1<<18 - 1, 1 << 18, 2<<18 + 7, n - 1} {
			w := append([]float32(nil), v...)
			w[at] = float32(math.Inf(-1))
			if at+3 < n {
				w[at+3] = float32(math.NaN())
			}
			w[n-1] = float32(math.NaN())
			if got := firstNonFiniteOn(w, threads); got != at {
				t.Fatalf("%d threads: first bad value at %d reported at %d", threads, at, got)
			}
		}
	}
}
