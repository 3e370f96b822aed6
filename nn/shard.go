package nn

import "github.com/dense-ml/dense/nn/internal/sgemm"

// trainShards is how many fixed pieces of rows a mini-batch is cut into
// for a training step (trainer.step): each piece is gathered, run forward,
// through the loss and backward by one goroutine on its own, into a
// gradient vector of its own; update then adds the pieces' gradients in
// piece order and applies the optimiser. (A large dense layer's weight
// gradient is the exception: update computes it over the whole batch,
// see shard_defer.go.) The pieces depend on the batch
// size only, never on the thread count, so weights are bit-identical on
// any number of threads.
//
// Why pieces of the batch rather than each product split across the
// cores: the step of a small network (20→64→32→1 at batch 256) is a dozen
// products of 5–15 µs and a dozen element-wise loops of 1–2 µs. Split one
// by one, every product and every loop worth splitting is a barrier
// between the two cores, and everything too small to split (the 1-wide
// output layer's products, the loss, the bias sums, the gather) runs on
// one core while the other waits. With one piece per core a step has one
// barrier before the optimiser (two when the optimiser is itself worth
// splitting), and all of the work runs on both cores.
//
// The price is a sum of trainShards gradient vectors before each update
// (folded into the optimiser's pass) and products half as tall. Batch
// norm needs the whole batch's statistics: a model with a batch norm layer
// steps the whole batch at once (trainer.forward, backward), with each
// product and loop split across the cores as before.
const trainShards = 2

// A shard is one piece of the mini-batch's rows and its training state.
type shard struct {
	lo, hi int          // rows of the batch
	lay    []trainLayer // views of the trainer's buffers (rows lo..hi), own column sums
	grads  []float32    // this piece's gradient (shard 0: the trainer's grads)
	tmp    []float32    // a transposed product (transposedWins)
	act    actArgs

	// This step's results: the loss sum, its weight sum and the metric.
	sum, wsum float64
	acc       metricAcc
	sink      float32 // gatherBatch's touched sum

	_ [64]byte // the shards are written by different cores: no shared cache line
}

// stepArgs is the batch of the step in flight, read by runShard.
type stepArgs struct {
	bx, by, x, y []float32
	idx          []int
	inW, yw, n   int
	wsum         float64 // weight sum of the whole batch (lossWeightSum)
	gemmThreads  int     // goroutines per shard product
}

// canShard is whether a model's training steps run in shards: every layer
// but batch norm works row by row.
func canShard(m *Model) bool {
	for i := range m.layers {
		if m.layers[i].kind == kindBatchNorm {
			return false
		}
	}
	return true
}

// initShards gives the trainer its shards for batches of up to batch
// rows: own gradient vectors (shard 0 uses t.grads), column-sum and
// scratch buffers; the row views are set per batch size by setShardRows.
func (t *trainer) initShards(batch int) {
	m := t.m
	t.shards = make([]shard, trainShards)
	for s := range t.shards {
		sh := &t.shards[s]
		sh.grads = t.grads
		if s > 0 {
			sh.grads = make([]float32, len(m.params))
		}
		sh.lay = make([]trainLayer, len(m.layers))
		for i := range m.layers {
			l, tl := &m.layers[i], &sh.lay[i]
			if l.kind != kindDense {
				continue
			}
			g := sh.grads[l.pOff:]
			tl.gw = g[:len(l.w):len(l.w)]
			if l.b != nil {
				tl.gb = g[len(l.w) : len(l.w)+l.out : len(l.w)+l.out]
			}
			tl.acc = make([]float64, l.out)
		}
	}
	// Room for a transposed product (transposedWins): a shard's zᵀ, and a
	// layer's dWᵀ where it wins for a whole shard (and so for fewer rows:
	// the padding saved grows with the depth, the rows).
	maxRows := (batch + trainShards - 1) / trainShards
	need := 0
	for i := range m.layers {
		if l := &m.layers[i]; l.kind == kindDense {
			need = max(need, maxRows*l.out)
			if transposedWins(l.out, l.in, maxRows) {
				need = max(need, l.out*l.in)
			}
		}
	}
	for s := range t.shards {
		t.shards[s].tmp = make([]float32, need)
	}
	t.shardRows = -1
	t.shardFn = t.runShard
	t.reduceFn = t.reduceRange
	t.reduceStepFn = t.reduceStepRange
	t.initDefer()
}

