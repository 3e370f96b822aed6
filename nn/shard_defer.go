package nn

import "github.com/dense-ml/dense/nn/internal/sgemm"

// Deferred weight gradients: a large dense layer's dW is not computed by
// the shards (each over its own rows, into its own gradient vector, the
// two added by the optimiser's pass) but by update, over the whole batch
// at once, split between the cores by fixed blocks of units (rows of dW,
// contiguous in the parameter vector), each block handed to Adam while it
// is still in the cache:
//
//	dW[u0:u1, :]ᵀ = Xᵀ · dZ[:, u0:u1]   (depth: the batch's rows)
//
// X (the batch's inputs of the layer: the gathered rows for the first
// layer) and dZ are the trainer's whole-batch buffers, which the shards
// filled in their row ranges. For 784→128 at batch 128 this removes a
// full 128×784 gradient per shard (written by the product, read again by
// the optimiser). update runs after the loss is known (Fit checks it
// before updating), in the one parallel call update made anyway.
//
// Blocks of units rather than of inputs: Adam then streams each core's
// weights and moments contiguously. Over the halves of every row (blocks
// of inputs), the same update took 70 µs instead of 26 from memory: the
// hardware prefetchers do not follow 1.5 KiB pieces 3 KiB apart. The
// product is computed as its transpose, which reads X in place (the other
// way round, every core would pack all of X), and transposed back in the
// core's scratch.
//
// When the deferred layer is the first one, its forward product is split
// the same way (stepSplit): a core reads only the weights it updates. See
// stepSplit for why that matters more than the rest.
//
// Each block is one product on one goroutine whose depth does not depend
// on the thread count, and the blocks are fixed by the layer's width
// alone, so the weights are the same bits on any number of threads. The
// sum runs over the whole batch in one chain instead of two shards' sums
// added: the bits differ from the undeferred step's (well within float32
// rounding).
//
// Deferral needs Adam or AdamW (the update is applied block by block) and
// no gradient clipping (which needs the whole gradient's norm first);
// otherwise the step computes every gradient in the shards as before.

// deferMinParams (at least 1) is the smallest dense weight matrix whose
// gradient is deferred: a small layer's step is a few microseconds, which the extra
// hand-offs would outweigh (20→64→32→1 keeps the plain shards). A
// variable so that tests can defer every layer.
var deferMinParams = 1 << 14

// deferUnits is how many units (rows of dW) a block of a deferred layer
// has: the kernel's tiles are 32 wide, and the block's gradient (twice:
// the product and its transpose) stays in the core's second-level cache
// until Adam has read it.
var deferUnits = 32

// A deferredLayer is a dense layer whose weight gradient update computes.
type deferredLayer struct {
	layer int // index in the model's layers
}

// deferState is the trainer's part for deferred gradients.
type deferState struct {
	layers  []deferredLayer
	rest    [][2]int    // parameter ranges update reduces and steps as before
	restN   int         // parameters in rest
	scratch [][]float32 // per share: one block's gradient
	on      bool        // the step in flight deferred its layers' dW
	split   bool        // and computes the first layer's z by units (forwardFirst)
	bx      []float32   // the step's gathered inputs (the first layer's X)
	n       int         // the step's rows
	parts   int         // shares of this update
	fn      func(w int) // t.deferShare, bound once
	gather  func(s int) // t.gatherShard, bound once
	first   func(w int) // t.forwardFirst, bound once
}

// initDefer picks the layers whose gradient is deferred and the parameter
// ranges left to the shards' reduction.
func (t *trainer) initDefer() {
	m := t.m
	d := &t.def
	d.layers, d.rest, d.restN = nil, nil, 0
	for i := range m.layers {
		l := &m.layers[i]
		if l.kind != kindDense || len(l.w) < deferMinParams {
			continue
		}
		d.layers = append(d.layers, deferredLayer{layer: i})
	}
	lo := 0
	for _, dl := range d.layers {
		l := &m.layers[dl.layer]
		if l.pOff > lo {
			d.rest = append(d.rest, [2]int{lo, l.pOff})
		}
		lo = l.pOff + len(l.w)
	}
	if lo < len(m.params) {
		d.rest = append(d.rest, [2]int{lo, len(m.params)})
	}
	for _, r := range d.rest {
		d.restN += r[1] - r[0]
	}
	d.fn, d.gather, d.first = t.deferShare, t.gatherShard, t.forwardFirst
}

// splitsFirst is whether a deferring step computes the first layer's z
// by blocks of units too (forwardFirst): when that layer is deferred.
func (t *trainer) splitsFirst() bool {
	d := &t.def
	return d.on && len(d.layers) > 0 && d.layers[0].layer == 0
}

// stepSplit runs the first part of a step whose first layer is split by
// units: each shard gathers its rows, then each share computes the first
// layer's z = X·Wᵀ for its blocks of units over the whole batch. So the
// weights of a block are read by the core that updates them and by no
// other: when the other core had read them (each shard's product needs all
// of W), every line Adam wrote had first to be taken back from the other
// core's cache, which took ~20 µs per step on top of Adam's ~20 (784→128
// at batch 128, two cores; and far more in the machine's bad periods).
// runShard then skips the gather and that product.
func (t *trainer) stepSplit(threads int) {
	d := &t.def
	d.parts = threads
	sgemm.Parallel(threads, len(t.shards), d.gather)
	sgemm.Parallel(threads, d.parts, d.first)
}

// gatherShard gathers shard s's rows of the step in flight.
func (t *trainer) gatherShard(s int) {
	sh, a := &t.shards[s], &t.args
	sh.sink = gatherBatch(a.bx[sh.lo*a.inW:sh.hi*a.inW], a.by[sh.lo*a.yw:sh.hi*a.yw], a.x, a.y, a.idx[sh.lo:sh.hi], a.inW, a.yw)
}

