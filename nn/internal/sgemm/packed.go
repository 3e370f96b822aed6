package sgemm

import (
	"fmt"
	"math"
)

// Epilogue is what a Packed product does to each element of C after the
// product, in this order: add Bias[j] to column j (when Bias is not nil),
// then the ReLU (an element whose sign bit is set becomes +0). These are
// the operations of a network layer's bias and ReLU pass, so applying
// them here gives that pass's bits; the AVX-512 kernel applies them while
// the tile is in registers.
type Epilogue struct {
	Bias []float32
	ReLU bool
}

// The kernels' epilogue flags.
const (
	epiAdd  = 1
	epiBias = 2
	epiReLU = 4
)

func (e *Epilogue) flags() int {
	f := 0
	if e != nil && e.Bias != nil {
		f |= epiBias
	}
	if e != nil && e.ReLU {
		f |= epiReLU
	}
	return f
}

// apply runs the epilogue on a row segment of C starting at column col.
func (e *Epilogue) apply(row []float32, col int) {
	if e == nil {
		return
	}
	if e.Bias != nil {
		for j, b := range e.Bias[col : col+len(row)] {
			row[j] += b
		}
	}
	if e.ReLU {
		for j, v := range row {
			u := math.Float32bits(v)
			row[j] = math.Float32frombits(u &^ uint32(int32(u)>>31))
		}
	}
}

// Packed is a k×n matrix op(B) packed once into a kernel's micro-panels,
// for many products A·op(B) with the same op(B): a network's weights while
// it scores. Its products skip packing B, run on the calling goroutine
// (callers that score in parallel, like DuckDB's threads, already keep the
// cores busy) and give Gemm's results bit for bit (alpha 1, beta 0): the
// same k blocks, each element the same fused multiply-add chain. A
// one-column op(B) (a one-unit output layer) is a gather-based
// matrix-vector product where the CPU has AVX-512 instead of a tile padded
// to 32 columns. A Packed is immutable and safe for concurrent use.
type Packed struct {
	kern    *microKernel
	k, n    int
	kc, nkb int // depth of a k block, number of k blocks
	np      int // micro-panels of nr columns
	data    []float32
	vec     bool // n == 1 through gemv: data is the column itself
}

// Scratch is the memory of one goroutine's Packed products; the zero
// value is ready to use and grows once.
type Scratch struct {
	a    []float32  // a packed A micro-panel (partial rows, columns, or A's stride a multiple of 2 KiB)
	tile []float32  // an edge tile of C
	ptrs []*float32 // MulColumns: the columns' first rows
	rows []float32  // gemvT: rows transposed
	out  [64]float32
	// Stack: one group of 16 input rows feature-major, two hidden layers'
	// outputs, and a pointer to each of their features.
	sx    []float32
	xptrs []*float32
	sh    [2][]float32
	hptrs [2][]*float32
	oacc  []float32 // a wide output layer's chains, feature-major
	oout  []float32 // and 16 of its rows
}

// NewPacked packs op(B), k×n (B itself is n×k when transB), row stride
// ldb. It panics on invalid arguments with gonum's messages.
func NewPacked(transB bool, k, n int, b []float32, ldb int) *Packed {
	if k < 1 || n < 1 {
		panic(fmt.Sprintf("sgemm: NewPacked of a %d×%d matrix", k, n))
	}
	checkArgs(false, transB, 1, n, k, make([]float32, k), k, b, ldb, make([]float32, n), n)
	p := &Packed{k: k, n: n}
	p.nkb = (k + kcMax - 1) / kcMax
	p.kc = (k + p.nkb - 1) / p.nkb
	if n == 1 && gemvT != nil {
		p.vec = true
		p.data = make([]float32, k)
		for i := range k {
			if transB {
				p.data[i] = b[i]
			} else {
				p.data[i] = b[i*ldb]
			}
		}
		return p
	}
	p.kern = pickKernel(1<<12, n)
	cl := &call{}
	cl.setup(p.kern, 1, false, transB, 1, n, k, 1, nil, k, b, ldb, 0, nil, n)
	cl.j0, cl.j1 = 0, n
	cl.np = ceilDiv(n, p.kern.nr)
	p.np = cl.np
	p.data = make([]float32, cl.np*p.kern.nr*k)
	for q := range cl.nkb {
		for jr := range cl.np {
			cl.packBPanel(p.data, q, jr)
		}
	}
	return p
}

