package nn

// Fit's data: the order of the training rows and the scan for non-finite
// values.

import (
	"math/rand/v2"

	"github.com/dense-ml/dense/nn/internal/sgemm"
)

// epochOrder is Fit's order of the training rows within an epoch, kept as
// 32-bit row numbers: reshuffling 200,000 of them swaps within 0.8 MB
// (which stays in a core's second-level cache) instead of 1.6 MB, a
// quarter of a small network's epoch at 256 rows a batch otherwise.
type epochOrder struct {
	rows []int32
	idx  []int // the batch handed out by batch, reused
}

// newEpochOrder holds order (row numbers below 2³¹) for batches of up to
// batch rows.
func newEpochOrder(order []int, batch int) *epochOrder {
	e := &epochOrder{rows: make([]int32, len(order)), idx: make([]int, batch)}
	for i, r := range order {
		e.rows[i] = int32(r)
	}
	return e
}

// shuffle permutes the rows as rng.Shuffle(len, swap) does, with the same
// draws (Fisher–Yates from the last row down, Uint64N(i+1)): the same
// permutation as Fit made before (TestEpochOrderShufflesLikeRand).
func (e *epochOrder) shuffle(rng *rand.Rand) {
	rows := e.rows
	for i := len(rows) - 1; i > 0; i-- {
		j := int(rng.Uint64N(uint64(i + 1)))
		rows[i], rows[j] = rows[j], rows[i]
	}
}

// batch returns the row numbers of mini-batch b of size batch, valid until
// the next call.
func (e *epochOrder) batch(b, batch int) []int {
	src := e.rows[b*batch : min((b+1)*batch, len(e.rows))]
	idx := e.idx[:len(src)]
	for i, r := range src {
		idx[i] = int(r)
	}
	return idx
}

// firstNonFiniteOn is firstNonFinite split into pieces run on up to
// threads goroutines (sgemm's helpers): the lowest index a piece finds.
// Fit scans all of its data before training, at memory speed: 60,000
// rows of 784 floats took ~20–30 ms on one core, a tenth of a two-epoch
// 784→128→10 Fit.
func firstNonFiniteOn(v []float32, threads int) int {
	const minPiece = 1 << 18
	parts := min(4*threads, len(v)/minPiece)
	if threads <= 1 || parts < 2 {
		return firstNonFinite(v)
	}
	found := make([]int, parts)
	sgemm.Parallel(threads, parts, func(p int) {
		lo, hi := len(v)*p/parts, len(v)*(p+1)/parts
		i := firstNonFinite(v[lo:hi])
		if i >= 0 {
			i += lo
		}
		found[p] = i
	})
	for _, i := range found {
		if i >= 0 {
			return i
		}
	}
	return -1
}