// setShardRows points the shards' layer views at their rows of an n-row
// batch: piece s is rows n·s/trainShards … n·(s+1)/trainShards.
func (t *trainer) setShardRows(n int) {
	if n == t.shardRows {
		return
	}
	t.shardRows = n
	m := t.m
	for s := range t.shards {
		sh := &t.shards[s]
		sh.lo, sh.hi = n*s/trainShards, n*(s+1)/trainShards
		for i := range m.layers {
			l, full, tl := &m.layers[i], &t.lay[i], &sh.lay[i]
			lo, hi := sh.lo*l.out, sh.hi*l.out
			tl.a, tl.da = full.a[lo:hi:hi], full.da[lo:hi:hi]
			tl.z, tl.dz, tl.mask, tl.lse = nil, nil, nil, nil
			if full.z != nil {
				tl.z, tl.dz = full.z[lo:hi:hi], full.dz[lo:hi:hi]
			}
			if full.mask != nil {
				tl.mask = full.mask[lo:hi:hi]
			}
			if full.lse != nil {
				tl.lse = full.lse[sh.lo:sh.hi:sh.hi]
			}
		}
	}
}

// step is one training step's gather, forward pass, loss and backward
// pass: rows idx of x and y (widths inW and yw) are copied into the batch
// buffers bx and by, and the gradient of the batch's loss is left for
// update. It returns the loss as a weighted sum and the sum of the weights
// (meanLoss) and adds the batch's metric to acc.
func (t *trainer) step(bx, by, x, y []float32, idx []int, inW, yw int, acc *metricAcc) (sum, wsum float64) {
	n := len(idx)
	outW := t.m.OutputWidth()
	if t.shards == nil {
		t.gather(bx, by, x, y, idx, inW, yw)
		out := t.forward(bx, n, true)
		sum, wsum = t.lossGrad(out, by, n)
		t.backward(n)
		acc.add(t.loss, out, by, n, outW)
		return sum, wsum
	}
	t.train = true
	t.setShardRows(n)
	t.drawMasks(n)
	threads := 1
	if t.par != nil {
		threads = t.par.n
	}
	t.def.on, t.def.bx, t.def.n = t.deferring(), bx, n
	t.args = stepArgs{bx: bx, by: by, x: x, y: y, idx: idx, inW: inW, yw: yw, n: n,
		wsum: lossWeightSum(t.loss, y, idx, yw, outW, t.cw), gemmThreads: max(1, threads/trainShards)}
	if t.def.split = t.splitsFirst(); t.def.split {
		t.stepSplit(threads) // the gather and the first layer's z (shard_defer.go)
	}
	sgemm.Parallel(threads, len(t.shards), t.shardFn)
	t.args.bx, t.args.by, t.args.x, t.args.y, t.args.idx = nil, nil, nil, nil, nil
	for s := range t.shards {
		sh := &t.shards[s]
		sum += sh.sum
		acc.sum += sh.acc.sum
		acc.count += sh.acc.count
	}
	return sum, t.args.wsum
}

// drawMasks draws the dropout masks of an n-row training step from the
// trainer's random source, layer after layer and row after row: the draws
// forward makes, in the same order.
func (t *trainer) drawMasks(n int) {
	for i := range t.m.layers {
		l, tl := &t.m.layers[i], &t.lay[i]
		if l.kind != kindDropout {
			continue
		}
		tl.masked = l.rate > 0
		if !tl.masked {
			continue
		}
		keep := 1 / (1 - l.rate)
		for j := range tl.mask[:n*l.out] {
			if t.rng.Float32() < l.rate {
				tl.mask[j] = 0
			} else {
				tl.mask[j] = keep
			}
		}
	}
}

// runShard is piece s of the step in flight (t.args).
func (t *trainer) runShard(s int) {
	sh, a := &t.shards[s], &t.args
	rows := sh.hi - sh.lo
	sh.sum, sh.wsum, sh.acc = 0, 0, metricAcc{}
	if rows == 0 {
		clear(sh.grads)
		if s == 0 {
			t.addL2Grads(sh)
		}
		return
	}
	m := t.m
	outW := m.OutputWidth()
	if !t.def.split { // else stepSplit has gathered the rows
		t.gatherShard(s)
	}
	bx, by := a.bx[sh.lo*a.inW:sh.hi*a.inW], a.by[sh.lo*a.yw:sh.hi*a.yw]
	out := t.shardForward(sh, bx, rows, a.gemmThreads)
	last := &sh.lay[len(sh.lay)-1]
	sh.sum, sh.wsum = lossGradScaled(t.loss, out, last.z, last.lse, by, rows, outW, t.cw, last.da, a.n, a.wsum)
	sh.acc.add(t.loss, out, by, rows, outW)
	t.shardBackward(sh, s == 0, rows, a.gemmThreads)
}

