package nn

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// torchFixture is nn/testdata/torch/mlp.json, written by
// nn/tools/torch_fixture.py (see its header for the regenerate command).
type torchFixture struct {
	Torch string `json:"torch"`
	Cases []struct {
		Name         string               `json:"name"`
		Inputs       int                  `json:"inputs"`
		Rows         int                  `json:"rows"`
		Layers       []LayerSpec          `json:"layers"`
		Loss         string               `json:"loss"`
		ClassWeights []float64            `json:"class_weights"`
		Train        bool                 `json:"train"`
		X            []float32            `json:"x"`
		Y            []float32            `json:"y"`
		Tensors      map[string][]float32 `json:"tensors"`
		Output       []float64            `json:"output"`
		LossValue    float64              `json:"loss_value"`
		Grads        map[string][]float64 `json:"grads"`
		RunningAfter map[string][]float64 `json:"running_after"`
		Steps        []struct {
			Optimizer struct {
				Name        Optimizer `json:"name"`
				LR          float64   `json:"lr"`
				Momentum    float64   `json:"momentum"`
				Nesterov    bool      `json:"nesterov"`
				WeightDecay float64   `json:"weight_decay"`
				Rho         float64   `json:"rho"`
				ClipNorm    float64   `json:"clip_norm"`
			} `json:"optimizer"`
			Weights map[string][]float64 `json:"weights"`
		} `json:"steps"`
	} `json:"cases"`
}

// torchClose is the fixture's tolerance: 1e-5 relative, with an absolute
// floor of 1e-6 for values near zero.
func torchClose(got float32, want float64) bool {
	return math.Abs(float64(got)-want) <= 1e-5*math.Abs(want)+1e-6
}

func TestTorchFixture(t *testing.T) {
	raw, err := os.ReadFile("testdata/torch/mlp.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx torchFixture
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.Cases) < 10 {
		t.Fatalf("fixture has %d cases", len(fx.Cases))
	}
	steps := 0
	for _, c := range fx.Cases {
		t.Run(c.Name, func(t *testing.T) {
			task := TaskRegression
			if c.Loss == LossSparseCategoricalCrossentropy || c.Loss == LossCategoricalCrossentropy {
				task = TaskMulticlass
			}
			m, err := NewModel(testSpec(c.Inputs, task, c.Layers...), 0)
			if err != nil {
				t.Fatal(err)
			}
			ts := m.Tensors()
			if len(ts) != len(c.Tensors) {
				t.Fatalf("model has %d tensors, fixture %d", len(ts), len(c.Tensors))
			}
			for _, tn := range ts {
				src, ok := c.Tensors[tn.Name]
				if !ok || len(src) != len(tn.Data) {
					t.Fatalf("tensor %s: fixture has %d values, model %d", tn.Name, len(src), len(tn.Data))
				}
				copy(tn.Data, src)
			}
			kind, _, err := m.resolveLoss(c.Loss)
			if err != nil {
				t.Fatal(err)
			}
			cw, err := m.classWeights(kind, c.ClassWeights)
			if err != nil {
				t.Fatal(err)
			}
			n, outW := c.Rows, m.OutputWidth()
			tr := newTrainer(m, n, 0)
			tr.loss, tr.fused, tr.cw = kind, kind.classification(), cw
			last := &tr.lay[len(tr.lay)-1]
			out := tr.forward(c.X, n, c.Train)
			s, w := lossGrad(kind, out, last.z, c.Y, n, outW, cw, last.da[:n*outW])
			loss := meanLoss(s, w) + tr.l2Penalty()
			tr.backward(n)

			compare := func(what string, got []float32, want []float64) {
				t.Helper()
				if len(got) != len(want) {
					t.Fatalf("%s: %d values, PyTorch %d", what, len(got), len(want))
				}
				for i := range got {
					if !torchClose(got[i], want[i]) {
						t.Errorf("%s[%d] = %.8g, PyTorch %.8g", what, i, got[i], want[i])
					}
				}
			}
			compare("output", out, c.Output)
			if !c.Train { // the inference path must agree too
				p, err := m.Predict(c.X, n)
				if err != nil {
					t.Fatal(err)
				}
				compare("Predict", p, c.Output)
			}
			if math.Abs(loss-c.LossValue) > 1e-5*math.Abs(c.LossValue)+1e-6 {
				t.Errorf("loss %.8g, PyTorch %.8g", loss, c.LossValue)
			}
			// Gradients: the trainable tensors are laid out in t.grads in order.
			grads := map[string][]float32{}
			off := 0
			for _, tn := range ts {
				if tn.Trainable {
					grads[tn.Name] = tr.grads[off : off+len(tn.Data)]
					off += len(tn.Data)
				}
			}
			if len(grads) != len(c.Grads) {
				t.Fatalf("%d gradients, PyTorch %d", len(grads), len(c.Grads))
			}
			for name, want := range c.Grads {
				compare("grad "+name, grads[name], want)
			}
			for _, tn := range ts {
				if !tn.Trainable {
					compare(tn.Name+" after the forward pass", tn.Data, c.RunningAfter[tn.Name])
				}
			}
			// Optimiser steps from the same starting weights and gradients.
			start := append([]float32(nil), m.params...)
			for _, st := range c.Steps {
				o := st.Optimizer
				opt, err := newOptimizer(OptimizerConfig{Name: o.Name, LR: o.LR, Momentum: o.Momentum, Nesterov: o.Nesterov,
					WeightDecay: o.WeightDecay, Rho: o.Rho, ClipNorm: o.ClipNorm}, len(m.params))
				if err != nil {
					t.Fatal(err)
				}
				if o.Name == OptAdamW && o.WeightDecay == 0 {
					t.Fatal("fixture AdamW without weight decay")
				}
				copy(m.params, start)
				g := append([]float32(nil), tr.grads...)
				opt.step(m.params, g)
				opt.step(m.params, g)
				for _, tn := range ts {
					if tn.Trainable {
						compare(string(o.Name)+" step: "+tn.Name, tn.Data, st.Weights[tn.Name])
					}
				}
				steps++
			}
		})
	}
	if steps < 10 {
		t.Fatalf("only %d optimiser checks ran", steps)
	}
}
