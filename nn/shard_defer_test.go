package nn

import (
	"fmt"
	"math"
	"testing"
)

// deferAll defers every dense layer's weight gradient for the test.
func deferAll(t *testing.T) {
	t.Helper()
	old := deferMinParams
	deferMinParams = 1
	t.Cleanup(func() { deferMinParams = old })
}

// deferCases are the shard cases plus layers large enough to be deferred
// by default (200×96 weights: three blocks of 32 units; 170×100).
var deferCases = append([]shardCase{
	{"wide-sce", 200, TaskMulticlass, []LayerSpec{Dense(96, ReLU), Dense(3, Softmax)}, lossSCE, nil},
	// 100 units: blocks of 32, 32, 32 and 4, so the shares' products are
	// 100, 64 and 36, or 32 and 4 wide (the kernels pad them differently).
	{"wide-100", 170, TaskRegression, []LayerSpec{Dense(100, Tanh), Dense(2, Linear)}, lossMSE, nil},
}, shardCases...)

// deferOptimizers are the optimisers whose updates take deferred gradients.
var deferOptimizers = []OptimizerConfig{
	{Name: OptAdam},
	{Name: OptAdam, WeightDecay: 0.01},
	{Name: OptAdamW, WeightDecay: 0.05},
}

// runSteps trains a fresh model of case c for steps steps of n rows on
// threads goroutines and returns its parameters and the losses.
func runSteps(t *testing.T, c shardCase, opt OptimizerConfig, n, steps, threads int) ([]float32, []float64, *trainer) {
	t.Helper()
	m, tr := shardTrainer(t, c, n, threads, true)
	var err error
	if tr.opt, err = newOptimizer(opt, len(m.params)); err != nil {
		t.Fatal(err)
	}
	tr.opt.par = tr.par
	x, y, yw, idx := shardData(c, steps*n, m.OutputWidth())
	bx, by := make([]float32, n*c.inputs), make([]float32, n*yw)
	var losses []float64
	for step := range steps {
		var acc metricAcc
		s, _ := tr.step(bx, by, x, y, idx[step*n:(step+1)*n], c.inputs, yw, &acc)
		losses = append(losses, s)
		tr.update()
	}
	return m.params, losses, tr
}

// TestDeferredStepSameOnAnyThreads: deferred weight gradients (split by
// blocks of units that do not depend on the thread count) give the same
// bits on one, two and four goroutines, with L2, dropout before a
// deferred layer, Adam's weight decay and AdamW, and an odd batch.
func TestDeferredStepSameOnAnyThreads(t *testing.T) {
	deferAll(t)
	for _, c := range deferCases {
		for oi, opt := range deferOptimizers {
			for _, n := range []int{1, 37, 48} {
				var ref []float32
				for _, threads := range []int{1, 2, 4} {
					p, _, tr := runSteps(t, c, opt, n, 4, threads)
					if !tr.deferring() || !tr.def.split {
						t.Fatalf("%s: the step does not defer and split its first layer", c.name)
					}
					if ref == nil {
						ref = append([]float32(nil), p...)
						continue
					}
					for i, v := range p {
						if math.Float32bits(v) != math.Float32bits(ref[i]) {
							t.Fatalf("%s opt %d n=%d: weight %d is %v on %d threads, %v on one", c.name, oi, n, i, v, threads, ref[i])
						}
					}
				}
			}
		}
	}
}