// shardForward is forward in training mode over a shard's rows (batch
// norm excluded), with the dropout masks drawMasks drew.
func (t *trainer) shardForward(sh *shard, x []float32, rows, threads int) []float32 {
	m := t.m
	cur := x
	for i := range m.layers {
		l, tl := &m.layers[i], &sh.lay[i]
		tl.x = cur
		a := tl.a
		switch l.kind {
		case kindDense:
			z := tl.z
			if z == nil {
				z = a
			}
			switch {
			case i == 0 && t.def.split:
				// z was computed by units (forwardFirst).
			case l.out == 1:
				// z = X·w as the 1×rows product wᵀ·Xᵀ: the same bits
				// (a column is a row in memory), in kernel tiles that
				// are not 15/16 padding.
				gemmOn(threads, false, true, 1, rows, l.in, 1, l.w, l.in, cur, l.in, 0, z, rows)
			case len(sh.tmp) >= l.out*rows && transposedWins(rows, l.out, l.in):
				// zᵀ = W·Xᵀ, transposed: 784→128 on 64 rows computes
				// 132×64 instead of 72×128.
				tmp := sh.tmp[:l.out*rows]
				gemmOn(threads, false, true, l.out, rows, l.in, 1, l.w, l.in, cur, l.in, 0, tmp, rows)
				sgemm.Transpose(z, tmp, l.out, rows)
			default:
				gemmOn(threads, false, true, rows, l.out, l.in, 1, cur, l.in, l.w, l.in, 0, z, l.out)
			}
			if l.act != actLinear || l.b != nil {
				sh.act = actArgs{k: l.act, alpha: l.alpha, width: l.out, b: l.b, z: z, a: a, lse: tl.lse}
				sh.act.activateRows(0, rows)
			}
		case kindDropout:
			if t.lay[i].masked {
				// As forward: a dropped unit is +0 whatever its input.
				for j, v := range cur {
					if k := tl.mask[j]; k == 0 {
						a[j] = 0
					} else {
						a[j] = v * k
					}
				}
			} else {
				copy(a, cur)
			}
		}
		cur = a
	}
	return cur
}

// shardBackward is backward over a shard's rows into the shard's gradient
// vector; the first shard also adds the L2 penalties' gradient.
func (t *trainer) shardBackward(sh *shard, first bool, rows, threads int) {
	m := t.m
	last := len(m.layers) - 1
	for i := last; i >= 0; i-- {
		l, tl := &m.layers[i], &sh.lay[i]
		da := tl.da
		var dx []float32
		if i > 0 {
			dx = sh.lay[i-1].da
		}
		switch l.kind {
		case kindDense:
			dz := da
			summed := false // tl.acc holds dz's column sums
			if l.act != actLinear && !(i == last && t.fused) {
				dz = tl.dz
				// relu: the gradient and the bias gradient's sums in one pass.
				summed = l.act == actReLU && tl.gb != nil && reluGradSums(tl.z, da, dz, l.out, tl.acc)
				if !summed {
					sh.act = actArgs{k: l.act, alpha: l.alpha, width: l.out, z: tl.z, a: tl.a, da: da, dz: dz}
					sh.act.gradRows(0, rows)
				}
			}
			if !t.isDeferred(i) { // else update computes dW (shard_defer.go)
				t.weightGrad(sh, l, tl, dz, rows, threads)
				if l.l2 > 0 && first {
					addL2Grad(l, tl.gw)
				}
			}
			if tl.gb != nil {
				if !summed {
					columnSums(dz, l.out, tl.acc)
				}
				for j, s := range tl.acc {
					tl.gb[j] = float32(s)
				}
			}
			if dx != nil {
				gemmOn(threads, false, false, rows, l.in, l.out, 1, dz, l.out, l.w, l.in, 0, dx, l.in)
			}
		case kindDropout:
			if dx == nil {
				break
			}
			if t.lay[i].masked {
				for j, g := range da {
					dx[j] = g * tl.mask[j]
				}
			} else {
				copy(dx, da)
			}
		}
	}
}

// weightGrad is a shard's dW = dzᵀ·x, [out, in]. A single output's is a
// sum of the input rows weighted by dz (colDot); a layer whose dW wastes
// enough less of the kernel's tiles as dWᵀ = xᵀ·dz (20 inputs, 64 units:
// 24×64 against 72×32) computes that and transposes it. Each way gives the
// bits of the plain product.
func (t *trainer) weightGrad(sh *shard, l *layer, tl *trainLayer, dz []float32, rows, threads int) {
	if l.out == 1 && colDot(tl.x, l.in, dz, tl.gw) {
		return
	}
	if len(sh.tmp) >= l.in*l.out && transposedWins(l.out, l.in, rows) {
		tmp := sh.tmp[:l.in*l.out]
		gemmOn(threads, true, false, l.in, l.out, rows, 1, tl.x, l.in, dz, l.out, 0, tmp, l.out)
		sgemm.Transpose(tl.gw, tmp, l.in, l.out)
		return
	}
	gemmOn(threads, true, false, l.out, l.in, rows, 1, dz, l.out, tl.x, l.in, 0, tl.gw, l.in)
}

