package nn

import "github.com/dense-ml/dense/nn/internal/sgemm"

// parallelMin is the smallest loop worth splitting: below it, handing a
// share to another core costs more than it saves.
const parallelMin = 1 << 14

// workers splits element-wise loops across the goroutines that run the
// matrix products' shares (sgemm.Parallel). Those poll between products,
// so handing them a loop costs well under a microsecond; goroutines of
// nn's own would have to be woken, which takes tens of microseconds on a
// virtual machine, and on two cores they would compete with the GEMM's
// helpers for the processors. The loops it runs compute every element independently
// of the others, so the results do not depend on the split. A nil *workers
// runs loops inline.
type workers struct {
	n int
	// The loop being split, read by share (bound once in shareFn).
	f                  func(lo, hi int)
	size, chunk, parts int
	shareFn            func(w int)
}

// newWorkers returns workers for n goroutines; nil for n ≤ 1.
func newWorkers(n int) *workers {
	if n <= 1 {
		return nil
	}
	w := &workers{n: n}
	w.shareFn = w.share
	return w
}

// stop is a no-op kept for Fit's cleanup: the goroutines are sgemm's.
func (w *workers) stop() {}

// run calls f over [0, size) in up to n contiguous pieces and waits for
// them. f must not be a closure created per call (it would allocate); pass
// a method value stored once.
func (w *workers) run(size int, f func(lo, hi int)) { w.runRows(size, 1, f) }

// runRows is run over rows of the given width: the pieces are whole rows
// and the work is worth splitting from rows×width ≥ parallelMin on.
func (w *workers) runRows(size, width int, f func(lo, hi int)) {
	w.runRowsMin(size, width, parallelMin, f)
}

// runRowsMin is runRows splitting from rows×width ≥ least on.
func (w *workers) runRowsMin(size, width, least int, f func(lo, hi int)) {
	if w == nil || size*width < least {
		f(0, size)
		return
	}
	chunk := (size + w.n - 1) / w.n
	if width == 1 {
		chunk = (chunk + 15) &^ 15 // whole cache lines
	}
	w.f, w.size, w.chunk = f, size, chunk
	w.parts = (size + chunk - 1) / chunk
	sgemm.Parallel(w.n, w.parts, w.shareFn)
	w.f = nil
}

// share runs piece i of the loop in flight.
func (w *workers) share(i int) {
	lo := i * w.chunk
	w.f(lo, min(lo+w.chunk, w.size))
}

// The activation of one layer, run in parallel over rows: the trainer keeps
// the arguments in actArgs and bound method values in actFn and gradFn.
type actArgs struct {
	k            actKind
	alpha        float32
	width        int
	b            []float32 // bias added before the activation, nil = none
	z, a, da, dz []float32
	lse          []float64 // softmax: each row's log-sum-exp is kept here if not nil
}

func (c *actArgs) activateRows(lo, hi int) {
	w := c.width
	if c.lse != nil {
		if c.b != nil {
			addBias(c.b, c.z[lo*w:hi*w], w)
		}
		softmaxRowsLSE(c.z, c.a, w, lo, hi, c.lse)
		return
	}
	biasActivate(c.k, c.alpha, c.b, c.z[lo*w:hi*w], c.a[lo*w:hi*w], w)
}

func (c *actArgs) gradRows(lo, hi int) {
	w := c.width
	activationGrad(c.k, c.alpha, c.z[lo*w:hi*w], c.a[lo*w:hi*w], c.da[lo*w:hi*w], c.dz[lo*w:hi*w], w)
}

// batchGather is the mini-batch being gathered (gatherBatch), split across
// the workers by rows: copying shuffled rows is bound by memory latency,
// and two cores keep twice as many cache misses in flight. Each piece
// keeps the sum of the values it touched in sinks[lo] (see gatherBatch).
type batchGather struct {
	bx, by, x, y []float32
	idx          []int
	inW, yw      int
	sinks        []float32 // one slot per batch row; a piece writes only its first
}

func (g *batchGather) rows(lo, hi int) {
	g.sinks[lo] = gatherBatch(g.bx[lo*g.inW:], g.by[lo*g.yw:], g.x, g.y, g.idx[lo:hi], g.inW, g.yw)
}

// gather copies rows idx of x and y (widths inW and yw) into the batch
// buffers bx and by, in parallel pieces of whole rows when the batch is
// large enough (workers.runRows).
func (t *trainer) gather(bx, by, x, y []float32, idx []int, inW, yw int) {
	g := &t.gat
	if len(g.sinks) < len(idx) {
		g.sinks = make([]float32, len(idx))
	}
	g.bx, g.by, g.x, g.y, g.idx, g.inW, g.yw = bx, by, x, y, idx, inW, yw
	t.par.runRows(len(idx), inW+yw, t.gatherFn)
	g.bx, g.by, g.x, g.y, g.idx = nil, nil, nil, nil, nil
}
