package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The shared finite-difference gradient check: every layer type, every
// activation and every loss runs through the same procedure, which compares
// the backward pass's gradient of every parameter with a central difference
// of the loss (computed in float64 from the float32 forward pass).

type gradCase struct {
	name   string
	layers []LayerSpec
	task   Task
	loss   string
	train  bool // training-mode forward (batch statistics, dropout)
	cw     []float64
}

func gradCases() []gradCase {
	var cs []gradCase
	for _, act := range Activations() { // every activation on the allow list
		cs = append(cs, gradCase{name: "activation/" + string(act), task: TaskRegression, loss: LossMSE, train: true,
			layers: []LayerSpec{Dense(6, act), Dense(3, act).WithAlpha(0.2), Dense(2, Linear)}})
	}
	hidden := []LayerSpec{Dense(6, Tanh)}
	for _, l := range []string{LossMSE, LossMAE, LossHuber} {
		cs = append(cs, gradCase{name: "loss/" + l, task: TaskRegression, loss: l, train: true,
			layers: append(hidden, Dense(3, Linear))})
	}
	cs = append(cs,
		gradCase{name: "loss/binary_crossentropy", task: TaskBinary, loss: LossBinaryCrossentropy, train: true,
			layers: append(hidden, Dense(1, Sigmoid))},
		gradCase{name: "loss/binary_crossentropy_multilabel_weighted", task: TaskRegression, loss: LossBinaryCrossentropy, train: true,
			layers: append(hidden, Dense(3, Sigmoid)), cw: []float64{0.3, 2}},
		gradCase{name: "loss/categorical_crossentropy", task: TaskMulticlass, loss: LossCategoricalCrossentropy, train: true,
			layers: append(hidden, Dense(4, Softmax))},
		gradCase{name: "loss/categorical_crossentropy_weighted", task: TaskMulticlass, loss: LossCategoricalCrossentropy, train: true,
			layers: append(hidden, Dense(4, Softmax)), cw: []float64{1, 2, 0.5, 3}},
		gradCase{name: "loss/sparse_categorical_crossentropy", task: TaskMulticlass, loss: LossSparseCategoricalCrossentropy, train: true,
			layers: append(hidden, Dense(4, Softmax))},
		gradCase{name: "loss/sparse_categorical_crossentropy_weighted", task: TaskMulticlass, loss: LossSparseCategoricalCrossentropy, train: true,
			layers: append(hidden, Dense(4, Softmax)), cw: []float64{1, 2, 0.5, 3}},
		gradCase{name: "layer/dense_no_bias_l2", task: TaskRegression, loss: LossMSE, train: true,
			layers: []LayerSpec{Dense(5, Tanh).WithoutBias().WithL2(0.05), Dense(2, Linear).WithL2(0.1)}},
		gradCase{name: "layer/batchnorm_train", task: TaskRegression, loss: LossMSE, train: true,
			layers: []LayerSpec{Dense(5, Tanh), BatchNorm(), Dense(4, Sigmoid), BatchNorm(), Dense(2, Linear)}},
		gradCase{name: "layer/batchnorm_eval", task: TaskRegression, loss: LossMSE, train: false,
			layers: []LayerSpec{Dense(5, Tanh), BatchNorm(), Dense(2, Linear)}},
		gradCase{name: "layer/dropout", task: TaskRegression, loss: LossMSE, train: true,
			layers: []LayerSpec{Dense(8, Tanh), Dropout(0.4), Dense(2, Linear)}},
		gradCase{name: "layer/everything", task: TaskMulticlass, loss: LossSparseCategoricalCrossentropy, train: true,
			layers: []LayerSpec{Dense(7, GELU), BatchNorm(), Dropout(0.25), Dense(6, ELU), Dense(5, LeakyReLU).WithL2(0.01), Dense(3, Softmax)}},
	)
	return cs
}

func TestGradientCheck(t *testing.T) {
	for _, tc := range gradCases() {
		t.Run(tc.name, func(t *testing.T) { checkGradients(t, tc) })
	}
}

