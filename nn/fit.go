package nn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
)

// Resolved is the configuration with its defaults filled in (the ones Fit
// uses), or an error for an invalid one.
func (c OptimizerConfig) Resolved() (OptimizerConfig, error) { return c.withDefaults() }

// evalChunk is how many rows a validation forward pass takes at once.
const evalChunk = 1024

// Fit trains the model on rows×InputWidth x and targets y: for
// sparse_categorical_crossentropy one value per row (the class index as a
// float32), otherwise rows×OutputWidth (0/1 for binary_crossentropy, one-hot
// rows for categorical_crossentropy). cfg.Rows, when set, picks the rows of
// x and y to train on (the others are not read).
//
// Each epoch shuffles the training rows with a generator seeded from
// cfg.Seed (unless NoShuffle), runs the mini-batches (the last one may be
// smaller), then evaluates the validation set if there is one. The History
// has "loss" and "accuracy" (classification) or "mae" (regression) per
// epoch, with "val_" versions for the validation set. Training losses include
// the layers' L2 penalties and, like Keras, are averaged over the epoch's
// batches as the weights change.
//
// Bad data or configuration returns an error before any weight changes.
// Cancelling ctx stops training before the next batch and returns the
// History so far with an error wrapping ctx.Err(); an OnEpoch error stops it
// the same way. A non-finite loss stops training with an error. On success
// Fit records the loss name in Spec.Loss and the epochs, training rows and
// final (or restored best) metrics in Spec.Provenance.
//
// Fit runs in three steps: newFitRun resolves the configuration and the
// data (defaults, checks, the validation split, the optimiser),
// fitRun.epochs is the epoch loop, and an earlyStopping watches the
// monitored value between epochs.
func (m *Model) Fit(ctx context.Context, x, y []float32, rows int, cfg FitConfig) (*History, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	r, err := m.newFitRun(x, y, rows, cfg)
	if err != nil {
		return nil, err
	}
	defer r.close()
	hist, err := r.epochs(ctx)
	if err != nil {
		return hist, err
	}
	r.es.restore(m, hist)
	m.spec.Loss = r.lossName
	p := &m.spec.Provenance
	p.Epochs = len(hist.Epochs)
	p.Rows = int64(len(r.order))
	p.Metrics = make(map[string]float64)
	if len(hist.Epochs) > 0 {
		for k, v := range hist.Epochs[hist.BestEpoch-1].Values {
			p.Metrics[k] = v
		}
	}
	return hist, nil
}

// fitRun is one Fit call's resolved configuration and state.
type fitRun struct {
	m        *Model
	cfg      FitConfig
	kind     lossKind
	lossName string
	cw       []float32
	x, y     []float32
	yw       int   // target values per row
	order    []int // the training rows, reshuffled every epoch
	batch    int   // rows per mini-batch
	batches  int   // mini-batches per epoch
	epochsN  int
	rng      *rand.Rand
	metric   string // "accuracy" or "mae"

	valX, valY []float32
	valRows    int

	t       *trainer
	es      *earlyStopping // nil without early stopping
	plateau *plateau       // nil without a learning-rate schedule

	// The mini-batch, gathered from the shuffled rows before each step
	// (trainer.gather).
	bx, by []float32

	ws                *Workspace // validation
	valOut, valLogits []float32
}

