package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// problem is one GEMM with its inputs laid out with strides larger than
// the widths. The padding of A and B holds NaN, so a read outside the
// matrices poisons the result; the padding of C holds a sentinel that must
// survive.
type problem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int

	want, tol []float64 // reference result, filled by reference
}

const sentinel = float32(-12345.5)

func newProblem(rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32, pad int) *problem {
	p := &problem{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	p.a, p.lda = randMatrix(rng, ar, ac, pad, float32(math.NaN()))
	p.b, p.ldb = randMatrix(rng, br, bc, pad+1, float32(math.NaN()))
	p.c, p.ldc = randMatrix(rng, m, n, pad+2, sentinel)
	if beta == 0 {
		// beta = 0 means C is not read: NaNs in it must not propagate.
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				p.c[i*p.ldc+j] = float32(math.NaN())
			}
		}
	}
	return p
}

// randMatrix returns a rows×cols matrix with stride cols+pad (at least 1)
// whose padding is fill.
func randMatrix(rng *rand.Rand, rows, cols, pad int, fill float32) ([]float32, int) {
	ld := max(1, cols+pad)
	s := make([]float32, max(0, rows*ld))
	for i := range s {
		if i%ld < cols {
			s[i] = float32(rng.NormFloat64())
		} else {
			s[i] = fill
		}
	}
	return s, ld
}

func (p *problem) opA(i, l int) float64 {
	if p.transA {
		return float64(p.a[l*p.lda+i])
	}
	return float64(p.a[i*p.lda+l])
}

func (p *problem) opB(l, j int) float64 {
	if p.transB {
		return float64(p.b[j*p.ldb+l])
	}
	return float64(p.b[l*p.ldb+j])
}

// reference fills p.want and p.tol with a float64 triple loop. The
// tolerance is the float32 rounding error bound of a k-term dot product,
// scaled by the magnitudes involved.
func (p *problem) reference() {
	if p.want != nil {
		return
	}
	eps := float64(math.Nextafter32(1, 2) - 1)
	p.want = make([]float64, p.m*p.n)
	p.tol = make([]float64, p.m*p.n)
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.n; j++ {
			var sum, mag float64
			for l := 0; l < p.k; l++ {
				v := p.opA(i, l) * p.opB(l, j)
				sum += v
				mag += math.Abs(v)
			}
			want := float64(p.alpha) * sum
			mag *= math.Abs(float64(p.alpha))
			if c := float64(p.c[i*p.ldc+j]); p.beta != 0 {
				want += float64(p.beta) * c
				mag += math.Abs(float64(p.beta) * c)
			}
			p.want[i*p.n+j] = want
			p.tol[i*p.n+j] = 2*float64(p.k+3)*eps*mag + 1e-30
		}
	}
}

// check runs gemmFn on a copy of C and compares it with the reference.
func (p *problem) check(t *testing.T, name string, gemmFn func(p *problem, c []float32)) {
	t.Helper()
	p.reference()
	c := append([]float32(nil), p.c...)
	gemmFn(p, c)
	bad := 0
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.ldc; j++ {
			got := c[i*p.ldc+j]
			if j >= p.n {
				if got != sentinel {
					t.Fatalf("%s: C padding [%d,%d] overwritten: %v", name, i, j, got)
				}
				continue
			}
			want, tol := p.want[i*p.n+j], p.tol[i*p.n+j]
			if d := math.Abs(float64(got) - want); !(d <= tol) {
				if bad++; bad <= 3 {
					t.Errorf("%s: C[%d,%d] = %v, want %v (±%.3g)", name, i, j, got, want, tol)
				}
			}
		}
	}
	if bad > 3 {
		t.Fatalf("%s: %d wrong elements", name, bad)
	}
	for i := p.m * p.ldc; i < len(c); i++ {
		if c[i] != p.c[i] {
			t.Fatalf("%s: C past the last row changed", name)
		}
	}
}

func (p *problem) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%v beta=%v lda=%d ldb=%d ldc=%d",
		p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.beta, p.lda, p.ldb, p.ldc)
}

