package nn

import (
	"math"
	"math/rand/v2"
)

// trainer holds everything a training step needs besides the weights:
// per-layer activations and gradients sized for the largest batch, the
// gradient vector (laid out like Model.params), the loss, the optimiser and
// the random source for dropout. Once built, a step allocates nothing.
type trainer struct {
	m     *Model
	grads []float32
	lay   []trainLayer
	rng   *rand.Rand
	loss  lossKind
	fused bool      // the loss takes the last dense layer's logits
	cw    []float32 // class weights, nil = all 1
	opt   *optimizer
	train bool // mode of the last forward pass

	par           *workers // nil: element-wise work runs inline
	act           actArgs
	actFn, gradFn func(lo, hi int)
	gat           batchGather
	gatherFn      func(lo, hi int) // t.gat.rows, bound once

	// Sharded steps (shard.go); shards is nil when the whole batch steps at
	// once (batch norm).
	shards                 []shard
	shardRows              int // the batch size the shards' views are set for
	args                   stepArgs
	shardFn                func(s int)
	reduceFn, reduceStepFn func(lo, hi int)
	def                    deferState // large layers' dW computed by update (shard_defer.go)
}

// trainLayer is one layer's training buffers. For a linear dense layer z
// aliases a and dz aliases da.
type trainLayer struct {
	x      []float32 // the input of the last forward pass (a view)
	z, a   []float32 // dense pre-activation, output
	da, dz []float32 // gradients with respect to a and z
	mask   []float32 // dropout: 0 or 1/(1-rate) per element
	masked bool      // dropout applied in the last forward pass
	xhat   []float32 // batch norm: normalised input
	mean   []float64 // batch norm: batch (or running) mean
	invstd []float64 // batch norm: 1/sqrt(var+eps)
	acc    []float64 // column sums
	lse    []float64 // softmax dense layer: each row's log-sum-exp (lossGrad reads it)
	acc2   []float64
	gw, gb []float32 // gradient views: dense weight/bias, batch norm gamma/beta
}

func newTrainer(m *Model, batch int, seed int64) *trainer {
	t := &trainer{m: m, grads: make([]float32, len(m.params)), lay: make([]trainLayer, len(m.layers))}
	t.rng = rand.New(rand.NewPCG(uint64(seed), 0x6e6e2d66697400)) // "nn-fit"
	t.actFn, t.gradFn = t.act.activateRows, t.act.gradRows
	t.gatherFn = t.gat.rows
	for i := range m.layers {
		l, tl := &m.layers[i], &t.lay[i]
		n := batch * l.out
		tl.a = make([]float32, n)
		tl.da = make([]float32, n)
		g := t.grads[l.pOff:]
		switch l.kind {
		case kindDense:
			tl.z, tl.dz = tl.a, tl.da
			if l.act != actLinear {
				tl.z = make([]float32, n)
				tl.dz = make([]float32, n)
			}
			tl.gw = g[:len(l.w):len(l.w)]
			if l.b != nil {
				tl.gb = g[len(l.w) : len(l.w)+l.out : len(l.w)+l.out]
			}
			tl.acc = make([]float64, l.out)
			if l.act == actSoftmax {
				tl.lse = make([]float64, batch)
			}
		case kindDropout:
			tl.mask = make([]float32, n)
		case kindBatchNorm:
			w := l.out
			tl.xhat = make([]float32, n)
			tl.mean = make([]float64, w)
			tl.invstd = make([]float64, w)
			tl.acc = make([]float64, w)
			tl.acc2 = make([]float64, w)
			tl.gw = g[:w:w]
			tl.gb = g[w : 2*w : 2*w]
		}
	}
	if canShard(m) {
		t.initShards(batch)
	}
	return t
}