// newFitRun resolves cfg: the loss and class weights, the data checks, the
// defaults, the training rows and the validation set, the optimiser, the
// trainer and its buffers, and early stopping. Nothing is changed in m.
func (m *Model) newFitRun(x, y []float32, rows int, cfg FitConfig) (*fitRun, error) {
	kind, lossName, err := m.resolveLoss(cfg.Loss)
	if err != nil {
		return nil, err
	}
	if err := m.checkData("training", x, y, rows, kind, cfg.threads()); err != nil {
		return nil, err
	}
	cw, err := m.classWeights(kind, cfg.ClassWeights)
	if err != nil {
		return nil, err
	}
	batch, epochs := cfg.BatchSize, cfg.Epochs
	if batch < 0 || epochs < 0 {
		return nil, fmt.Errorf("nn: batch size %d and epochs %d must be positive", cfg.BatchSize, cfg.Epochs)
	}
	optCfg, err := cfg.Optimizer.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &fitRun{m: m, cfg: cfg, kind: kind, lossName: lossName, cw: cw, x: x, y: y, yw: m.targetWidth(kind),
		rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6e6e2d73687566))} // "nn-shuf"
	if r.order, err = trainingRows(cfg.Rows, rows); err != nil {
		return nil, err
	}
	if err := r.splitValidation(); err != nil {
		return nil, err
	}
	trainRows := len(r.order)
	if batch == 0 {
		batch = DefaultBatchSize(trainRows)
	}
	if epochs == 0 {
		epochs = DefaultEpochs(trainRows, batch)
	}
	r.epochsN = epochs
	r.batch = min(batch, trainRows)
	r.batches = batchesPerEpoch(trainRows, r.batch)

	t := newTrainer(m, r.batch, cfg.Seed)
	t.loss, t.fused, t.cw = kind, kind.classification(), cw
	if t.opt, err = newOptimizer(optCfg, len(m.params)); err != nil {
		return nil, err
	}
	t.par = newWorkers(cfg.threads())
	t.opt.par = t.par
	r.t = t

	r.metric = "accuracy"
	if !kind.classification() {
		r.metric = "mae"
	}
	keys := []string{"loss", r.metric}
	if r.valRows > 0 {
		keys = append(keys, "val_loss", "val_"+r.metric)
	}
	if r.es, err = newEarlyStopping(cfg.EarlyStopping, keys, r.valRows > 0, m); err != nil {
		r.close()
		return nil, err
	}
	if r.plateau, err = newPlateau(cfg.ReduceLR, keys, r.valRows > 0, t.opt); err != nil {
		r.close()
		return nil, err
	}

	r.bx, r.by = make([]float32, r.batch*m.inW), make([]float32, r.batch*r.yw)
	if r.valRows > 0 {
		outW := m.OutputWidth()
		r.ws = m.NewWorkspace()
		c := min(evalChunk, r.valRows)
		r.valOut = make([]float32, c*outW)
		if kind.classification() { // only the cross-entropies read the logits
			r.valLogits = make([]float32, c*outW)
		}
	}
	return r, nil
}

// trainingRows is FitConfig.Rows checked, or every row.
func trainingRows(rows []int, n int) ([]int, error) {
	if rows == nil {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		return order, nil
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("nn: FitConfig.Rows is empty; want at least 1 training row")
	}
	seen := make([]bool, n)
	for i, r := range rows {
		if r < 0 || r >= n {
			return nil, fmt.Errorf("nn: FitConfig.Rows[%d] is %d, outside the %d rows", i, r, n)
		}
		if seen[r] {
			return nil, fmt.Errorf("nn: FitConfig.Rows lists row %d twice", r)
		}
		seen[r] = true
	}
	return slices.Clone(rows), nil
}

// splitValidation takes the explicit validation set, or holds out the last
// ValidationSplit of the (shuffled) training rows.
func (r *fitRun) splitValidation() error {
	cfg, m := &r.cfg, r.m
	switch {
	case cfg.ValX != nil || cfg.ValY != nil || cfg.ValRows != 0:
		if cfg.ValidationSplit != 0 {
			return fmt.Errorf("nn: both ValidationSplit and an explicit validation set given; use one")
		}
		if err := m.checkData("validation", cfg.ValX, cfg.ValY, cfg.ValRows, r.kind, cfg.threads()); err != nil {
			return err
		}
		r.valX, r.valY, r.valRows = cfg.ValX, cfg.ValY, cfg.ValRows
	case cfg.ValidationSplit != 0:
		s, rows := cfg.ValidationSplit, len(r.order)
		if !(s > 0 && s < 1) {
			return fmt.Errorf("nn: validation split %v must be in (0, 1)", s)
		}
		valRows := int(float64(rows) * s)
		if valRows < 1 || valRows >= rows {
			return fmt.Errorf("nn: validation split %v of %d rows leaves %d validation and %d training rows; both need at least 1", s, rows, valRows, rows-valRows)
		}
		if !cfg.NoShuffle {
			r.rng.Shuffle(rows, func(i, j int) { r.order[i], r.order[j] = r.order[j], r.order[i] })
		}
		held := r.order[rows-valRows:]
		r.order = r.order[:rows-valRows]
		r.valRows = valRows
		r.valX = make([]float32, valRows*m.inW)
		r.valY = make([]float32, valRows*r.yw)
		gatherRows(r.valX, r.x, held, m.inW)
		gatherRows(r.valY, r.y, held, r.yw)
	}
	return nil
}