// viaKernel forces one micro-kernel and thread count.
func viaKernel(kern *microKernel, threads int) func(p *problem, c []float32) {
	return func(p *problem, c []float32) {
		checkArgs(p.transA, p.transB, p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c, p.ldc)
		gemm(kern, threads, p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc)
	}
}

func viaGemm(p *problem, c []float32) {
	Gemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc)
}

func viaBLAS(p *problem, c []float32) {
	tA, tB := blas.NoTrans, blas.NoTrans
	if p.transA {
		tA = blas.Trans
	}
	if p.transB {
		tB = blas.ConjTrans
	}
	Implementation{}.Sgemm(tA, tB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc)
}

var scalars = [][2]float32{{1, 0}, {1, 1}, {-1.5, 0.25}, {0.5, 0}, {0, 2}, {0, 0}, {2, -1}}

type shape struct{ m, n, k int }

// conformanceShapes: every edge size on each dimension, the MLP shapes,
// tall-skinny ones and a few larger than one cache block.
func conformanceShapes(short bool) []shape {
	edge := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 31, 33, 63, 65, 127, 129}
	var s []shape
	for _, d := range edge {
		s = append(s, shape{d, 13, 9}, shape{11, d, 7}, shape{5, 17, d}, shape{d, d, d})
	}
	grid := []int{1, 3, 12, 13, 32, 33}
	for _, m := range grid {
		for _, n := range grid {
			for _, k := range []int{1, 5, 33} {
				s = append(s, shape{m, n, k})
			}
		}
	}
	s = append(s,
		shape{64, 40, 300},   // two k blocks
		shape{1, 300, 77},    // row vector
		shape{300, 1, 77},    // column vector
		shape{256, 64, 20},   // 256×20·20×64
		shape{128, 10, 128},  // 128×128·128×10
		shape{37, 600, 3},    // short and wide
		shape{610, 9, 530},   // tall-skinny, three k blocks
		shape{128, 128, 784}, // 128×784·784×128
	)
	if !short {
		s = append(s, shape{300, 257, 513}, shape{10, 784, 128}, shape{784, 128, 128})
	}
	return s
}

type impl struct {
	name string
	fn   func(p *problem, c []float32)
}

func implementations() []impl {
	var out []impl
	for _, kn := range kernels {
		out = append(out,
			impl{kn.name + "/1thread", viaKernel(kn, 1)},
			impl{kn.name + "/3threads", viaKernel(kn, 3)})
	}
	return append(out, impl{"Gemm", viaGemm}, impl{"Implementation.Sgemm", viaBLAS})
}

func TestConformance(t *testing.T) {
	testConformance(t, testing.Short())
}

// TestConformancePackedA runs the same suite with op(A) always packed
// (normally only for strides that are a multiple of 2 KiB).
func TestConformancePackedA(t *testing.T) {
	defer func(old int) { packAStride = old }(packAStride)
	packAStride = 1
	testConformance(t, true)
}

// TestConformanceSharedB: every row split packs B once, shared by all
// workers behind a barrier (normally only for a large op(B)).
func TestConformanceSharedB(t *testing.T) {
	defer func(old int) { ownBLimit = old }(ownBLimit)
	ownBLimit = 0
	testConformance(t, true)
}

func testConformance(t *testing.T, short bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	impls := implementations()
	for _, sh := range conformanceShapes(short) {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			sc := scalars[rng.IntN(len(scalars))]
			p := newProblem(rng, tr[0], tr[1], sh.m, sh.n, sh.k, sc[0], sc[1], rng.IntN(3))
			for _, im := range impls {
				p.check(t, im.name+" "+p.String(), im.fn)
			}
		}
	}
}

// TestAllScalars runs every alpha/beta pair on a shape with edge tiles.
func TestAllScalars(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sc := range scalars {
		for _, tr := range [][2]bool{{false, false}, {true, true}} {
			p := newProblem(rng, tr[0], tr[1], 29, 35, 41, sc[0], sc[1], 2)
			for _, im := range implementations() {
				p.check(t, im.name+" "+p.String(), im.fn)
			}
		}
	}
}

