package dense

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

func init() {
	register.DoFn4x1[context.Context, Batch, func(Partial), func(Batch), error](&evalFn{})
	register.Emitter1[Partial]()
	register.Combiner2[Partial, Metrics](&metricsFn{})
	register.DoFn2x1[context.Context, Metrics, error](&writeMetricsFn{})
}

// EvalOptions configure Evaluate.
type EvalOptions struct {
	// Target is the column with the true values (default: the model's
	// training target).
	Target string
	// BatchRows is the most rows of one forward pass (0: DefaultBatchRows).
	BatchRows int
}

// Metrics is the result of Evaluate: the metrics `dense eval` prints, over
// every row that could be scored.
type Metrics struct {
	Model  string  `json:"model"`
	Task   nn.Task `json:"task"`
	Target string  `json:"target"`
	Rows   int64   `json:"rows"`
	// Metrics: accuracy, precision, recall, f1, log_loss and roc_auc
	// (binary: when both classes occur; multiclass: one class against the
	// rest, macro-averaged over the classes that occur, when two do) for
	// classifiers, with precision, recall and f1 of the positive class
	// (binary) or macro averages (multiclass); mse,
	// rmse, mae and r2 for regression. The same definitions as nn.Evaluate.
	Metrics map[string]float64 `json:"metrics"`
	// Labels and Confusion (rows: true class, columns: predicted, in Labels
	// order) for classifiers.
	Labels    []string  `json:"labels,omitempty"`
	Confusion [][]int64 `json:"confusion,omitempty"`
}

// ConfusionMatrix is the confusion matrix as nn's type (for its String and
// per-class precision and recall).
func (m Metrics) ConfusionMatrix() *nn.ConfusionMatrix {
	if m.Confusion == nil {
		return nil
	}
	c := &nn.ConfusionMatrix{Labels: m.Labels, Counts: make([][]int, len(m.Confusion))}
	for i, row := range m.Confusion {
		c.Counts[i] = make([]int, len(row))
		for j, v := range row {
			c.Counts[i][j] = int(v)
		}
	}
	return c
}

// Evaluate measures model on rows (a PCollection of Batch with the target
// column) like `dense eval`: each worker scores its batches and sums what
// the metrics need into a Partial (confusion counts, log-loss sums, sums
// of squares and absolute errors, the target's mean and spread, the ROC
// curve's points), and a CombineFn adds the Partials up across workers, so
// the result equals a single-machine `dense eval` up to float rounding
// (roc_auc exactly: its Partial counts positives and negatives per
// distinct score, so it grows with the number of distinct scores, up to 16
// bytes each, and for a multiclass model per class).
//
// metrics holds one Metrics. dead holds the rows that could not be
// scored, as Score's dead letters, and the rows whose target is NULL, NaN,
// ±Inf or not one of a classifier's labels; they are left out of the
// metrics.
func Evaluate(s beam.Scope, model Model, rows beam.PCollection, opts EvalOptions) (metrics, dead beam.PCollection) {
	s = s.Scope("dense.Evaluate")
	partials, dead := beam.ParDo2(s, &evalFn{Model: model, Opts: opts}, rows)
	final := &metricsFn{Model: model.Ref, Target: opts.Target}
	if m, err := model.load(); err == nil { // else the workers report it
		if final.Target == "" {
			final.Target = m.Spec().Target
		}
		if m.Spec().Task != nn.TaskRegression {
			final.Labels = m.Spec().ClassLabels()
		}
	}
	return beam.Combine(s, final, partials), dead
}

// Partial is the part of the metrics one batch contributes; Partials add
// up (see Merge).
type Partial struct {
	Task    nn.Task
	Classes int
	Rows    int64
	// Classifiers: Confusion is Classes×Classes row-major (true, predicted);
	// LogLoss the sum of the rows' log losses.
	Confusion []int64
	LogLoss   float64
	// Binary: the distinct scores in increasing order with the number of
	// negative and positive rows at each.
	Scores   []float32
	Neg, Pos []int64
	// Multiclass: the same for each class's output against the rest (a
	// row is positive for its true class), for the one-vs-rest roc_auc.
	ClassScores        [][]float32
	ClassNeg, ClassPos [][]int64
	// Regression (one output): sums of squared and absolute errors, and
	// the target's mean and sum of squared deviations (Chan et al.'s
	// parallel update keeps them exact to rounding).
	SSE, SAE, Mean, M2 float64
}

