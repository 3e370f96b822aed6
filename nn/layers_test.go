package nn

import (
	"math"
	"testing"
)

func TestDropoutTrainingAndInference(t *testing.T) {
	const n, w, rate = 200, 50, 0.3
	m, _ := NewModel(testSpec(w, TaskRegression, Dropout(rate)), 0)
	x := make([]float32, n*w)
	for i := range x {
		x[i] = 2
	}
	tr := newTrainer(m, n, 7)
	out := tr.forward(x, n, true)
	zeros := 0
	for _, v := range out {
		switch v {
		case 0:
			zeros++
		case float32(2 / (1 - rate)):
		default:
			t.Fatalf("dropout output %v, want 0 or %v", v, 2/(1-rate))
		}
	}
	if f := float64(zeros) / float64(n*w); math.Abs(f-rate) > 0.02 {
		t.Fatalf("dropped %.3f of the units, want %.2f", f, rate)
	}
	// A different seed, a different mask; the same seed, the same mask.
	again := append([]float32(nil), newTrainer(m, n, 7).forward(x, n, true)...)
	other := newTrainer(m, n, 8).forward(x, n, true)
	same, diff := true, false
	for i := range out {
		same = same && again[i] == out[i]
		diff = diff || other[i] != out[i]
	}
	if !same || !diff {
		t.Fatalf("dropout masks: same seed equal %v, other seed differs %v", same, diff)
	}
	p, _ := m.Predict(x, n)
	for _, v := range p {
		if v != 2 {
			t.Fatalf("dropout at inference changed 2 into %v", v)
		}
	}
}

func TestBatchNormTrainingStatistics(t *testing.T) {
	// Two features over four rows, worked out by hand: feature 0 is
	// 1,2,3,4 (mean 2.5, biased var 1.25, unbiased 5/3), feature 1 is
	// constant 7 (var 0).
	m, _ := NewModel(testSpec(2, TaskRegression, BatchNorm().WithMomentum(0.75)), 0)
	x := []float32{1, 7, 2, 7, 3, 7, 4, 7}
	tr := newTrainer(m, 4, 0)
	out := tr.forward(x, 4, true)
	l := &m.layers[0]
	inv := 1 / math.Sqrt(1.25+1e-5)
	for r := range 4 {
		want := (float64(r+1) - 2.5) * inv
		if math.Abs(float64(out[2*r])-want) > 1e-6 || out[2*r+1] != 0 {
			t.Fatalf("row %d: %v %v, want %v 0", r, out[2*r], out[2*r+1], want)
		}
	}
	// running = 0.75·initial + 0.25·batch
	wantMean := []float64{0.25 * 2.5, 0.25 * 7}
	wantVar := []float64{0.75 + 0.25*5.0/3, 0.75}
	for j := range 2 {
		if math.Abs(float64(l.runMean[j])-wantMean[j]) > 1e-6 || math.Abs(float64(l.runVar[j])-wantVar[j]) > 1e-6 {
			t.Fatalf("feature %d running mean %v var %v, want %v %v", j, l.runMean[j], l.runVar[j], wantMean[j], wantVar[j])
		}
	}
	// Inference uses the running statistics.
	p, _ := m.Predict([]float32{1, 7}, 1)
	want0 := (1 - wantMean[0]) / math.Sqrt(wantVar[0]+1e-5)
	if math.Abs(float64(p[0])-want0) > 1e-5 {
		t.Fatalf("inference %v, want %v", p[0], want0)
	}
	// A batch of one row does not fail.
	out = tr.forward([]float32{5, 5}, 1, true)
	if out[0] != 0 || out[1] != 0 || math.IsNaN(float64(l.runVar[0])) {
		t.Fatalf("batch of one: %v, running var %v", out, l.runVar)
	}
}

// The training step's cross-entropy reuses the log-sum-exps its softmax
// forward pass kept: its loss and gradient must be the bits lossGrad gives
// from the logits alone, for both categorical losses, with class weights,
// inline and split across workers (2048 rows × 10 outputs is past
// parallelMin).
func TestTrainerLossReusesSoftmax(t *testing.T) {
	for _, n := range []int{7, 2048} {
		for _, k := range []lossKind{lossSCE, lossCCE} {
			for _, cw := range [][]float32{nil, {1, 2, 0.5, 1, 1, 3, 1, 1, 0.25, 1}} {
				m, err := NewModel(testSpec(12, TaskMulticlass, Dense(16, Tanh), Dense(10, Softmax)), 3)
				if err != nil {
					t.Fatal(err)
				}
				tr := newTrainer(m, n, 1)
				tr.loss, tr.fused, tr.cw = k, true, cw
				tr.par = newWorkers(2)
				x := randomInput(n, 12, 5)
				var y []float32
				for r := range n {
					if k == lossSCE {
						y = append(y, float32(r%10))
						continue
					}
					row := make([]float32, 10)
					row[(3*r)%10] = 1
					y = append(y, row...)
				}
				out := tr.forward(x, n, true)
				last := &tr.lay[len(tr.lay)-1]
				if last.lse == nil {
					t.Fatal("the softmax layer keeps no log-sum-exps")
				}
				s1, w1 := tr.lossGrad(out, y, n)
				g1 := append([]float32(nil), last.da[:n*10]...)
				g2 := make([]float32, n*10)
				s2, w2 := lossGrad(k, out, last.z, y, n, 10, cw, g2)
				if math.Float64bits(s1) != math.Float64bits(s2) || w1 != w2 {
					t.Fatalf("n %d, loss %v, weights %v: sum %v / %v from the forward pass's log-sum-exps, %v / %v from the logits", n, k, cw, s1, w1, s2, w2)
				}
				for i := range g1 {
					if math.Float32bits(g1[i]) != math.Float32bits(g2[i]) {
						t.Fatalf("n %d, loss %v: gradient %d is %v, want %v", n, k, i, g1[i], g2[i])
					}
				}
				tr.par.stop()
			}
		}
	}
}