func (r *fitRun) close() {
	if r.t != nil {
		r.t.par.stop()
	}
}

// epochs is the epoch loop: shuffle, the mini-batches, validation, early
// stopping, OnEpoch.
func (r *fitRun) epochs(ctx context.Context) (*History, error) {
	m, t, cfg := r.m, r.t, &r.cfg
	order, batch, trainRows := r.order, r.batch, len(r.order)
	swap := func(i, j int) { order[i], order[j] = order[j], order[i] }
	batchRows := func(b int) []int { return order[b*batch : min((b+1)*batch, trainRows)] }
	shuffle := func() { r.rng.Shuffle(trainRows, swap) }
	if len(r.x)/m.inW <= math.MaxInt32 { // the same permutations on 32-bit row numbers
		e := newEpochOrder(order, batch)
		batchRows = func(b int) []int { return e.batch(b, batch) }
		shuffle = func() { e.shuffle(r.rng) }
	}
	hist := &History{}
	for epoch := 1; epoch <= r.epochsN; epoch++ {
		if !cfg.NoShuffle {
			shuffle()
		}
		var lossSum float64
		var acc metricAcc
		for b := range r.batches {
			if err := ctx.Err(); err != nil {
				return hist, fmt.Errorf("nn: training cancelled in epoch %d: %w", epoch, err)
			}
			idx := batchRows(b)
			n := len(idx)
			s, w := t.step(r.bx, r.by, r.x, r.y, idx, m.inW, r.yw, &acc)
			l := meanLoss(s, w) + t.l2Penalty()
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return hist, fmt.Errorf("nn: the loss became %v in epoch %d, batch %d; lower the learning rate or check the data's scale", l, epoch, b+1)
			}
			t.update()
			lossSum += l * float64(n)
			if cfg.OnBatch != nil {
				cfg.OnBatch(BatchLog{Epoch: epoch, Batch: b + 1, Batches: r.batches, Loss: l})
			}
		}
		vals := map[string]float64{"loss": lossSum / float64(trainRows), r.metric: acc.value()}
		if r.valRows > 0 {
			vl, vm := m.evaluate(r.kind, r.cw, r.valX, r.valY, r.valRows, r.ws, r.valOut, r.valLogits)
			vals["val_loss"] = vl + t.l2Penalty()
			vals["val_"+r.metric] = vm
		}
		log := EpochLog{Epoch: epoch, Epochs: r.epochsN, Values: vals, LR: t.opt.lr}
		hist.Epochs = append(hist.Epochs, log)
		hist.BestEpoch = epoch
		stop := r.es.update(epoch, vals, m)
		r.plateau.update(vals)
		if cfg.OnEpoch != nil {
			if err := cfg.OnEpoch(log); err != nil {
				return hist, fmt.Errorf("nn: training stopped by OnEpoch in epoch %d: %w", epoch, err)
			}
		}
		if stop {
			hist.Stopped = true
			break
		}
	}
	return hist, nil
}

// earlyStopping watches the monitored value after every epoch: it counts
// the epochs without improvement, says when to stop, and keeps a snapshot of
// the best weights when RestoreBest asks for them. A nil *earlyStopping
// never stops.
type earlyStopping struct {
	EarlyStopping
	maximize  bool
	best      float64
	bestEpoch int
	wait      int
	snapshot  []float32 // params then state, with RestoreBest
}

