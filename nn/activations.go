package nn

import (
	"math"
	"unsafe"
)

// asBits views float32s as their IEEE-754 bit patterns, so the relu loops
// work on integers without moving each value between register files.
func asBits(f []float32) []uint32 {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&f[0])), len(f))
}

// Activation names a dense layer's activation function.
type Activation string

// Activations. To add one: a constant here, a row in activationTable, an
// actKind, and its cases in activate and activationGrad, all in this file.
const (
	Linear    Activation = "linear"
	ReLU      Activation = "relu"
	LeakyReLU Activation = "leaky_relu"
	ELU       Activation = "elu"
	GELU      Activation = "gelu"
	Sigmoid   Activation = "sigmoid"
	Tanh      Activation = "tanh"
	Softmax   Activation = "softmax"
)

// actKind is a compiled activation name.
type actKind uint8

const (
	actLinear actKind = iota
	actReLU
	actLeakyReLU
	actELU
	actGELU
	actSigmoid
	actTanh
	actSoftmax
)

// activationDef is what the rest of the package knows of an activation.
type activationDef struct {
	name       Activation
	kind       actKind
	rectifier  bool // he_normal suits it (Activation.Init)
	outputOnly bool // not for hidden layers (softmax)
}

// activationTable lists the activations in the order help texts show them.
var activationTable = [...]activationDef{
	{name: ReLU, kind: actReLU, rectifier: true},
	{name: LeakyReLU, kind: actLeakyReLU, rectifier: true},
	{name: ELU, kind: actELU, rectifier: true},
	{name: GELU, kind: actGELU, rectifier: true},
	{name: Sigmoid, kind: actSigmoid},
	{name: Tanh, kind: actTanh},
	{name: Linear, kind: actLinear},
	{name: Softmax, kind: actSoftmax, outputOnly: true},
}

// Activations lists the activation functions, the allow list checked when a
// model is built or loaded.
func Activations() []Activation {
	out := make([]Activation, len(activationTable))
	for i, d := range activationTable {
		out[i] = d.name
	}
	return out
}

func activationByName(a Activation) (activationDef, bool) {
	for _, d := range activationTable {
		if d.name == a {
			return d, true
		}
	}
	return activationDef{}, false
}

// activationKind compiles a valid activation name (Spec.Validate checked it).
func activationKind(a Activation) actKind {
	d, _ := activationByName(a)
	return d.kind // actLinear for an unknown name
}

// activate computes a = f(z) element-wise (softmax: per row of width
// values). a and z may be the same slice.
func activate(k actKind, alpha float32, z, a []float32, width int) {
	a = a[:len(z)]
	switch k {
	case actLinear:
		copy(a, z)
	case actReLU:
		done := reluVec(z, a)
		ab := asBits(a[done:])
		for i, u := range asBits(z[done:]) {
			ab[i] = u &^ uint32(int32(u)>>31) // max(v, 0) without a branch; -0 → +0
		}
	case actLeakyReLU:
		for i, v := range z {
			if v <= 0 {
				v *= alpha
			}
			a[i] = v
		}
	case actELU:
		for i, v := range z {
			if v <= 0 {
				v = alpha * float32(math.Expm1(float64(v)))
			}
			a[i] = v
		}
	case actGELU:
		// The exact form, PyTorch's default: x·Φ(x).
		for i, v := range z {
			x := float64(v)
			a[i] = float32(0.5 * x * (1 + math.Erf(x/math.Sqrt2)))
		}
	case actSigmoid:
		for i, v := range z {
			a[i] = sigmoid(v)
		}
	case actTanh:
		for i, v := range z {
			a[i] = float32(math.Tanh(float64(v)))
		}
	case actSoftmax:
		for r := 0; r+width <= len(z); r += width {
			softmaxRow(z[r:r+width], a[r:r+width])
		}
	}
}

// biasActivate computes z += b on every row (b nil: no bias) and a = f(z),
// the second half of a dense layer after its matrix product. relu does both
// in one pass. a and z may be the same slice.
func biasActivate(k actKind, alpha float32, b, z, a []float32, width int) {
	if b == nil {
		activate(k, alpha, z, a, width)
		return
	}
	if len(z) == 0 {
		return
	}
	a = a[:len(z)]
	if k == actReLU {
		done := biasReLUVec(b, z, a, width)
		if done == width {
			return
		}
		bt := b[done:width]
		for r := 0; r+width <= len(z); r += width {
			zr, ar := z[r+done:r+width], a[r+done:r+width]
			ar = ar[:len(zr)]
			for j, bj := range bt[:len(zr)] {
				v := zr[j] + bj
				zr[j] = v
				u := math.Float32bits(v)
				ar[j] = math.Float32frombits(u &^ uint32(int32(u)>>31))
			}
		}
		return
	}
	addBias(b, z, width)
	if k != actLinear || &a[0] != &z[0] {
		activate(k, alpha, z, a, width)
	}
}