// TestChunking shrinks the packed-chunk limit so operands are split into
// several row and column chunks.
func TestChunking(t *testing.T) {
	defer func(old int) { maxPacked = old }(maxPacked)
	maxPacked = 40 * 64
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		p := newProblem(rng, tr[0], tr[1], 150, 170, 64, 0.75, 0.5, 1)
		for _, im := range implementations() {
			p.check(t, im.name+" "+p.String(), im.fn)
		}
	}
}

// TestDeterministicAcrossThreads: the split must not change a single bit.
func TestDeterministicAcrossThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, kn := range kernels {
		for _, sh := range []shape{{128, 128, 784}, {33, 300, 100}, {500, 10, 64}} {
			p := newProblem(rng, false, true, sh.m, sh.n, sh.k, 1, 0.5, 0)
			var first []float32
			for _, threads := range []int{1, 2, 3, 4} {
				c := append([]float32(nil), p.c...)
				viaKernel(kn, threads)(p, c)
				if first == nil {
					first = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
						t.Fatalf("%s %v: %d threads differ from 1 thread at %d: %v vs %v", kn.name, sh, threads, i, c[i], first[i])
					}
				}
			}
		}
	}
}

// TestPanicsLikeGonum feeds bad arguments to both implementations and
// expects the same panic message.
func TestPanicsLikeGonum(t *testing.T) {
	a, b, c := make([]float32, 12), make([]float32, 12), make([]float32, 12)
	cases := []struct {
		name          string
		tA, tB        blas.Transpose
		m, n, k       int
		lda, ldb, ldc int
		la, lb, lc    int
	}{
		{"bad transA", 'x', blas.NoTrans, 2, 2, 2, 2, 2, 2, 12, 12, 12},
		{"bad transB", blas.NoTrans, 'y', 2, 2, 2, 2, 2, 2, 12, 12, 12},
		{"m<0", blas.NoTrans, blas.NoTrans, -1, 2, 2, 2, 2, 2, 12, 12, 12},
		{"n<0", blas.NoTrans, blas.NoTrans, 2, -1, 2, 2, 2, 2, 12, 12, 12},
		{"k<0", blas.NoTrans, blas.NoTrans, 2, 2, -1, 2, 2, 2, 12, 12, 12},
		{"lda", blas.NoTrans, blas.NoTrans, 2, 2, 3, 2, 2, 2, 12, 12, 12},
		{"lda trans", blas.Trans, blas.NoTrans, 3, 2, 2, 2, 2, 2, 12, 12, 12},
		{"ldb", blas.NoTrans, blas.NoTrans, 2, 3, 2, 2, 2, 3, 12, 12, 12},
		{"ldb trans", blas.NoTrans, blas.Trans, 2, 2, 3, 3, 2, 2, 12, 12, 12},
		{"ldc", blas.NoTrans, blas.NoTrans, 2, 3, 2, 2, 3, 2, 12, 12, 12},
		{"short a", blas.NoTrans, blas.NoTrans, 3, 2, 4, 4, 2, 2, 11, 12, 12},
		{"short b", blas.NoTrans, blas.NoTrans, 2, 3, 4, 4, 3, 3, 12, 11, 12},
		{"short c", blas.NoTrans, blas.NoTrans, 4, 3, 2, 2, 3, 3, 12, 12, 11},
	}
	catch := func(f func()) (msg any) {
		defer func() { msg = recover() }()
		f()
		return nil
	}
	for _, tc := range cases {
		want := catch(func() {
			gonum.Implementation{}.Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a[:tc.la], tc.lda, b[:tc.lb], tc.ldb, 0, c[:tc.lc], tc.ldc)
		})
		got := catch(func() {
			Implementation{}.Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a[:tc.la], tc.lda, b[:tc.lb], tc.ldb, 0, c[:tc.lc], tc.ldc)
		})
		if want == nil || got != want {
			t.Errorf("%s: panic %v, gonum panics %v", tc.name, got, want)
		}
	}
}

