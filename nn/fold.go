package nn

import (
	"fmt"
	"math"
)

// Scorer is a model compiled for scoring: the affine part of its inputs'
// preprocessing (standard and min-max scaling) is folded into the first
// dense layer's weights and bias, so the features a scorer encodes for it are
// the raw values (after imputation, clipping and log1p, which stay in the
// encoding). For the numeric and vector inputs that `dense train` fits
// (standardised, no clipping, no log1p) the encoding becomes a plain copy of
// the column, or no copy at all when a FLOAT[n] array already is the feature
// matrix.
//
// Folding rewrites W·((v − c)·a) + b as (W·a)·v + (b − W·a·c) for each folded
// input with scale factor a and shift c. Done naively the shift trades
// precision for speed: when |a·c| is large (a year column, mean 2000 and
// standard deviation 10) the float32 products W·a·v and the bias cancel, and
// the result loses digits. A shift is folded into the bias only when |a·c| ≤
// MaxFoldedShift; otherwise the scoring input keeps it as a shift-only scale
// (v − c, computed in float64 before the float32 rounding, like the
// unfolded encoding) and only the factor a goes into the weights. An input
// is not folded at all when W·a would leave float32's normal range, or when
// the first layer that computes is not dense (batch norm). The results
// differ from the unfolded model's by float32 rounding only (the tests
// compare them at 1e-5 relative).
//
// The Scorer's encoding differs from the model's at the edges of float32's
// range. A finite value beyond float32's range that the model's encoding
// would scale back into range is refused by the Scorer's Encoder
// (ErrFloat32Range or ErrNotFinite); a value whose scaled feature the
// model's encoding refuses (ErrFloat32Range) is encoded by the Scorer's
// unless the scorer checks Limit. Scorers that must keep the model's rule
// and errors exactly send a batch that the Scorer's Encoder refuses, or that
// has a feature beyond Limit, to the model's own Encoder and network (udf
// does this).
//
// The model file keeps the raw Spec: a Scorer is built when a model is
// loaded for scoring and is never saved or trained. It is immutable and safe
// for concurrent use.
type Scorer struct {
	model  *Model    // the network for the scorer's encoding: a folded copy, or the model itself
	net    *scoreNet // model prepared for scoring (nil: no layers, Model.PredictInto)
	enc    *Encoder
	folded []bool
	limits []float64 // per input: Limit
}

// MaxFoldedShift bounds |a·c|, the shift of a folded input in units of its
// scaled feature, for the shift to go into the first layer's bias (see
// Scorer). Within it a float32 product W·a·v carries at most a few times the
// rounding error of the unfolded W·((v−c)·a).
const MaxFoldedShift = 8

// NewScorer compiles m for scoring (see Scorer). m must not be changed (Fit,
// writes through Tensors) while the Scorer is in use; the Scorer shares no
// memory with m when it folds anything, and is m's own network otherwise.
func NewScorer(m *Model) (*Scorer, error) {
	s, err := newScorer(m)
	if err != nil {
		return nil, err
	}
	s.net = newScoreNet(s.model)
	return s, nil
}

// NewNetworkScorer is a Scorer that folds nothing: m's own network
// prepared for scoring, for rows encoded with m's own preprocessing (m's
// Encoder, or tabular's Featurizer). Its PredictInto gives
// Model.PredictInto's bits, faster; its Encoder is m's. m must not be
// changed while the Scorer is in use.
func NewNetworkScorer(m *Model) (*Scorer, error) {
	enc, err := NewEncoder(m.spec.Inputs)
	if err != nil {
		return nil, fmt.Errorf("nn: scorer: %w", err)
	}
	s := &Scorer{model: m, enc: enc, folded: make([]bool, len(m.spec.Inputs)), limits: make([]float64, len(m.spec.Inputs))}
	for i := range s.limits {
		s.limits[i] = math.Inf(1)
	}
	s.net = newScoreNet(m)
	return s, nil
}

