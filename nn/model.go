package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// Model is a sequential dense network: its Spec plus its weights.
// Predict and PredictInto are safe for concurrent callers; Fit, the
// weight-writing uses of Tensors and changes to Spec are not, and must not run
// at the same time as anything else on the model.
type Model struct {
	spec   Spec
	layers []layer
	// params holds every trainable parameter in layer order, state every
	// non-trainable buffer (batch-norm running statistics); the layers' slices
	// and Tensors alias them, so an optimiser works on one flat vector.
	params []float32
	state  []float32
	inW    int
	maxW   int       // widest layer output (or input), for workspaces
	pool   sync.Pool // *Workspace for Predict
}

// Layer kinds, compiled from LayerSpec.Type.
const (
	kindDense = iota
	kindDropout
	kindBatchNorm
)

// layer is a compiled LayerSpec with views into the model's parameters.
type layer struct {
	kind    int
	in, out int
	act     actKind
	alpha   float32 // leaky_relu slope / elu alpha, defaults applied
	l2      float32
	rate    float32 // dropout
	eps     float64 // batchnorm
	mom     float32 // batchnorm (Keras convention: share of the old value)
	pOff    int     // offset of this layer's parameters in Model.params
	sOff    int     // offset of this layer's buffers in Model.state
	w, b    []float32
	gamma   []float32
	beta    []float32
	runMean []float32
	runVar  []float32
}

// Default activation parameters, used when LayerSpec.Alpha is 0.
const (
	defaultLeakyAlpha = 0.01 // like PyTorch's LeakyReLU
	defaultELUAlpha   = 1.0  // like PyTorch's ELU and Keras
)

// maxParams caps the number of parameters and buffers of a model (2^31
// float32s = 8 GiB), so a hostile or mistaken spec fails with an error
// rather than an allocation panic.
const maxParams = 1 << 31

// NewModel validates spec and builds a model with weights initialised from
// seed (same seed → same weights). Dense weights follow the layer's Init
// (Glorot uniform by default), biases start at zero, batch-norm gamma at 1,
// beta at 0, the running mean at 0 and the running variance at 1. NewModel
// keeps the spec as given; it does not touch Provenance.
func NewModel(spec Spec, seed int64) (*Model, error) {
	m, err := newModel(spec, seed)
	if err != nil {
		return nil, fmt.Errorf("nn: %w", err)
	}
	return m, nil
}

// newModel is NewModel without the package prefix on its errors.
func newModel(spec Spec, seed int64) (*Model, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	spec.Layers = append([]LayerSpec(nil), spec.Layers...)
	spec.Inputs = append([]Input(nil), spec.Inputs...)
	m := &Model{spec: spec, inW: spec.InputWidth()}
	if m.inW <= 0 {
		return nil, fmt.Errorf("%w: input width is %d", ErrInvalidSpec, m.inW)
	}
	m.maxW = m.inW
	// Count first, allocate once.
	width := m.inW
	var nParams, nState int
	m.layers = make([]layer, len(spec.Layers))
	for i, ls := range spec.Layers {
		l := &m.layers[i]
		l.in = width
		switch ls.Type {
		case LayerDense:
			l.kind = kindDense
			l.out = ls.Units
			l.act = activationKind(ls.Activation)
			l.alpha = float32(ls.Alpha)
			if l.alpha == 0 {
				switch l.act {
				case actLeakyReLU:
					l.alpha = defaultLeakyAlpha
				case actELU:
					l.alpha = defaultELUAlpha
				}
			}
			l.l2 = float32(ls.L2)
			l.pOff = nParams
			nParams += l.out * l.in
			if ls.Bias {
				nParams += l.out
			}
		case LayerDropout:
			l.kind = kindDropout
			l.out = width
			l.rate = float32(ls.Rate)
		case LayerBatchNorm:
			l.kind = kindBatchNorm
			l.out = width
			l.eps = ls.Epsilon
			l.mom = float32(ls.Momentum)
			l.pOff = nParams
			l.sOff = nState
			nParams += 2 * width
			nState += 2 * width
		}
		if nParams+nState > maxParams || nParams < 0 {
			return nil, fmt.Errorf("%w: more than %d parameters (layer %d)", ErrInvalidSpec, maxParams, i)
		}
		width = l.out
		m.maxW = max(m.maxW, width)
	}
	m.params = make([]float32, nParams)
	m.state = make([]float32, nState)
	for i, ls := range spec.Layers {
		l := &m.layers[i]
		p := m.params[l.pOff:]
		switch l.kind {
		case kindDense:
			l.w = p[: l.out*l.in : l.out*l.in]
			if ls.Bias {
				l.b = p[l.out*l.in : l.out*l.in+l.out : l.out*l.in+l.out]
			}
		case kindBatchNorm:
			n := l.out
			l.gamma = p[:n:n]
			l.beta = p[n : 2*n : 2*n]
			s := m.state[l.sOff:]
			l.runMean = s[:n:n]
			l.runVar = s[n : 2*n : 2*n]
		}
	}
	m.initWeights(seed)
	m.pool.New = func() any { return m.NewWorkspace() }
	return m, nil
}