// Merge adds q to p.
func (p Partial) Merge(q Partial) Partial {
	if q.Rows == 0 {
		return p
	}
	if p.Rows == 0 {
		return q
	}
	r := Partial{Task: p.Task, Classes: p.Classes, Rows: p.Rows + q.Rows, LogLoss: p.LogLoss + q.LogLoss,
		SSE: p.SSE + q.SSE, SAE: p.SAE + q.SAE}
	if p.Confusion != nil {
		r.Confusion = slices.Clone(p.Confusion)
		for i, v := range q.Confusion {
			r.Confusion[i] += v
		}
	}
	r.Scores, r.Neg, r.Pos = mergeScores(p.Scores, p.Neg, p.Pos, q.Scores, q.Neg, q.Pos)
	if p.ClassScores != nil || q.ClassScores != nil {
		k := max(len(p.ClassScores), len(q.ClassScores))
		r.ClassScores, r.ClassNeg, r.ClassPos = make([][]float32, k), make([][]int64, k), make([][]int64, k)
		at := func(x [][]float32, n, q [][]int64, i int) ([]float32, []int64, []int64) {
			if i < len(x) {
				return x[i], n[i], q[i]
			}
			return nil, nil, nil
		}
		for i := range k {
			sa, na, pa := at(p.ClassScores, p.ClassNeg, p.ClassPos, i)
			sb, nb, pb := at(q.ClassScores, q.ClassNeg, q.ClassPos, i)
			r.ClassScores[i], r.ClassNeg[i], r.ClassPos[i] = mergeScores(sa, na, pa, sb, nb, pb)
		}
	}
	na, nb := float64(p.Rows), float64(q.Rows)
	d := q.Mean - p.Mean
	r.Mean = p.Mean + d*nb/(na+nb)
	r.M2 = p.M2 + q.M2 + d*d*na*nb/(na+nb)
	return r
}

// mergeScores merges two sorted score lists, adding the counts of equal
// scores.
func mergeScores(sa []float32, na, pa []int64, sb []float32, nb, pb []int64) ([]float32, []int64, []int64) {
	if len(sa) == 0 && len(sb) == 0 {
		return nil, nil, nil
	}
	s := make([]float32, 0, len(sa)+len(sb))
	n := make([]int64, 0, len(sa)+len(sb))
	p := make([]int64, 0, len(sa)+len(sb))
	i, j := 0, 0
	for i < len(sa) || j < len(sb) {
		switch {
		case j == len(sb) || (i < len(sa) && sa[i] < sb[j]):
			s, n, p = append(s, sa[i]), append(n, na[i]), append(p, pa[i])
			i++
		case i == len(sa) || sb[j] < sa[i]:
			s, n, p = append(s, sb[j]), append(n, nb[j]), append(p, pb[j])
			j++
		default:
			s, n, p = append(s, sa[i]), append(n, na[i]+nb[j]), append(p, pa[i]+pb[j])
			i, j = i+1, j+1
		}
	}
	return s, n, p
}

type evalFn struct {
	Model Model       `json:"model"`
	Opts  EvalOptions `json:"opts"`

	sc     *scorer
	target string
	labels []string
}

func (fn *evalFn) Setup() error {
	sc, err := newScorer(fn.Model, fn.Opts.BatchRows)
	if err != nil {
		return err
	}
	fn.sc = sc
	fn.target = fn.Opts.Target
	if fn.target == "" {
		fn.target = sc.spec.Target
	}
	if fn.target == "" {
		return fmt.Errorf("dense: evaluate %s: the model does not record its target column: give the target", fn.Model.Ref)
	}
	if sc.spec.Task == nn.TaskRegression && sc.spec.OutputWidth() != 1 {
		return fmt.Errorf("dense: evaluate %s: the model has %d outputs; evaluation handles one-output regression", fn.Model.Ref, sc.spec.OutputWidth())
	}
	fn.labels = sc.spec.ClassLabels()
	return nil
}

func (fn *evalFn) ProcessElement(ctx context.Context, b Batch, emit func(Partial), dead func(Batch)) error {
	out, _, reasons := fn.sc.predict(b) // reasons name the rows left out
	y, bad := targetValues(b.Record, fn.target, fn.sc.spec)
	if bad == nil {
		bad = map[int]string{}
	}
	nanRows(out, fn.sc.spec, reasons, bad)
	for r, why := range bad {
		if reasons == nil {
			reasons = map[int]string{}
		}
		if _, ok := reasons[r]; !ok {
			reasons[r] = why
		}
	}
	if len(reasons) > 0 {
		d, err := deadBatch(b, reasons)
		if err != nil {
			return err
		}
		deadLetters.Inc(ctx, d.Record.NumRows())
		dead(d)
	}
	p := fn.partial(out, y, reasons)
	rowsEvaluated.Inc(ctx, p.Rows)
	emit(p)
	return nil
}