func newScorer(m *Model) (*Scorer, error) {
	inputs := append([]Input(nil), m.spec.Inputs...)
	enc, err := NewEncoder(m.spec.Inputs)
	if err != nil {
		return nil, fmt.Errorf("nn: scorer: %w", err)
	}
	s := &Scorer{model: m, folded: make([]bool, len(inputs)), limits: make([]float64, len(inputs))}
	for i := range s.limits {
		s.limits[i] = math.Inf(1)
	}
	first := firstDense(m)
	if first < 0 {
		s.enc = enc
		return s, nil
	}
	l := &m.layers[first]
	// Per encoded column of the first layer: the factor a and the shift c
	// folded into the bias.
	factor := make([]float64, m.inW)
	shift := make([]float64, m.inW)
	for j := range factor {
		factor[j] = 1
	}
	foldedAny := false
	for i := range inputs {
		in := &inputs[i]
		off, n := enc.Offset(i), in.Length
		if in.Kind == KindNumeric {
			n = 1 // the missing indicator, if any, stays as it is
		}
		a, c, ok := in.affine()
		if !ok || !foldable(l, off, n, a) {
			continue
		}
		in.Scale = nil
		if math.Abs(a*c) > MaxFoldedShift {
			in.Scale = &Scale{Method: ScaleStandard, Mean: c} // Std 0: v − c
			c = 0
		}
		// The model's encoding refuses a feature (f − c)·a beyond float32's
		// range; within |f| ≤ M/a − |c| (float64's rounding is far below
		// float32's half ulp at M) it never does.
		if lim := math.MaxFloat32/a - math.Abs(c); a > 0 && lim < math.MaxFloat32 {
			s.limits[i] = lim
		}
		for j := off; j < off+n; j++ {
			factor[j], shift[j] = a, c
		}
		s.folded[i] = true
		foldedAny = true
	}
	if !foldedAny {
		s.enc = enc
		return s, nil
	}
	spec := m.spec
	spec.Inputs = inputs
	spec.Layers = append([]LayerSpec(nil), m.spec.Layers...)
	spec.Layers[first].Bias = true // a folded shift needs a bias
	fm, err := newModel(spec, 0)
	if err != nil {
		return nil, fmt.Errorf("nn: scorer: %w", err)
	}
	copyWeights(fm, m)
	fl := &fm.layers[first]
	for u := range fl.out {
		row := l.w[u*l.in : (u+1)*l.in]
		b := 0.0
		if l.b != nil {
			b = float64(l.b[u])
		}
		for j, w := range row {
			wa := float64(w) * factor[j]
			fl.w[u*l.in+j] = float32(wa)
			b -= wa * shift[j]
		}
		fl.b[u] = float32(b)
	}
	if s.enc, err = NewEncoder(inputs); err != nil {
		return nil, fmt.Errorf("nn: scorer: %w", err)
	}
	s.model = fm
	return s, nil
}

// firstDense is the index of the first layer that computes, if it is dense
// (dropout is the identity at inference), else -1.
func firstDense(m *Model) int {
	for i := range m.layers {
		switch m.layers[i].kind {
		case kindDropout:
			continue
		case kindDense:
			return i
		}
		return -1
	}
	return -1
}

// affine reports the scaling of a numeric or vector input as a factor a and
// a shift c, scaled = (v − c)·a, with the arithmetic of transform (a min-max
// scale of an empty range gives 0 whatever the value: a = 0).
func (in *Input) affine() (a, c float64, ok bool) {
	s := in.Scale
	if s == nil || in.Kind == KindCategorical || in.Kind == KindDate { // a date's cycles need its raw days: not folded
		return 0, 0, false
	}
	switch s.Method {
	case ScaleStandard:
		if s.Std > 0 {
			return 1 / s.Std, s.Mean, true
		}
		return 1, s.Mean, true
	case ScaleMinMax:
		if r := s.Max - s.Min; r > 0 {
			return 1 / r, s.Min, true
		}
		return 0, 0, true
	}
	return 0, 0, false
}

