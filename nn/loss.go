package nn

import (
	"fmt"
	"math"
)

// Loss names.
const (
	LossMSE                           = "mse"
	LossMAE                           = "mae"
	LossHuber                         = "huber"
	LossBinaryCrossentropy            = "binary_crossentropy"
	LossCategoricalCrossentropy       = "categorical_crossentropy"
	LossSparseCategoricalCrossentropy = "sparse_categorical_crossentropy"
)

type lossKind uint8

const (
	lossMSE lossKind = iota + 1
	lossMAE
	lossHuber
	lossBCE
	lossCCE
	lossSCE
)

var lossNames = map[string]lossKind{
	LossMSE: lossMSE, LossMAE: lossMAE, LossHuber: lossHuber,
	LossBinaryCrossentropy: lossBCE, LossCategoricalCrossentropy: lossCCE, LossSparseCategoricalCrossentropy: lossSCE,
}

// DefaultLoss is the loss Fit uses for a task when neither FitConfig.Loss
// nor Spec.Loss names one (Task.DefaultLoss).
func DefaultLoss(task Task) string { return task.DefaultLoss() }

// classification reports whether the loss is a cross-entropy: computed from
// the last dense layer's logits, fused with its sigmoid or softmax.
func (k lossKind) classification() bool { return k == lossBCE || k == lossCCE || k == lossSCE }

// resolveLoss picks the loss and checks it fits the model's last layer.
func (m *Model) resolveLoss(name string) (lossKind, string, error) {
	if name == "" {
		name = m.spec.Loss
	}
	if name == "" {
		name = DefaultLoss(m.spec.Task)
	}
	k, ok := lossNames[name]
	if !ok {
		return 0, "", fmt.Errorf("nn: unknown loss %q (want mse, mae, huber, binary_crossentropy, categorical_crossentropy or sparse_categorical_crossentropy)", name)
	}
	last := &m.layers[len(m.layers)-1]
	var need Activation
	switch k {
	case lossBCE:
		need = Sigmoid
	case lossCCE, lossSCE:
		need = Softmax
	}
	if need != "" && (last.kind != kindDense || last.act != activationKind(need)) {
		return 0, "", fmt.Errorf("nn: loss %s is computed from the logits of a final dense layer with %s activation; this model's last layer is %s", name, need, m.describeLayer(len(m.layers)-1))
	}
	return k, name, nil
}

func (m *Model) describeLayer(i int) string {
	ls := m.spec.Layers[i]
	if ls.Type == LayerDense {
		return fmt.Sprintf("dense with %s activation", ls.Activation)
	}
	return ls.Type
}

// lossGrad returns the loss over n rows of width w as a weighted sum and the
// sum of the weights (their ratio is the mean loss) and, if g is not
// nil, writes its gradient: with respect to the outputs pred for the
// regression losses, with respect to the logits for the cross-entropies
// (whose pred must be the sigmoid/softmax of logits). Class weights cw (nil =
// all 1) weight each row (each element for binary cross-entropy) and the
// mean is taken over the weights, like PyTorch's weighted CrossEntropyLoss.
func lossGrad(k lossKind, pred, logits, y []float32, n, w int, cw []float32, g []float32) (sum, wsum float64) {
	return lossGradLSE(k, pred, logits, nil, y, n, w, cw, g)
}

// lossGradLSE is lossGrad given, for the categorical cross-entropies, each
// row's log-sum-exp of the logits as the softmax of the forward pass left
// it (softmaxRow: the same bits logSumExp computes); nil lse computes them.
func lossGradLSE(k lossKind, pred, logits []float32, lseRows []float64, y []float32, n, w int, cw []float32, g []float32) (sum, wsum float64) {
	return lossGradScaled(k, pred, logits, lseRows, y, n, w, cw, g, n, -1)
}