// newEarlyStopping checks es against the History keys this fit computes
// (nil es: nil, no early stopping).
func newEarlyStopping(es *EarlyStopping, keys []string, validation bool, m *Model) (*earlyStopping, error) {
	if es == nil {
		return nil, nil
	}
	e := &earlyStopping{EarlyStopping: *es, best: math.Inf(1)}
	if e.Monitor == "" {
		e.Monitor = "loss"
		if validation {
			e.Monitor = "val_loss"
		}
	}
	if !slices.Contains(keys, e.Monitor) {
		return nil, fmt.Errorf("nn: early stopping monitors %q, which this fit does not compute (it has %s)", e.Monitor, strings.Join(keys, ", "))
	}
	if e.Patience < 0 || !(e.MinDelta >= 0) {
		return nil, fmt.Errorf("nn: early stopping patience %d and min delta %v must be ≥ 0", e.Patience, e.MinDelta)
	}
	e.maximize = strings.HasSuffix(e.Monitor, "accuracy")
	if e.maximize {
		e.best = math.Inf(-1)
	}
	if e.RestoreBest {
		e.snapshot = make([]float32, len(m.params)+len(m.state))
	}
	return e, nil
}

// update takes an epoch's values and reports whether to stop: like Keras,
// patience 0 stops at the first epoch without improvement.
func (e *earlyStopping) update(epoch int, vals map[string]float64, m *Model) bool {
	if e == nil {
		return false
	}
	v := vals[e.Monitor]
	improved := v < e.best-e.MinDelta
	if e.maximize {
		improved = v > e.best+e.MinDelta
	}
	if improved {
		e.best, e.bestEpoch, e.wait = v, epoch, 0
		if e.snapshot != nil {
			copy(e.snapshot, m.params)
			copy(e.snapshot[len(m.params):], m.state)
		}
		return false
	}
	e.wait++
	return e.wait >= e.Patience
}

// restore sets the History's best epoch and, with RestoreBest, puts the
// best epoch's weights back.
func (e *earlyStopping) restore(m *Model, hist *History) {
	if e == nil || e.bestEpoch == 0 {
		return
	}
	hist.BestEpoch = e.bestEpoch
	if e.snapshot != nil {
		copy(m.params, e.snapshot)
		copy(m.state, e.snapshot[len(m.params):])
	}
}

// plateau is a ReduceLROnPlateau at work: it lowers the optimiser's rate
// after Patience epochs without an improvement of the monitored value. A nil
// *plateau changes nothing.
type plateau struct {
	ReduceLROnPlateau
	maximize bool
	best     float64
	wait     int
	opt      *optimizer
}

// newPlateau checks p against the History keys this fit computes (nil p:
// nil, a constant rate).
func newPlateau(p *ReduceLROnPlateau, keys []string, validation bool, opt *optimizer) (*plateau, error) {
	if p == nil {
		return nil, nil
	}
	s := &plateau{ReduceLROnPlateau: *p, best: math.Inf(1), opt: opt}
	if s.Monitor == "" {
		s.Monitor = "loss"
		if validation {
			s.Monitor = "val_loss"
		}
	}
	if s.Factor == 0 {
		s.Factor = 0.5
	}
	switch {
	case !slices.Contains(keys, s.Monitor):
		return nil, fmt.Errorf("nn: the learning-rate schedule monitors %q, which this fit does not compute (it has %s)", s.Monitor, strings.Join(keys, ", "))
	case !(s.Factor > 0 && s.Factor < 1):
		return nil, fmt.Errorf("nn: the learning-rate schedule's factor %v must be in (0, 1)", s.Factor)
	case s.Patience < 0 || !(s.MinLR >= 0) || math.IsInf(s.MinLR, 0):
		return nil, fmt.Errorf("nn: the learning-rate schedule's patience %d and minimum rate %v must be ≥ 0", s.Patience, s.MinLR)
	}
	s.maximize = strings.HasSuffix(s.Monitor, "accuracy")
	if s.maximize {
		s.best = math.Inf(-1)
	}
	return s, nil
}

// update takes an epoch's values and lowers the rate for the next epoch
// once the monitored value has gone Patience epochs without improving
// (Keras' rule: the wait starts again after a reduction).
func (s *plateau) update(vals map[string]float64) {
	if s == nil {
		return
	}
	v := vals[s.Monitor]
	if (!s.maximize && v < s.best) || (s.maximize && v > s.best) {
		s.best, s.wait = v, 0
		return
	}
	s.wait++
	if s.wait >= s.Patience {
		s.opt.lr = max(s.opt.lr*s.Factor, s.MinLR)
		s.wait = 0
	}
}