// foldable reports whether the first layer's weights of columns off…off+n-1
// stay normal float32 numbers (or zero) when multiplied by a.
func foldable(l *layer, off, n int, a float64) bool {
	if math.IsNaN(a) || math.IsInf(a, 0) {
		return false
	}
	for u := range l.out {
		for _, w := range l.w[u*l.in+off : u*l.in+off+n] {
			wa := float64(w) * a
			if wa == 0 {
				continue
			}
			if f := math.Abs(float64(float32(wa))); f > math.MaxFloat32 || f < 0x1p-126 {
				return false
			}
		}
	}
	return true
}

// copyWeights copies src's parameters and buffers into dst, layer by layer;
// dst has src's layers (a dense layer may have a bias src lacks: zeros).
func copyWeights(dst, src *Model) {
	for i := range src.layers {
		s, d := &src.layers[i], &dst.layers[i]
		copy(d.w, s.w)
		clear(d.b)
		copy(d.b, s.b)
		copy(d.gamma, s.gamma)
		copy(d.beta, s.beta)
		copy(d.runMean, s.runMean)
		copy(d.runVar, s.runVar)
	}
}

// Encoder encodes raw input values into the rows PredictInto takes. Its
// inputs are the model's with the folded scaling taken out: use it, not an
// Encoder of the model's Spec.Inputs, to feed the Scorer.
func (s *Scorer) Encoder() *Encoder { return s.enc }

// Inputs are the scoring inputs (Encoder().Inputs()).
func (s *Scorer) Inputs() []Input { return s.enc.Inputs() }

// Folded reports whether input i's scaling is folded into the network.
func (s *Scorer) Folded(i int) bool { return s.folded[i] }

// Limit is the largest magnitude of input i's features, as the Scorer's
// Encoder writes them, for which the model's own encoding would not refuse
// the value as beyond float32's range (+Inf: every finite feature is fine).
// A scorer that keeps the model's rule sends a row with a larger feature to
// the model (see Scorer).
func (s *Scorer) Limit(i int) float64 { return s.limits[i] }

// Model is the network PredictInto runs: not the model's file content (its
// Spec has the scoring inputs); not to be saved or trained.
func (s *Scorer) Model() *Model { return s.model }

// InputWidth is the width of an encoded row (the model's).
func (s *Scorer) InputWidth() int { return s.model.inW }

// OutputWidth is the width of an output row (the model's).
func (s *Scorer) OutputWidth() int { return s.model.OutputWidth() }

// NewWorkspace returns scratch memory for PredictInto.
func (s *Scorer) NewWorkspace() *Workspace { return s.model.NewWorkspace() }

// PredictInto is Model.PredictInto on rows encoded by the Scorer's
// Encoder, with the same results, faster: the network was prepared for
// the kernels when the Scorer was built, and the batch runs a block of rows
// through every layer at a time (see scoreNet) on the calling goroutine,
// or, when it is large (at least 2^24 multiply-adds) and fewer Scorers
// run than there are cores, shared with sgemm's helper goroutines (the
// same bits). So Scorers that run in parallel, like DuckDB's threads, and
// a single caller with large batches, like pipeline's score stage, both
// keep the cores busy.
func (s *Scorer) PredictInto(out, x []float32, rows int, ws *Workspace) error {
	if s.net == nil {
		return s.model.PredictInto(out, x, rows, ws)
	}
	if err := s.model.checkX(x, rows); err != nil {
		return err
	}
	if need := rows * s.model.OutputWidth(); len(out) < need {
		return fmt.Errorf("nn: output buffer has %d values, want at least %d (%d rows × %d outputs)", len(out), need, rows, s.model.OutputWidth())
	}
	if ws == nil {
		return fmt.Errorf("nn: PredictInto needs a Workspace (Scorer.NewWorkspace)")
	}
	s.net.predict(out, x, nil, rows, ws)
	return nil
}
