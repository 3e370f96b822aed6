package pipeline

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// Cross-validation (TrainConfig.CV = k) measures how well the configuration
// generalises, not the one model Train returns: the rows are dealt into k
// folds (FoldRows: stratified by class for classification, seeded), and
// for each fold a fresh model is trained on the other k-1 folds exactly as
// Train trains on all the rows, and evaluated on the fold (Evaluate). The
// fold's model fits its own preprocessing on its k-1 folds, and its own
// validation rows for the epoch metrics and early stopping are split off
// them (ValSplit, stratified, seeded), so a fold's test rows take no part
// in training its model: not its scaling, not its vocabulary, not the
// choice of its epoch. It keeps the task and labels of the whole data;
// every class needs two rows. The result
// is each metric's mean and standard deviation over the folds (the
// population standard deviation, numpy's default, which is what
// scikit-learn's cross_val_score(...).std() prints); the registered model
// is then trained as without cross-validation, on the usual split, and the
// figures are stored in its provenance (nn.Provenance.CV). Cross-validation
// costs k trainings more, and while a fold trains, its rows are copied
// next to the training batches (about twice the raw data in memory).

// FoldRows deals row indices 0..n-1 into k folds, seeded. With classes (the
// class index of each row) the folds are stratified: each class's rows are
// shuffled and dealt round-robin, continuing from the fold where the
// previous class stopped, so every fold gets its share of every class and
// the fold sizes differ by at most one. Without classes the shuffled rows
// are cut into k runs of nearly equal size. Each fold comes back in
// ascending order.
func FoldRows(n int, classes []int, k int, seed int64) ([][]int, error) {
	if k < 2 {
		return nil, fmt.Errorf("cross-validation needs at least 2 folds, got %d", k)
	}
	if n < k {
		return nil, fmt.Errorf("%d-fold cross-validation needs at least %d rows, the data has %d", k, k, n)
	}
	if classes != nil && len(classes) != n {
		return nil, fmt.Errorf("%d class labels for %d rows", len(classes), n)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x2545f4914f6cdd1d))
	folds := make([][]int, k)
	if classes == nil {
		perm := make([]int, n)
		for i := range perm {
			perm[i] = i
		}
		rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for f := range folds {
			folds[f] = slices.Clone(perm[f*n/k : (f+1)*n/k])
		}
	} else {
		var groups [][]int
		for i, c := range classes {
			for c >= len(groups) {
				groups = append(groups, nil)
			}
			groups[c] = append(groups[c], i)
		}
		next := 0
		for _, g := range groups {
			rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
			for _, r := range g {
				folds[next] = append(folds[next], r)
				next = (next + 1) % k
			}
		}
	}
	for _, f := range folds {
		slices.Sort(f)
	}
	return folds, nil
}

// crossValidate runs the k-fold cross-validation described above on the
// rows of held (the training batches, NULL targets dropped), whose targets
// tgt resolved. Each fold's model is trained by train itself, on batches of
// the fold's training rows: it fits its own preprocessing on them (so not
// even a mean or a category of the test fold reaches it), with the task and
// labels of the whole data.
func crossValidate(ctx context.Context, cfg TrainConfig, held []arrow.RecordBatch, tgt *tabular.Targets) (*nn.CrossValidation, error) {
	rows := len(tgt.Y)
	if tgt.Classes != nil {
		counts := make([]int, len(tgt.Labels))
		for _, c := range tgt.Classes {
			counts[c]++
		}
		for c, n := range counts {
			if n < 2 {
				return nil, fmt.Errorf("cross-validation: class %q has %d row; every class needs at least 2, so that each fold's model trains on it", tgt.Labels[c], n)
			}
		}
	}
	folds, err := FoldRows(rows, tgt.Classes, cfg.CV, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("cross-validation: %w", err)
	}
	foldOf := make([]int, rows)
	for f, idx := range folds {
		for _, r := range idx {
			foldOf[r] = f
		}
	}
	sub := cfg
	sub.CV, sub.Name, sub.OnEvent = 0, "", nil
	// The held batches have the features, in order, and the target.
	sub.Features, sub.Exclude = nil, nil
	for _, f := range held[0].Schema().Fields() {
		if f.Name != cfg.Target {
			sub.Features = append(sub.Features, f.Name)
		}
	}
	sub.Task = string(tgt.Task)
	if tgt.Task == nn.TaskBinary {
		sub.PositiveLabel = tgt.Labels[1]
	}
	scores := map[string][]float64{}
	for f := range folds {
		fail := func(err error) error { return fmt.Errorf("cross-validation fold %d of %d: %w", f+1, len(folds), err) }
		trainRows, err := selectRows(held, func(r int) bool { return foldOf[r] != f })
		if err != nil {
			return nil, fail(err)
		}
		res, err := train(ctx, trainRows, sub)
		trainRows.Close()
		if err != nil {
			return nil, fail(err)
		}
		testRows, err := selectRows(held, func(r int) bool { return foldOf[r] == f })
		if err != nil {
			return nil, fail(err)
		}
		ev, err := evaluate(ctx, res.Model, testRows, EvalConfig{Target: cfg.Target})
		testRows.Close()
		if err != nil {
			return nil, fail(err)
		}
		for name, v := range ev.Metrics {
			scores[name] = append(scores[name], v)
		}
		cfg.emit(Event{Kind: EventFold, Batch: f + 1, Batches: len(folds), Metrics: ev.Metrics})
	}
	cv := &nn.CrossValidation{Folds: len(folds), Seed: cfg.Seed, Mean: map[string]float64{}, Std: map[string]float64{}}
	for name, vs := range scores {
		if len(vs) != len(folds) {
			continue // a metric some folds lack (roc_auc of a fold with one class)
		}
		if m, s := meanStd(vs); !math.IsNaN(m+s) && !math.IsInf(m+s, 0) {
			cv.Mean[name], cv.Std[name] = m, s
		}
	}
	return cv, nil
}

// selectRows returns a reader over the rows r (numbered across the batches)
// of held for which keep(r) is true.
func selectRows(held []arrow.RecordBatch, keep func(r int) bool) (*batchReader, error) {
	br := &batchReader{schema: held[0].Schema()}
	offset := 0
	for _, b := range held {
		off := offset
		k, err := tabular.KeepRows(b, func(i int) bool { return keep(off + i) })
		if err != nil {
			br.Close()
			return nil, err
		}
		offset += int(b.NumRows())
		if k.NumRows() == 0 {
			k.Release()
			continue
		}
		br.batches = append(br.batches, k)
	}
	return br, nil
}

// batchReader streams batches it owns.
type batchReader struct {
	schema  *arrow.Schema
	batches []arrow.RecordBatch
}

func (r *batchReader) Schema() *arrow.Schema { return r.schema }

func (r *batchReader) Read() (arrow.RecordBatch, error) {
	if len(r.batches) == 0 {
		return nil, io.EOF
	}
	b := r.batches[0]
	r.batches = r.batches[1:]
	return b, nil
}

func (r *batchReader) Close() error {
	for _, b := range r.batches {
		b.Release()
	}
	r.batches = nil
	return nil
}
