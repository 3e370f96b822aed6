package nn

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// Explaining predictions: integrated gradients (Sundararajan, Taly and Yan,
// "Axiomatic Attribution for Deep Networks", 2017) from a baseline that
// training stores in the spec, and the permutation importance training
// measures on its validation rows. See "Explaining predictions" in doc.go.

// Explain is what training records in a model for explaining it: the
// baseline integrated gradients start from, and the permutation importance
// of each input. It is optional (Spec.Explain): files written before it
// existed, and models built or imported outside training, have none.
type Explain struct {
	// Baseline holds one reference value per model input, in input order.
	Baseline []Baseline `json:"baseline"`
	// Importance is the permutation importance on the validation rows.
	Importance *Importance `json:"importance,omitempty"`
}

// Baseline is one input's reference value, as a raw value that the input's
// preprocessing encodes (so it follows the model's encoding wherever it is
// applied): exactly one of Number (numeric inputs), Vector (vector inputs,
// Length elements) and Category (categorical inputs) is set.
type Baseline struct {
	Input    string    `json:"input"`
	Number   *float64  `json:"number,omitempty"`
	Vector   []float64 `json:"vector,omitempty"`
	Category *string   `json:"category,omitempty"`
}

// Permutation importance metrics: the metric whose drop measures an input's
// importance, by task.
const (
	ImportanceAccuracy = "accuracy" // classifiers
	ImportanceR2       = "r2"       // regression
)

// Importance is the permutation importance of a model's inputs: how much
// Metric, measured on Rows validation rows, falls when one input's values
// are shuffled among the rows (Repeats shuffles, averaged).
type Importance struct {
	Metric  string  `json:"metric"`
	Score   float64 `json:"score"` // the metric on the rows as they are
	Rows    int     `json:"rows"`
	Repeats int     `json:"repeats"`
	// Inputs holds one entry per model input, in input order.
	Inputs []InputImportance `json:"inputs"`
}