func checkGradients(t *testing.T, tc gradCase) {
	const in, n = 4, 7
	m, err := NewModel(testSpec(in, tc.task, tc.layers...), 11)
	if err != nil {
		t.Fatal(err)
	}
	// Non-trivial batch-norm parameters and running statistics.
	for i := range m.layers {
		if l := &m.layers[i]; l.kind == kindBatchNorm {
			for j := range l.gamma {
				l.gamma[j] = 0.8 + 0.1*float32(j)
				l.beta[j] = 0.1*float32(j) - 0.2
				l.runMean[j] = 0.05 * float32(j)
				l.runVar[j] = 0.5 + 0.2*float32(j)
			}
		}
	}
	kind, _, err := m.resolveLoss(tc.loss)
	if err != nil {
		t.Fatal(err)
	}
	cw, err := m.classWeights(kind, tc.cw)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, n*in)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	out := m.OutputWidth()
	yw := m.targetWidth(kind)
	y := make([]float32, n*yw)
	for i := range y {
		switch kind {
		case lossSCE:
			y[i] = float32(i % out)
		case lossCCE:
			if i%out == (i/out)%out {
				y[i] = 1
			}
		case lossBCE:
			y[i] = float32(i % 2)
		default:
			y[i] = float32(2 * rng.NormFloat64())
		}
	}
	tr := newTrainer(m, n, 3)
	tr.loss, tr.fused, tr.cw = kind, kind.classification(), cw
	lastL := &tr.lay[len(tr.lay)-1]
	state := append([]float32(nil), m.state...)
	lossAt := func(grad bool) float64 {
		copy(m.state, state)
		tr.rng = rand.New(rand.NewPCG(9, 9)) // the same dropout mask every time
		o := tr.forward(x, n, tc.train)
		var g []float32
		if grad {
			g = lastL.da[:n*out]
		}
		s, w := lossGrad(kind, o, lastL.z, y, n, out, cw, g)
		return meanLoss(s, w) + tr.l2Penalty()
	}
	lossAt(true)
	tr.backward(n)
	analytic := append([]float32(nil), tr.grads...)

	const h = 1e-3
	checked, skipped := 0, 0
	for i := range m.params {
		p0 := m.params[i]
		l0 := lossAt(false)
		m.params[i] = p0 + h
		lp := lossAt(false)
		hp := float64(m.params[i]) - float64(p0)
		m.params[i] = p0 - h
		lm := lossAt(false)
		hm := float64(p0) - float64(m.params[i])
		m.params[i] = p0
		num := (lp - lm) / (hp + hm)
		// A kink (relu at 0, |x| at 0) between p0-h and p0+h makes the one-sided
		// slopes disagree; such a point has no derivative to check.
		right, left := (lp-l0)/hp, (l0-lm)/hm
		if math.Abs(right-left) > 0.05*(math.Abs(right)+math.Abs(left))+1e-3 {
			skipped++
			continue
		}
		a := float64(analytic[i])
		if d := math.Abs(num - a); d > 2e-2*max(math.Abs(num), math.Abs(a))+3e-4 {
			t.Errorf("%s: gradient of parameter %d is %.6g, finite difference %.6g", m.paramName(i), i, a, num)
		}
		checked++
	}
	t.Logf("checked %d parameters, skipped %d at kinks", checked, skipped)
	if skipped*10 > checked {
		t.Fatalf("skipped %d of %d parameters at kinks", skipped, checked+skipped)
	}
	// The check must have something to check.
	var nz int
	for _, g := range analytic {
		if math.Abs(float64(g)) > 1e-4 {
			nz++
		}
	}
	if nz < len(analytic)/3 {
		t.Fatalf("only %d of %d gradients are non-zero", nz, len(analytic))
	}
}

// paramName names the tensor holding flat parameter i, for messages.
func (m *Model) paramName(i int) string {
	off := 0
	for _, ts := range m.Tensors() {
		if !ts.Trainable {
			continue
		}
		if i < off+len(ts.Data) {
			return fmt.Sprintf("%s[%d]", ts.Name, i-off)
		}
		off += len(ts.Data)
	}
	return "?"
}

// TestGradientCheckCatchesErrors makes sure the check above can fail: a
// gradient scaled by 1.1 must be reported.
func TestGradientCheckCatchesErrors(t *testing.T) {
	m, _ := NewModel(testSpec(3, TaskRegression, Dense(4, Tanh), Dense(1, Linear)), 1)
	x := []float32{0.1, -0.5, 0.9, 1.2, 0.3, -0.7}
	y := []float32{0.5, -1}
	tr := newTrainer(m, 2, 0)
	tr.loss = lossMSE
	last := &tr.lay[1]
	o := tr.forward(x, 2, true)
	lossGrad(lossMSE, o, last.z, y, 2, 1, nil, last.da[:2])
	tr.backward(2)
	g := tr.grads[0] * 1.1
	p0 := m.params[0]
	f := func(p float32) float64 {
		m.params[0] = p
		o := tr.forward(x, 2, true)
		s, w := lossGrad(lossMSE, o, last.z, y, 2, 1, nil, nil)
		return s / w
	}
	num := (f(p0+1e-3) - f(p0-1e-3)) / 2e-3
	m.params[0] = p0
	if d := math.Abs(num - float64(g)); d <= 2e-2*max(math.Abs(num), math.Abs(float64(g)))+3e-4 {
		t.Fatalf("a 10%% gradient error (%v vs %v) passes the tolerance", g, num)
	}
}