// initWeights fills the parameters from seed, layer by layer in order, so a
// seed always gives the same weights.
func (m *Model) initWeights(seed int64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6e6e2d696e6974)) // "nn-init"
	for i := range m.layers {
		l := &m.layers[i]
		switch l.kind {
		case kindDense:
			switch m.spec.Layers[i].Init {
			case InitZeros:
				clear(l.w)
			case InitHeNormal:
				// PyTorch's kaiming_normal_ (fan_in, relu gain): N(0, 2/fan_in).
				std := math.Sqrt(2 / float64(l.in))
				for j := range l.w {
					l.w[j] = float32(rng.NormFloat64() * std)
				}
			default: // glorot_uniform
				limit := math.Sqrt(6 / float64(l.in+l.out))
				for j := range l.w {
					l.w[j] = float32((2*rng.Float64() - 1) * limit)
				}
			}
			clear(l.b)
		case kindBatchNorm:
			for j := range l.gamma {
				l.gamma[j] = 1
				l.runVar[j] = 1
			}
			clear(l.beta)
			clear(l.runMean)
		}
	}
}

// NewSequential builds a model on one vector input "x" of the given width,
// Keras style. The task follows the last dense layer: softmax → multiclass,
// one sigmoid unit → binary, otherwise regression. Seed 0.
func NewSequential(inputs int, layers ...LayerSpec) (*Model, error) {
	if inputs <= 0 {
		return nil, fmt.Errorf("nn: %w: %d inputs, want at least 1", ErrInvalidSpec, inputs)
	}
	spec := Spec{
		Format:  FormatName,
		Version: FormatVersion,
		Task:    TaskRegression,
		Inputs:  []Input{VectorInput("x", inputs)},
		Layers:  layers,
	}
	for i := len(layers) - 1; i >= 0; i-- {
		if layers[i].Type != LayerDense {
			continue
		}
		switch {
		case layers[i].Activation == Softmax:
			spec.Task = TaskMulticlass
		case layers[i].Activation == Sigmoid && layers[i].Units == 1:
			spec.Task = TaskBinary
		}
		break
	}
	return NewModel(spec, 0)
}

// Spec returns the model's spec. Callers may fill in Labels, Inputs'
// preprocessing and Provenance before saving; not the layers.
func (m *Model) Spec() *Spec { return &m.spec }

// InputWidth is the width of an encoded input row.
func (m *Model) InputWidth() int { return m.inW }

// OutputWidth is the width of an output row.
func (m *Model) OutputWidth() int {
	if len(m.layers) == 0 {
		return m.inW
	}
	return m.layers[len(m.layers)-1].out
}

// Tensor is a named parameter or buffer of the model, in PyTorch naming and
// layout: "layers.0.weight" [out, in], "layers.0.bias" [out], batch norm
// "layers.i.weight", ".bias", ".running_mean", ".running_var". Data aliases
// the model's memory.
type Tensor struct {
	Name      string
	Shape     []int
	Data      []float32
	Trainable bool
}

// Tensors lists the model's tensors in layer order, i being the index of the
// layer in Spec.Layers (dropout layers have none). Data aliases the model's
// weights: writing into it (to load a model) changes the model. Batch-norm
// running statistics are listed with Trainable false.
func (m *Model) Tensors() []Tensor {
	var ts []Tensor
	for i := range m.layers {
		l := &m.layers[i]
		name := func(s string) string { return fmt.Sprintf("layers.%d.%s", i, s) }
		switch l.kind {
		case kindDense:
			ts = append(ts, Tensor{Name: name("weight"), Shape: []int{l.out, l.in}, Data: l.w, Trainable: true})
			if l.b != nil {
				ts = append(ts, Tensor{Name: name("bias"), Shape: []int{l.out}, Data: l.b, Trainable: true})
			}
		case kindBatchNorm:
			ts = append(ts,
				Tensor{Name: name("weight"), Shape: []int{l.out}, Data: l.gamma, Trainable: true},
				Tensor{Name: name("bias"), Shape: []int{l.out}, Data: l.beta, Trainable: true},
				Tensor{Name: name("running_mean"), Shape: []int{l.out}, Data: l.runMean},
				Tensor{Name: name("running_var"), Shape: []int{l.out}, Data: l.runVar})
		}
	}
	return ts
}

// ParamCount holds parameter counts as Keras reports them.
type ParamCount struct{ Total, Trainable, NonTrainable int }

// Params counts the model's parameters: weights, biases and batch-norm
// gamma/beta are trainable, batch-norm running statistics are not.
func (m *Model) Params() ParamCount {
	return ParamCount{Total: len(m.params) + len(m.state), Trainable: len(m.params), NonTrainable: len(m.state)}
}

// layerParams is the parameter count of layer i (trainable + not).
func (m *Model) layerParams(i int) int {
	l := &m.layers[i]
	switch l.kind {
	case kindDense:
		return len(l.w) + len(l.b)
	case kindBatchNorm:
		return 4 * l.out
	}
	return 0
}