// TestNoAllocs: once the packing buffers have grown, a product allocates
// nothing, serial or parallel.
func TestNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	p := newProblem(rng, false, true, 128, 128, 784, 1, 0, 0)
	for _, threads := range []int{1, 2} {
		prev := SetMaxThreads(threads)
		viaGemm(p, p.c)
		allocs := testing.AllocsPerRun(20, func() { viaGemm(p, p.c) })
		SetMaxThreads(prev)
		if allocs != 0 {
			t.Errorf("%d threads: %v allocations per Gemm", threads, allocs)
		}
	}
}

// TestTaskCacheKeepsBurst: a helper that lags releases every task queued
// for it at once; all of them must be kept for reuse, or a busy machine
// makes each parallel product allocate a task.
func TestTaskCacheKeepsBurst(t *testing.T) {
	burst := cap(workQueue)
	tks := make([]*task, burst)
	getAll := func() {
		for i := range tks {
			tks[i] = getTask()
		}
	}
	releaseAll := func() {
		for _, tk := range tks {
			tk.refs.Store(1)
			tk.release()
		}
	}
	getAll()
	releaseAll()
	if allocs := testing.AllocsPerRun(1, func() { getAll(); releaseAll() }); allocs != 0 {
		t.Errorf("%v of %d released tasks were dropped and allocated again", allocs, burst)
	}
}

// TestIndependentOfM: a row of C must come out bit for bit the same
// whatever the number of rows in the product (nn relies on it so Predict
// does not depend on the batch size), and the vector kernels must agree
// with each other bit for bit.
func TestIndependentOfM(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var vecKernels []*microKernel
	for _, kn := range kernels {
		if kn != goKernel {
			vecKernels = append(vecKernels, kn)
		}
	}
	for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		for _, sh := range []shape{{200, 10, 784}, {150, 130, 20}, {70, 33, 3}} {
			full := newProblem(rng, tr[0], tr[1], sh.m, sh.n, sh.k, 1, 0, 0)
			want := append([]float32(nil), full.c...)
			viaGemm(full, want)
			for _, m := range []int{1, 2, 5, 13, 64} {
				// The first m rows of op(A) as a problem of its own.
				sub := *full
				sub.m = m
				sub.c = make([]float32, m*full.ldc)
				if !tr[0] { // (op(A) = Aᵀ keeps all k rows of A; only the first m columns matter)
					sub.a = full.a[:m*full.lda]
				}
				got := append([]float32(nil), sub.c...)
				viaGemm(&sub, got)
				outs := [][]float32{got}
				for _, kn := range vecKernels {
					c := make([]float32, len(sub.c))
					viaKernel(kn, 1)(&sub, c)
					outs = append(outs, c)
				}
				for o, out := range outs {
					for i := 0; i < m; i++ {
						for j := 0; j < full.n; j++ {
							g, w := out[i*full.ldc+j], want[i*full.ldc+j]
							if math.Float32bits(g) != math.Float32bits(w) {
								t.Fatalf("tA=%v tB=%v %v: m=%d (variant %d) C[%d,%d] = %v, with %d rows %v",
									tr[0], tr[1], sh, m, o, i, j, g, full.m, w)
							}
						}
					}
				}
			}
		}
	}
}

