package nn

import (
	"fmt"
	"math"

	"github.com/dense-ml/dense/nn/internal/sgemm"
)

// Workspace is scratch memory for PredictInto; one per goroutine. It grows
// to the largest batch it has seen and is then reused without allocating.
type Workspace struct {
	bufs [2][]float32  // ping-pong layer outputs
	x    []float32     // Scorer.PredictColumns without a dense first layer: the rows
	gemm sgemm.Scratch // a Scorer's products
	// A Scorer's batch shared between cores: a workspace for each
	// goroutine at work, the share function (made once) and the batch.
	free  chan *Workspace
	share func(int)
	job   scoreJob
	scale []float32 // batch norm: per-feature scale and shift at inference
	shift []float32
}

// NewWorkspace returns an empty workspace; it grows on demand.
func (m *Model) NewWorkspace() *Workspace { return &Workspace{} }

// grow returns b resliced to length n, or a new slice if b is too small.
func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

// Predict runs the inference forward pass on rows×InputWidth row-major x and
// returns rows×OutputWidth outputs (probabilities for classifiers). It is
// safe for concurrent use.
func (m *Model) Predict(x []float32, rows int) ([]float32, error) {
	if err := m.checkX(x, rows); err != nil {
		return nil, err
	}
	out := make([]float32, rows*m.OutputWidth())
	ws := m.pool.Get().(*Workspace)
	m.forwardInfer(out, nil, x, rows, ws)
	m.pool.Put(ws)
	return out, nil
}

// PredictInto is Predict writing into out (len ≥ rows×OutputWidth) using ws
// for scratch; it allocates nothing once ws has grown. The results for a row
// do not depend on the other rows or on the batch size.
func (m *Model) PredictInto(out, x []float32, rows int, ws *Workspace) error {
	if err := m.checkX(x, rows); err != nil {
		return err
	}
	if need := rows * m.OutputWidth(); len(out) < need {
		return fmt.Errorf("nn: output buffer has %d values, want at least %d (%d rows × %d outputs)", len(out), need, rows, m.OutputWidth())
	}
	if ws == nil {
		return fmt.Errorf("nn: PredictInto needs a Workspace (Model.NewWorkspace)")
	}
	m.forwardInfer(out, nil, x, rows, ws)
	return nil
}

func (m *Model) checkX(x []float32, rows int) error {
	if err := m.checkRows(x, rows); err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	return nil
}

// checkRows is checkX without the package prefix.
func (m *Model) checkRows(x []float32, rows int) error {
	if rows < 0 {
		return fmt.Errorf("%d rows", rows)
	}
	if rows > math.MaxInt/max(m.inW, m.maxW) {
		return fmt.Errorf("%d rows is too many", rows)
	}
	if len(x) != rows*m.inW {
		return fmt.Errorf("input has %d values, want %d (%d rows × %d features)", len(x), rows*m.inW, rows, m.inW)
	}
	return nil
}

// forwardInfer is the inference forward pass (dropout off, batch norm on
// running statistics). If logits is not nil and the last layer is dense, its
// pre-activation is written there too (the losses on logits need it).
func (m *Model) forwardInfer(out, logits, x []float32, rows int, ws *Workspace) {
	n := rows * m.maxW
	ws.bufs[0] = grow(ws.bufs[0], n)
	ws.bufs[1] = grow(ws.bufs[1], n)
	cur, p := x, 0
	last := len(m.layers) - 1
	for i := range m.layers {
		l := &m.layers[i]
		var dst []float32
		if i == last {
			dst = out[:rows*l.out]
		} else if l.kind != kindDropout {
			dst = ws.bufs[p][:rows*l.out]
			p ^= 1
		}
		switch l.kind {
		case kindDense:
			z := dst
			if i == last && logits != nil {
				z = logits[:rows*l.out]
			}
			denseLinear(l, cur, z, rows)
			biasActivate(l.act, l.alpha, l.b, z, dst, l.out)
		case kindDropout:
			if i == last {
				copy(dst, cur)
			} else {
				continue // identity at inference
			}
		case kindBatchNorm:
			ws.scale = grow(ws.scale, l.out)
			ws.shift = grow(ws.shift, l.out)
			for j := range l.out {
				s := float32(1 / math.Sqrt(float64(l.runVar[j])+l.eps))
				ws.scale[j] = l.gamma[j] * s
				ws.shift[j] = l.beta[j] - l.runMean[j]*l.gamma[j]*s
			}
			affineRows(cur, dst, ws.scale, ws.shift)
		}
		cur = dst
	}
}

// denseLinear computes z = x·Wᵀ for rows rows; biasActivate adds the bias
// (in the same pass as the activation).
func denseLinear(l *layer, x, z []float32, rows int) {
	z = z[:rows*l.out]
	gemm(false, true, rows, l.out, l.in, 1, x, l.in, l.w, l.in, 0, z, l.out)
}

// affineRows computes dst[r,j] = src[r,j]·scale[j] + shift[j].
func affineRows(src, dst, scale, shift []float32) {
	w := len(scale)
	for r := 0; r+w <= len(src); r += w {
		s, d := src[r:r+w], dst[r:r+w]
		for j, v := range s {
			d[j] = v*scale[j] + shift[j]
		}
	}
}
