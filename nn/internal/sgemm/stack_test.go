package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestStack: a Stack gives the bits of its layers run as Packed products
// with their epilogues (a one-unit output layer's bias added after), with
// one output or several, from
// columns and from rows, for every row count around its 16-row groups,
// writing nothing past out[m-1] and reading nothing outside the rows
// (the padding is NaN), with hidden widths that are not multiples of 16
// and inputs that are ±Inf or NaN.
func TestStack(t *testing.T) {
	if !haveMLP {
		if NewStack(4, []StackLayer{{W: make([]float32, 64)}}, make([]float32, 16), nil) != nil {
			t.Fatal("NewStack without its kernels")
		}
		t.Skip("no Stack kernels on this CPU or build")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		in    int
		units []int
		relu  []bool
		bias  []bool
		obias bool
		nout  int // 0: 1
	}{
		{20, []int{64, 32}, []bool{true, true}, []bool{true, true}, true, 0},
		{1, []int{16}, []bool{true}, []bool{true}, false, 0},
		{7, []int{32, 16, 48}, []bool{true, false, true}, []bool{false, true, true}, true, 0},
		{128, []int{128}, []bool{false}, []bool{true}, false, 0},
		{38, []int{64, 32}, []bool{true, true}, []bool{true, false}, true, 0},
		{20, []int{100, 50}, []bool{true, true}, []bool{true, true}, true, 0},
		{5, []int{1}, []bool{false}, []bool{true}, true, 0},
		{9, []int{17, 33, 15}, []bool{false, true, false}, []bool{true, false, true}, false, 0},
		{20, []int{64, 32}, []bool{true, true}, []bool{true, true}, false, 3},
		{6, []int{24}, []bool{true}, []bool{true}, false, 17},
		{30, []int{40, 16}, []bool{true, false}, []bool{false, true}, false, 10},
	} {
		nout := max(c.nout, 1)
		var layers []StackLayer
		var packed []*Packed
		var eps []*Epilogue
		k := c.in
		for i, n := range c.units {
			w := make([]float32, n*k)
			for j := range w {
				w[j] = float32(rng.NormFloat64())
			}
			l := StackLayer{W: w, ReLU: c.relu[i]}
			if c.bias[i] {
				l.Bias = make([]float32, n)
				for j := range l.Bias {
					l.Bias[j] = float32(rng.NormFloat64())
				}
			}
			layers = append(layers, l)
			packed = append(packed, NewPacked(true, k, n, w, k))
			eps = append(eps, &Epilogue{Bias: l.Bias, ReLU: l.ReLU})
			k = n
		}
		wout := make([]float32, nout*k)
		for j := range wout {
			wout[j] = float32(rng.NormFloat64())
		}
		var obias []float32
		if c.obias {
			obias = []float32{float32(rng.NormFloat64())}
		}
		s := NewStack(c.in, layers, wout, obias)
		if s == nil {
			t.Fatalf("%+v: no Stack", c)
		}
		pout := NewPacked(true, k, nout, wout, k)
		var sc, ref Scratch
		for _, m := range []int{1, 5, 15, 16, 17, 31, 32, 33, 100, 257} {
			name := fmt.Sprintf("in%d/units%v/out%d/m%d", c.in, c.units, nout, m)
			x, ldx := randMatrix(rng, m, c.in, 3, float32(math.NaN()))
			// Exact zeros, ±Inf and NaNs with payloads of either sign.
			for i := 0; i < m; i += 7 {
				x[i*ldx] = 0
			}
			for i, v := range []uint32{0x7f800000, 0xff800000, 0x7fc01234, 0xffc04321} {
				if r := 3 + 4*i; r < m {
					x[r*ldx+(r%c.in)] = math.Float32frombits(v)
				}
			}
			cur, ld := x, ldx
			for i, p := range packed {
				h := make([]float32, m*c.units[i])
				p.Mul(m, cur, ld, h, c.units[i], eps[i], &ref)
				cur, ld = h, c.units[i]
			}
			want := make([]float32, m*nout)
			pout.Mul(m, cur, ld, want, nout, nil, &ref)
			if obias != nil {
				for i := range want {
					want[i] += obias[0]
				}
			}
			got := make([]float32, m*nout+1)
			got[m*nout] = 7
			s.Rows(m, x, ldx, got, &sc)
			same(t, name+"/rows", got[:m*nout], want)
			if got[m*nout] != 7 {
				t.Fatalf("%s/rows: wrote past the output", name)
			}
			cols := make([][]float32, c.in)
			for p := range cols {
				cols[p] = make([]float32, m+5)
				for i := range cols[p] {
					cols[p][i] = float32(math.NaN())
				}
				for i := range m {
					cols[p][3+i] = x[i*ldx+p]
				}
			}
			got[m*nout] = 7
			s.Columns(m, cols, 3, got, &sc)
			same(t, name+"/columns", got[:m*nout], want)
			if got[m*nout] != 7 {
				t.Fatalf("%s/columns: wrote past the output", name)
			}
		}
	}
	for _, bad := range [][]int{{200, 16}, {4, 256}, {4, 129}} {
		if NewStack(bad[0], []StackLayer{{W: make([]float32, bad[0]*bad[1])}}, make([]float32, bad[1]), nil) != nil {
			t.Errorf("NewStack(in %d, %d units) applies", bad[0], bad[1])
		}
	}
}

// BenchmarkStack: issue 12's 20→64→32→1 scored 2048 rows at a time from
// columns and from rows, against its layers as Packed products.
func BenchmarkStack(b *testing.B) {
	const m, in = 2048, 20
	rng := rand.New(rand.NewPCG(1, 2))
	w1, _ := randMatrix(rng, 64, in, 0, 0)
	w2, _ := randMatrix(rng, 32, 64, 0, 0)
	w3, _ := randMatrix(rng, 1, 32, 0, 0)
	b1, b2 := make([]float32, 64), make([]float32, 32)
	s := NewStack(in, []StackLayer{{W: w1, Bias: b1, ReLU: true}, {W: w2, Bias: b2, ReLU: true}}, w3, []float32{0.5})
	if s == nil {
		b.Skip("no Stack kernels")
	}
	x, _ := randMatrix(rng, m, in, 0, 0)
	cols := make([][]float32, in)
	for p := range cols {
		cols[p] = make([]float32, m)
		for i := range m {
			cols[p][i] = x[i*in+p]
		}
	}
	out := make([]float32, m)
	var sc Scratch
	for _, path := range []string{"columns", "rows"} {
		b.Run(path, func(b *testing.B) {
			cpu0 := cpuSeconds()
			for b.Loop() {
				if path == "columns" {
					s.Columns(m, cols, 0, out, &sc)
				} else {
					s.Rows(m, x, in, out, &sc)
				}
			}
			sec := cpuSeconds() - cpu0
			b.ReportMetric(2*float64(in*64+64*32+32)*float64(b.N*m)/sec/1e9, "GFLOP/cpu-s")
			b.ReportMetric(sec*1e9/float64(b.N*m), "cpu-ns/row")
		})
	}
}