// targetWidth is the number of target values per row for a loss.
func (m *Model) targetWidth(k lossKind) int {
	if k == lossSCE {
		return 1
	}
	return m.OutputWidth()
}

// gatherRows copies rows idx of the row-major src (of the given width) into dst.
func gatherRows(dst, src []float32, idx []int, width int) {
	for i, r := range idx {
		copy(dst[i*width:(i+1)*width], src[r*width:(r+1)*width])
	}
}

// gatherBatch copies rows idx of x and y (of widths inW and yw) into the
// mini-batch buffers bx and by. Shuffled rows are scattered over memory, so
// it first loads the first and last value of every row (and copies the
// single target, the usual case) in one pass: the cache misses of all rows
// are then in flight together instead of one row's copy waiting for the
// next. That halves the gather's time for narrow rows (20→64→32→1: 9 → 4 µs
// per batch of 256; BenchmarkGatherBatch compares the two). It returns the sum of the values it touched; the
// caller keeps it so that the compiler keeps the loads.
func gatherBatch(bx, by, x, y []float32, idx []int, inW, yw int) float32 {
	var touched float32
	if yw == 1 {
		by = by[:len(idx)]
		for i, r := range idx {
			by[i] = y[r]
			touched += x[r*inW] + x[r*inW+inW-1]
		}
	} else {
		for _, r := range idx {
			touched += x[r*inW] + x[r*inW+inW-1]
		}
		gatherRows(by, y, idx, yw)
	}
	gatherRows(bx, x, idx, inW)
	return touched
}

// threads is the goroutines Fit runs on: Threads, or GOMAXPROCS.
func (cfg *FitConfig) threads() int {
	if cfg.Threads > 0 {
		return cfg.Threads
	}
	return runtime.GOMAXPROCS(0)
}

// checkData checks the lengths and values of a data set for the loss, the
// scan for non-finite values split over threads goroutines.
func (m *Model) checkData(what string, x, y []float32, rows int, k lossKind, threads int) error {
	if rows <= 0 {
		return fmt.Errorf("nn: %s set has %d rows, want at least 1", what, rows)
	}
	if rows > math.MaxInt/(m.inW+m.OutputWidth()) {
		return fmt.Errorf("nn: %s set has %d rows, too many", what, rows)
	}
	if len(x) != rows*m.inW {
		return fmt.Errorf("nn: %s inputs have %d values, want %d (%d rows × %d features)", what, len(x), rows*m.inW, rows, m.inW)
	}
	yw := m.targetWidth(k)
	if len(y) != rows*yw {
		return fmt.Errorf("nn: %s targets have %d values, want %d (%d rows × %d)", what, len(y), rows*yw, rows, yw)
	}
	if i := firstNonFiniteOn(x, threads); i >= 0 {
		return fmt.Errorf("nn: %s input row %d feature %d is %v", what, i/m.inW, i%m.inW, x[i])
	}
	if i := firstNonFinite(y); i >= 0 {
		return fmt.Errorf("nn: %s target row %d is %v", what, i/yw, y[i])
	}
	if k != lossSCE && k != lossBCE && k != lossCCE {
		return nil
	}
	out := m.OutputWidth()
	for i, v := range y {
		f := float64(v)
		switch k {
		case lossSCE:
			if f != math.Trunc(f) || f < 0 || int(f) >= out {
				return fmt.Errorf("nn: %s label in row %d is %v; want a class index 0..%d", what, i, v, out-1)
			}
		case lossBCE:
			if f < 0 || f > 1 {
				return fmt.Errorf("nn: %s target row %d is %v; binary cross-entropy wants 0..1", what, i/yw, v)
			}
		case lossCCE:
			if f < 0 || f > 1 {
				return fmt.Errorf("nn: %s target row %d is %v; categorical cross-entropy wants one-hot (0..1) rows", what, i/yw, v)
			}
		}
	}
	return nil
}