// partial sums the metrics' terms over the rows not in skip.
func (fn *evalFn) partial(out, y []float32, skip map[int]string) Partial {
	spec := fn.sc.spec
	width := spec.OutputWidth()
	p := Partial{Task: spec.Task}
	if out == nil {
		return p
	}
	if spec.Task == nn.TaskRegression {
		var sum float64
		for r, v := range y {
			if _, bad := skip[r]; !bad {
				sum += float64(v)
				p.Rows++
			}
		}
		if p.Rows == 0 {
			return p
		}
		p.Mean = sum / float64(p.Rows)
		for r, v := range y {
			if _, bad := skip[r]; bad {
				continue
			}
			d := float64(v) - float64(out[r])
			p.SSE += d * d
			p.SAE += math.Abs(d)
			e := float64(v) - p.Mean
			p.M2 += e * e
		}
		return p
	}
	k := len(fn.labels)
	p.Classes = k
	p.Confusion = make([]int64, k*k)
	var pts []point
	var classPts [][]point
	if spec.Task == nn.TaskMulticlass {
		classPts = make([][]point, k)
	}
	for r, v := range y {
		if _, bad := skip[r]; bad {
			continue
		}
		p.Rows++
		truth := int(v)
		row := out[r*width : (r+1)*width]
		guess, _ := spec.Classify(row) // a NaN output row is in skip (see nanRows)
		var q float64                  // the probability of the true class
		if spec.Task == nn.TaskBinary {
			q = float64(row[0])
			if truth == 0 {
				q = 1 - q
			}
			pts = append(pts, point{row[0], truth == 1})
		} else {
			q = float64(row[truth])
			for c := range classPts {
				classPts[c] = append(classPts[c], point{row[c], truth == c})
			}
		}
		p.Confusion[truth*k+guess]++
		p.LogLoss -= math.Log(min(max(q, nn.LogLossEpsilon), 1-nn.LogLossEpsilon))
	}
	if len(pts) > 0 {
		p.Scores, p.Neg, p.Pos = curve(pts)
	}
	if p.Rows > 0 {
		for _, cp := range classPts {
			sc, ne, po := curve(cp)
			p.ClassScores, p.ClassNeg, p.ClassPos = append(p.ClassScores, sc), append(p.ClassNeg, ne), append(p.ClassPos, po)
		}
	}
	return p
}

// point is a row's score and whether the row is a positive.
type point struct {
	s   float32
	pos bool
}

// curve sorts pts and counts the negatives and positives at each distinct
// score, in increasing order.
func curve(pts []point) (scores []float32, neg, pos []int64) {
	slices.SortFunc(pts, func(a, b point) int {
		switch {
		case a.s < b.s:
			return -1
		case a.s > b.s:
			return 1
		}
		return 0
	})
	for _, pt := range pts {
		if n := len(scores); n == 0 || scores[n-1] != pt.s {
			scores, neg, pos = append(scores, pt.s), append(neg, 0), append(pos, 0)
		}
		if pt.pos {
			pos[len(pos)-1]++
		} else {
			neg[len(neg)-1]++
		}
	}
	return scores, neg, pos
}

// targetValues reads the target of every row as `dense eval` does
// (tabular.TargetValues: a classifier's class index, a regression value).
// bad names the rows that have none, with the reason.
func targetValues(rec arrow.RecordBatch, target string, spec *nn.Spec) (y []float32, bad map[int]string) {
	y, err := tabular.TargetValues(rec, target, spec, 0)
	if err == nil {
		return y, nil
	}
	// Read the rows one by one for their own reasons (bad rows are rare).
	rows := int(rec.NumRows())
	y = make([]float32, rows)
	bad = map[int]string{}
	for r := range rows {
		one := rec.NewSlice(int64(r), int64(r+1))
		v, err := tabular.TargetValues(one, target, spec, 0)
		one.Release()
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "tabular: ")
			msg = strings.Replace(strings.Replace(msg, " row 0:", ":", 1), "row 0: ", "", 1)
			bad[r] = msg
			continue
		}
		y[r] = v[0]
	}
	return y, bad
}

// metricsFn adds up the Partials and computes the metrics.
type metricsFn struct {
	Model  string   `json:"model"`
	Target string   `json:"target"`
	Labels []string `json:"labels"`
}

func (fn *metricsFn) CreateAccumulator() Partial { return Partial{} }

func (fn *metricsFn) MergeAccumulators(a, b Partial) Partial { return a.Merge(b) }

