package nn

import (
	"fmt"
	"math"
	"sync/atomic"

	"github.com/dense-ml/dense/nn/internal/sgemm"
)

// scoreNet is a Scorer's network prepared for scoring once, when the
// Scorer is built: each dense layer's weights packed into the matrix
// kernel's micro-panels (sgemm.Packed: no packing per product, a
// one-unit output layer as a matrix-vector product instead of a tile
// padded to 32 columns) and batch norm's running statistics turned into a
// scale and a shift. A batch runs depth first, a block of rows through
// every layer before the next block, so a block's activations stay in L1
// and each layer's bias and activation are applied right after its
// product, on the calling goroutine (the callers that score, DuckDB's
// threads, run in parallel already; a large batch is shared with sgemm's
// helpers when cores are idle, see predict). A network whose layers fit
// sgemm.Stack (dense, ReLU or linear hidden layers at most 128 deep and
// wide: the models dense train writes) runs through it instead (see
// newStack).
// Every output gives Model.PredictInto's bits: the same kernel
// arithmetic, the same k blocks, the same element-wise functions.
type scoreNet struct {
	layers []scoreLayer
	inW    int
	block  int  // rows per block
	macs   int  // multiply-adds per row
	widest int  // the widest layer output
	cols   bool // the first layer is dense: PredictColumns reads the columns straight
	// stack, where it applies, runs the whole network instead of the
	// layers (see newStack); outAct is then the output layer, whose bias
	// and activation biasActivate applies after the stack (nil when the
	// stack adds a one-unit linear output's bias itself).
	stack  *sgemm.Stack
	outAct *scoreLayer
}

type scoreLayer struct {
	kind         int
	out          int
	act          actKind
	alpha        float32
	b            []float32
	w            *sgemm.Packed   // dense (nil when the scoreNet runs through its stack)
	ep           *sgemm.Epilogue // dense: the bias and activation, when the product applies them
	scale, shift []float32       // batch norm
}

// scoreBlockFloats bounds a block's widest activations (floats): 24 KiB,
// within L1 with the next layer's output and its packed weights for the
// narrow networks of tabular data.
const scoreBlockFloats = 6144

func newScoreNet(m *Model) *scoreNet {
	if len(m.layers) == 0 {
		return nil
	}
	n := &scoreNet{inW: m.inW, layers: make([]scoreLayer, len(m.layers))}
	widest := 1
	for i := range m.layers {
		l, s := &m.layers[i], &n.layers[i]
		*s = scoreLayer{kind: l.kind, out: l.out, act: l.act, alpha: l.alpha, b: l.b}
		switch l.kind {
		case kindDense:
			n.macs += l.in * l.out
		case kindBatchNorm:
			s.scale, s.shift = make([]float32, l.out), make([]float32, l.out)
			for j := range l.out { // forwardInfer's arithmetic
				sd := float32(1 / math.Sqrt(float64(l.runVar[j])+l.eps))
				s.scale[j] = l.gamma[j] * sd
				s.shift[j] = l.beta[j] - l.runMean[j]*l.gamma[j]*sd
			}
		}
		widest = max(widest, l.out)
	}
	// A multiple of 48 rows: whole panels of the 12- and 6-row kernels
	// and of the 16-row matrix-vector product.
	n.block = max(48, scoreBlockFloats/widest/48*48)
	n.widest = widest
	n.cols = m.layers[0].kind == kindDense
	n.newStack(m)
	if n.stack != nil {
		return n // the stack runs every dense layer: nothing to pack
	}
	for i := range m.layers {
		l, s := &m.layers[i], &n.layers[i]
		if l.kind != kindDense {
			continue
		}
		s.w = sgemm.NewPacked(true, l.in, l.out, l.w, l.in)
		if l.act == actReLU || l.act == actLinear { // biasActivate's arithmetic
			s.ep = &sgemm.Epilogue{Bias: l.b, ReLU: l.act == actReLU}
		}
	}
	return n
}

