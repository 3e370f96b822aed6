package nn

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// Benchmarks in the two sizes of the project's performance goals: an
// MNIST-shaped classifier at batch 128 and a tabular regressor at batch 256,
// under gonum's Sgemm and under the package's own sgemm kernel.
// Run with: go test ./nn/ -run '^$' -bench . -benchtime 2s

type benchNet struct {
	name   string
	inputs int
	layers []LayerSpec
	task   Task
	batch  int
}

var benchNets = []benchNet{
	{"784-128relu-10softmax", 784, []LayerSpec{Dense(128, ReLU), Dense(10, Softmax)}, TaskMulticlass, 128},
	{"20-64-32-1", 20, []LayerSpec{Dense(64, ReLU), Dense(32, ReLU), Dense(1, Linear)}, TaskRegression, 256},
}

func benchAll(b *testing.B, run func(*testing.B, benchNet)) {
	for _, g := range gemmImpls {
		for _, bn := range benchNets {
			b.Run(fmt.Sprintf("gemm=%s/%s/batch%d", g.name, bn.name, bn.batch), func(b *testing.B) {
				withGemm(b, g.impl, func() { run(b, bn) })
			})
		}
	}
}

// BenchmarkTrainStep is one Adam training step: gather, forward, loss,
// backward, update.
func BenchmarkTrainStep(b *testing.B) {
	benchAll(b, func(b *testing.B, bn benchNet) {
		m, err := NewModel(testSpec(bn.inputs, bn.task, bn.layers...), 1)
		if err != nil {
			b.Fatal(err)
		}
		kind, _, _ := m.resolveLoss("")
		n, out := bn.batch, m.OutputWidth()
		tr := newTrainer(m, n, 1)
		tr.loss, tr.fused = kind, kind.classification()
		tr.opt, _ = newOptimizer(OptimizerConfig{}, len(m.params))
		tr.par = newWorkers(runtime.GOMAXPROCS(0)) // as Fit does
		defer tr.par.stop()
		tr.opt.par = tr.par
		x := randomInput(n, bn.inputs, 1)
		yw := m.targetWidth(kind)
		y := make([]float32, n*yw)
		for i := range y {
			y[i] = float32(i % out)
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		bx, by := make([]float32, n*bn.inputs), make([]float32, n*yw)
		var acc metricAcc
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			tr.step(bx, by, x, y, idx, bn.inputs, yw, &acc)
			tr.update()
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
	})
}

// BenchmarkPredict is PredictInto with a warm workspace.
func BenchmarkPredict(b *testing.B) {
	benchAll(b, func(b *testing.B, bn benchNet) {
		m, err := NewModel(testSpec(bn.inputs, bn.task, bn.layers...), 1)
		if err != nil {
			b.Fatal(err)
		}
		n := bn.batch
		x := randomInput(n, bn.inputs, 1)
		out := make([]float32, n*m.OutputWidth())
		ws := m.NewWorkspace()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := m.PredictInto(out, x, n, ws); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
	})
}

// BenchmarkGatherBatch copies shuffled mini-batches of 256 rows out of a
// 60,000-row training set (dense bench train's default size) at 20 and 784
// inputs: gatherBatch, which touches every row before copying so the cache
// misses overlap, against copying the rows one after the other.
func BenchmarkGatherBatch(b *testing.B) {
	const rows, batch = 60000, 256
	for _, inW := range []int{20, 784} {
		x, y := randomInput(rows, inW, 1), randomInput(rows, 1, 2)
		order := rand.New(rand.NewPCG(3, 4)).Perm(rows)
		bx, by := make([]float32, batch*inW), make([]float32, batch)
		for _, v := range []struct {
			name string
			f    func(idx []int) float32
		}{
			{"gatherBatch", func(idx []int) float32 { return gatherBatch(bx, by, x, y, idx, inW, 1) }},
			{"rowByRow", func(idx []int) float32 {
				gatherRows(bx, x, idx, inW)
				gatherRows(by, y, idx, 1)
				return 0
			}},
		} {
			b.Run(fmt.Sprintf("inputs=%d/%s", inW, v.name), func(b *testing.B) {
				var sink float32
				i := 0
				for b.Loop() {
					if i+batch > rows {
						i = 0
					}
					sink += v.f(order[i : i+batch])
					i += batch
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N), "µs/batch")
				_ = sink
			})
		}
	}
}

// BenchmarkFit is whole Fit calls as `dense bench train` makes them: Adam,
// 2 epochs over generated rows (shuffled, gathered into batches, a step per
// batch), no validation.
func BenchmarkFit(b *testing.B) {
	for _, bn := range benchNets {
		rows := 60000
		if bn.inputs < 100 {
			rows = 200000
		}
		b.Run(fmt.Sprintf("%s/batch%d", bn.name, bn.batch), func(b *testing.B) {
			x := randomInput(rows, bn.inputs, 1)
			m, err := NewModel(testSpec(bn.inputs, bn.task, bn.layers...), 1)
			if err != nil {
				b.Fatal(err)
			}
			out := m.OutputWidth()
			y := make([]float32, rows)
			for i := range y {
				y[i] = float32(i % out)
				if out == 1 {
					y[i] = x[i*bn.inputs]
				}
			}
			b.ResetTimer()
			for range b.N {
				if _, err := m.Fit(b.Context(), x, y, rows, FitConfig{BatchSize: bn.batch, Epochs: 2, Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