// forward runs rows n of x through the network and returns the output (a
// view into the trainer's buffers). In training mode dropout is on and batch
// norm normalises with the batch's statistics and updates its running ones;
// otherwise it is the inference computation, kept differentiable.
func (t *trainer) forward(x []float32, n int, train bool) []float32 {
	m := t.m
	t.train = train
	cur := x[:n*m.inW]
	for i := range m.layers {
		l, tl := &m.layers[i], &t.lay[i]
		tl.x = cur
		a := tl.a[:n*l.out]
		switch l.kind {
		case kindDense:
			z := tl.z[:n*l.out]
			denseLinear(l, cur, z, n)
			if l.act != actLinear || l.b != nil {
				t.act = actArgs{k: l.act, alpha: l.alpha, width: l.out, b: l.b, z: z, a: a}
				if tl.lse != nil {
					t.act.lse = tl.lse[:n]
				}
				t.par.runRows(n, l.out, t.actFn)
			}
		case kindDropout:
			tl.masked = train && l.rate > 0
			if tl.masked {
				keep := 1 / (1 - l.rate)
				mask := tl.mask[:len(a)]
				for j, v := range cur {
					if t.rng.Float32() < l.rate {
						mask[j], a[j] = 0, 0
					} else {
						mask[j], a[j] = keep, v*keep
					}
				}
			} else {
				copy(a, cur)
			}
		case kindBatchNorm:
			bnForward(l, tl, cur, a, n, train)
		}
		cur = a
	}
	return cur
}

// lossGrad is the loss of the last forward pass (n rows, output out,
// targets y) and its gradient, written into the last layer's da. A softmax
// output's cross-entropy takes the log-sum-exps that forward kept rather
// than exponentiating the logits again (the same bits as lossGrad's).
func (t *trainer) lossGrad(out, y []float32, n int) (sum, wsum float64) {
	last := &t.lay[len(t.lay)-1]
	w := t.m.OutputWidth()
	var lse []float64
	if last.lse != nil {
		lse = last.lse[:n]
	}
	return lossGradLSE(t.loss, out, last.z, lse, y, n, w, t.cw, last.da[:n*w])
}

// bnForward normalises x (n rows) per feature. Training: with the batch mean
// and biased variance, updating the running mean and the running variance
// (with the unbiased batch variance, like PyTorch) as
// running = momentum·running + (1-momentum)·batch.
func bnForward(l *layer, tl *trainLayer, x, a []float32, n int, train bool) {
	w := l.out
	mean, invstd := tl.mean, tl.invstd
	xhat := tl.xhat[:n*w]
	if train {
		clear(mean)
		for r := 0; r < n*w; r += w {
			for j, v := range x[r : r+w] {
				mean[j] += float64(v)
			}
		}
		for j := range mean {
			mean[j] /= float64(n)
		}
		vr := tl.acc2
		clear(vr)
		for r := 0; r < n*w; r += w {
			for j, v := range x[r : r+w] {
				d := float64(v) - mean[j]
				vr[j] += d * d
			}
		}
		unbias := 1.0
		if n > 1 {
			unbias = float64(n) / float64(n-1)
		}
		mom := float64(l.mom)
		for j := range vr {
			v := vr[j] / float64(n)
			invstd[j] = 1 / math.Sqrt(v+l.eps)
			l.runMean[j] = float32(mom*float64(l.runMean[j]) + (1-mom)*mean[j])
			l.runVar[j] = float32(mom*float64(l.runVar[j]) + (1-mom)*v*unbias)
		}
	} else {
		for j := range mean {
			mean[j] = float64(l.runMean[j])
			invstd[j] = 1 / math.Sqrt(float64(l.runVar[j])+l.eps)
		}
	}
	for r := 0; r < n*w; r += w {
		xr, hr, ar := x[r:r+w], xhat[r:r+w], a[r:r+w]
		for j, v := range xr {
			h := float32((float64(v) - mean[j]) * invstd[j])
			hr[j] = h
			ar[j] = l.gamma[j]*h + l.beta[j]
		}
	}
}

