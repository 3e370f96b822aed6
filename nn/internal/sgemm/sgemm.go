package sgemm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Blocking parameters, in floats. kcMax bounds the depth of one packed
// micro-panel so an A micro-panel (mr×kc) stays in L1 and a group of B
// micro-panels (kc×ncGroup) in L2 while the kernel sweeps across it.
const (
	kcMax            = 128
	mcGroup          = 144     // rows of A micro-panels visited per sweep (multiple of 12 and 6 and 4)
	ncGroup          = 512     // columns of B micro-panels visited per sweep (multiple of 32 and 16 and 4)
	defaultMaxPacked = 1 << 21 // floats per packed operand chunk (8 MiB); larger operands are chunked

	// Below parallelWork (m·n·k, about 5 µs of one core) one goroutine
	// does everything. Handing work to a polling helper costs well under a
	// microsecond (a parked one tens); measured on the 20→64→32→1 training
	// benchmark, 2^16…2^18 are alike and 2^21 is 15% slower.
	parallelWork = 1 << 18
)

// maxPacked is a variable so tests can force chunking on small matrices.
var maxPacked = defaultMaxPacked

// A is packed when lda is a multiple of packAStride floats (2 KiB); a
// variable so tests can force either path.
var packAStride = 512

var maxThreads atomic.Int64

// inFlight counts the parallel-sized products running right now.
var inFlight atomic.Int64

// SetMaxThreads sets how many goroutines one Gemm call may use (n ≤ 0
// means runtime.GOMAXPROCS(0), the default) and returns the previous
// setting. Results do not depend on it: every element of C is computed by
// the same sequence of operations whatever the split.
func SetMaxThreads(n int) int {
	if n < 0 {
		n = 0
	}
	return int(maxThreads.Swap(int64(n)))
}

// Threads is how many goroutines one Gemm call may use (SetMaxThreads,
// or GOMAXPROCS by default).
func Threads() int { return threadLimit() }

func threadLimit() int {
	if n := int(maxThreads.Load()); n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

var kernels = availableKernels()

// Kernel names the micro-kernel Gemm picks for wide products on this CPU
// (for example "avx512-12x32", "avx2-6x16" or "go-4x4").
func Kernel() string { return kernels[0].name }

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// where op(X) is X or Xᵀ as transA/transB say, op(A) is m×k, op(B) is k×n
// and C is m×n. lda, ldb and ldc are the row strides. When beta is 0, C is
// only written, never read (NaNs in C do not propagate). It panics on
// invalid arguments with the same messages as gonum's Sgemm.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	gemm(nil, threadLimit(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkArgs panics like gonum's Sgemm does, in the same order.
func checkArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 {
		panic(mLT0)
	}
	if n < 0 {
		panic(nLT0)
	}
	if k < 0 {
		panic(kLT0)
	}
	if transA {
		if lda < max(1, m) {
			panic(badLdA)
		}
	} else if lda < max(1, k) {
		panic(badLdA)
	}
	if transB {
		if ldb < max(1, k) {
			panic(badLdB)
		}
	} else if ldb < max(1, n) {
		panic(badLdB)
	}
	if ldc < max(1, n) {
		panic(badLdC)
	}
	if m == 0 || n == 0 {
		return
	}
	if transA {
		if len(a) < (k-1)*lda+m {
			panic(shortA)
		}
	} else if len(a) < (m-1)*lda+k {
		panic(shortA)
	}
	if transB {
		if len(b) < (n-1)*ldb+k {
			panic(shortB)
		}
	} else if len(b) < (k-1)*ldb+n {
		panic(shortB)
	}
	if len(c) < (m-1)*ldc+n {
		panic(shortC)
	}
}

// The panic messages of gonum's blas implementation.
const (
	badTranspose = "blas: illegal transpose"
	mLT0         = "blas: m < 0"
	nLT0         = "blas: n < 0"
	kLT0         = "blas: k < 0"
	badLdA       = "blas: bad leading dimension of A"
	badLdB       = "blas: bad leading dimension of B"
	badLdC       = "blas: bad leading dimension of C"
	shortA       = "blas: insufficient length of a"
	shortB       = "blas: insufficient length of b"
	shortC       = "blas: insufficient length of c"
)