// TestDeferredMatchesShards: a deferred step's update is the undeferred
// one's up to the order of the sums (the whole batch in one chain instead
// of two shards' sums added). Adam's epsilon is 1 so that the update is
// close to linear in the gradient and a rounding difference stays one.
func TestDeferredMatchesShards(t *testing.T) {
	for _, c := range deferCases {
		for oi, opt := range deferOptimizers {
			t.Run(fmt.Sprintf("%s/%d", c.name, oi), func(t *testing.T) {
				opt.Epsilon, opt.LR = 1, 0.05
				old := deferMinParams
				deferMinParams = math.MaxInt
				want, wantLoss, plain := runSteps(t, c, opt, 29, 3, 2)
				deferMinParams = 1
				got, gotLoss, tr := runSteps(t, c, opt, 29, 3, 2)
				deferMinParams = old
				if len(plain.def.layers) != 0 || len(tr.def.layers) == 0 {
					t.Fatalf("deferred layers: %d without, %d with", len(plain.def.layers), len(tr.def.layers))
				}
				for i := range wantLoss {
					if !close64(wantLoss[i], gotLoss[i], 1e-5) {
						t.Fatalf("step %d: loss %v deferred, %v not", i, gotLoss[i], wantLoss[i])
					}
				}
				for i := range want {
					if d := math.Abs(float64(got[i]) - float64(want[i])); d > 2e-6*(1+math.Abs(float64(want[i]))) {
						t.Fatalf("weight %d is %v deferred, %v not", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// TestDeferredFallsBack: gradient clipping (which needs the whole
// gradient's norm first) and the optimisers other than Adam/AdamW compute
// every gradient in the shards as before: the same bits as a trainer that
// defers nothing.
func TestDeferredFallsBack(t *testing.T) {
	c := deferCases[0]
	for _, opt := range []OptimizerConfig{
		{Name: OptAdam, ClipNorm: 0.5},
		{Name: OptSGD, Momentum: 0.9},
		{Name: OptRMSprop},
	} {
		old := deferMinParams
		deferMinParams = math.MaxInt
		want, _, _ := runSteps(t, c, opt, 32, 3, 2)
		deferMinParams = 1
		got, _, tr := runSteps(t, c, opt, 32, 3, 2)
		deferMinParams = old
		if tr.deferring() {
			t.Fatalf("%s clip %v: the step defers", opt.Name, opt.ClipNorm)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s clip %v: weight %d is %v, %v without deferred layers", opt.Name, opt.ClipNorm, i, got[i], want[i])
			}
		}
	}
}

// TestDeferredStepNoAllocs: a step with deferred gradients and its update
// allocate nothing, on one goroutine and on two.
func TestDeferredStepNoAllocs(t *testing.T) {
	deferAll(t)
	for _, threads := range []int{1, 2} {
		c := deferCases[0]
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
			t.Fatalf("%d threads: a step with deferred gradients allocates %v times", threads, allocs)
		}
	}
}

// TestDeferredLaterLayer: a deferred layer that is not the first keeps
// the shards' forward product (no split) and still gives the same bits on
// any number of threads and the undeferred update up to rounding.
func TestDeferredLaterLayer(t *testing.T) {
	c := shardCase{"deep-wide", 8, TaskMulticlass, []LayerSpec{Dense(16, ReLU), Dropout(0.2), Dense(160, ReLU), Dense(3, Softmax)}, lossSCE, nil}
	old := deferMinParams
	t.Cleanup(func() { deferMinParams = old })
	opt := OptimizerConfig{Name: OptAdam, Epsilon: 1, LR: 0.05}
	deferMinParams = math.MaxInt
	want, _, _ := runSteps(t, c, opt, 40, 3, 2)
	deferMinParams = 2000 // only the 16×160 layer
	var ref []float32
	for _, threads := range []int{1, 2, 4} {
		got, _, tr := runSteps(t, c, opt, 40, 3, threads)
		if len(tr.def.layers) != 1 || tr.def.layers[0].layer != 2 || tr.def.split {
			t.Fatalf("deferred layers %v, split %v", tr.def.layers, tr.def.split)
		}
		if ref == nil {
			ref = append([]float32(nil), got...)
			for i := range want {
				if d := math.Abs(float64(got[i]) - float64(want[i])); d > 2e-6*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("weight %d is %v deferred, %v not", i, got[i], want[i])
				}
			}
			continue
		}
		for i, v := range got {
			if math.Float32bits(v) != math.Float32bits(ref[i]) {
				t.Fatalf("weight %d is %v on %d threads, %v on one", i, v, threads, ref[i])
			}
		}
	}
}
