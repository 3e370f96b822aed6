package nn

import (
	"fmt"
	"math"
	"strings"
)

// Optimiser names.
const (
	OptSGD     = "sgd"
	OptAdam    = "adam"
	OptAdamW   = "adamw"
	OptRMSprop = "rmsprop"
)

// optimizer updates a flat parameter vector from its gradient with
// PyTorch's formulas. Its state vectors are allocated once.
type optimizer struct {
	name                      string
	lr, mom, b1, b2, eps, rho float64
	wd, clip                  float64
	nesterov                  bool
	t                         int       // steps taken
	buf, m, v                 []float32 // momentum / first moment, second moment
}

// withDefaults fills the zero fields of c with the documented defaults and
// checks the values.
func (c OptimizerConfig) withDefaults() (OptimizerConfig, error) {
	c.Name = strings.ToLower(c.Name)
	if c.Name == "" {
		c.Name = OptAdam
	}
	switch c.Name {
	case OptSGD, OptAdam, OptAdamW, OptRMSprop:
	default:
		return c, fmt.Errorf("nn: unknown optimizer %q (want sgd, adam, adamw or rmsprop)", c.Name)
	}
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
	o.t++
	lr, wd := float32(o.lr), float32(o.wd)
	switch o.name {
	case OptSGD:
		mom := float32(o.mom)
		for i, gi := range g {
			d := gi + wd*p[i]
			if o.buf != nil {
				b := mom*o.buf[i] + d
				o.buf[i] = b
				if o.nesterov {
					d += mom * b
				} else {
					d = b
				}
			}
			p[i] -= lr * d
		}
	case OptAdam, OptAdamW:
		b1, b2, eps := float32(o.b1), float32(o.b2), float32(o.eps)
		bc1 := 1 - math.Pow(o.b1, float64(o.t))
		bc2 := 1 - math.Pow(o.b2, float64(o.t))
		stepSize := float32(o.lr / bc1)
		bc2Sqrt := float32(math.Sqrt(bc2))
		decay := float32(1)
		if o.name == OptAdamW {
			decay = float32(1 - o.lr*o.wd)
		}
		for i, gi := range g {
			if o.name == OptAdamW {
				p[i] *= decay
			} else {
				gi += wd * p[i]
			}
			m := o.m[i] + (1-b1)*(gi-o.m[i])
			v := b2*o.v[i] + (1-b2)*gi*gi
			o.m[i], o.v[i] = m, v
			denom := float32(math.Sqrt(float64(v)))/bc2Sqrt + eps
			p[i] -= stepSize * m / denom
		}
	case OptRMSprop:
		rho, eps, mom := float32(o.rho), float32(o.eps), float32(o.mom)
		for i, gi := range g {
			gi += wd * p[i]
			v := rho*o.v[i] + (1-rho)*gi*gi
			o.v[i] = v
			d := gi / (float32(math.Sqrt(float64(v))) + eps)
			if o.buf != nil {
				d = mom*o.buf[i] + d
				o.buf[i] = d
			}
			p[i] -= lr * d
		}
	}
}