// backward propagates the gradient the loss left in the last layer's da
// back through the network, writing every parameter gradient into t.grads
// (overwriting, not accumulating). When the loss is fused with the last
// activation, da already is the gradient with respect to the logits.
func (t *trainer) backward(n int) {
	m := t.m
	last := len(m.layers) - 1
	for i := last; i >= 0; i-- {
		l, tl := &m.layers[i], &t.lay[i]
		da := tl.da[:n*l.out]
		var dx []float32 // gradient with respect to the layer's input
		if i > 0 {
			dx = t.lay[i-1].da[:n*l.in]
		}
		switch l.kind {
		case kindDense:
			dz := da
			if l.act != actLinear && !(i == last && t.fused) {
				dz = tl.dz[:n*l.out]
				t.act = actArgs{k: l.act, alpha: l.alpha, width: l.out, z: tl.z[:n*l.out], a: tl.a[:n*l.out], da: da, dz: dz}
				t.par.runRows(n, l.out, t.gradFn)
			}
			// dW = dzᵀ·x, [out, in]
			gemm(true, false, l.out, l.in, n, 1, dz, l.out, tl.x, l.in, 0, tl.gw, l.in)
			if l.l2 > 0 {
				addL2Grad(l, tl.gw)
			}
			if tl.gb != nil {
				columnSums(dz, l.out, tl.acc)
				for j, s := range tl.acc {
					tl.gb[j] = float32(s)
				}
			}
			if dx != nil { // dx = dz·W, [n, in]
				gemm(false, false, n, l.in, l.out, 1, dz, l.out, l.w, l.in, 0, dx, l.in)
			}
		case kindDropout:
			if dx == nil {
				break
			}
			if tl.masked {
				for j, g := range da {
					dx[j] = g * tl.mask[j]
				}
			} else {
				copy(dx, da)
			}
		case kindBatchNorm:
			bnBackward(l, tl, da, dx, n, t.train)
		}
	}
}

// bnBackward computes the gamma and beta gradients and, if dx is not nil,
// the input gradient. In training mode the batch statistics depend on the
// input, which gives the usual three-term formula
//
//	dx = γ·invstd/n · (n·dy − Σdy − x̂·Σ(dy·x̂))
//
// At inference the statistics are constants: dx = γ·invstd·dy.
func bnBackward(l *layer, tl *trainLayer, dy, dx []float32, n int, train bool) {
	w := l.out
	xhat := tl.xhat[:n*w]
	dbeta, dgamma := tl.acc, tl.acc2
	clear(dbeta)
	clear(dgamma)
	for r := 0; r < n*w; r += w {
		for j, g := range dy[r : r+w] {
			dbeta[j] += float64(g)
			dgamma[j] += float64(g) * float64(xhat[r+j])
		}
	}
	for j := range w {
		tl.gw[j] = float32(dgamma[j])
		tl.gb[j] = float32(dbeta[j])
	}
	if dx == nil {
		return
	}
	fn := float64(n)
	for r := 0; r < n*w; r += w {
		for j, g := range dy[r : r+w] {
			k := float64(l.gamma[j]) * tl.invstd[j]
			if train {
				dx[r+j] = float32(k / fn * (fn*float64(g) - dbeta[j] - float64(xhat[r+j])*dgamma[j]))
			} else {
				dx[r+j] = float32(k * float64(g))
			}
		}
	}
}

// columnSums adds up the rows of a row-major matrix of the given width, in
// row order (so the result does not depend on how the work is split).
func columnSums(a []float32, width int, sums []float64) {
	clear(sums)
	done := columnSumsVec(a, width, sums)
	if done == width {
		return
	}
	rest := sums[done:width]
	if width == 1 {
		var s float64
		for _, v := range a {
			s += float64(v)
		}
		rest[0] = s
		return
	}
	for r := 0; r < len(a); r += width {
		for j, v := range a[r+done : r+width] {
			rest[j] += float64(v)
		}
	}
}

// l2Penalty is Σ over dense layers of λ·Σw², the term the per-layer L2
// options add to the loss.
func (t *trainer) l2Penalty() float64 {
	var p float64
	for i := range t.m.layers {
		l := &t.m.layers[i]
		if l.kind != kindDense || l.l2 == 0 {
			continue
		}
		var s float64
		for _, w := range l.w {
			s += float64(w) * float64(w)
		}
		p += float64(l.l2) * s
	}
	return p
}
