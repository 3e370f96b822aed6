package pipeline

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/nn"
)

// table is genBatches' data flattened: each column's boxed values (nil for
// NULL), for rebuilding variants of it.
type table struct {
	names []string
	types []arrow.DataType
	cols  [][]any
}

func flatten(batches []arrow.RecordBatch) *table {
	t := &table{}
	for _, f := range batches[0].Schema().Fields() {
		t.names, t.types = append(t.names, f.Name), append(t.types, f.Type)
	}
	t.cols = make([][]any, len(t.names))
	for _, b := range batches {
		for c := range t.names {
			col := b.Column(c)
			for i := range col.Len() {
				if col.IsNull(i) {
					t.cols[c] = append(t.cols[c], nil)
				} else {
					t.cols[c] = append(t.cols[c], col.GetOneForMarshal(i))
				}
			}
		}
	}
	return t
}

func (t *table) rows() int { return len(t.cols[0]) }

// batches rebuilds the rows for which keep is true (all with keep nil) in
// batches of per rows, with edit (if set) changing a value first.
func (t *table) batches(mem memory.Allocator, per int, keep func(r int) bool, edit func(r int, name string, v any) any) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	var rows []int
	for r := range t.rows() {
		if keep == nil || keep(r) {
			rows = append(rows, r)
		}
	}
	for start := 0; start < len(rows); start += per {
		part := rows[start:min(start+per, len(rows))]
		var cols []col
		for c, name := range t.names {
			vals := make([]any, len(part))
			for i, r := range part {
				vals[i] = t.cols[c][r]
				if edit != nil {
					vals[i] = edit(r, name, vals[i])
				}
			}
			switch t.types[c].ID() {
			case arrow.FLOAT64:
				cols = append(cols, f64Col(mem, name, vals...))
			case arrow.STRING:
				cols = append(cols, strCol(mem, name, vals...))
			default:
				panic("table: type " + t.types[c].String())
			}
		}
		out = append(out, batch(cols...))
	}
	return out
}