// transposedWins is whether an m×n product of depth k is better computed
// as its n×m transpose and transposed back: when the kernel's tiles pad the
// transpose enough less that the multiply-adds saved (32 per cycle)
// outweigh moving the m·n results (about one per cycle). The results are
// the same bits either way.
func transposedWins(m, n, k int) bool {
	return (sgemm.TileWork(m, n)-sgemm.TileWork(n, m))*k > 32*m*n
}

// addL2Grads adds the L2 penalties' gradient to a shard's (empty: zero)
// weight gradients.
func (t *trainer) addL2Grads(sh *shard) {
	for i := range t.m.layers {
		if l := &t.m.layers[i]; l.kind == kindDense && l.l2 > 0 {
			addL2Grad(l, sh.lay[i].gw)
		}
	}
}

// addL2Grad adds the gradient of λ·Σw², 2λ·w, to gw.
func addL2Grad(l *layer, gw []float32) {
	k := 2 * l.l2
	for j, w := range l.w {
		gw[j] += k * w
	}
}

// update applies the optimiser to the step's gradient: the shards'
// gradients are added up in shard order first (in the same pass, block by
// block, unless gradient clipping needs the whole sum's norm first).
func (t *trainer) update() {
	m, o := t.m, t.opt
	if t.shards == nil {
		o.step(m.params, t.grads)
		return
	}
	if t.def.on {
		t.updateDeferred()
		return
	}
	if o.clip > 0 {
		t.par.run(len(t.grads), t.reduceFn)
		o.step(m.params, t.grads)
		return
	}
	// Split from fewer parameters on than other loops: the other
	// goroutine has just finished its shard and is polling, and the
	// shards' gradients are in both cores' caches.
	o.begin(m.params, t.grads)
	t.par.runRowsMin(len(t.grads), 1, updateParallelMin, t.reduceStepFn)
	o.end()
}

// updateParallelMin is the fewest parameters update splits between the
// cores (20→64→32→1 has 3,457: 4.1 → ~2.5 µs per update).
const updateParallelMin = 2048

// reduceRange adds the other shards' gradients into shard 0's (t.grads)
// over parameters lo..hi-1.
func (t *trainer) reduceRange(lo, hi int) {
	g := t.grads[lo:hi]
	for s := 1; s < len(t.shards); s++ {
		addTo(g, t.shards[s].grads[lo:hi])
	}
}

// reduceStepRange is reduceRange and the optimiser's update over
// parameters lo..hi-1, a block at a time so each block's gradient is still
// in the first-level cache when the optimiser reads it.
func (t *trainer) reduceStepRange(lo, hi int) {
	if o := t.opt; len(t.shards) == 2 && (o.name == OptAdam || o.name == OptAdamW) {
		// One pass: the Adam loop adds the two gradients as it reads them.
		g1 := t.shards[1].grads
		done := lo + adam2Blocks(o.p[lo:hi], t.grads[lo:hi], g1[lo:hi], o.m[lo:hi], o.v[lo:hi], &o.adam)
		if done < hi {
			t.reduceRange(done, hi)
			o.stepRange(done, hi)
		}
		return
	}
	const block = 2048
	for b := lo; b < hi; b += block {
		e := min(b+block, hi)
		t.reduceRange(b, e)
		t.opt.stepRange(b, e)
	}
}

// addTo sets dst[i] += src[i].
func addTo(dst, src []float32) {
	src = src[:len(dst)]
	done := addVec(dst, src)
	for i, v := range src[done:] {
		dst[done+i] += v
	}
}

// lossWeightSum is the sum of the loss weights of rows idx of targets y
// (width yw) for an output of width w: the wsum lossGrad returns,
// computed from the targets alone, so the shards can scale their
// gradients before the whole batch's loss is known.
func lossWeightSum(k lossKind, y []float32, idx []int, yw, w int, cw []float32) float64 {
	n := len(idx)
	switch k {
	case lossBCE:
		if cw == nil {
			return float64(n * w)
		}
		var wsum float64
		for _, r := range idx {
			for _, t := range y[r*yw : (r+1)*yw] {
				wsum += float64(t)*float64(cw[1]) + (1-float64(t))*float64(cw[0])
			}
		}
		return wsum
	case lossSCE:
		if cw == nil {
			return float64(n)
		}
		var wsum float64
		for _, r := range idx {
			wsum += float64(cw[int(y[r])])
		}
		return wsum
	case lossCCE:
		if cw == nil {
			return float64(n)
		}
		var wsum float64
		for _, r := range idx {
			var c float64
			for j, t := range y[r*yw : (r+1)*yw] {
				c += float64(t) * float64(cw[j])
			}
			wsum += c
		}
		return wsum
	}
	return float64(n * w)
}