// gemm runs a checked product. kern == nil picks the kernel (pickKernel)
// and runs small products on one goroutine; threads ≥ 1 caps the goroutines.
func gemm(kern *microKernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(beta, c, ldc, 0, m, 0, n)
		return
	}
	if kern == nil {
		kern = pickKernel(m, n)
		if m*n*k < parallelWork {
			threads = 1
		}
	}
	// (Tests force a kernel and get exactly the threads they ask for, so
	// the parallel paths are exercised on small shapes too.)
	if threads > 1 {
		// Callers multiplying at the same time (DuckDB runs a scalar
		// function on all its threads) already keep the cores busy:
		// share the thread budget instead of stacking helpers on top.
		n := int(inFlight.Add(1))
		defer inFlight.Add(-1)
		threads = max(1, threads/n)
	}
	cl := getCall()
	cl.setup(kern, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	cl.run()
	putCall(cl)
}

// pickKernel chooses among the CPU's vector kernels: the widest one,
// unless a narrower one pads op(A)·op(B) at least a quarter less (a
// 10-wide output wastes less in a 16-wide tile than in a 32-wide one; a
// 784-wide one hardly wastes anything in either, and the wide kernel runs
// closer to peak).
func pickKernel(m, n int) *microKernel {
	best := kernels[0]
	bestWork := roundUp(m, best.mr) * roundUp(n, best.nr)
	for _, kn := range kernels[1:] {
		if kn == goKernel {
			break
		}
		if w := roundUp(m, kn.mr) * roundUp(n, kn.nr); w*4 <= bestWork*3 {
			best, bestWork = kn, w
		}
	}
	return best
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// scaleC sets C[i0:i1, j0:j1] *= beta (= 0 when beta is 0, so NaNs are cleared).
func scaleC(beta float32, c []float32, ldc, i0, i1, j0, j1 int) {
	if beta == 1 {
		return
	}
	for i := i0; i < i1; i++ {
		row := c[i*ldc+j0 : i*ldc+j1]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// call is the state of one product, recycled through callCache so the
// steady state allocates nothing.
type call struct {
	kern           *microKernel
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int

	threads int  // goroutines taking part
	shares  int  // pieces a phase is cut into (≥ threads, so a late helper can still take some)
	kc, nkb int  // depth of a k block, number of k blocks
	mp      int  // A micro-panels (row groups of mr)
	packA   bool // copy A into micro-panels instead of reading it in place

	// The column chunk being worked on: columns [j0, j1) of C.
	j0, j1 int
	np     int // B micro-panels in the chunk
	split  int // how the shares divide the chunk: splitCols, splitRowsOwnB or splitRowsSharedB

	pb      []float32   // packed B of the chunk (splitCols, splitRowsSharedB)
	pbOwn   [][]float32 // per share: a private packed B (splitRowsOwnB)
	tiles   [][]float32 // per share: scratch tile for edge tiles of C
	aPanels [][]float32 // per share: packed A micro-panels of the current row group
}

const (
	phasePack = iota
	phaseCompute
)

// How a chunk's tiles are cut into shares. Splitting the columns needs no
// synchronisation at all: each share packs and uses only its own B
// micro-panels and reads A in place. Splitting the rows means every share
// needs all of B: a small B is packed by each share for itself, a large
// one once by all goroutines together before a barrier.
const (
	splitCols = iota
	splitRowsOwnB
	splitRowsSharedB
)

// sharesPerThread: how many pieces per goroutine a parallel phase is cut into.
const sharesPerThread = 4

// ownBLimit is the largest op(B) chunk (floats) each share packs for
// itself rather than sharing: packing it twice costs less than a barrier.
// A variable so tests can force the shared path.
var ownBLimit = 1 << 16

var callCache = make(chan *call, 4)

func getCall() *call {
	select {
	case cl := <-callCache:
		return cl
	default:
		return new(call)
	}
}

func putCall(cl *call) {
	cl.a, cl.b, cl.c = nil, nil, nil
	select {
	case callCache <- cl:
	default:
	}
}

func (cl *call) setup(kern *microKernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	cl.kern = kern
	cl.transA, cl.transB = transA, transB
	cl.m, cl.n, cl.k = m, n, k
	cl.alpha, cl.beta = alpha, beta
	cl.a, cl.b, cl.c = a, b, c
	cl.lda, cl.ldb, cl.ldc = lda, ldb, ldc
	// Equal k blocks: 784 = 7×112 rather than 6×128+16.
	cl.nkb = (k + kcMax - 1) / kcMax
	cl.kc = (k + cl.nkb - 1) / cl.nkb
	cl.mp = ceilDiv(m, kern.mr)
	// Never more workers than there are micro-panels to share.
	threads = max(1, min(threads, max(cl.mp, ceilDiv(n, kern.nr))))
	cl.threads = threads
	for len(cl.tiles) < sharesPerThread*threads {
		cl.tiles = append(cl.tiles, make([]float32, 12*32))
		cl.aPanels = append(cl.aPanels, nil)
		cl.pbOwn = append(cl.pbOwn, nil)
	}
	// Reading A in place saves copying it, but rows 2 KiB apart (or a
	// multiple) fall into a handful of L1 sets and evict each other; then
	// the micro-panels are packed, one row group at a time.
	cl.packA = lda%packAStride == 0
}

// run walks the column chunks of B (one unless B is huge), packing and
// computing each in parallel shares.
func (cl *call) run() {
	nr := cl.kern.nr
	colsPerChunk := max(nr, maxPacked/cl.k/nr*nr)
	for j0 := 0; j0 < cl.n; j0 += colsPerChunk {
		cl.j0, cl.j1 = j0, min(j0+colsPerChunk, cl.n)
		cl.np = ceilDiv(cl.j1-cl.j0, nr)
		cl.split = chooseSplit(cl.threads, cl.mp, cl.np, cl.np*nr*cl.k, cl.packA)
		// Each share of a split by columns or of a shared B is
		// independent, so a phase is cut finer than the thread count: a
		// helper that starts late still finds shares to take. With
		// private copies of B, every share would pack B again.
		switch cl.split {
		case splitCols:
			cl.shares = min(cl.np, sharesPerThread*cl.threads)
			if cl.threads == 1 {
				cl.shares = 1
			}
			cl.pb = grow(cl.pb, cl.np*nr*cl.k)
		case splitRowsOwnB:
			cl.shares = cl.threads
			for w := 0; w < cl.shares; w++ {
				cl.pbOwn[w] = grow(cl.pbOwn[w], cl.np*nr*cl.k)
			}
		case splitRowsSharedB:
			cl.shares = min(cl.mp, sharesPerThread*cl.threads)
			cl.pb = grow(cl.pb, cl.np*nr*cl.k)
			cl.parallel(phasePack)
		}
		cl.parallel(phaseCompute)
	}
}

// chooseSplit picks how t workers share mp×np tiles whose packed B holds
// bFloats: by columns unless that leaves the busiest worker with a quarter
// more tiles than splitting the rows would, or unless A is packed (every
// column share would pack all of A again).
func chooseSplit(t, mp, np, bFloats int, packA bool) int {
	switch {
	case t == 1:
		return splitCols
	case packA && mp >= 2*t:
	case ceilDiv(np, t)*mp*4 <= ceilDiv(mp, t)*np*5:
		return splitCols
	}
	if bFloats <= ownBLimit {
		return splitRowsOwnB
	}
	return splitRowsSharedB
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// share returns part w's half-open range of [0, total) cut into parts.
func share(total, parts, w int) (int, int) {
	return total * w / parts, total * (w + 1) / parts
}

// parallel runs shares 0…threads-1 of a phase. The shares are claimed
// from a counter by the caller and by helper goroutines alike, so a helper
// that the scheduler does not run in time (a busy machine, or DuckDB's
// threads holding every P) costs nothing: the caller takes its share
// itself. A share is a fixed region computed the same way by whoever
// claims it, so the results stay deterministic.
func (cl *call) parallel(phase int) {
	if cl.threads == 1 {
		for w := 0; w < cl.shares; w++ {
			cl.work(phase, w)
		}
		return
	}
	tk := getTask()
	tk.cl, tk.phase = cl, phase
	tk.start(cl.threads, cl.shares)
}

// Parallel calls f(0), …, f(shares-1) on the calling goroutine and on up to
// threads-1 of the helper goroutines that run the products' shares (threads
// ≤ 0: the SetMaxThreads budget), and returns when every call is done.
// Shares are claimed from a counter like a product's, so a helper the
// scheduler runs late costs nothing, and idle helpers poll rather than
// park: for the short element-wise loops between a training step's
// products this is much cheaper than waking goroutines of one's own. f
// runs concurrently with itself; to allocate nothing, pass a method value
// stored once rather than a closure made per call.
func Parallel(threads, shares int, f func(share int)) {
	if threads <= 0 {
		threads = threadLimit()
	}
	threads = min(threads, shares)
	if threads <= 1 {
		for w := range shares {
			f(w)
		}
		return
	}
	tk := getTask()
	tk.fn = f
	tk.start(threads, shares)
}

// start runs the task's shares on the caller and threads-1 helpers and
// waits for them.
func (tk *task) start(threads, shares int) {
	tk.shares = int32(shares)
	tk.next.Store(0)
	tk.done.Store(0)
	tk.refs.Store(int32(threads))
	tk.wg.Add(shares)
	startWorkers(threads - 1)
	for w := 1; w < threads; w++ {
		workQueue <- tk
	}
	tk.run()
	tk.wait()
	tk.release()
}

func (cl *call) work(phase, w int) {
	if phase == phasePack {
		lo, hi := share(cl.nkb*cl.np, cl.shares, w)
		for it := lo; it < hi; it++ {
			cl.packBPanel(cl.pb, it/cl.np, it%cl.np)
		}
	} else {
		cl.compute(w)
	}
}

// A task is one parallel phase (or one Parallel call) as the helpers see it. It outlives the
// phase until every helper it was sent to has looked at it (refs), so a
// helper arriving late only finds no share left.
type task struct {
	cl     *call
	phase  int
	fn     func(int) // Parallel's function (cl is nil then)
	shares int32
	next   atomic.Int32 // next unclaimed share
	done   atomic.Int32 // shares finished
	refs   atomic.Int32 // the caller and helpers still holding the task
	wg     sync.WaitGroup
}

// run claims and computes shares until none is left.
func (tk *task) run() {
	for {
		w := tk.next.Add(1) - 1
		if w >= tk.shares {
			return
		}
		if tk.fn != nil {
			tk.fn(int(w))
		} else {
			tk.cl.work(tk.phase, int(w))
		}
		tk.done.Add(1)
		tk.wg.Done()
	}
}

// wait returns when every share is done. Parking on the WaitGroup and
// being woken costs tens of microseconds on a virtual machine, as much as
// a small product, so the caller first polls for a short while: a helper
// that already holds a share usually finishes within it.
func (tk *task) wait() {
	start := time.Now()
	for i := 1; tk.done.Load() < tk.shares; i++ {
		if i%64 == 0 {
			if time.Since(start) > spinWait {
				break
			}
			runtime.Gosched()
		}
	}
	tk.wg.Wait()
}

func (tk *task) release() {
	if tk.refs.Add(-1) == 0 {
		tk.cl, tk.fn = nil, nil
		select {
		case taskCache <- tk:
		default:
		}
	}
}

// taskCache holds released tasks for reuse. A helper the scheduler does
// not run (a busy machine, DuckDB's threads holding every P) keeps every
// task queued for it, up to the work queue's capacity, while the caller
// needs a new one for each parallel phase; it then releases them in a
// burst. startWorkers fills the cache with that many once, and the cache
// has room for all of them, so even then a product allocates nothing.
var taskCache = make(chan *task, cap(workQueue)+16)

func getTask() *task {
	select {
	case tk := <-taskCache:
		return tk
	default:
		return new(task)
	}
}

// kBlock returns the start and depth of k block q.
func (cl *call) kBlock(q int) (int, int) {
	k0 := q * cl.kc
	return k0, min(cl.kc, cl.k-k0)
}

// bPanel locates a packed B micro-panel: block q of the chunk starts at
// k0·np·nr, and panel jr of that block at jr·nr·kb.
func (cl *call) bPanel(pb []float32, q, jr int) []float32 {
	k0, kb := cl.kBlock(q)
	nr := cl.kern.nr
	off := k0*cl.np*nr + jr*nr*kb
	return pb[off : off+nr*kb]
}

// packBPanel writes op(B)[k block q, columns of panel jr] as kb groups of
// nr floats, zero-padding columns past the chunk's end.
func (cl *call) packBPanel(pb []float32, q, jr int) {
	k0, kb := cl.kBlock(q)
	nr := cl.kern.nr
	dst := cl.bPanel(pb, q, jr)
	c0 := cl.j0 + jr*nr
	cols := min(nr, cl.j1-c0)
	b, ldb := cl.b, cl.ldb
	if !cl.transB {
		for p := 0; p < kb; p++ {
			src := b[(k0+p)*ldb+c0:]
			copy(dst[p*nr:p*nr+cols], src[:cols])
		}
	} else {
		packTransposed(dst, b[c0*ldb+k0:], ldb, cols, kb, nr)
	}
	if cols < nr {
		for p := 0; p < kb; p++ {
			clear(dst[p*nr+cols : (p+1)*nr])
		}
	}
}

// packAPanel copies rows [r0, r0+rows) of op(A), k block q, into dst as
// kb groups of mr floats, zero-padding rows past rows.
func (cl *call) packAPanel(dst []float32, q, r0, rows int) {
	k0, kb := cl.kBlock(q)
	mr, lda := cl.kern.mr, cl.lda
	if cl.transA {
		for p := 0; p < kb; p++ {
			copy(dst[p*mr:p*mr+rows], cl.a[(k0+p)*lda+r0:][:rows])
		}
	} else {
		packTransposed(dst, cl.a[r0*lda+k0:], lda, rows, kb, mr)
	}
	if rows < mr {
		for p := 0; p < kb; p++ {
			clear(dst[p*mr+rows : (p+1)*mr])
		}
	}
}

// aPanel returns A micro-panel ir of k block q and its strides: packed by
// packAGroup (slot = ir - first panel of the group), read in place, or —
// a last panel with fewer than mr rows — copied into share w's scratch.
func (cl *call) aPanel(w, q, ir, slot int) (a []float32, rsa, csa int) {
	k0, kb := cl.kBlock(q)
	mr := cl.kern.mr
	r0 := ir * mr
	rows := min(mr, cl.m-r0)
	if cl.packA {
		return cl.aPanels[w][slot*mr*kb : (slot+1)*mr*kb], 1, mr
	}
	if rows == mr {
		if cl.transA {
			return cl.a[k0*cl.lda+r0:], 1, cl.lda
		}
		return cl.a[r0*cl.lda+k0:], cl.lda, 1
	}
	dst := grow(cl.aPanels[w], mr*kb)
	cl.aPanels[w] = dst
	cl.packAPanel(dst, q, r0, rows)
	return dst, 1, mr
}

// packAGroup packs A micro-panels [ic, icEnd) of k block q into share w's buffer.
func (cl *call) packAGroup(w, q, ic, icEnd int) {
	_, kb := cl.kBlock(q)
	mr := cl.kern.mr
	buf := grow(cl.aPanels[w], (icEnd-ic)*mr*kb)
	cl.aPanels[w] = buf
	for ir := ic; ir < icEnd; ir++ {
		r0 := ir * mr
		cl.packAPanel(buf[(ir-ic)*mr*kb:], q, r0, min(mr, cl.m-r0))
	}
}

// compute runs the kernel over share w's tiles of the chunk.
func (cl *call) compute(w int) {
	mr, nr := cl.kern.mr, cl.kern.nr
	ir0, ir1, jr0, jr1 := 0, cl.mp, 0, cl.np
	pb := cl.pb
	switch cl.split {
	case splitCols:
		jr0, jr1 = share(cl.np, cl.shares, w)
	case splitRowsOwnB:
		ir0, ir1 = share(cl.mp, cl.shares, w)
		pb = cl.pbOwn[w]
	case splitRowsSharedB:
		ir0, ir1 = share(cl.mp, cl.shares, w)
	}
	if ir0 >= ir1 || jr0 >= jr1 {
		return
	}
	if cl.split != splitRowsSharedB {
		for q := 0; q < cl.nkb; q++ {
			for jr := jr0; jr < jr1; jr++ {
				cl.packBPanel(pb, q, jr)
			}
		}
	}
	c, ldc, alpha := cl.c, cl.ldc, cl.alpha
	if cl.beta != 0 {
		scaleC(cl.beta, c, ldc, ir0*mr, min(ir1*mr, cl.m), cl.j0+jr0*nr, min(cl.j0+jr1*nr, cl.j1))
	}
	tile := cl.tiles[w][:mr*nr]
	mcPanels, ncPanels := max(1, mcGroup/mr), max(1, ncGroup/nr)
	for q := 0; q < cl.nkb; q++ {
		_, kb := cl.kBlock(q)
		add := q > 0 || cl.beta != 0
		for ic := ir0; ic < ir1; ic += mcPanels {
			icEnd := min(ic+mcPanels, ir1)
			if cl.packA {
				cl.packAGroup(w, q, ic, icEnd)
			}
			for jg := jr0; jg < jr1; jg += ncPanels {
				jgEnd := min(jg+ncPanels, jr1)
				for ir := ic; ir < icEnd; ir++ {
					ap, rsa, csa := cl.aPanel(w, q, ir, ir-ic)
					r := ir * mr
					rows := min(mr, cl.m-r)
					for jr := jg; jr < jgEnd; jr++ {
						bp := cl.bPanel(pb, q, jr)
						col := cl.j0 + jr*nr
						cols := min(nr, cl.j1-col)
						if rows == mr && cols == nr {
							cl.kern.tile(kb, ap, rsa, csa, bp, c[r*ldc+col:], ldc, alpha, add)
							continue
						}
						cl.kern.tile(kb, ap, rsa, csa, bp, tile, nr, alpha, false)
						for i := 0; i < rows; i++ {
							dst := c[(r+i)*ldc+col : (r+i)*ldc+col+cols]
							src := tile[i*nr : i*nr+cols]
							if add {
								for j, v := range src {
									dst[j] += v
								}
							} else {
								copy(dst, src)
							}
						}
					}
				}
			}
		}
	}
}

// The helper goroutines, started on first need and kept for the life of
// the process; each parallel phase sends its task to threads-1 of them.
var (
	workQueue      = make(chan *task, 256)
	workersMu      sync.Mutex
	workersStarted atomic.Int64
)

func startWorkers(n int) {
	if int(workersStarted.Load()) >= n {
		return
	}
	workersMu.Lock()
	defer workersMu.Unlock()
	if workersStarted.Load() == 0 {
		slab := make([]task, cap(taskCache)) // see taskCache
		for i := range slab {
			select {
			case taskCache <- &slab[i]:
			default:
			}
		}
	}
	for int(workersStarted.Load()) < n {
		go worker()
		workersStarted.Add(1)
	}
}

// spinWait is how long an idle helper keeps polling for the next task,
// and a caller for its helpers' shares, before parking: products come in
// bursts (a forward pass, a backward pass), and a parked goroutine takes
// tens of microseconds to wake on a virtual machine.
const spinWait = 50 * time.Microsecond

func worker() {
	for {
		tk := pollTask()
		if tk == nil {
			tk = <-workQueue
		}
		tk.run()
		tk.release()
	}
}

// pollTask waits up to spinWait for a task without parking. The clock is
// read, and the processor offered to other goroutines, only every 64
// polls: both cost far more than a look at an empty channel.
func pollTask() *task {
	start := time.Now()
	for i := 1; ; i++ {
		select {
		case tk := <-workQueue:
			return tk
		default:
		}
		if i%64 == 0 {
			if time.Since(start) > spinWait {
				return nil
			}
			runtime.Gosched()
		}
	}
}