func (p *Packed) kBlock(q int) (int, int) {
	k0 := q * p.kc
	return k0, min(p.kc, p.k-k0)
}

func (p *Packed) panel(q, jr int) []float32 {
	k0, kb := p.kBlock(q)
	nr := p.kern.nr
	off := k0*p.np*nr + jr*nr*kb
	return p.data[off : off+nr*kb]
}

// Mul computes C = A·op(B) for m rows: A m×k row-major with row stride
// lda, C m×n with row stride ldc (written, not read), then applies ep
// (nil: none).
func (p *Packed) Mul(m int, a []float32, lda int, c []float32, ldc int, ep *Epilogue, s *Scratch) {
	if m <= 0 {
		p.checkMul(m, nil, 0, c, ldc)
		return
	}
	p.checkMul(m, a, lda, c, ldc)
	if p.vec {
		p.mulVec(m, a, lda, c, ldc, ep, s)
		return
	}
	p.checkEpilogue(ep)
	inPlace := lda%packAStride != 0
	p.mul(m, c, ldc, ep, s, func(q, ir, rows int) ([]float32, int, int) {
		k0, kb := p.kBlock(q)
		if rows == p.kern.mr && inPlace {
			return a[ir*lda+k0:], lda, 1
		}
		mr := p.kern.mr
		s.a = grow(s.a, mr*kb)
		packTransposed(s.a, a[ir*lda+k0:], lda, rows, kb, mr)
		if rows < mr {
			for t := 0; t < kb; t++ {
				clear(s.a[t*mr+rows : (t+1)*mr])
			}
		}
		return s.a, 1, mr
	})
}

// MulColumns is Mul with A given by its columns: A's element (i, t) is
// cols[t][r0+i], for len(cols) = k columns of at least r0+m floats (a
// table's columns, read without making a row-major copy).
func (p *Packed) MulColumns(m int, cols [][]float32, r0 int, c []float32, ldc int, ep *Epilogue, s *Scratch) {
	if m <= 0 {
		p.checkMul(m, nil, 0, c, ldc)
		return
	}
	if len(cols) != p.k {
		panic(fmt.Sprintf("sgemm: MulColumns with %d columns, want %d", len(cols), p.k))
	}
	for _, col := range cols {
		_ = col[r0+m-1]
	}
	p.checkMul(m, nil, 0, c, ldc)
	if p.vec { // rare (a one-unit first layer): gather the rows
		s.a = grow(s.a, m*p.k)
		for t, col := range cols {
			for i, v := range col[r0 : r0+m] {
				s.a[i*p.k+t] = v
			}
		}
		p.mulVec(m, s.a, p.k, c, ldc, ep, s)
		return
	}
	p.checkEpilogue(ep)
	mr := p.kern.mr
	if p.kern.cols != nil && m >= mr {
		p.mulColumns(m, cols, r0, c, ldc, ep, s)
		return
	}
	p.mul(m, c, ldc, ep, s, func(q, ir, rows int) ([]float32, int, int) {
		k0, kb := p.kBlock(q)
		s.a = grow(s.a, mr*kb)
		packColumns(s.a, cols[k0:k0+kb], r0+ir, rows, mr)
		return s.a, 1, mr
	})
}