// newStack sets n.stack for a network of dense layers (dropout aside: the
// identity at inference) whose hidden layers end in a ReLU or nothing,
// where sgemm.NewStack applies (AVX-512, layers at most 128 deep and
// wide): it scores 16 rows at a time with the rows in the lanes of the
// vector registers, so the output layer's product is a fused multiply-add
// per hidden unit and output on the registers that hold the last hidden
// layer, instead of a transpose of it (one output) or a tile padded to 16
// or 32 columns, and 16 rows take one kernel call per hidden layer. The
// output's bias and activation are biasActivate's after (the kernel adds
// a one-unit linear output's bias). Same bits.
func (n *scoreNet) newStack(m *Model) {
	var dense []int
	for i := range m.layers {
		switch m.layers[i].kind {
		case kindDense:
			dense = append(dense, i)
		case kindDropout:
		default:
			return
		}
	}
	if len(dense) < 2 {
		return
	}
	hidden := make([]sgemm.StackLayer, len(dense)-1)
	for i, li := range dense[:len(dense)-1] {
		l := &m.layers[li]
		if l.act != actReLU && l.act != actLinear {
			return
		}
		hidden[i] = sgemm.StackLayer{W: l.w, Bias: l.b, ReLU: l.act == actReLU}
	}
	lo := &m.layers[dense[len(dense)-1]]
	var obias []float32
	if lo.act == actLinear && lo.out == 1 {
		obias = lo.b // added by the kernel
	}
	n.stack = sgemm.NewStack(m.inW, hidden, lo.w, obias)
	if n.stack != nil && (lo.act != actLinear || lo.out > 1) {
		n.outAct = &n.layers[dense[len(dense)-1]]
	}
}

// predict runs the network on rows rows of x (row-major, n.inW wide) or,
// when cols is not nil, of the feature columns cols (see
// Scorer.PredictColumns).
//
// A batch of several blocks runs on more than one core when fewer scorers
// are running than there are cores (DuckDB scoring a table of one row
// group runs on one thread): its blocks are shared between the caller and
// sgemm's helpers, each with a workspace of its own. The outputs are the
// same bits either way.
func (n *scoreNet) predict(out, x []float32, cols [][]float32, rows int, ws *Workspace) {
	running := scorersRunning.Add(1)
	defer scorersRunning.Add(-1)
	blocks := (rows + n.block - 1) / n.block
	threads := 1
	if blocks >= 2 && rows*n.macs >= scoreParallelMACs {
		threads = min(blocks, max(1, sgemm.Threads()/int(running)))
	}
	if threads == 1 {
		n.predictRows(out, x, cols, 0, rows, ws)
		return
	}
	if cap(ws.free) < threads { // a workspace for each goroutine at work
		ws.free = make(chan *Workspace, threads)
		for range threads {
			ws.free <- &Workspace{}
		}
	}
	if ws.share == nil {
		ws.share = func(w int) { // made once per workspace: sgemm.Parallel allocates nothing then
			j := &ws.job
			b0, b1 := j.blocks*w/j.shares, j.blocks*(w+1)/j.shares
			sub := <-ws.free
			j.net.predictRows(j.out, j.x, j.cols, b0*j.net.block, min(b1*j.net.block, j.rows), sub)
			ws.free <- sub
		}
	}
	// A few shares per goroutine: a helper the scheduler preempts (a busy
	// machine) holds up the caller for one share at most.
	shares := min(blocks, 4*threads)
	ws.job = scoreJob{net: n, out: out, x: x, cols: cols, rows: rows, blocks: blocks, shares: shares}
	sgemm.Parallel(threads, shares, ws.share)
	ws.job = scoreJob{}
}

// scorersRunning counts the scoreNet batches in progress in the process.
var scorersRunning atomic.Int64

// scoreParallelMACs is the multiply-adds of a batch below which it runs
// on the caller alone: about 160 µs of one core, so the helpers' hand-off
// and polling (tens of µs of CPU) are small against the work shared. The
// 2048-row chunks of tabular networks stay on their caller (20→64→32→1:
// 6.9M; sharing them cost 10-20% more CPU per row, measured, and polling
// helpers showed in the profile of a 38→64→32→1 at 9.2M); 784→128→10
// (208M) is shared.
const scoreParallelMACs = 1 << 24

// scoreJob is a batch shared between goroutines (Workspace.share).
type scoreJob struct {
	net                  *scoreNet
	out, x               []float32
	cols                 [][]float32
	rows, blocks, shares int
}

