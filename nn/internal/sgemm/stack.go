package sgemm

import "fmt"

// StackLayer is one dense layer of a Stack: W is n×k row-major (unit j's
// weights at W[j*k:(j+1)*k], PyTorch's Linear.weight), Bias nil (none) or
// n values, then the ReLU or nothing.
type StackLayer struct {
	W    []float32
	Bias []float32
	ReLU bool
}

// Stack is the dense layers of a network, prepared to score 16 rows at a
// time feature-major: a row per lane of an AVX-512 register, a register
// per unit, so the output layer is a fused multiply-add per hidden unit
// and output on registers the last hidden layer just computed (neither a
// transpose nor a store of that layer), and a table's columns are read
// where they are. Every output is Packed.Mul's
// bits layer after layer (each element the same fused multiply-add chain
// in k order from zero, then the bias, then the ReLU; the output layer's
// chain over the last hidden layer's units, then its bias), for networks
// whose layers are at most kcMax deep and wide (one k block, as Gemm). A
// layer is padded to whole groups of 16 units with zero weights, but no
// padded unit enters a chain: the next layer reads the real units only,
// and the output chain stops at the last one. A Stack is immutable and
// safe for concurrent use.
type Stack struct {
	in     int
	hidden []stackLayer
	nout   int
	wout   []float32 // the output layer's weights, nout rows of the last hidden layer's padded width
	obias  []float32 // nil, or the one output's bias
	widest int
}

type stackLayer struct {
	k, n  int
	np    int       // n rounded up to a multiple of 16
	w     []float32 // w[(g*k+p)*16+j] = W[16g+j][p]: unit groups of 16, k-major, zero past n
	bias  []float32 // np values (zeros without a bias, and past n)
	flags int
}

// NewStack prepares hidden layers (the first in wide, each next as deep as
// the previous is wide) and the output layer: wout, its weights, n×k
// row-major like a hidden layer's W; obias nil, or the bias of a one-unit
// output, which the kernel then adds (the bias and activation of a wider
// output are the caller's). It returns nil where the Stack's kernels do
// not apply: no AVX-512, no hidden layer, or a layer deeper or wider than
// kcMax.
func NewStack(in int, hidden []StackLayer, wout, obias []float32) *Stack {
	if !haveMLP || len(hidden) == 0 || in < 1 || in > kcMax {
		return nil
	}
	s := &Stack{in: in}
	k := in
	for i, l := range hidden {
		n := len(l.W) / k
		if n == 0 || n > kcMax || len(l.W) != n*k {
			return nil
		}
		np := roundUp(n, 16)
		if l.Bias != nil && len(l.Bias) != n {
			panic(fmt.Sprintf("sgemm: NewStack layer %d has %d biases for %d units", i, len(l.Bias), n))
		}
		sl := stackLayer{k: k, n: n, np: np, w: make([]float32, np*k), bias: make([]float32, np)}
		for j := range n {
			for p := range k {
				sl.w[((j/16)*k+p)*16+j%16] = l.W[j*k+p]
			}
		}
		if l.Bias != nil {
			copy(sl.bias, l.Bias)
			sl.flags |= epiBias
		}
		if l.ReLU {
			sl.flags |= epiReLU
		}
		s.hidden = append(s.hidden, sl)
		s.widest = max(s.widest, np)
		k = n
	}
	s.nout = len(wout) / k
	if s.nout == 0 || len(wout) != s.nout*k {
		panic(fmt.Sprintf("sgemm: NewStack output has %d weights for %d units", len(wout), k))
	}
	kp := roundUp(k, 16)
	s.wout = make([]float32, s.nout*kp)
	for c := range s.nout {
		copy(s.wout[c*kp:], wout[c*k:(c+1)*k])
	}
	if obias != nil {
		if s.nout != 1 {
			panic(fmt.Sprintf("sgemm: NewStack with an output bias for %d outputs", s.nout))
		}
		s.obias = []float32{obias[0]}
	}
	return s
}

// Outputs is the width of the output layer.
func (s *Stack) Outputs() int { return s.nout }

// epiOutBias: the last kernel adds the output bias.
const epiOutBias = 8

// Columns scores m rows whose features are columns: feature p of row i
// is cols[p][r0+i] (len(cols) = the Stack's input width, each column at
// least r0+m long), writing the m×Outputs() row-major out.
func (s *Stack) Columns(m int, cols [][]float32, r0 int, out []float32, sc *Scratch) {
	if len(cols) != s.in {
		panic(fmt.Sprintf("sgemm: Stack.Columns with %d columns, want %d", len(cols), s.in))
	}
	if m <= 0 {
		return
	}
	no := s.nout
	_ = out[m*no-1]
	for _, c := range cols {
		_ = c[r0+m-1]
	}
	s.grow(sc)
	full := m &^ 15
	if full > 0 {
		ptrs := sc.ptrs[:s.in]
		for p, c := range cols {
			ptrs[p] = &c[r0]
		}
		for i := 0; i < full; i += 16 {
			s.run(ptrs, 4*i, out[i*no:(i+16)*no], sc)
		}
		clear(ptrs)
	}
	if full < m {
		rows := m - full
		for p, c := range cols {
			d := sc.sx[p*16 : p*16+16]
			copy(d, c[r0+full:r0+m])
			clear(d[rows:])
		}
		tmp := s.tmp(sc)
		s.run(sc.xptrs, 0, tmp, sc)
		copy(out[full*no:m*no], tmp[:rows*no])
	}
}