func (fn *metricsFn) ExtractOutput(p Partial) Metrics {
	m := Metrics{Model: fn.Model, Task: p.Task, Target: fn.Target, Rows: p.Rows, Metrics: map[string]float64{}}
	if p.Rows == 0 {
		return m
	}
	n := float64(p.Rows)
	if p.Task == nn.TaskRegression {
		m.Metrics["mse"] = p.SSE / n
		m.Metrics["rmse"] = math.Sqrt(p.SSE / n)
		m.Metrics["mae"] = p.SAE / n
		switch { // as nn.R2: constant targets give 1 for a perfect fit, else 0
		case p.M2 != 0:
			m.Metrics["r2"] = 1 - p.SSE/p.M2
		case p.SSE == 0:
			m.Metrics["r2"] = 1
		default:
			m.Metrics["r2"] = 0
		}
		return m
	}
	k := p.Classes
	m.Labels = fn.Labels
	m.Confusion = make([][]int64, k)
	for i := range m.Confusion {
		m.Confusion[i] = p.Confusion[i*k : (i+1)*k]
	}
	c := m.ConfusionMatrix()
	m.Metrics["accuracy"] = c.Accuracy()
	m.Metrics["log_loss"] = p.LogLoss / n
	if p.Task == nn.TaskBinary {
		m.Metrics["precision"], m.Metrics["recall"], m.Metrics["f1"] = c.Precision(1), c.Recall(1), c.F1(1)
		if auc, ok := rocAUC(p.Scores, p.Neg, p.Pos); ok {
			m.Metrics["roc_auc"] = auc
		}
	} else {
		m.Metrics["precision"], m.Metrics["recall"], m.Metrics["f1"] = c.MacroPrecision(), c.MacroRecall(), c.MacroF1()
		// One class against the rest, macro-averaged over the classes
		// that occur (nn.EvaluateOutputs), left out unless two do.
		sum, classes := 0.0, 0
		for i := range p.ClassScores {
			if auc, ok := rocAUC(p.ClassScores[i], p.ClassNeg[i], p.ClassPos[i]); ok {
				sum += auc
				classes++
			}
		}
		if classes > 0 {
			m.Metrics["roc_auc"] = sum / float64(classes)
		}
	}
	return m
}

// rocAUC is nn.ROCAUC from counts per distinct score: the rank sum of the
// positives, each run of tied scores taking the average of the ranks it
// spans (Mann-Whitney U). ok is false without both classes.
func rocAUC(scores []float32, neg, pos []int64) (float64, bool) {
	var np, nn int64
	for i := range scores {
		np += pos[i]
		nn += neg[i]
	}
	if np == 0 || nn == 0 {
		return 0, false
	}
	rankSum := 0.0
	var seen int64
	for i := range scores {
		k := pos[i] + neg[i]
		avg := float64(2*seen+1+k) / 2 // mean of ranks seen+1 … seen+k
		rankSum += avg * float64(pos[i])
		seen += k
	}
	p, q := float64(np), float64(nn)
	return (rankSum - p*(p+1)/2) / (p * q), true
}

// WriteMetrics writes the one Metrics of metrics as indented JSON to path
// (on any of Beam's filesystems), where the launcher or a later job reads it.
func WriteMetrics(s beam.Scope, path string, metrics beam.PCollection) {
	s = s.Scope("dense.WriteMetrics")
	beam.ParDo0(s, &writeMetricsFn{Path: path}, metrics)
}

type writeMetricsFn struct {
	Path string `json:"path"`
}

func (fn *writeMetricsFn) ProcessElement(ctx context.Context, m Metrics) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("dense: metrics: %w", err)
	}
	fs, err := filesystem.New(ctx, fn.Path)
	if err != nil {
		return fmt.Errorf("dense: %s: %w", fn.Path, err)
	}
	defer fs.Close()
	w, err := fs.OpenWrite(ctx, fn.Path)
	if err != nil {
		return fmt.Errorf("dense: %s: %w", fn.Path, err)
	}
	if _, err := w.Write(append(data, '\n')); err != nil {
		w.Close()
		return fmt.Errorf("dense: %s: %w", fn.Path, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("dense: %s: %w", fn.Path, err)
	}
	return nil
}

// ParseMetrics reads what WriteMetrics wrote.
func ParseMetrics(data []byte) (Metrics, error) {
	var m Metrics
	if err := json.Unmarshal(data, &m); err != nil {
		return Metrics{}, fmt.Errorf("dense: metrics: %w", err)
	}
	return m, nil
}

// nanRows adds to bad the encoded rows whose output is NaN: a classifier's
// such row predicts no class (nn.Spec.Classify) and nn.Evaluate refuses
// it, as it refuses a NaN regression output.
func nanRows(out []float32, spec *nn.Spec, encoded, bad map[int]string) {
	if out == nil {
		return
	}
	w := spec.OutputWidth()
	for r := range len(out) / w {
		if _, skip := encoded[r]; skip {
			continue
		}
		if slices.ContainsFunc(out[r*w:(r+1)*w], func(v float32) bool { return v != v }) {
			bad[r] = "the model's output is NaN"
		}
	}
}