// firstNonFinite is the index of the first NaN or ±Inf in v, or -1. It
// scans blocks of 64 with a branch-free test (v-v is 0 for finite v and NaN
// for NaN and ±Inf) and looks for the index only in a block that has one:
// Fit checks every training value, which took a sixth of a short Fit's time
// through math.IsNaN and math.IsInf on float64s.
func firstNonFinite(v []float32) int {
	const block = 64
	for lo := 0; lo < len(v); lo += block {
		b := v[lo:min(lo+block, len(v))]
		var a0, a1, a2, a3 float32 // four chains, so the additions overlap
		i := 0
		for ; i+4 <= len(b); i += 4 {
			q := b[i : i+4 : i+4]
			a0 += q[0] - q[0]
			a1 += q[1] - q[1]
			a2 += q[2] - q[2]
			a3 += q[3] - q[3]
		}
		for _, x := range b[i:] {
			a0 += x - x
		}
		if a0+a1+a2+a3 != 0 { // NaN != 0 too
			for i, x := range b {
				if x-x != 0 {
					return lo + i
				}
			}
		}
	}
	return -1
}

// classWeights checks and converts FitConfig.ClassWeights.
func (m *Model) classWeights(k lossKind, w []float64) ([]float32, error) {
	if len(w) == 0 {
		return nil, nil
	}
	want := m.OutputWidth()
	switch k {
	case lossBCE:
		want = 2
	case lossCCE, lossSCE:
	default:
		return nil, fmt.Errorf("nn: class weights need a classification loss, not %s", k.name())
	}
	if len(w) != want {
		return nil, fmt.Errorf("nn: %d class weights, want %d", len(w), want)
	}
	cw := make([]float32, len(w))
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("nn: class weight %d is %v; want a finite value ≥ 0", i, v)
		}
		cw[i] = float32(v)
	}
	return cw, nil
}

func (k lossKind) name() string {
	for n, v := range lossNames {
		if v == k {
			return n
		}
	}
	return "?"
}

// evaluate runs the inference pass over a data set in chunks and returns
// the mean loss (without the L2 penalty) and the metric. logits is nil for
// the losses that do not read them.
func (m *Model) evaluate(k lossKind, cw, x, y []float32, rows int, ws *Workspace, out, logits []float32) (loss, metric float64) {
	var sum, wsum float64
	var acc metricAcc
	outW := m.OutputWidth()
	chunk := len(out) / outW
	yw := m.targetWidth(k)
	for r := 0; r < rows; r += chunk {
		n := min(chunk, rows-r)
		xs, ys := x[r*m.inW:(r+n)*m.inW], y[r*yw:(r+n)*yw]
		m.forwardInfer(out, logits, xs, n, ws)
		s, w := lossGrad(k, out, logits, ys, n, outW, cw, nil)
		sum += s
		wsum += w
		acc.add(k, out, ys, n, outW)
	}
	return meanLoss(sum, wsum), acc.value()
}

// metricAcc accumulates the epoch metric: accuracy for the cross-entropy
// losses (the class of each output, or of each row, by Classify's rules: a
// NaN output is a miss), mean absolute error for the regression losses.
type metricAcc struct {
	sum   float64
	count int
}

func (a *metricAcc) add(k lossKind, pred, y []float32, n, w int) {
	switch k {
	case lossBCE:
		for i, p := range pred[:n*w] {
			c, ok := thresholdClass(p)
			if ok && c == int(y[i]+0.5) { // y is 0..1: 1 from 0.5 up, as a prediction
				a.sum++
			}
		}
		a.count += n * w
	case lossSCE, lossCCE:
		for r := range n {
			p, ok := argmaxClass(pred[r*w : (r+1)*w])
			var want int
			if k == lossSCE {
				want = int(y[r])
			} else {
				want = argmax32(y[r*w : (r+1)*w])
			}
			if ok && p == want {
				a.sum++
			}
		}
		a.count += n
	default:
		for i, p := range pred[:n*w] {
			a.sum += math.Abs(float64(p) - float64(y[i]))
		}
		a.count += n * w
	}
}

func (a *metricAcc) value() float64 {
	if a.count == 0 {
		return 0
	}
	return a.sum / float64(a.count)
}

// argmax32 is the index of the largest value (the first one on ties).
func argmax32(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