// Rows scores m rows of the row-major x (row stride ldx), writing the
// m×Outputs() row-major out: stackChunk rows at a time are transposed first, so the
// kernels read them long after the transposes' stores.
func (s *Stack) Rows(m int, x []float32, ldx int, out []float32, sc *Scratch) {
	if m <= 0 {
		return
	}
	if ldx < s.in || len(x) < (m-1)*ldx+s.in {
		panic(shortA)
	}
	no := s.nout
	_ = out[m*no-1]
	s.grow(sc)
	for i := 0; i < m; i += stackChunk {
		rows := min(stackChunk, m-i)
		full := rows &^ 15
		if full > 0 {
			packTransposed(sc.sx, x[i*ldx:], ldx, full, s.in, full)
			ptrs := sc.ptrs[:s.in]
			for p := range ptrs {
				ptrs[p] = &sc.sx[p*full]
			}
			for g := i; g < i+full; g += 16 {
				s.run(ptrs, 4*(g-i), out[g*no:(g+16)*no], sc)
			}
		}
		if full < rows {
			r := rows - full
			packTransposedGo(sc.sx, x[(i+full)*ldx:], ldx, r, s.in, 16)
			for p := range s.in {
				clear(sc.sx[p*16+r : p*16+16])
			}
			tmp := s.tmp(sc)
			s.run(sc.xptrs, 0, tmp, sc)
			copy(out[(i+full)*no:m*no], tmp[:r*no])
		}
	}
	clear(sc.ptrs[:s.in])
}

// stackChunk is how many rows Stack.Rows transposes at a time (a
// multiple of 16).
const stackChunk = 128

// tmp is an output buffer for 16 rows.
func (s *Stack) tmp(sc *Scratch) []float32 {
	if s.nout == 1 {
		return sc.out[:16]
	}
	return sc.oout[:16*s.nout]
}

// run scores 16 rows whose feature p is at ptrs[p] + rowoff bytes into
// the 16×Outputs() row-major out.
func (s *Stack) run(ptrs []*float32, rowoff int, out []float32, sc *Scratch) {
	_ = out[16*s.nout-1]
	last := len(s.hidden) - 1
	for i := range s.hidden {
		l := &s.hidden[i]
		if i == last && s.nout > 1 {
			oacc := sc.oacc[:16*s.nout]
			clear(oacc)
			mlpLastN(l.k, l.np/16, l.w, ptrs[:l.k], rowoff, s.wout, oacc, l.bias, l.flags, s.nout, l.n-(l.np-16))
			packTransposed(out, oacc, 16, s.nout, 16, s.nout)
			return
		}
		if i == last {
			f := l.flags
			ob := &l.bias[0] // any valid pointer: the kernel reads it only with epiOutBias
			if s.obias != nil {
				f |= epiOutBias
				ob = &s.obias[0]
			}
			mlpLast(l.k, l.np/16, l.w, ptrs[:l.k], rowoff, s.wout, out, l.bias, f, ob, l.n-(l.np-16))
			return
		}
		h := sc.sh[i&1][:l.np*16]
		mlpHidden(l.k, l.np/16, l.w, ptrs[:l.k], rowoff, h, l.bias, l.flags)
		ptrs, rowoff = sc.hptrs[i&1][:l.n], 0
	}
}

// grow sizes sc's Stack buffers: the input rows (feature-major, up to
// stackChunk rows per feature; xptrs for a group of 16), two hidden
// layers' outputs, each with a pointer per feature, the input columns'
// pointers, and a wide output layer's chains and rows.
func (s *Stack) grow(sc *Scratch) {
	if len(sc.sx) < s.in*stackChunk || len(sc.xptrs) < s.in {
		sc.sx = make([]float32, s.in*stackChunk)
		sc.xptrs = make([]*float32, s.in)
		for p := range sc.xptrs {
			sc.xptrs[p] = &sc.sx[p*16]
		}
	}
	if cap(sc.ptrs) < s.in {
		sc.ptrs = make([]*float32, s.in)
	}
	if s.nout > 1 && len(sc.oacc) < 16*s.nout {
		sc.oacc = make([]float32, 16*s.nout)
		sc.oout = make([]float32, 16*s.nout)
	}
	for b := range sc.sh {
		if len(sc.sh[b]) < s.widest*16 {
			sc.sh[b] = make([]float32, s.widest*16)
			sc.hptrs[b] = make([]*float32, s.widest)
			for p := range sc.hptrs[b] {
				sc.hptrs[b][p] = &sc.sh[b][p*16]
			}
		}
	}
}