// TestChooseSplit pins the work-sharing decisions the conformance shapes
// rely on to reach every path.
func TestChooseSplit(t *testing.T) {
	for _, tc := range []struct {
		t, mp, np, bFloats int
		want               int
	}{
		{1, 100, 1, 1 << 20, splitCols},
		{2, 11, 4, 100352, splitCols},    // 128×128·784 on AVX-512: 2 B panels each
		{2, 171, 4, 100352, splitCols},   // 2048×128×784
		{2, 22, 1, 2048, splitRowsOwnB},  // 128×10·128 on AVX2: one B panel
		{3, 51, 1, 16960, splitRowsOwnB}, // 610×9·530
		{2, 100, 1, 1 << 17, splitRowsSharedB},
		{3, 4, 2, 1 << 10, splitCols},     // 4 tiles for the busiest worker either way
		{3, 9, 2, 1 << 10, splitRowsOwnB}, // 9 tiles vs 6
		{2, 3, 5, 1 << 10, splitCols},     // 3×5 tiles: 9 vs 10
	} {
		if got := chooseSplit(tc.t, tc.mp, tc.np, tc.bFloats, false); got != tc.want {
			t.Errorf("chooseSplit(%d, %d, %d, %d) = %d, want %d", tc.t, tc.mp, tc.np, tc.bFloats, got, tc.want)
		}
	}
	// A packed A is split by rows so no share packs all of it.
	if got := chooseSplit(2, 86, 32, 1<<20, true); got != splitRowsSharedB {
		t.Errorf("1024³ with packed A: split %d, want rows with a shared B", got)
	}
	if got := chooseSplit(2, 3, 32, 1<<20, true); got != splitCols {
		t.Errorf("3 row panels with packed A: split %d, want columns", got)
	}
}

func TestPickKernel(t *testing.T) {
	if len(kernels) < 3 {
		t.Skipf("kernels %v: no choice to make", Kernel())
	}
	wide, narrow := kernels[0], kernels[1]
	for _, tc := range []struct {
		m, n int
		want *microKernel
	}{
		{128, 784, wide},  // 800 vs 784 columns: not worth the narrow kernel
		{128, 128, wide},  // no padding either way
		{128, 10, narrow}, // 32 vs 16 columns
		{2048, 1, narrow}, // a column vector
		{10, 128, wide},   // 12 rows either way
	} {
		if got := pickKernel(tc.m, tc.n); got != tc.want {
			t.Errorf("pickKernel(%d, %d) = %s, want %s", tc.m, tc.n, got.name, tc.want.name)
		}
	}
}

// TestConcurrentCallers: many goroutines multiplying at once (DuckDB calls
// a scalar function from several threads) get the same bits as one alone.
func TestConcurrentCallers(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	var probs []*problem
	var wants [][]float32
	for _, sh := range []shape{{128, 128, 784}, {2048, 1, 20}, {300, 64, 20}, {7, 300, 33}} {
		p := newProblem(rng, false, true, sh.m, sh.n, sh.k, 1, 0, 0)
		want := append([]float32(nil), p.c...)
		viaGemm(p, want)
		probs, wants = append(probs, p), append(wants, want)
	}
	errs := make(chan string, 64)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := 0; it < 10; it++ {
				i := (g + it) % len(probs)
				c := append([]float32(nil), probs[i].c...)
				viaGemm(probs[i], c)
				for j := range c {
					if math.Float32bits(c[j]) != math.Float32bits(wants[i][j]) {
						errs <- fmt.Sprintf("goroutine %d, problem %d: element %d = %v, want %v", g, i, j, c[j], wants[i][j])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// Parallel calls every share exactly once, whatever the thread count, also
// when several callers use the helpers at once, and allocates nothing.
func TestParallel(t *testing.T) {
	var counts [64]atomic.Int32
	for _, threads := range []int{0, 1, 2, 3, 100} {
		for _, shares := range []int{0, 1, 2, 7, 64} {
			for i := range counts {
				counts[i].Store(0)
			}
			var wg sync.WaitGroup
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					Parallel(threads, shares, func(w int) { counts[w].Add(1) })
				}()
			}
			wg.Wait()
			for w := range counts {
				want := int32(0)
				if w < shares {
					want = 3
				}
				if got := counts[w].Load(); got != want {
					t.Fatalf("threads %d, shares %d: share %d ran %d times, want %d", threads, shares, w, got, want)
				}
			}
		}
	}
	var sink atomic.Int64
	f := func(w int) { sink.Add(int64(w)) }
	Parallel(2, 8, f)
	if allocs := testing.AllocsPerRun(20, func() { Parallel(2, 8, f) }); allocs != 0 {
		t.Errorf("Parallel allocates %v times per call", allocs)
	}
}