// addBias adds b to every row of z (rows of len(b) = width values).
func addBias(b, z []float32, width int) {
	b = b[:width]
	for r := 0; r+width <= len(z); r += width {
		zr := z[r : r+width]
		for j, bj := range b {
			zr[j] += bj
		}
	}
}

// sigmoid is 1/(1+e^-x), written so that neither branch overflows.
func sigmoid(v float32) float32 {
	x := float64(v)
	if x >= 0 {
		return float32(1 / (1 + math.Exp(-x)))
	}
	e := math.Exp(x)
	return float32(e / (1 + e))
}

// softmaxRow is the max-subtracted softmax of one row; a may alias z. It
// returns the row's log-sum-exp, computed in the same operations as
// logSumExp (same bits), so the cross-entropy of a training step need not
// exponentiate the logits a second time.
func softmaxRow(z, a []float32) (lse float64) {
	m := z[0]
	for _, v := range z[1:] {
		m = max(m, v)
	}
	var sum float64
	for j, v := range z {
		e := math.Exp(float64(v - m))
		sum += e
		a[j] = float32(e)
	}
	inv := 1 / sum
	for j := range a {
		a[j] = float32(float64(a[j]) * inv)
	}
	return float64(m) + math.Log(sum)
}

// softmaxRowsLSE is the softmax of rows lo..hi-1 (z and a hold whole rows of
// the given width from row 0) keeping each row's log-sum-exp in lse.
func softmaxRowsLSE(z, a []float32, width, lo, hi int, lse []float64) {
	for r := lo; r < hi; r++ {
		lse[r] = softmaxRow(z[r*width:(r+1)*width], a[r*width:(r+1)*width])
	}
}

// activationGrad computes dz = da ⊙ f'(z) given z, a = f(z) and da
// (softmax: the Jacobian-vector product per row). dz may alias da.
func activationGrad(k actKind, alpha float32, z, a, da, dz []float32, width int) {
	dz = dz[:len(da)]
	switch k {
	case actLinear:
		copy(dz, da)
	case actReLU:
		// Branch-free: on real data the sign of z is a coin toss, and a
		// mispredicted branch per element costs more than the bit arithmetic.
		// keep is all ones when z > 0 (as a signed integer, its bits are > 0).
		done := reluGradVec(z, da[:len(z)], dz[:len(z)])
		zb, gb, db := asBits(z[done:]), asBits(da[done:len(z)]), asBits(dz[done:len(z)])
		for i, u := range zb {
			keep := uint32(-int64(int32(u)) >> 63)
			db[i] = gb[i] & keep
		}
	case actLeakyReLU:
		for i, v := range z {
			if v > 0 {
				dz[i] = da[i]
			} else {
				dz[i] = da[i] * alpha
			}
		}
	case actELU:
		for i, v := range z {
			if v > 0 {
				dz[i] = da[i]
			} else {
				dz[i] = da[i] * (a[i] + alpha) // α·e^z
			}
		}
	case actGELU:
		const invSqrt2Pi = 0.3989422804014327
		for i, v := range z {
			x := float64(v)
			cdf := 0.5 * (1 + math.Erf(x/math.Sqrt2))
			pdf := invSqrt2Pi * math.Exp(-0.5*x*x)
			dz[i] = float32(float64(da[i]) * (cdf + x*pdf))
		}
	case actSigmoid:
		for i, s := range a {
			dz[i] = da[i] * s * (1 - s)
		}
	case actTanh:
		for i, t := range a {
			dz[i] = da[i] * (1 - t*t)
		}
	case actSoftmax:
		for r := 0; r+width <= len(a); r += width {
			ar, dr, zr := a[r:r+width], da[r:r+width], dz[r:r+width]
			var s float64
			for j, v := range ar {
				s += float64(v) * float64(dr[j])
			}
			for j, v := range ar {
				zr[j] = float32(float64(v) * (float64(dr[j]) - s))
			}
		}
	}
}