// predictRows runs rows lo…hi-1, block by block from lo.
func (n *scoreNet) predictRows(out, x []float32, cols [][]float32, lo, hi int, ws *Workspace) {
	if n.stack != nil {
		w := n.stack.Outputs()
		dst := out[lo*w : hi*w]
		if cols != nil {
			n.stack.Columns(hi-lo, cols, lo, dst, &ws.gemm)
		} else {
			n.stack.Rows(hi-lo, x[lo*n.inW:], n.inW, dst, &ws.gemm)
		}
		if l := n.outAct; l != nil {
			biasActivate(l.act, l.alpha, l.b, dst, dst, l.out)
		}
		return
	}
	for i := range ws.bufs {
		ws.bufs[i] = grow(ws.bufs[i], n.block*n.widest)
	}
	last := len(n.layers) - 1
	for r0 := lo; r0 < hi; r0 += n.block {
		rs := min(n.block, hi-r0)
		cur, curW := x, n.inW
		if cols == nil {
			cur = x[r0*n.inW : (r0+rs)*n.inW]
		}
		p := 0
		for i := range n.layers {
			l := &n.layers[i]
			var dst []float32
			switch {
			case i == last:
				dst = out[r0*l.out : (r0+rs)*l.out]
			case l.kind != kindDropout:
				dst = ws.bufs[p][:rs*l.out]
				p ^= 1
			}
			switch l.kind {
			case kindDense:
				if i == 0 && cols != nil {
					l.w.MulColumns(rs, cols, r0, dst, l.out, l.ep, &ws.gemm)
				} else {
					l.w.Mul(rs, cur, curW, dst, l.out, l.ep, &ws.gemm)
				}
				if l.ep == nil {
					biasActivate(l.act, l.alpha, l.b, dst, dst, l.out)
				}
			case kindDropout:
				if i != last {
					continue // identity at inference
				}
				copy(dst, cur)
			case kindBatchNorm:
				affineRows(cur, dst, l.scale, l.shift)
			}
			cur, curW = dst, l.out
		}
	}
}

// PredictColumns is PredictInto with the features given by column:
// feature j of row r is cols[j][r] (len(cols) = InputWidth, each column at
// least rows long). A table's NULL-free float columns, whose scaling the
// Scorer folded, are read where they are, without a row-major copy.
func (s *Scorer) PredictColumns(out []float32, cols [][]float32, rows int, ws *Workspace) error {
	if len(cols) != s.model.inW {
		return fmt.Errorf("nn: %d feature columns, want %d", len(cols), s.model.inW)
	}
	if rows < 0 {
		return fmt.Errorf("nn: %d rows", rows)
	}
	for j, c := range cols {
		if len(c) < rows {
			return fmt.Errorf("nn: feature column %d has %d values, want at least %d", j, len(c), rows)
		}
	}
	if need := rows * s.OutputWidth(); len(out) < need {
		return fmt.Errorf("nn: output buffer has %d values, want at least %d (%d rows × %d outputs)", len(out), need, rows, s.OutputWidth())
	}
	if ws == nil {
		return fmt.Errorf("nn: PredictColumns needs a Workspace (Scorer.NewWorkspace)")
	}
	if s.net != nil && s.net.cols {
		s.net.predict(out, nil, cols, rows, ws)
		return nil
	}
	w := s.model.inW
	ws.x = grow(ws.x, rows*w)
	for j, c := range cols {
		for r, v := range c[:rows] {
			ws.x[r*w+j] = v
		}
	}
	return s.PredictInto(out, ws.x, rows, ws)
}

// ColumnShift reports whether numeric input i encodes a present value v
// (not NULL, not NaN, finite) as the one feature float32(v − shift),
// computed in float64: no clipping, no log1p, no missing indicator, and a
// scaling that is none or a shift only (a Scorer's Encoder leaves such
// inputs once their factor is folded into the network). A column of such
// values without NULLs is then encoded column by column, or read where it
// is when shift is 0 and it holds float32s (see Scorer.PredictColumns);
// imputation only matters for the values it leaves out.
func (e *Encoder) ColumnShift(i int) (shift float64, ok bool) {
	in := &e.inputs[i]
	if in.Kind != KindNumeric || in.Clip != nil || in.Log1p || in.Impute != nil && in.Impute.Indicator {
		return 0, false
	}
	switch kind, sub, _ := scaleOf(in.Scale); kind {
	case scaleNone:
		return 0, true
	case scaleShift:
		return sub, true
	}
	return 0, false
}

// OneHotColumns is OneHots writing categorical input i's one-hot block as
// columns: cols are the block's Width() feature columns, each at least
// len(codes) long; row r of every column is 0, but 1 where OneHots would
// write 1 (a SkipRow row stays all 0).
func (e *Encoder) OneHotColumns(i int, codes []CategoryCode, cols [][]float32) {
	w := e.inputs[i].Width()
	cols = cols[:w]
	for _, col := range cols {
		clear(col[:len(codes)])
	}
	for r, c := range codes {
		if c < 0 {
			continue
		}
		cols[c&^codeIndicator][r] = 1
		if c&codeIndicator != 0 {
			cols[w-1][r] = 1
		}
	}
}