// lossGradScaled is lossGradLSE over n rows of a batch of total rows whose
// weights sum to wsumAll (lossWeightSum; -1: these n rows are the whole
// batch): the gradient is that of the whole batch's mean loss, so pieces
// of a batch (a training step's shards) each write their rows of it. The
// sums returned are those of the n rows.
func lossGradScaled(k lossKind, pred, logits []float32, lseRows []float64, y []float32, n, w int, cw []float32, g []float32, total int, wsumAll float64) (sum, wsum float64) {
	pred = pred[:n*w]
	switch k {
	case lossMSE, lossMAE, lossHuber:
		inv := 1 / float64(total*w)
		for i, p := range pred {
			d := float64(p) - float64(y[i])
			var l, dl float64
			switch k {
			case lossMSE:
				l, dl = d*d, 2*d
			case lossMAE:
				l, dl = math.Abs(d), sign(d)
			case lossHuber: // delta 1
				if math.Abs(d) <= 1 {
					l, dl = 0.5*d*d, d
				} else {
					l, dl = math.Abs(d)-0.5, sign(d)
				}
			}
			sum += l
			if g != nil {
				g[i] = float32(dl * inv)
			}
		}
		return sum, float64(n * w)
	case lossBCE:
		for i, zf := range logits[:n*w] {
			z, t := float64(zf), float64(y[i])
			c := 1.0
			if cw != nil {
				c = t*float64(cw[1]) + (1-t)*float64(cw[0])
			}
			wsum += c
			sum += c * (max(z, 0) - z*t + math.Log1p(math.Exp(-math.Abs(z))))
			if g != nil {
				g[i] = float32(c * (float64(pred[i]) - t))
			}
		}
		normalise(pick(wsumAll, wsum), g)
		return sum, wsum
	case lossCCE, lossSCE:
		for r := range n {
			z, p := logits[r*w:(r+1)*w], pred[r*w:(r+1)*w]
			var lse float64
			if lseRows != nil {
				lse = lseRows[r]
			} else {
				lse = logSumExp(z)
			}
			var c, l, ysum float64
			if k == lossSCE {
				label := int(y[r])
				c = 1
				if cw != nil {
					c = float64(cw[label])
				}
				l, ysum = lse-float64(z[label]), 1
			} else {
				yr := y[r*w : (r+1)*w]
				for j, t := range yr {
					ysum += float64(t)
					l += float64(t) * (lse - float64(z[j]))
					if cw != nil {
						c += float64(t) * float64(cw[j])
					}
				}
				if cw == nil {
					c = 1
				}
			}
			wsum += c
			sum += c * l
			if g != nil {
				gr := g[r*w : (r+1)*w]
				for j, pj := range p {
					gr[j] = float32(c * ysum * float64(pj))
				}
				if k == lossSCE {
					gr[int(y[r])] -= float32(c)
				} else {
					for j, t := range y[r*w : (r+1)*w] {
						gr[j] -= float32(c * float64(t))
					}
				}
			}
		}
		normalise(pick(wsumAll, wsum), g)
		return sum, wsum
	}
	panic("nn: unknown loss kind")
}

// pick is the whole batch's weight sum, or this piece's when it is the
// whole batch (all < 0).
func pick(all, own float64) float64 {
	if all < 0 {
		return own
	}
	return all
}

// normalise divides the gradient by the weight sum.
func normalise(wsum float64, g []float32) {
	if wsum == 0 {
		clear(g)
		return
	}
	inv := float32(1 / wsum)
	for i := range g {
		g[i] *= inv
	}
}

// meanLoss is sum/wsum, 0 when all weights are 0.
func meanLoss(sum, wsum float64) float64 {
	if wsum == 0 {
		return 0
	}
	return sum / wsum
}

func sign(d float64) float64 {
	switch {
	case d > 0:
		return 1
	case d < 0:
		return -1
	}
	return 0
}

func logSumExp(z []float32) float64 {
	m := z[0]
	for _, v := range z[1:] {
		m = max(m, v)
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v - m))
	}
	return float64(m) + math.Log(s)
}