// mulColumns is MulColumns through the kernel that reads A's columns in
// place (every full row panel; a last partial one is packed).
func (p *Packed) mulColumns(m int, cols [][]float32, r0 int, c []float32, ldc int, ep *Epilogue, s *Scratch) {
	mr, nr := p.kern.mr, p.kern.nr
	full := m / mr * mr
	if cap(s.ptrs) < p.k {
		s.ptrs = make([]*float32, p.k)
	}
	ptrs := s.ptrs[:p.k]
	for t, col := range cols {
		ptrs[t] = &col[r0] // every column holds rows r0 … r0+m-1 (checked)
	}
	s.tile = grow(s.tile, mr*nr)
	flags := ep.flags()
	var bias []float32
	for q := range p.nkb {
		k0, kb := p.kBlock(q)
		f := 0
		if q == p.nkb-1 {
			f = flags
		}
		if q > 0 {
			f |= epiAdd
		}
		for jr := range p.np {
			bp := p.panel(q, jr)
			col := jr * nr
			if cols := min(nr, p.n-col); cols < nr {
				continue // an edge panel: below
			}
			if f&epiBias != 0 {
				bias = ep.Bias[col:]
			}
			for ir := 0; ir < full; ir += mr {
				p.kern.cols(kb, ptrs[k0:k0+kb], ir, bp, c[ir*ldc+col:], ldc, bias, f)
			}
		}
	}
	clear(ptrs)
	if full < m || p.n%nr != 0 { // the edge tiles, packed as MulColumns' general path does
		p.mulEdges(m, c, ldc, ep, s, func(q, ir, rows int) ([]float32, int, int) {
			k0, kb := p.kBlock(q)
			s.a = grow(s.a, mr*kb)
			packColumns(s.a, cols[k0:k0+kb], r0+ir, rows, mr)
			return s.a, 1, mr
		})
	}
}

// packColumns writes rows r…r+rows-1 of the columns as a micro-panel of
// width mr: dst[t*mr+i] = cols[t][r+i], zero past rows.
func packColumns(dst []float32, cols [][]float32, r, rows, mr int) {
	switch {
	case rows == 12 && mr == 12: // 16-byte moves; a [12]float32 copy would call memmove
		for t, col := range cols {
			s, d := col[r:r+12], dst[t*12:t*12+12]
			*(*[4]float32)(d[0:4]) = *(*[4]float32)(s[0:4])
			*(*[4]float32)(d[4:8]) = *(*[4]float32)(s[4:8])
			*(*[4]float32)(d[8:12]) = *(*[4]float32)(s[8:12])
		}
	case rows == 6 && mr == 6:
		for t, col := range cols {
			s, d := col[r:r+6], dst[t*6:t*6+6]
			*(*[4]float32)(d[0:4]) = *(*[4]float32)(s[0:4])
			*(*[2]float32)(d[4:6]) = *(*[2]float32)(s[4:6])
		}
	default:
		for t, col := range cols {
			d := dst[t*mr : (t+1)*mr]
			copy(d, col[r:r+rows])
			clear(d[rows:])
		}
	}
}

// mul runs the kernel over C's tiles: k blocks outermost (C accumulates
// them in order, as Gemm does), then row panels, whose A micro-panel
// (from aPanel: A, its row and column strides) is used for every column
// panel while it is in L1.
func (p *Packed) mul(m int, c []float32, ldc int, ep *Epilogue, s *Scratch, aPanel func(q, ir, rows int) ([]float32, int, int)) {
	p.mulTiles(m, c, ldc, ep, s, false, aPanel)
}

// mulEdges is mul for the edge tiles only (fewer than mr rows or nr
// columns): mulColumns did the others.
func (p *Packed) mulEdges(m int, c []float32, ldc int, ep *Epilogue, s *Scratch, aPanel func(q, ir, rows int) ([]float32, int, int)) {
	p.mulTiles(m, c, ldc, ep, s, true, aPanel)
}