// InputImportance is one input's importance: the mean drop of the metric
// over the shuffles (negative when shuffling happened to help) and its
// standard deviation.
type InputImportance struct {
	Input string  `json:"input"`
	Drop  float64 `json:"drop"`
	Std   float64 `json:"std"`
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// validate checks the record against the spec's inputs.
func (x *Explain) validate(inputs []Input) error {
	if len(x.Baseline) != len(inputs) {
		return fmt.Errorf("explain: %d baseline values for %d inputs", len(x.Baseline), len(inputs))
	}
	for i := range inputs {
		in, b := &inputs[i], &x.Baseline[i]
		if b.Input != in.Name {
			return fmt.Errorf("explain: baseline %d is for input %q, want %q", i, b.Input, in.Name)
		}
		set := 0
		for _, ok := range []bool{b.Number != nil, b.Vector != nil, b.Category != nil} {
			if ok {
				set++
			}
		}
		ok := set == 1
		switch in.Kind {
		case KindNumeric, KindDate: // a date's number: days since 1970-01-01
			ok = ok && b.Number != nil && finite(*b.Number)
		case KindVector:
			ok = ok && len(b.Vector) == in.Length && !slices.ContainsFunc(b.Vector, func(v float64) bool { return !finite(v) })
		case KindCategorical:
			ok = ok && b.Category != nil
		}
		if !ok {
			return fmt.Errorf("explain: the baseline of %s input %q must be one %s", in.Kind, in.Name, map[string]string{
				KindNumeric: "finite number", KindDate: "finite number (days since 1970-01-01)", KindVector: fmt.Sprintf("vector of %d finite numbers", in.Length), KindCategorical: "category",
			}[in.Kind])
		}
	}
	if im := x.Importance; im != nil {
		if im.Metric != ImportanceAccuracy && im.Metric != ImportanceR2 {
			return fmt.Errorf("explain: importance metric %q (want %s or %s)", im.Metric, ImportanceAccuracy, ImportanceR2)
		}
		if im.Rows < 1 || im.Repeats < 1 || !finite(im.Score) {
			return fmt.Errorf("explain: importance needs rows ≥ 1, repeats ≥ 1 and a finite score (rows %d, repeats %d, score %v)", im.Rows, im.Repeats, im.Score)
		}
		if len(im.Inputs) != len(inputs) {
			return fmt.Errorf("explain: importance of %d inputs for %d inputs", len(im.Inputs), len(inputs))
		}
		for i, v := range im.Inputs {
			if v.Input != inputs[i].Name || !finite(v.Drop) || !(v.Std >= 0 && v.Std <= math.MaxFloat64) {
				return fmt.Errorf("explain: importance %d must be for input %q with a finite drop and std ≥ 0 (got %q, %v, %v)",
					i, inputs[i].Name, v.Input, v.Drop, v.Std)
			}
		}
	}
	return nil
}

// FitBaseline computes the baseline that training stores (Explain.Baseline)
// from encoded training rows: x holds rows of the inputs' encoded width, and
// idx picks the training rows (nil: all of them). A numeric (or date) input's
// baseline is the mean of its encoded feature mapped back to a raw value
// (the arithmetic mean of the values after clipping and log1p, imputed
// values included), a vector input's the same per element, and a
// categorical input's the most frequent category of its vocabulary (the
// first on ties; "" for an input with an empty vocabulary, which encodes
// to the unknown bucket).
func FitBaseline(inputs []Input, x []float32, idx []int) ([]Baseline, error) {
	enc, err := NewEncoder(inputs)
	if err != nil {
		return nil, err
	}
	w := enc.Width()
	if w == 0 || len(x)%w != 0 {
		return nil, fmt.Errorf("nn: baseline: %d values are not rows of %d features", len(x), w)
	}
	if idx == nil {
		idx = make([]int, len(x)/w)
		for i := range idx {
			idx[i] = i
		}
	}
	if len(idx) == 0 {
		return nil, errors.New("nn: baseline: no training rows")
	}
	sums := make([]float64, w)
	for _, r := range idx {
		if r < 0 || (r+1)*w > len(x) {
			return nil, fmt.Errorf("nn: baseline: row %d out of range (%d rows)", r, len(x)/w)
		}
		for j, v := range x[r*w : (r+1)*w] {
			sums[j] += float64(v)
		}
	}
	n := float64(len(idx))
	out := make([]Baseline, len(inputs))
	for i := range inputs {
		in, off := &inputs[i], enc.Offset(i)
		out[i].Input = in.Name
		switch in.Kind {
		case KindNumeric, KindDate: // a date's first feature is its scaled days
			v := in.untransform(sums[off] / n)
			out[i].Number = &v
		case KindVector:
			out[i].Vector = make([]float64, in.Length)
			for j := range in.Length {
				out[i].Vector[j] = in.untransform(sums[off+j] / n)
			}
		case KindCategorical:
			c := ""
			if len(in.Vocabulary) > 0 {
				counts := sums[off : off+len(in.Vocabulary)]
				c = in.Vocabulary[slices.Index(counts, slices.Max(counts))]
			}
			out[i].Category = &c
		}
	}
	return out, nil
}

// untransform maps an encoded value back through Scale and Log1p (Clip has
// no inverse; the mean of clipped values is inside the clip range anyway).
func (in *Input) untransform(v float64) float64 {
	if s := in.Scale; s != nil {
		switch s.Method {
		case ScaleStandard:
			if s.Std > 0 {
				v *= s.Std
			}
			v += s.Mean
		case ScaleMinMax:
			v = s.Min + v*(s.Max-s.Min)
		}
	}
	if in.Log1p {
		v = math.Expm1(v)
	}
	if in.Clip != nil {
		v = min(max(v, in.Clip.Min), in.Clip.Max)
	}
	return v
}

// The integration's accuracy: every row starts with explainSteps trapezoid
// intervals along the path; the rows whose attributions do not yet sum to
// f(x) − f(baseline) within ExplainTolerance × Σ|attribution| (plus
// explainFloor × max(1, |f(x)|, |f(baseline)|) for float32 rounding) get
// twice as many (every point is reused), up to explainMaxSteps. When the
// attributions all have the same sign, Σ|attribution| is |f(x) −
// f(baseline)|; when they cancel out, the sum is held to 1% of their size.
const (
	ExplainTolerance = 0.01
	explainFloor     = 1e-5
	explainSteps     = 8
	explainMaxSteps  = 4096
	explainBlock     = 256  // rows integrated together
	explainPoints    = 2048 // at most, path points per network pass
	// explainPointWork bounds a pass's largest product (points × the
	// widest tail layer's weights). The products run on the calling
	// goroutine (gemmOn(1, …)): DuckDB already calls the function from
	// each core, and the package's GEMM would split larger products across
	// goroutines, a hand-off that costs more than it gains here.
	explainPointWork = 1 << 20
)

// Explainer computes integrated-gradients attributions of a model's score
// from the baseline stored in its spec. Build one with NewExplainer; it is
// immutable and safe for concurrent use (one ExplainWorkspace per
// goroutine). The model must not change while it is in use.
//
// The score is what the user sees: a binary model's probability of its
// positive class (label 1), a multiclass model's probability of the class
// it predicts for the row, a regression model's value (one output only).
type Explainer struct {
	m       *Model
	base    []float32 // the encoded baseline row
	inputOf []int     // encoded feature → model input
	nInputs int
	multi   bool

	// The network as prefix → act0 → tail: the prefix is every layer up
	// to and including the first dense layer's affine part (or every layer
	// when there is no dense layer), an affine map P; act0 is that dense
	// layer's activation; the tail the layers after it. Along the straight
	// path b + t(x−b) the prefix's output is P(b) + t(P(x)−P(b)), and the
	// input gradient is Jᵀ·(gradient at the prefix's output) with the
	// constant Jacobian J of P: so only the tail runs per path point.
	prefix, tail []int
	act0         actKind
	alpha0       float32
	h            int       // the prefix's output width
	pb           []float32 // P(baseline)
	fb           []float32 // f(baseline), OutputWidth
	gb           []float32 // per explained output: the score's gradient at P(baseline), h wide
	ub           []float32 // the same with respect to act0's output
	kink         bool      // act0 is piecewise linear (relu, leaky_relu): its kinks are integrated exactly
	slope        float32   // act0's slope on the inactive side
	bnScale      [][]float32
	bnShift      [][]float32
	points       int // path points per network pass

	// The second dense layer's kinks, when it follows act0 directly (or
	// through dropout) with a piecewise-linear activation and is not the
	// output layer: k2 is its position in the tail, o2 its width, slope2
	// its inactive slope, z2b its pre-activation at the baseline and vb
	// (per explained output) the score's gradient with respect to its
	// output there. See correctKinks2.
	k2     int // −1: none
	o2     int
	slope2 float32
	z2b    []float32
	vb     []float32
}

// ErrNoBaseline is returned by NewExplainer for a model whose spec stores no
// baseline (Spec.Explain): one trained before dense stored it, or one built
// or imported outside training. Training stores one; FitBaseline computes
// one from encoded rows.
var ErrNoBaseline = errors.New("the model stores no baseline to explain from (it was trained before dense stored one, or built or imported outside training); retrain it, or set Spec.Explain with nn.FitBaseline")

// NewExplainer prepares integrated gradients for m from its stored baseline.
func NewExplainer(m *Model) (*Explainer, error) {
	e, err := newExplainer(m)
	if err != nil {
		return nil, fmt.Errorf("nn: explain: %w", err)
	}
	return e, nil
}

func newExplainer(m *Model) (*Explainer, error) {
	spec := m.Spec()
	if spec.Explain == nil {
		return nil, ErrNoBaseline
	}
	if err := spec.Explain.validate(spec.Inputs); err != nil {
		return nil, err
	}
	outW := m.OutputWidth()
	if spec.Task == TaskRegression && outW != 1 {
		return nil, fmt.Errorf("a regression model with %d outputs has no single score to explain", outW)
	}
	enc, err := NewEncoder(spec.Inputs)
	if err != nil {
		return nil, err
	}
	if enc.Width() != m.inW {
		return nil, fmt.Errorf("the inputs encode to %d features, the network takes %d", enc.Width(), m.inW)
	}
	e := &Explainer{m: m, base: make([]float32, m.inW), inputOf: make([]int, m.inW), nInputs: len(spec.Inputs),
		multi: spec.Task == TaskMulticlass, bnScale: make([][]float32, len(m.layers)), bnShift: make([][]float32, len(m.layers))}
	for i := range spec.Inputs {
		in, b := &spec.Inputs[i], &spec.Explain.Baseline[i]
		var err error
		switch in.Kind {
		case KindNumeric:
			err = enc.Number(i, *b.Number, true, e.base)
		case KindDate:
			err = enc.Date(i, *b.Number, true, e.base)
		case KindVector:
			err = enc.Vector(i, b.Vector, e.base)
		case KindCategorical:
			err = enc.Category(i, *b.Category, true, e.base)
		}
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		for j := range in.Width() {
			e.inputOf[enc.Offset(i)+j] = i
		}
	}
	first := slices.IndexFunc(m.layers, func(l layer) bool { return l.kind == kindDense })
	e.act0, e.h = actLinear, m.OutputWidth()
	for i := range m.layers {
		l := &m.layers[i]
		if first < 0 || i <= first {
			e.prefix = append(e.prefix, i)
		} else {
			e.tail = append(e.tail, i)
		}
		if i == first {
			e.act0, e.alpha0, e.h = l.act, l.alpha, l.out
		}
		if l.kind == kindBatchNorm {
			e.bnScale[i], e.bnShift[i] = make([]float32, l.out), make([]float32, l.out)
			for j := range l.out {
				s := float32(1 / math.Sqrt(float64(l.runVar[j])+l.eps))
				e.bnScale[i][j] = l.gamma[j] * s
				e.bnShift[i][j] = l.beta[j] - l.runMean[j]*l.gamma[j]*s
			}
		}
	}
	e.k2 = -1
	for k, i := range e.tail {
		l := &m.layers[i]
		if l.kind == kindDropout {
			continue
		}
		rest := slices.ContainsFunc(e.tail[k+1:], func(j int) bool { return m.layers[j].kind == kindDense })
		if l.kind == kindDense && rest && (l.act == actReLU || l.act == actLeakyReLU) {
			e.k2, e.o2 = k, l.out
			if l.act == actLeakyReLU {
				e.slope2 = l.alpha
			}
		}
		break
	}
	work := 1
	for _, i := range e.tail {
		if l := &m.layers[i]; l.kind == kindDense {
			work = max(work, l.in*l.out)
		}
	}
	e.points = min(max(explainPointWork/work, 32), explainPoints)
	ws := &ExplainWorkspace{}
	e.pb = slices.Clone(e.prefixForward(ws, e.base, 1))
	classes := 1
	if e.multi {
		classes = outW
	}
	z := make([]float32, classes*e.h)
	for c := range classes {
		copy(z[c*e.h:], e.pb)
	}
	ws.cls = grow(ws.cls, classes)
	for c := range classes {
		ws.cls[c] = c
	}
	out, _, _ := e.pass(ws, slices.Clone(e.pb), 1, false) // f(baseline): Predict's arithmetic
	e.fb = slices.Clone(out[:outW])
	_, dz, u := e.pass(ws, z, classes, true)
	e.gb = slices.Clone(dz[:classes*e.h])
	e.ub = slices.Clone(u[:classes*e.h])
	if e.k2 >= 0 {
		e.z2b = slices.Clone(ws.tz[e.k2][:e.o2])
		e.vb = slices.Clone(ws.v[:classes*e.o2])
	}
	switch e.act0 {
	case actReLU:
		e.kink = true
	case actLeakyReLU:
		e.kink, e.slope = true, e.alpha0
	}
	return e, nil
}

// Baseline returns the encoded baseline row (shared: do not modify).
func (e *Explainer) Baseline() []float32 { return e.base }

// Attributions is the result of Explainer.Explain for rows rows; Explain
// grows its slices and reuses them.
type Attributions struct {
	// Values holds rows × Inputs attributions: Values[r*Inputs+i] is input
	// i's share of row r's Score − Base (the input's encoded features'
	// attributions summed: a one-hot block, a vector, a missing indicator).
	Values []float64
	Inputs int
	// Score is f(x), the explained score of each row; Base is f(baseline)
	// for the same output; Output is the output explained (a multiclass
	// model's predicted class, else 0); Steps the trapezoid intervals used.
	// A row whose output is NaN has NaN everywhere and Steps 0.
	Score, Base []float64
	Output      []int
	Steps       []int
}

func (a *Attributions) grow(rows, inputs int) {
	a.Inputs = inputs
	a.Values = grow(a.Values, rows*inputs)
	clear(a.Values)
	a.Score = grow(a.Score, rows)
	a.Base = grow(a.Base, rows)
	a.Output = grow(a.Output, rows)
	a.Steps = grow(a.Steps, rows)
}

// ExplainWorkspace is scratch memory for Explain, one per goroutine; it
// grows to the largest block and is then reused without allocating.
type ExplainWorkspace struct {
	pre    [2][]float32 // prefix ping-pong
	px     []float32    // block rows × h: P(x)
	d      []float32    // block rows × h: P(x) − P(baseline)
	out    []float32    // block rows × outW: f(x)
	cls    []int        // per pass row: the output to differentiate
	z, a   []float32    // pass rows × h: the prefix's output and act0 of it
	tz, ta [][]float32  // per tail layer: pre-activation and output
	g      [2][]float32 // gradient ping-pong
	sum    []float32    // block rows × h: trapezoid sums of the gradient at the prefix's output
	steps  []int
	delta  []float64 // block rows: f(x) − f(baseline)
	tol    []float64
	active []int
	pts    []point
	avg    []float32 // block rows × h
	// act0's kinks (block rows × h): where on the path each unit of a
	// piecewise-linear act0 changes slope (−1: not inside (0, 1)), the
	// grid cell holding that point, and the gradient with respect to the
	// unit's output at the cell's two ends.
	tau     []float32
	cell    []int
	uL, uR  []float32
	kinks   []int32 // block rows × h: row r's kink units first, nKinks[r] of them
	nKinks  []int
	rowCls  []int
	rowSkip []bool
	// The second layer's kinks: per pass row, the score's gradient with
	// respect to its output; per block row, its pre-activation and that
	// gradient at the row's grid points t = k/m, k = 0…m ((m+1) × o2).
	v        []float32
	z2s, v2s [][]float32
	mask     []float32 // 3h: a cell's middle point, its kinks' corrections, scratch
	bits     []uint64
}

// point is one path point: block row, position t on the path, trapezoid
// weight.
type point struct {
	row  int
	k    int // t = k/m on the current level's grid of m intervals
	t, w float32
}

// NewExplainWorkspace returns an empty workspace.
func (e *Explainer) NewExplainWorkspace() *ExplainWorkspace { return &ExplainWorkspace{} }

// Explain computes the attributions of rows × InputWidth encoded rows x
// into dst, in blocks of rows; each row is integrated with as many steps as
// it needs (see ExplainTolerance). It only reads the model.
func (e *Explainer) Explain(dst *Attributions, x []float32, rows int, ws *ExplainWorkspace) error {
	if err := e.m.checkRows(x, rows); err != nil {
		return fmt.Errorf("nn: explain: %w", err)
	}
	if ws == nil {
		return errors.New("nn: explain: Explain needs an ExplainWorkspace (Explainer.NewExplainWorkspace)")
	}
	dst.grow(rows, e.nInputs)
	w := e.m.inW
	for lo := 0; lo < rows; lo += explainBlock {
		hi := min(lo+explainBlock, rows)
		e.block(dst, x[lo*w:hi*w], lo, hi-lo, ws)
	}
	return nil
}

// block explains n rows x, the rows lo… of dst.
func (e *Explainer) block(dst *Attributions, x []float32, lo, n int, ws *ExplainWorkspace) {
	h, outW := e.h, e.m.OutputWidth()
	ws.px = grow(ws.px, n*h)
	copy(ws.px, e.prefixForward(ws, x, n))
	ws.d = grow(ws.d, n*h)
	for r := range n {
		axpy(ws.d[r*h:(r+1)*h], ws.px[r*h:(r+1)*h], e.pb, -1) // P(x) − P(b)
	}

	// f(x), and the output each row explains.
	ws.cls = grow(ws.cls, n)
	clear(ws.cls)
	ws.z = grow(ws.z, n*h)
	copy(ws.z, ws.px)
	out, _, _ := e.pass(ws, ws.z[:n*h], n, false)
	ws.out = grow(ws.out, n*outW)
	copy(ws.out, out[:n*outW])
	ws.rowCls, ws.rowSkip = grow(ws.rowCls, n), grow(ws.rowSkip, n)
	ws.sum, ws.steps = grow(ws.sum, n*h), grow(ws.steps, n)
	ws.delta, ws.tol = grow(ws.delta, n), grow(ws.tol, n)
	if e.kink {
		ws.tau, ws.cell = grow(ws.tau, n*h), grow(ws.cell, n*h)
		ws.uL, ws.uR = grow(ws.uL, n*h), grow(ws.uR, n*h)
		ws.kinks, ws.nKinks = grow(ws.kinks, n*h), grow(ws.nKinks, n)
		clear(ws.nKinks)
	}
	ws.active = ws.active[:0]
	spec := &e.m.spec
	for r := range n {
		y := ws.out[r*outW : (r+1)*outW]
		c, ok := 0, true
		if e.multi {
			c, ok = spec.Classify(y)
		}
		fx, fb := float64(y[c]), float64(e.fb[c])
		ws.rowCls[r], ws.rowSkip[r] = c, !ok || math.IsNaN(fx)
		dst.Score[lo+r], dst.Base[lo+r], dst.Output[lo+r] = fx, fb, c
		if ws.rowSkip[r] {
			dst.Steps[lo+r] = 0
			dst.Score[lo+r] = math.NaN()
			for i := range e.nInputs {
				dst.Values[(lo+r)*e.nInputs+i] = math.NaN()
			}
			continue
		}
		ws.delta[r] = fx - fb
		ws.tol[r] = explainFloor * max(1, math.Abs(fx), math.Abs(fb))
		gb := e.gb[c*h : (c+1)*h]
		s := ws.sum[r*h : (r+1)*h]
		for j, g := range gb {
			s[j] = g / 2
		}
		ws.active = append(ws.active, r)
	}

	// Level 0: t = k/m, k = 1…m (the endpoint t = 1 weighs ½, like t = 0,
	// which is the baseline's gradient already in the sums). Each further
	// level adds the midpoints of the current intervals to the rows that
	// are not yet complete.
	m := explainSteps
	ws.pts = ws.pts[:0]
	for _, r := range ws.active {
		for k := 1; k <= m; k++ {
			w := float32(1)
			if k == m {
				w = 0.5
			}
			ws.pts = append(ws.pts, point{row: r, k: k, t: float32(k) / float32(m), w: w})
		}
		ws.steps[r] = m
		if e.kink {
			e.findKinks(ws, r, m)
		}
		if e.k2 >= 0 {
			e.startKinks2(ws, r, m)
		}
	}
	for {
		e.integrate(ws, ws.pts)
		e.attribute(dst, x, lo, ws, ws.active)
		next := ws.active[:0]
		for _, r := range ws.active {
			if m < explainMaxSteps && !e.complete(dst, ws, lo, r) {
				next = append(next, r)
			}
		}
		ws.active = next
		if len(next) == 0 {
			return
		}
		ws.pts = ws.pts[:0]
		for _, r := range next {
			for k := 1; k <= m; k++ {
				ws.pts = append(ws.pts, point{row: r, k: 2*k - 1, t: float32(2*k-1) / float32(2*m), w: 1})
			}
			ws.steps[r] = 2 * m
			if e.kink {
				e.halveKinkCells(ws, r, 2*m)
			}
			if e.k2 >= 0 {
				e.spreadKinks2(ws, r, m)
			}
		}
		m *= 2
	}
}

// The kinks of a piecewise-linear act0. On the path, unit j's input is
// z_j(t) = P(b)_j + t·d_j with d = P(x) − P(b): its slope changes once, at
// τ = −P(b)_j/d_j. The trapezoid rule treats the gradient there as if it
// jumped at a grid point, an error of the order of the grid spacing per
// kink; instead the cell holding τ is integrated with the slope change
// where it is and the gradient with respect to the unit's output
// interpolated linearly between the cell's ends (recorded as the points
// are evaluated): the first layer's kinks then cost no extra steps.

// findKinks locates row r's kinks on the grid of m intervals.
func (e *Explainer) findKinks(ws *ExplainWorkspace, r, m int) {
	h := e.h
	px, tau, cell := ws.px[r*h:(r+1)*h], ws.tau[r*h:(r+1)*h], ws.cell[r*h:(r+1)*h]
	ub := e.ub[ws.rowCls[r]*h : (ws.rowCls[r]+1)*h]
	kinks := ws.kinks[r*h : (r+1)*h]
	nk := 0
	for j, b := range e.pb {
		tau[j] = -1
		d := px[j] - b
		if d == 0 {
			continue
		}
		t := -b / d
		if !(t > 0 && t < 1) {
			continue
		}
		tau[j], cell[j] = t, min(int(t*float32(m)), m-1)
		kinks[nk] = int32(j)
		nk++
		if cell[j] == 0 { // the cell starts at the baseline
			ws.uL[r*h+j] = ub[j]
		}
	}
	ws.nKinks[r] = nk
}

// halveKinkCells moves row r's kink cells to the grid of m intervals (twice
// as fine): the half holding τ keeps one end's gradient, the new midpoint
// gives the other.
func (e *Explainer) halveKinkCells(ws *ExplainWorkspace, r, m int) {
	h := e.h
	tau, cell := ws.tau[r*h:(r+1)*h], ws.cell[r*h:(r+1)*h]
	for _, j := range ws.kinks[r*h : r*h+ws.nKinks[r]] {
		cell[j] = min(max(int(tau[j]*float32(m)), 2*cell[j]), 2*cell[j]+1)
	}
}

// recordKinks keeps the gradients u (with respect to act0's output) of the
// evaluated points that end a kink cell. A row's points in a batch are
// consecutive, their k an arithmetic progression (1, 2, … on the first
// level, the odd midpoints after): each kink unit looks up its cell's two
// ends in the run instead of every point testing every unit.
func (e *Explainer) recordKinks(ws *ExplainWorkspace, batch []point, u []float32) {
	h := e.h
	for i := 0; i < len(batch); {
		r, k0 := batch[i].row, batch[i].k
		end := i + 1
		for end < len(batch) && batch[end].row == r {
			end++
		}
		step := 1
		if end-i > 1 {
			step = batch[i+1].k - k0
		}
		run := end - i
		cell, uL, uR := ws.cell[r*h:(r+1)*h], ws.uL[r*h:(r+1)*h], ws.uR[r*h:(r+1)*h]
		for _, j := range ws.kinks[r*h : r*h+ws.nKinks[r]] {
			c := cell[j]
			if d := c - k0; d >= 0 && d%step == 0 && d/step < run {
				uL[j] = u[(i+d/step)*h+int(j)]
			}
			if d := c + 1 - k0; d >= 0 && d%step == 0 && d/step < run {
				uR[j] = u[(i+d/step)*h+int(j)]
			}
		}
		i = end
	}
}

// correctKinks replaces, in row r's average gradient avg, the trapezoid
// value of each kink cell by its integral with the slope change at τ.
func (e *Explainer) correctKinks(ws *ExplainWorkspace, r int, avg []float32) {
	h, m := e.h, ws.steps[r]
	px := ws.px[r*h : (r+1)*h]
	a := float64(e.slope)
	tau := ws.tau[r*h : (r+1)*h]
	for _, j32 := range ws.kinks[r*h : r*h+ws.nKinks[r]] {
		j := int(j32)
		t := tau[j]
		phi := float64(t)*float64(m) - float64(ws.cell[r*h+j])
		uL, uR := float64(ws.uL[r*h+j]), float64(ws.uR[r*h+j])
		left := phi*uL + (uR-uL)*phi*phi/2          // ∫ of u over the part of the cell before τ, in cells
		right := (1-phi)*uL + (uR-uL)*(1-phi*phi)/2 // and after
		var exact, trap float64
		if px[j] > e.pb[j] { // active after τ
			exact, trap = a*left+right, (a*uL+uR)/2
		} else {
			exact, trap = left+a*right, (uL+a*uR)/2
		}
		avg[j] += float32((exact - trap) / float64(m))
	}
}

// The second dense layer's kinks. Between two grid points without a
// first-layer kink, the second layer's pre-activations are linear in t too,
// so a unit whose sign differs at a cell's two ends turns on or off once
// inside it, at the point linear interpolation gives. Its share of the
// gradient with respect to the prefix's output is v_q(t)·act2'(z2_q(t)) ·
// W2[q,:] ⊙ act0'(z(t)): the trapezoid rule counts it as if it changed
// gradually across the cell. correctKinks2 integrates it with the slope
// change where it is, v_q interpolated linearly between the cell's ends and
// act0' taken at the cell's middle, as correctKinks does for the first
// layer; the rows' grid values (z2s, v2s) are kept as the points are
// evaluated. Where a first-layer kink shares the cell the correction is
// approximate, and the completeness check still decides the steps.

// startKinks2 sizes row r's grid values for m intervals and sets the
// baseline's (k = 0).
func (e *Explainer) startKinks2(ws *ExplainWorkspace, r, m int) {
	if len(ws.z2s) < len(ws.steps) {
		ws.z2s = append(ws.z2s, make([][]float32, len(ws.steps)-len(ws.z2s))...)
		ws.v2s = append(ws.v2s, make([][]float32, len(ws.steps)-len(ws.v2s))...)
	}
	o2 := e.o2
	ws.z2s[r], ws.v2s[r] = grow(ws.z2s[r], (m+1)*o2), grow(ws.v2s[r], (m+1)*o2)
	copy(ws.z2s[r], e.z2b)
	c := ws.rowCls[r]
	copy(ws.v2s[r], e.vb[c*o2:(c+1)*o2])
}

// spreadKinks2 moves row r's grid values from m to 2m intervals: point k
// becomes point 2k (the odd points are evaluated next).
func (e *Explainer) spreadKinks2(ws *ExplainWorkspace, r, m int) {
	o2 := e.o2
	for _, vals := range []*[]float32{&ws.z2s[r], &ws.v2s[r]} {
		old := *vals
		grown := old
		if cap(old) < (2*m+1)*o2 {
			grown = make([]float32, (2*m+1)*o2, 2*(2*m+1)*o2)
		}
		grown = grown[:(2*m+1)*o2]
		for k := m; k >= 0; k-- {
			copy(grown[2*k*o2:(2*k+1)*o2], old[k*o2:(k+1)*o2])
		}
		*vals = grown
	}
}

// correctKinks2 adds to row r's average gradient avg (at the prefix's
// output) each second-layer kink's integral less its trapezoid value. The
// units' signs at each grid point are bit sets of sign bits (so +0 counts
// as on: a kink exactly on a grid point is the same either way); a cell's
// crossings are the bits that differ at its two ends.
func (e *Explainer) correctKinks2(ws *ExplainWorkspace, r int, avg []float32) {
	h, o2, m := e.h, e.o2, ws.steps[r]
	l2 := &e.m.layers[e.tail[e.k2]]
	z2, v2 := ws.z2s[r], ws.v2s[r]
	a := float64(e.slope2)
	words := (o2 + 63) / 64
	ws.mask = grow(ws.mask, 3*h)
	zc, tc := ws.mask[:h], ws.mask[h:2*h]
	ws.bits = grow(ws.bits, 2*words)
	prev, cur := ws.bits[:words], ws.bits[words:2*words]
	signBits(prev, z2[:o2])
	d := ws.d[r*h : (r+1)*h]
	for c := range m {
		za, zb := z2[c*o2:(c+1)*o2], z2[(c+1)*o2:(c+2)*o2]
		signBits(cur, zb)
		any := false
		for wi := range words {
			x := prev[wi] ^ cur[wi]
			for x != 0 {
				q := wi*64 + bits.TrailingZeros64(x)
				x &= x - 1
				if !any {
					clear(tc)
					any = true
				}
				phi := float64(za[q]) / (float64(za[q]) - float64(zb[q]))
				vL, vR := float64(v2[c*o2+q]), float64(v2[(c+1)*o2+q])
				left := phi*vL + (vR-vL)*phi*phi/2
				right := (1-phi)*vL + (vR-vL)*(1-phi*phi)/2
				var exact, trap float64
				if cur[wi]>>(q%64)&1 == 0 { // on after the kink
					exact, trap = a*left+right, (a*vL+vR)/2
				} else {
					exact, trap = left+a*right, (vL+a*vR)/2
				}
				axpy(tc, tc, l2.w[q*l2.in:(q+1)*l2.in], float32((exact-trap)/float64(m)))
			}
		}
		prev, cur = cur, prev
		if !any {
			continue
		}
		// act0' in the middle of the cell, times the cell's corrections.
		axpy(zc, e.pb, d, (float32(c)+0.5)/float32(m))
		e.addAct0Grad(avg, zc, tc, ws.mask[h:3*h])
	}
}

// addAct0Grad adds act0'(z) ⊙ g to avg (one row), with scratch two rows
// wide (its first row may be g).
func (e *Explainer) addAct0Grad(avg, z, g, scratch []float32) {
	n := len(avg)
	if e.act0 == actReLU { // no use of act0(z)
		activationGrad(actReLU, 0, z[:n], nil, g[:n], scratch[:n], n)
		axpy(avg, avg, scratch, 1)
		return
	}
	a := scratch[n : 2*n]
	activate(e.act0, e.alpha0, z[:n], a, n)
	activationGrad(e.act0, e.alpha0, z[:n], a, g[:n], scratch[:n], n)
	axpy(avg, avg, scratch, 1)
}

// signBits sets bit q of dst when z[q]'s sign bit is set (z ≤ −0).
func signBits(dst []uint64, z []float32) {
	for w := range dst {
		chunk := z[w*64 : min(len(z), (w+1)*64)]
		bits, i := signMaskVec(chunk)
		for ; i < len(chunk); i++ {
			bits |= uint64(math.Float32bits(chunk[i])>>31) << i
		}
		dst[w] = bits
	}
}

// complete reports whether row r's attributions (row lo+r of dst) sum to
// f(x) − f(baseline) within the tolerance.
func (e *Explainer) complete(dst *Attributions, ws *ExplainWorkspace, lo, r int) bool {
	var sum, abs float64
	for _, v := range dst.Values[(lo+r)*e.nInputs : (lo+r+1)*e.nInputs] {
		sum += v
		abs += math.Abs(v)
	}
	return math.Abs(sum-ws.delta[r]) <= ws.tol[r]+ExplainTolerance*abs
}

// attribute computes the attributions of the given block rows from their
// sums: the average gradient at the prefix's output, back through the
// prefix's constant Jacobian, times x − baseline, summed per input.
func (e *Explainer) attribute(dst *Attributions, x []float32, lo int, ws *ExplainWorkspace, rows []int) {
	h, w, n := e.h, e.m.inW, len(rows)
	ws.avg = grow(ws.avg, n*h)
	for k, r := range rows {
		inv := 1 / float32(ws.steps[r])
		avg := ws.avg[k*h : (k+1)*h]
		for j, s := range ws.sum[r*h : (r+1)*h] {
			avg[j] = s * inv
		}
		if e.kink {
			e.correctKinks(ws, r, avg)
		}
		if e.k2 >= 0 {
			e.correctKinks2(ws, r, avg)
		}
	}
	g := e.prefixBackward(ws, ws.avg[:n*h], n)
	for k, r := range rows {
		dst.Steps[lo+r] = ws.steps[r]
		vals := dst.Values[(lo+r)*e.nInputs : (lo+r+1)*e.nInputs]
		clear(vals)
		xr, gr := x[r*w:(r+1)*w], g[k*w:(k+1)*w]
		for j, b := range e.base {
			vals[e.inputOf[j]] += (float64(xr[j]) - float64(b)) * float64(gr[j])
		}
	}
}

// integrate evaluates the score's gradient at the points, e.points at
// a time, and adds it, weighted, to their rows' sums.
func (e *Explainer) integrate(ws *ExplainWorkspace, pts []point) {
	h := e.h
	for len(pts) > 0 {
		n := min(len(pts), e.points)
		batch := pts[:n]
		pts = pts[n:]
		ws.z = grow(ws.z, n*h)
		ws.cls = grow(ws.cls, n)
		for i, p := range batch {
			z := ws.z[i*h : (i+1)*h]
			px := ws.px[p.row*h : (p.row+1)*h]
			ws.cls[i] = ws.rowCls[p.row]
			if p.t == 1 {
				copy(z, px)
				continue
			}
			axpy(z, e.pb, ws.d[p.row*h:(p.row+1)*h], p.t) // b + t·(x − b)
		}
		_, dz, u := e.pass(ws, ws.z[:n*h], n, true)
		if e.kink {
			e.recordKinks(ws, batch, u)
		}
		if e.k2 >= 0 {
			o2, z2 := e.o2, ws.tz[e.k2]
			for i, p := range batch {
				copy(ws.z2s[p.row][p.k*o2:(p.k+1)*o2], z2[i*o2:(i+1)*o2])
				copy(ws.v2s[p.row][p.k*o2:(p.k+1)*o2], ws.v[i*o2:(i+1)*o2])
			}
		}
		for i, p := range batch {
			s := ws.sum[p.row*h : (p.row+1)*h]
			axpy(s, s, dz[i*h:(i+1)*h], p.w) // s + 1·g is s + g exactly
		}
	}
}

// prefixForward computes P(x) for n rows x (n × h, in a workspace buffer).
func (e *Explainer) prefixForward(ws *ExplainWorkspace, x []float32, n int) []float32 {
	cur, p := x, 0
	for _, i := range e.prefix {
		l := &e.m.layers[i]
		switch l.kind {
		case kindDense:
			ws.pre[p] = grow(ws.pre[p], n*l.out)
			dst := ws.pre[p]
			gemmOn(1, false, true, n, l.out, l.in, 1, cur, l.in, l.w, l.in, 0, dst[:n*l.out], l.out) // denseLinear on this goroutine
			biasActivate(actLinear, 0, l.b, dst, dst, l.out)
			cur, p = dst, p^1
		case kindBatchNorm:
			ws.pre[p] = grow(ws.pre[p], n*l.out)
			dst := ws.pre[p]
			affineRows(cur, dst, e.bnScale[i], e.bnShift[i])
			cur, p = dst, p^1
		}
	}
	return cur[:n*e.h]
}

// prefixBackward computes Jᵀg for n rows g (n × h) at the prefix's input.
func (e *Explainer) prefixBackward(ws *ExplainWorkspace, g []float32, n int) []float32 {
	cur, p := g, 0
	for k := len(e.prefix) - 1; k >= 0; k-- {
		i := e.prefix[k]
		l := &e.m.layers[i]
		switch l.kind {
		case kindDense:
			ws.pre[p] = grow(ws.pre[p], n*l.in)
			dst := ws.pre[p]
			gemmOn(1, false, false, n, l.in, l.out, 1, cur, l.out, l.w, l.in, 0, dst, l.in)
			cur, p = dst, p^1
		case kindBatchNorm:
			ws.pre[p] = grow(ws.pre[p], n*l.in)
			dst := ws.pre[p]
			scaleRows(cur, dst, e.bnScale[i])
			cur, p = dst, p^1
		}
	}
	return cur[:n*e.m.inW]
}

// pass runs act0 and the tail on n rows z (n × h) in inference mode and,
// when grad is set, differentiates output ws.cls[i] of row i with respect
// to z. It returns the outputs (n × OutputWidth), the gradients with
// respect to z (n × h) and with respect to act0(z) (n × h), all in
// workspace buffers.
func (e *Explainer) pass(ws *ExplainWorkspace, z []float32, n int, grad bool) (out, dz, u []float32) {
	h := e.h
	ws.a = grow(ws.a, n*h)
	activate(e.act0, e.alpha0, z, ws.a, h)
	if len(ws.tz) < len(e.tail) {
		ws.tz, ws.ta = make([][]float32, len(e.tail)), make([][]float32, len(e.tail))
	}
	cur := ws.a[:n*h]
	for k, i := range e.tail {
		l := &e.m.layers[i]
		switch l.kind {
		case kindDense:
			ws.tz[k], ws.ta[k] = grow(ws.tz[k], n*l.out), grow(ws.ta[k], n*l.out)
			if grad && l.out == 1 {
				// One unit (a binary or regression output): dot products,
				// which the GEMM's tiles would pad 16-fold. Only the
				// gradient passes take this path; the outputs f(x) are
				// Predict's own arithmetic.
				w, z := l.w[:l.in], ws.tz[k][:n]
				for r := range z {
					var d float32
					for j, v := range cur[r*l.in : (r+1)*l.in][:len(w)] {
						d += v * w[j]
					}
					z[r] = d
				}
			} else {
				gemmOn(1, false, true, n, l.out, l.in, 1, cur, l.in, l.w, l.in, 0, ws.tz[k][:n*l.out], l.out) // denseLinear on this goroutine
			}
			biasActivate(l.act, l.alpha, l.b, ws.tz[k], ws.ta[k], l.out)
			cur = ws.ta[k]
		case kindBatchNorm:
			ws.ta[k] = grow(ws.ta[k], n*l.out)
			affineRows(cur, ws.ta[k], e.bnScale[i], e.bnShift[i])
			cur = ws.ta[k]
		}
	}
	out = cur
	if !grad {
		return out, nil, nil
	}
	outW := e.m.OutputWidth()
	ws.g[0] = grow(ws.g[0], n*max(outW, h, e.m.maxW))
	ws.g[1] = grow(ws.g[1], n*max(outW, h, e.m.maxW))
	g, p := ws.g[0][:n*outW], 1
	clear(g)
	for i := range n {
		g[i*outW+ws.cls[i]] = 1
	}
	for k := len(e.tail) - 1; k >= 0; k-- {
		i := e.tail[k]
		l := &e.m.layers[i]
		switch l.kind {
		case kindDense:
			if k == e.k2 {
				ws.v = grow(ws.v, n*l.out)
				copy(ws.v, g[:n*l.out])
			}
			activationGrad(l.act, l.alpha, ws.tz[k], ws.ta[k], g, g, l.out)
			dst := ws.g[p][:n*l.in]
			if l.out == 1 {
				w := l.w[:l.in]
				for r, gr := range g[:n] {
					d := dst[r*l.in : (r+1)*l.in][:len(w)]
					for j, v := range w {
						d[j] = gr * v
					}
				}
			} else {
				gemmOn(1, false, false, n, l.in, l.out, 1, g, l.out, l.w, l.in, 0, dst, l.in)
			}
			g, p = dst, p^1
		case kindBatchNorm:
			dst := ws.g[p][:n*l.in]
			scaleRows(g, dst, e.bnScale[i])
			g, p = dst, p^1
		}
	}
	dz = ws.g[p][:n*h]
	activationGrad(e.act0, e.alpha0, z, ws.a[:n*h], g, dz, h)
	return out, dz, g[:n*h]
}

// scaleRows computes dst[r,j] = src[r,j]·scale[j].
func scaleRows(src, dst, scale []float32) {
	w := len(scale)
	for r := 0; r+w <= len(src); r += w {
		s, d := src[r:r+w], dst[r:r+w]
		for j, v := range s {
			d[j] = v * scale[j]
		}
	}
}

// axpy computes dst[i] = x[i] + a·y[i] (dst may be x; x and y at least as
// long as dst).
func axpy(dst, x, y []float32, a float32) {
	i := axpyVec(dst, x, y, a)
	x, y = x[:len(dst)], y[:len(dst)]
	for ; i < len(dst); i++ {
		dst[i] = x[i] + a*y[i]
	}
}
