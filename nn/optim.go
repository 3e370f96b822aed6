package nn

import (
	"fmt"
	"math"
)

// optimizer updates a flat parameter vector from its gradient with
// PyTorch's formulas. Its state vectors are allocated once.
type optimizer struct {
	name                      Optimizer
	lr, mom, b1, b2, eps, rho float64
	wd, clip                  float64
	nesterov                  bool
	t                         int       // steps taken
	buf, m, v                 []float32 // momentum / first moment, second moment

	// The current step, shared with stepRange, which may run on several
	// goroutines (par) over disjoint ranges.
	par     *workers
	rangeFn func(lo, hi int) // o.stepRange, bound once
	p, g    []float32
	adam    adamConsts // Adam/AdamW: this step's constants
}

// withDefaults fills the zero fields of c with the documented defaults and
// checks the values.
func (c OptimizerConfig) withDefaults() (OptimizerConfig, error) {
	if c.Name == "" {
		c.Name = OptAdam
	}
	name, err := ParseOptimizer(string(c.Name))
	if err != nil {
		return c, fmt.Errorf("nn: %w", err)
	}
	c.Name = name
	if c.LR == 0 {
		c.LR = 0.001
		if c.Name == OptSGD {
			c.LR = 0.01
		}
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Epsilon == 0 {
		c.Epsilon = 1e-8
	}
	if c.Rho == 0 {
		c.Rho = 0.9
	}
	if c.WeightDecay == 0 && c.Name == OptAdamW {
		c.WeightDecay = 0.01
	}
	check := func(name string, v, lo, hi float64, hiOpen bool) error {
		if math.IsNaN(v) || v < lo || v > hi || (hiOpen && v == hi) {
			iv := "]"
			if hiOpen {
				iv = ")"
			}
			return fmt.Errorf("nn: optimizer %s %v out of range [%v, %v%s", name, v, lo, hi, iv)
		}
		return nil
	}
	for _, e := range []error{
		check("learning rate", c.LR, 0, math.Inf(1), true),
		check("momentum", c.Momentum, 0, 1, true),
		check("beta1", c.Beta1, 0, 1, true),
		check("beta2", c.Beta2, 0, 1, true),
		check("epsilon", c.Epsilon, 0, math.Inf(1), true),
		check("rho", c.Rho, 0, 1, true),
		check("weight decay", c.WeightDecay, 0, math.Inf(1), true),
		check("clip norm", c.ClipNorm, 0, math.Inf(1), true),
	} {
		if e != nil {
			return c, e
		}
	}
	if c.LR <= 0 {
		return c, fmt.Errorf("nn: optimizer learning rate %v must be > 0", c.LR)
	}
	if c.Nesterov && (c.Name != OptSGD || c.Momentum == 0) {
		return c, fmt.Errorf("nn: Nesterov momentum needs the sgd optimizer with momentum > 0")
	}
	return c, nil
}

func newOptimizer(cfg OptimizerConfig, n int) (*optimizer, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	o := &optimizer{name: c.Name, lr: c.LR, mom: c.Momentum, b1: c.Beta1, b2: c.Beta2, eps: c.Epsilon,
		rho: c.Rho, wd: c.WeightDecay, clip: c.ClipNorm, nesterov: c.Nesterov}
	o.rangeFn = o.stepRange
	switch o.name {
	case OptSGD:
		if o.mom > 0 {
			o.buf = make([]float32, n)
		}
	case OptAdam, OptAdamW:
		o.m = make([]float32, n)
		o.v = make([]float32, n)
	case OptRMSprop:
		o.v = make([]float32, n)
		if o.mom > 0 {
			o.buf = make([]float32, n)
		}
	}
	return o, nil
}

// clipGlobalNorm scales g so that its L2 norm is at most maxNorm, like
// torch.nn.utils.clip_grad_norm_ (coefficient maxNorm/(norm+1e-6)).
func clipGlobalNorm(g []float32, maxNorm float64) {
	var s float64
	for _, v := range g {
		s += float64(v) * float64(v)
	}
	coef := maxNorm / (math.Sqrt(s) + 1e-6)
	if coef < 1 {
		c := float32(coef)
		for i := range g {
			g[i] *= c
		}
	}
}

// step applies one update to p from gradient g (which clipping may scale).
func (o *optimizer) step(p, g []float32) {
	if o.clip > 0 {
		clipGlobalNorm(g, o.clip)
	}
	o.begin(p, g)
	o.par.run(len(g), o.rangeFn)
	o.end()
}

// begin starts an update of p from g (without clipping): the step count
// and this step's constants. stepRange then updates any ranges, end
// closes it.
func (o *optimizer) begin(p, g []float32) {
	o.t++
	if o.name == OptAdam || o.name == OptAdamW {
		bc1 := 1 - math.Pow(o.b1, float64(o.t))
		bc2 := 1 - math.Pow(o.b2, float64(o.t))
		o.adam = adamConsts{c1: float32(1 - o.b1), c2: float32(1 - o.b2), b2: float32(o.b2), wd: float32(o.wd),
			stepSize: float32(o.lr / bc1), invBc2Sqrt: 1 / float32(math.Sqrt(bc2)), eps: float32(o.eps), decay: 1}
		if o.name == OptAdamW {
			o.adam.wd = 0 // decoupled: the decay factor applies it
			o.adam.decay = float32(1 - o.lr*o.wd)
		}
	}
	o.p, o.g = p, g
}

func (o *optimizer) end() { o.p, o.g = nil, nil }

// stepRange updates parameters lo..hi-1 of the current step.
func (o *optimizer) stepRange(lo, hi int) {
	p, g := o.p[lo:hi], o.g[lo:hi]
	lr, wd := float32(o.lr), float32(o.wd)
	switch o.name {
	case OptSGD:
		mom := float32(o.mom)
		var buf []float32
		if o.buf != nil {
			buf = o.buf[lo:hi]
		}
		for i, gi := range g {
			d := gi + wd*p[i]
			if buf != nil {
				b := mom*buf[i] + d
				buf[i] = b
				if o.nesterov {
					d += mom * b
				} else {
					d = b
				}
			}
			p[i] -= lr * d
		}
	case OptAdam, OptAdamW:
		mv, vv := o.m[lo:hi], o.v[lo:hi]
		p, mv, vv = p[:len(g)], mv[:len(g)], vv[:len(g)]
		// The AVX2 loop takes the multiples of 8 (bit-identical to the Go
		// loop below, which does the rest or everything without AVX2).
		done := adamBlocks(p, g, mv, vv, &o.adam)
		adamGo(p[done:], g[done:], mv[done:], vv[done:], &o.adam)
	case OptRMSprop:
		rho, eps, mom := float32(o.rho), float32(o.eps), float32(o.mom)
		vv := o.v[lo:hi]
		var buf []float32
		if o.buf != nil {
			buf = o.buf[lo:hi]
		}
		for i, gi := range g {
			gi += wd * p[i]
			v := rho*vv[i] + (1-rho)*gi*gi
			vv[i] = v
			d := gi / (float32(math.Sqrt(float64(v))) + eps)
			if buf != nil {
				d = mom*buf[i] + d
				buf[i] = d
			}
			p[i] -= lr * d
		}
	}
}

// adamConsts are one Adam step's constants, in the order optim_amd64.s
// reads them.
type adamConsts struct {
	c1, c2, b2, wd, stepSize, invBc2Sqrt, eps, decay float32
}

// adamGo is the Adam/AdamW update of each element (decay is 1 for Adam, wd
// is 0 for AdamW). PyTorch divides by sqrt(bc2); multiplying by its inverse
// saves a division (the update is bound by division and square root).
// optim_amd64.s does the same operations in the same order; the float32
// conversions of products keep the compiler from fusing them into a
// multiply-add (which it may do for GOAMD64=v3), so both round alike.
func adamGo(p, g, mv, vv []float32, k *adamConsts) {
	c1, c2, b2, wd, stepSize, invBc2Sqrt, eps, decay := k.c1, k.c2, k.b2, k.wd, k.stepSize, k.invBc2Sqrt, k.eps, k.decay
	p, mv, vv = p[:len(g)], mv[:len(g)], vv[:len(g)]
	for i, gi := range g {
		pi := p[i] * decay
		gi += float32(wd * pi)
		m := mv[i] + float32(c1*(gi-mv[i]))
		v := float32(b2*vv[i]) + float32(c2*gi*gi)
		mv[i], vv[i] = m, v
		denom := float32(float32(math.Sqrt(float64(v)))*invBc2Sqrt) + eps
		p[i] = pi - stepSize*m/denom
	}
}
