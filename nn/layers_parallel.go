package nn

import "sync"

// parallelMin is the smallest loop worth splitting: below it, waking another
// goroutine costs more than it saves.
const parallelMin = 1 << 14

// workers runs element-wise loops split across a fixed set of goroutines,
// started once per Fit so that a training step allocates nothing. The
// loops it runs compute every element independently of the others, so the
// results do not depend on the split. A nil *workers runs loops inline.
type workers struct {
	n    int
	jobs chan job
	wg   sync.WaitGroup
}

type job struct {
	f      func(lo, hi int)
	lo, hi int
}

// newWorkers starts n-1 goroutines (the caller is the n-th); nil for n ≤ 1.
func newWorkers(n int) *workers {
	if n <= 1 {
		return nil
	}
	w := &workers{n: n, jobs: make(chan job, n)}
	for range n - 1 {
		go func() {
			for j := range w.jobs {
				j.f(j.lo, j.hi)
				w.wg.Done()
			}
		}()
	}
	return w
}

// stop ends the goroutines.
func (w *workers) stop() {
	if w != nil {
		close(w.jobs)
	}
}

// run calls f over [0, size) in up to n contiguous pieces and waits for
// them. f must not be a closure created per call (it would allocate); pass
// a method value stored once.
func (w *workers) run(size int, f func(lo, hi int)) { w.runRows(size, 1, f) }

// runRows is run over rows of the given width: the pieces are whole rows
// and the work is worth splitting from rows×width ≥ parallelMin on.
func (w *workers) runRows(size, width int, f func(lo, hi int)) {
	if w == nil || size*width < parallelMin {
		f(0, size)
		return
	}
	chunk := (size + w.n - 1) / w.n
	if width == 1 {
		chunk = (chunk + 15) &^ 15 // whole cache lines
	}
	for lo := chunk; lo < size; lo += chunk {
		w.wg.Add(1)
		w.jobs <- job{f, lo, min(lo+chunk, size)}
	}
	f(0, min(chunk, size))
	w.wg.Wait()
}

// The activation of one layer, run in parallel over rows: the trainer keeps
// the arguments in actArgs and bound method values in actFn and gradFn.
type actArgs struct {
	k            actKind
	alpha        float32
	width        int
	b            []float32 // bias added before the activation, nil = none
	z, a, da, dz []float32
}

func (c *actArgs) activateRows(lo, hi int) {
	w := c.width
	biasActivate(c.k, c.alpha, c.b, c.z[lo*w:hi*w], c.a[lo*w:hi*w], w)
}

func (c *actArgs) gradRows(lo, hi int) {
	w := c.width
	activationGrad(c.k, c.alpha, c.z[lo*w:hi*w], c.a[lo*w:hi*w], c.da[lo*w:hi*w], c.dz[lo*w:hi*w], w)
}