func releaseAll(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

func trainBatches(t *testing.T, batches []arrow.RecordBatch, cfg TrainConfig) *TrainResult {
	t.Helper()
	r := newMemReader(batches...)
	defer r.Close()
	res, err := Train(context.Background(), r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func evalOn(t *testing.T, m *nn.Model, batches []arrow.RecordBatch, cfg EvalConfig) (*EvalResult, error) {
	t.Helper()
	r := newMemReader(batches...)
	defer r.Close()
	return Evaluate(context.Background(), m, r, cfg)
}

func sameWeights(t *testing.T, a, b *nn.Model) bool {
	t.Helper()
	ta, tb := a.Tensors(), b.Tensors()
	if len(ta) != len(tb) {
		return false
	}
	for i := range ta {
		if !slices.Equal(ta[i].Data, tb[i].Data) {
			return false
		}
	}
	return true
}

// Rows whose target is NULL are left out of training (and of the
// preprocessing fit) and counted: the model is bit for bit the one trained
// on the data without those rows. Evaluation leaves them out the same way.
func TestTrainDropsNullTargets(t *testing.T) {
	mem := checkedMem(t)
	src := genBatches(mem, 600, 4)
	tab := flatten(src)
	releaseAll(src)
	isNull := func(r int) bool { return r%7 == 3 }
	for _, target := range []string{"churn", "spend"} {
		withNulls := tab.batches(mem, 100, nil, func(r int, name string, v any) any {
			if name == target && isNull(r) {
				return nil
			}
			return v
		})
		without := tab.batches(mem, 100, func(r int) bool { return !isNull(r) }, nil)
		cfg := quickConfig(target)
		got := trainBatches(t, withNulls, cfg)
		want := trainBatches(t, without, cfg)
		dropped := 0
		for r := range tab.rows() {
			if isNull(r) {
				dropped++
			}
		}
		p := got.Model.Spec().Provenance
		if got.Dropped != dropped || p.DroppedRows != int64(dropped) || got.Rows != tab.rows()-dropped || p.Rows != int64(got.Rows) {
			t.Errorf("%s: dropped %d (provenance %d), rows %d; want %d dropped of %d", target, got.Dropped, p.DroppedRows, got.Rows, dropped, tab.rows())
		}
		if !sameWeights(t, got.Model, want.Model) {
			t.Errorf("%s: the model differs from the one trained without the NULL-target rows", target)
		}
		ev, err := evalOn(t, got.Model, tab.batches(mem, 100, nil, func(r int, name string, v any) any {
			if name == target && isNull(r) {
				return nil
			}
			return v
		}), EvalConfig{})
		if err != nil {
			t.Fatal(err)
		}
		ev2, err := evalOn(t, got.Model, tab.batches(mem, 100, func(r int) bool { return !isNull(r) }, nil), EvalConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if ev.Dropped != dropped || ev.Rows != tab.rows()-dropped || !equalMetrics(ev.Metrics, ev2.Metrics, 0) {
			t.Errorf("%s: evaluation dropped %d of %d rows, metrics %v; want %v", target, ev.Dropped, ev.Rows, ev.Metrics, ev2.Metrics)
		}
	}
	// Every target NULL: an error, not an empty model.
	allNull := tab.batches(mem, 100, nil, func(r int, name string, v any) any {
		if name == "churn" {
			return nil
		}
		return v
	})
	r := newMemReader(allNull...)
	_, err := Train(context.Background(), r, quickConfig("churn"))
	r.Close()
	if err == nil || !strings.Contains(err.Error(), `the target "churn" is NULL in every one of the 600 rows`) {
		t.Errorf("all NULL: %v", err)
	}
}

func equalMetrics(a, b map[string]float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || math.Abs(v-w) > tol {
			return false
		}
	}
	return true
}

// Evaluate with Holdout scores exactly the validation rows of training:
// its metrics equal the ones Train computed on its own validation rows, and
// the ones nn.Evaluate gives on the rows selected by hand (SplitRows with
// the class of each row read off the data). NULL-target rows, dropped by
// both, do not shift the rows.
func TestHoldout(t *testing.T) {
	mem := checkedMem(t)
	src := genBatches(mem, 700, 5)
	tab := flatten(src)
	releaseAll(src)
	for _, target := range []string{"tier", "spend"} {
		nulls := func(r int, name string, v any) any {
			if name == target && r%11 == 5 {
				return nil
			}
			return v
		}
		res := trainBatches(t, tab.batches(mem, 128, nil, nulls), quickConfig(target))
		spec := res.Model.Spec()
		sp := spec.Provenance.Split
		wantRule := SplitRandom
		if target == "tier" {
			wantRule = SplitStratified
		}
		if sp == nil || sp.Rule != wantRule || sp.Fraction != 0.2 || sp.Seed != 3 || sp.Rows != int64(res.Rows) || sp.ValRows != int64(res.ValRows) {
			t.Fatalf("%s: split %+v (rows %d, val %d)", target, sp, res.Rows, res.ValRows)
		}
		// Batches of another size than training's: rows count, not batches.
		ev, err := evalOn(t, res.Model, tab.batches(mem, 37, nil, nulls), EvalConfig{Holdout: true})
		if err != nil {
			t.Fatal(err)
		}
		if ev.Rows != res.ValRows || !equalMetrics(ev.Metrics, res.Metrics, 1e-9) {
			t.Errorf("%s: holdout on %d rows: %v; training's validation (%d rows): %v", target, ev.Rows, ev.Metrics, res.ValRows, res.Metrics)
		}

		// By hand: the kept rows, their classes, SplitRows, nn.Evaluate.
		var kept []int
		for r := range tab.rows() {
			if r%11 != 5 {
				kept = append(kept, r)
			}
		}
		c := slices.Index(tab.names, target)
		var classes []int
		if target == "tier" {
			for _, r := range kept {
				classes = append(classes, slices.Index(spec.Labels, tab.cols[c][r].(string)))
			}
		}
		_, val, err := SplitRows(len(kept), classes, 0.2, 3)
		if err != nil {
			t.Fatal(err)
		}
		inVal := map[int]bool{}
		var y []float32
		for _, i := range val {
			inVal[kept[i]] = true
			if target == "tier" {
				y = append(y, float32(classes[i]))
			} else {
				y = append(y, float32(tab.cols[c][kept[i]].(float64)))
			}
		}
		valBatches := tab.batches(mem, 1000, func(r int) bool { return inVal[r] }, nil)
		x, rows := encodeAll(t, res.Model, valBatches)
		releaseAll(valBatches)
		want, err := nn.Evaluate(res.Model, x, y, rows)
		if err != nil {
			t.Fatal(err)
		}
		if !equalMetrics(ev.Metrics, want, 1e-9) {
			t.Errorf("%s: holdout %v; by hand %v", target, ev.Metrics, want)
		}

		// Other data: fewer rows, or the same rows in another order.
		fewer := tab.batches(mem, 100, func(r int) bool { return r != 0 }, nulls)
		if _, err := evalOn(t, res.Model, fewer, EvalConfig{Holdout: true}); !errors.Is(err, ErrHoldoutData) || !strings.Contains(err.Error(), "training had") {
			t.Errorf("%s: fewer rows: %v", target, err)
		}
		// Swap rows 0 and 1 (whose targets differ).
		swap := func(r int, name string, v any) any {
			v = nulls(r, name, v)
			if r == 0 || r == 1 {
				return nulls(1-r, name, tab.cols[slices.Index(tab.names, name)][1-r])
			}
			return v
		}
		if _, err := evalOn(t, res.Model, tab.batches(mem, 100, nil, swap), EvalConfig{Holdout: true}); !errors.Is(err, ErrHoldoutData) || !strings.Contains(err.Error(), "another order") {
			t.Errorf("%s: reordered rows: %v", target, err)
		}
		// The same targets, one feature value changed.
		changed := func(r int, name string, v any) any {
			v = nulls(r, name, v)
			if r == 2 && name == "a" {
				return v.(float64) + 1
			}
			return v
		}
		if _, err := evalOn(t, res.Model, tab.batches(mem, 100, nil, changed), EvalConfig{Holdout: true}); !errors.Is(err, ErrHoldoutData) || !strings.Contains(err.Error(), "other feature values") {
			t.Errorf("%s: a changed feature: %v", target, err)
		}
	}
	// A model without a recorded split (older files) says so.
	src = tab.batches(mem, 100, nil, nil)
	res := trainBatches(t, src, quickConfig("churn"))
	s := res.Model.Spec()
	s.Provenance.Split = nil
	if _, err := evalOn(t, res.Model, tab.batches(mem, 100, nil, nil), EvalConfig{Holdout: true}); err == nil || !strings.Contains(err.Error(), "does not record its validation split") {
		t.Errorf("no split: %v", err)
	}
}

func TestFoldRows(t *testing.T) {
	classes := make([]int, 103)
	for i := range classes {
		classes[i] = min(i%10, 2) // 10% class 0, 10% class 1, 80% class 2
	}
	for _, cl := range [][]int{nil, classes} {
		folds, err := FoldRows(103, cl, 5, 9)
		if err != nil {
			t.Fatal(err)
		}
		var all []int
		lo, hi := 103, 0
		for _, f := range folds {
			if !slices.IsSorted(f) {
				t.Error("a fold is not ascending")
			}
			all = append(all, f...)
			lo, hi = min(lo, len(f)), max(hi, len(f))
		}
		slices.Sort(all)
		for i, r := range all {
			if r != i {
				t.Fatalf("folds are not a partition of 0..102 (at %d: %d)", i, r)
			}
		}
		if hi-lo > 1 {
			t.Errorf("fold sizes from %d to %d", lo, hi)
		}
		if cl != nil {
			for f, idx := range folds {
				var n [3]int
				for _, r := range idx {
					n[cl[r]]++
				}
				// Class counts 11, 11, 81 over 5 folds: 2 or 3, 2 or 3, 16 or 17.
				if n[0] < 2 || n[0] > 3 || n[1] < 2 || n[1] > 3 || n[2] < 16 || n[2] > 17 {
					t.Errorf("fold %d has classes %v", f, n)
				}
			}
		}
		again, _ := FoldRows(103, cl, 5, 9)
		other, _ := FoldRows(103, cl, 5, 10)
		if !slices.EqualFunc(folds, again, slices.Equal) || slices.EqualFunc(folds, other, slices.Equal) {
			t.Error("folds do not follow the seed")
		}
	}
	if _, err := FoldRows(3, nil, 5, 1); err == nil || !strings.Contains(err.Error(), "at least 5 rows") {
		t.Errorf("3 rows in 5 folds: %v", err)
	}
	if _, err := FoldRows(3, nil, 1, 1); err == nil {
		t.Error("1 fold accepted")
	}
}

// Cross-validated metrics are the mean and standard deviation of each
// fold's model, trained by Train on the other folds' rows (selected here by
// hand) and evaluated by Evaluate on the fold; the registered model is the
// one Train makes without CV.
func TestCrossValidation(t *testing.T) {
	mem := checkedMem(t)
	src := genBatches(mem, 500, 6)
	tab := flatten(src)
	releaseAll(src)
	for _, target := range []string{"churn", "spend"} {
		cfg := quickConfig(target)
		cfg.Epochs = 5
		cfg.CV = 3
		var folds []int
		cfg.OnEvent = func(e Event) {
			if e.Kind == EventFold {
				folds = append(folds, e.Batch)
				if e.Batches != 3 || len(e.Metrics) == 0 {
					t.Errorf("fold event %+v", e)
				}
			}
		}
		res := trainBatches(t, tab.batches(mem, 100, nil, nil), cfg)
		cv := res.CV
		if cv == nil || cv.Folds != 3 || !slices.Equal(folds, []int{1, 2, 3}) || res.Model.Spec().Provenance.CV != cv {
			t.Fatalf("%s: cv %+v, fold events %v", target, cv, folds)
		}
		plain := quickConfig(target)
		plain.Epochs = 5
		if !sameWeights(t, res.Model, trainBatches(t, tab.batches(mem, 100, nil, nil), plain).Model) {
			t.Errorf("%s: the model trained with --cv differs from the one without", target)
		}

		// By hand.
		var classes []int
		c := slices.Index(tab.names, target)
		if target == "churn" {
			for r := range tab.rows() {
				classes = append(classes, slices.Index(res.Model.Spec().Labels, tab.cols[c][r].(string)))
			}
		}
		idx, err := FoldRows(tab.rows(), classes, 3, 3)
		if err != nil {
			t.Fatal(err)
		}
		per := map[string][]float64{}
		for _, test := range idx {
			in := map[int]bool{}
			for _, r := range test {
				in[r] = true
			}
			sub := quickConfig(target)
			sub.Epochs = 5
			sub.Task = string(res.Model.Spec().Task)
			if target == "churn" {
				sub.PositiveLabel = res.Model.Spec().Labels[1]
			}
			m := trainBatches(t, tab.batches(mem, 100, func(r int) bool { return !in[r] }, nil), sub).Model
			ev, err := evalOn(t, m, tab.batches(mem, 100, func(r int) bool { return in[r] }, nil), EvalConfig{})
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range ev.Metrics {
				per[k] = append(per[k], v)
			}
		}
		for k, vs := range per {
			mean := (vs[0] + vs[1] + vs[2]) / 3
			std := math.Sqrt(((vs[0]-mean)*(vs[0]-mean) + (vs[1]-mean)*(vs[1]-mean) + (vs[2]-mean)*(vs[2]-mean)) / 3)
			if math.Abs(cv.Mean[k]-mean) > 1e-12 || math.Abs(cv.Std[k]-std) > 1e-12 {
				t.Errorf("%s: %s = %v ± %v, by hand %v ± %v", target, k, cv.Mean[k], cv.Std[k], mean, std)
			}
		}
		if len(per) != len(cv.Mean) || len(cv.Mean) == 0 {
			t.Errorf("%s: metrics %v, by hand %v", target, cv.Mean, per)
		}
		t.Logf("%s: %v ± %v", target, cv.Mean, cv.Std)
	}
}

// Balanced class weights are scikit-learn's over the training rows and are
// recorded; the decision threshold is stored and moves the predicted
// labels; both are refused where they do not apply.
func TestClassWeightsAndThreshold(t *testing.T) {
	mem := checkedMem(t)
	src := genBatches(mem, 500, 7)
	tab := flatten(src)
	releaseAll(src)
	cfg := quickConfig("tier")
	cfg.ClassWeights = ClassWeightsBalanced
	res := trainBatches(t, tab.batches(mem, 100, nil, nil), cfg)
	spec := res.Model.Spec()
	c := slices.Index(tab.names, "tier")
	classes := make([]int, tab.rows())
	for r := range classes {
		classes[r] = slices.Index(spec.Labels, tab.cols[c][r].(string))
	}
	train, _, err := SplitRows(len(classes), classes, 0.2, 3)
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]float64, 3)
	for _, r := range train {
		counts[classes[r]]++
	}
	got := spec.Provenance.ClassWeights
	for k := range counts {
		if want := float64(len(train)) / (3 * counts[k]); len(got) != 3 || math.Abs(got[k]-want) > 1e-12 {
			t.Fatalf("class weights %v, want %v for class %d (counts %v)", got, want, k, counts)
		}
	}
	unweighted := trainBatches(t, tab.batches(mem, 100, nil, nil), quickConfig("tier"))
	if unweighted.Model.Spec().Provenance.ClassWeights != nil || sameWeights(t, res.Model, unweighted.Model) {
		t.Error("balanced weights changed nothing")
	}

	// The threshold: stored, and the labels of Score follow it.
	cfg = quickConfig("churn")
	cfg.Threshold = 0.8
	res = trainBatches(t, tab.batches(mem, 100, nil, nil), cfg)
	if res.Model.Spec().Threshold != 0.8 {
		t.Fatalf("threshold %v", res.Model.Spec().Threshold)
	}
	w := &collectWriter{}
	sr := newMemReader(tab.batches(mem, 100, nil, nil)...)
	defer sr.Close()
	if _, err := Score(context.Background(), res.Model, sr, w, PredictionColumns{}); err != nil {
		t.Fatal(err)
	}
	defer w.release()
	pos, mid := 0, 0
	for _, b := range w.batches {
		p, l := column(t, b, "prediction"), column(t, b, "predicted_label")
		for i := range p.Len() {
			v := p.GetOneForMarshal(i).(float64)
			want := "no"
			if float32(v) >= float32(0.8) {
				want, pos = "yes", pos+1
			}
			if v >= 0.5 && v < 0.8 {
				mid++
			}
			if l.ValueStr(i) != want {
				t.Fatalf("P(yes) = %v labelled %s at threshold 0.8", v, l.ValueStr(i))
			}
		}
	}
	if pos == 0 || mid == 0 {
		t.Errorf("the test data has no rows above 0.8 (%d) or between 0.5 and 0.8 (%d)", pos, mid)
	}

	for _, tc := range []struct {
		name string
		cfg  func(c *TrainConfig)
		want string
	}{
		{"threshold on multiclass", func(c *TrainConfig) { c.Target, c.Threshold = "tier", 0.3 }, "a decision threshold is for binary targets; this one is multiclass"},
		{"threshold range", func(c *TrainConfig) { c.Threshold = 1.5 }, "threshold must be in (0, 1), got 1.5"},
		{"weights on regression", func(c *TrainConfig) { c.Target, c.ClassWeights = "spend", ClassWeightsBalanced }, "class weights are for classification"},
		{"weights name", func(c *TrainConfig) { c.ClassWeights = "auto" }, `class weights "auto": want balanced or none`},
		{"one fold", func(c *TrainConfig) { c.CV = 1 }, "at least 2 folds"},
	} {
		cfg := quickConfig("churn")
		tc.cfg(&cfg)
		r := newMemReader(tab.batches(mem, 100, nil, nil)...)
		_, err := Train(context.Background(), r, cfg)
		r.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// An integer target with a few values trains as regression and the result
// carries the note saying how to classify.
func TestIntegerTargetNote(t *testing.T) {
	mem := checkedMem(t)
	var as, ys []any
	for i := range 200 {
		as = append(as, float64(i%6))
		ys = append(ys, i%6)
	}
	cfg := TrainConfig{Target: "y", Hidden: []int{4}, Epochs: 2, Seed: 1}
	res := trainBatches(t, []arrow.RecordBatch{batch(f64Col(mem, "a", as...), i64Col(mem, "y", ys...))}, cfg)
	if res.Model.Spec().Task != nn.TaskRegression || !strings.Contains(res.Note, "an integer target with 6 distinct values is trained as regression; use --task multiclass to classify") {
		t.Errorf("task %s, note %q", res.Model.Spec().Task, res.Note)
	}
}

// The YAML spec's keys for the same settings: class_weights and threshold
// next to positive_label, cv under training.
func TestSpecTargetKeys(t *testing.T) {
	s, err := ParseSpec([]byte(validSpec + "class_weights: balanced\nthreshold: 0.3\ntraining:\n  cv: 4\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c := s.TrainConfig(); c.ClassWeights != ClassWeightsBalanced || c.Threshold != 0.3 || c.CV != 4 {
		t.Errorf("class weights %q, threshold %v, cv %d", c.ClassWeights, c.Threshold, c.CV)
	}
	if c := (&Spec{}).TrainConfig(); c.ClassWeights != "" || c.Threshold != 0 || c.CV != 0 {
		t.Errorf("unset keys: %+v", c)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"class_weights: auto\n", `class_weights: must be balanced or none, got "auto"`},
		{"threshold: 0\n", "threshold: must be in (0, 1), got 0"},
		{"threshold: 1.2\n", "threshold: must be in (0, 1), got 1.2"},
		{"training:\n  cv: 1\n", "training.cv: needs at least 2 folds, got 1"},
	} {
		if _, err := ParseSpec([]byte(validSpec + tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