// forwardFirst is share w of the first layer's product: z[:, u0:u1] =
// X·W[u0:u1]ᵀ for the units of the share's blocks (the blocks deferShare
// updates), in one product so that X is read once (~5 µs less per step
// than a product per block). Each element is the same operations whatever
// the product's width (the kernels' contract: Predict's results do not
// depend on the batch), so the thread count changes no bits.
func (t *trainer) forwardFirst(w int) {
	d, l := &t.def, &t.m.layers[0]
	b0, b1 := d.shareBlocks(l.out, w)
	if b0 >= b1 {
		return
	}
	u0, u1 := b0*deferUnits, min(b1*deferUnits, l.out)
	gemmOn(1, false, true, d.n, u1-u0, l.in, 1, d.bx, l.in, l.w[u0*l.in:], l.in, 0, t.lay[0].z[u0:], l.out)
}

// shareBlocks is the blocks of deferUnits units (the last one partial) of
// an out-unit layer that share w of d.parts owns: b0 to b1-1, the same in
// the forward product (forwardFirst) and the update (deferShare).
func (d *deferState) shareBlocks(out, w int) (b0, b1 int) {
	blocks := (out + deferUnits - 1) / deferUnits
	return blocks * w / d.parts, blocks * (w + 1) / d.parts
}

// deferring is whether this step defers its large layers' dW.
func (t *trainer) deferring() bool {
	o := t.opt
	return len(t.def.layers) > 0 && o != nil && (o.name == OptAdam || o.name == OptAdamW) && o.clip == 0
}

// isDeferred is whether layer i's dW is left to update in the step in flight.
func (t *trainer) isDeferred(i int) bool {
	if !t.def.on {
		return false
	}
	for _, dl := range t.def.layers {
		if dl.layer == i {
			return true
		}
	}
	return false
}

// updateDeferred is update for a step that deferred its large layers' dW:
// one parallel call in which share w computes and applies its blocks of
// units of each deferred layer and its part of the other parameters.
func (t *trainer) updateDeferred() {
	d, o := &t.def, t.opt
	d.parts = 1
	if t.par != nil {
		d.parts = t.par.n
	}
	if len(d.scratch) < d.parts {
		need := 0
		for _, dl := range d.layers {
			need = max(need, 2*t.m.layers[dl.layer].in*deferUnits)
		}
		for len(d.scratch) < d.parts {
			d.scratch = append(d.scratch, make([]float32, need))
		}
	}
	o.begin(t.m.params, t.grads)
	sgemm.Parallel(d.parts, d.parts, d.fn)
	o.end()
	d.on, d.bx = false, nil
}

// deferShare is share w of updateDeferred.
func (t *trainer) deferShare(w int) {
	d, m := &t.def, t.m
	for _, dl := range d.layers {
		l := &m.layers[dl.layer]
		b0, b1 := d.shareBlocks(l.out, w)
		for b := b0; b < b1; b++ {
			t.deferBlockStep(l, dl.layer, b*deferUnits, min((b+1)*deferUnits, l.out), d.scratch[w])
		}
	}
	// The other parameters: split like update's when there are enough.
	parts := d.parts
	if d.restN < updateParallelMin {
		if w != 0 {
			return
		}
		parts = 1
	}
	if d.restN == 0 {
		return
	}
	chunk := (d.restN + parts - 1) / parts
	chunk = (chunk + 15) &^ 15
	lo, hi := w*chunk, min((w+1)*chunk, d.restN)
	if parts == 1 {
		lo, hi = 0, d.restN
	}
	// Map [lo, hi) of the concatenated ranges onto the parameters.
	off := 0
	for _, r := range d.rest {
		n := r[1] - r[0]
		a, b := max(lo, off), min(hi, off+n)
		if a < b {
			t.reduceStepRange(r[0]+a-off, r[0]+b-off)
		}
		off += n
	}
}

// deferBlockStep computes the weight gradient of units u0..u1-1 of
// deferred layer l (index i) — rows u0..u1-1 of dW, contiguous in the
// parameter vector — with the L2 penalty's gradient, and applies Adam to
// those weights. The product is dWᵀ = Xᵀ·dZ[:, u0:u1], which reads X in
// place (the other way round, every share would pack all of X), and is
// transposed back in scratch.
func (t *trainer) deferBlockStep(l *layer, i, u0, u1 int, scratch []float32) {
	d := &t.def
	n, units := d.n, u1-u0
	x := d.bx
	if i > 0 {
		x = t.lay[i-1].a
	}
	dz := t.lay[i].da // linear, or fused into the loss: as shardBackward
	if l.act != actLinear && !(i == len(t.m.layers)-1 && t.fused) {
		dz = t.lay[i].dz
	}
	size := l.in * units
	gt, g := scratch[:size], scratch[size:2*size]
	o := t.opt
	off := l.pOff + u0*l.in
	gemmOn(1, true, false, l.in, units, n, 1, x, l.in, dz[u0:], l.out, 0, gt, units)
	sgemm.Transpose(g, gt, l.in, units)
	lo := u0 * l.in
	if l.l2 > 0 {
		k := 2 * l.l2
		for j, w := range l.w[lo : lo+size] {
			g[j] += k * w
		}
	}
	p, mv, vv := o.p[off:off+size], o.m[off:off+size], o.v[off:off+size]
	done := adamBlocks(p, g, mv, vv, &o.adam)
	adamGo(p[done:], g[done:], mv[done:], vv[done:], &o.adam)
}