func (p *Packed) mulTiles(m int, c []float32, ldc int, ep *Epilogue, s *Scratch, edgesOnly bool, aPanel func(q, ir, rows int) ([]float32, int, int)) {
	mr, nr := p.kern.mr, p.kern.nr
	s.tile = grow(s.tile, mr*nr)
	flags := ep.flags()
	for q := range p.nkb {
		_, kb := p.kBlock(q)
		add := q > 0
		last := q == p.nkb-1 && flags != 0
		for ir := 0; ir < m; ir += mr {
			rows := min(mr, m-ir)
			if edgesOnly && rows == mr && p.n%nr == 0 {
				continue
			}
			ap, rsa, csa := aPanel(q, ir, rows)
			for jr := range p.np {
				bp := p.panel(q, jr)
				col := jr * nr
				cols := min(nr, p.n-col)
				if edgesOnly && rows == mr && cols == nr {
					continue
				}
				if rows == mr && cols == nr {
					switch {
					case last && p.kern.epi != nil:
						f := flags
						if add {
							f |= epiAdd
						}
						var bias []float32
						if ep.Bias != nil {
							bias = ep.Bias[col:]
						}
						p.kern.epi(kb, ap, rsa, csa, bp, c[ir*ldc+col:], ldc, bias, f)
					case last:
						p.kern.tile(kb, ap, rsa, csa, bp, c[ir*ldc+col:], ldc, 1, add)
						for i := range mr {
							ep.apply(c[(ir+i)*ldc+col:(ir+i)*ldc+col+nr], col)
						}
					default:
						p.kern.tile(kb, ap, rsa, csa, bp, c[ir*ldc+col:], ldc, 1, add)
					}
					continue
				}
				p.kern.tile(kb, ap, rsa, csa, bp, s.tile, nr, 1, false)
				for i := range rows {
					dst := c[(ir+i)*ldc+col : (ir+i)*ldc+col+cols]
					src := s.tile[i*nr : i*nr+cols]
					if add {
						for j, v := range src {
							dst[j] += v
						}
					} else {
						copy(dst, src)
					}
					if last {
						ep.apply(dst, col)
					}
				}
			}
		}
	}
}

// mulVec is Mul for one column: 64 rows at a time, then 16, transposed
// into s.rows (lanes past m zero) and through gemvT.
func (p *Packed) mulVec(m int, a []float32, lda int, c []float32, ldc int, ep *Epilogue, s *Scratch) {
	p.checkEpilogue(ep)
	s.rows = grow(s.rows, 64*p.kc)
	for q := range p.nkb {
		k0, kb := p.kBlock(q)
		b := p.data[k0 : k0+kb]
		add := q > 0
		for i := 0; i < m; {
			w := 16
			if i+64 <= m {
				w = 64
			}
			rows := min(w, m-i)
			t := s.rows[:w*kb]
			packTransposed(t, a[i*lda+k0:], lda, rows, kb, w)
			if rows < w {
				for x := range kb {
					clear(t[x*w+rows : (x+1)*w])
				}
			}
			dst := s.out[:w]
			if ldc == 1 && rows == w {
				dst = c[i : i+w]
			} else if add {
				for j := range rows {
					dst[j] = c[(i+j)*ldc]
				}
			}
			gemvT(kb, t, b, dst, add)
			if &dst[0] != &c[i] {
				for j := range rows {
					c[(i+j)*ldc] = dst[j]
				}
			}
			i += rows
		}
	}
	if ep.flags() != 0 { // apply's arithmetic on the one column, without a call per row
		var b float32
		if ep.Bias != nil {
			b = ep.Bias[0]
		}
		for i := range m {
			v := c[i*ldc]
			if ep.Bias != nil {
				v += b
			}
			if ep.ReLU {
				u := math.Float32bits(v)
				v = math.Float32frombits(u &^ uint32(int32(u)>>31))
			}
			c[i*ldc] = v
		}
	}
}

func (p *Packed) checkEpilogue(ep *Epilogue) {
	if ep != nil && ep.Bias != nil && len(ep.Bias) < p.n {
		panic(fmt.Sprintf("sgemm: an epilogue bias of %d values for %d columns", len(ep.Bias), p.n))
	}
}

// checkMul panics like Gemm on an A (m×k, stride lda) or C (m×n, stride
// ldc) that does not fit.
func (p *Packed) checkMul(m int, a []float32, lda int, c []float32, ldc int) {
	switch {
	case m < 0:
		panic(mLT0)
	case a != nil && lda < p.k:
		panic(badLdA)
	case ldc < p.n:
		panic(badLdC)
	case a != nil && len(a) < (m-1)*lda+p.k:
		panic(shortA)
	case len(c) < (m-1)*ldc+p.n:
		panic(shortC)
	}
}
