package nn

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Float is the element type the metric functions accept: model outputs are
// float32, hand-made slices are often float64.
type Float interface{ ~float32 | ~float64 }

// LogLossEpsilon is where LogLoss clips probabilities, to [ε, 1-ε], so that
// a confident wrong answer costs -log(ε) ≈ 34.5 instead of +Inf (the value
// scikit-learn used for years).
const LogLossEpsilon = 1e-15

var errMetricNoRows = errors.New("no rows")

func lengthsMatch(what string, a, b int) error {
	if a == 0 {
		return fmt.Errorf("%s: %w", what, errMetricNoRows)
	}
	if a != b {
		return fmt.Errorf("%s: %d true values but %d predictions", what, a, b)
	}
	return nil
}

// Accuracy is the fraction of rows whose predicted class equals the true one.
func Accuracy(yTrue, yPred []int) (float64, error) {
	return prefixed1(accuracy(yTrue, yPred))
}

func accuracy(yTrue, yPred []int) (float64, error) {
	if err := lengthsMatch("accuracy", len(yTrue), len(yPred)); err != nil {
		return 0, err
	}
	hit := 0
	for i := range yTrue {
		if yTrue[i] == yPred[i] {
			hit++
		}
	}
	return float64(hit) / float64(len(yTrue)), nil
}

// ConfusionMatrix counts rows by true class (row) and predicted class
// (column): Counts[t][p]. Labels, when set, name the classes in String.
type ConfusionMatrix struct {
	Counts [][]int
	Labels []string
}

// NewConfusionMatrix tallies class indices in [0, classes).
func NewConfusionMatrix(yTrue, yPred []int, classes int) (*ConfusionMatrix, error) {
	return prefixed1(newConfusionMatrix(yTrue, yPred, classes))
}

func newConfusionMatrix(yTrue, yPred []int, classes int) (*ConfusionMatrix, error) {
	if err := lengthsMatch("confusion matrix", len(yTrue), len(yPred)); err != nil {
		return nil, err
	}
	if classes < 1 {
		return nil, fmt.Errorf("confusion matrix: %d classes, want ≥ 1", classes)
	}
	c := &ConfusionMatrix{Counts: make([][]int, classes)}
	for i := range c.Counts {
		c.Counts[i] = make([]int, classes)
	}
	for i := range yTrue {
		t, p := yTrue[i], yPred[i]
		if t < 0 || t >= classes {
			return nil, fmt.Errorf("confusion matrix: row %d: true class %d outside [0, %d)", i, t, classes)
		}
		if p < 0 || p >= classes {
			return nil, fmt.Errorf("confusion matrix: row %d: predicted class %d outside [0, %d)", i, p, classes)
		}
		c.Counts[t][p]++
	}
	return c, nil
}

// Label is the name of class i: Labels[i], or the index when the matrix
// has no labels for it.
func (c *ConfusionMatrix) Label(i int) string {
	if i < len(c.Labels) {
		return c.Labels[i]
	}
	return strconv.Itoa(i)
}

// Classes is the number of classes.
func (c *ConfusionMatrix) Classes() int { return len(c.Counts) }

// Total is the number of rows counted.
func (c *ConfusionMatrix) Total() int {
	n := 0
	for _, row := range c.Counts {
		for _, v := range row {
			n += v
		}
	}
	return n
}

// Accuracy is the trace over the total (0 for an empty matrix).
func (c *ConfusionMatrix) Accuracy() float64 {
	hit := 0
	for i := range c.Counts {
		hit += c.Counts[i][i]
	}
	return safeRatio(hit, c.Total())
}

func (c *ConfusionMatrix) predicted(class int) int {
	n := 0
	for t := range c.Counts {
		n += c.Counts[t][class]
	}
	return n
}

func (c *ConfusionMatrix) actual(class int) int {
	n := 0
	for _, v := range c.Counts[class] {
		n += v
	}
	return n
}

// safeRatio is a/b, and 0 when b is 0 (scikit-learn's zero_division=0).
func safeRatio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Precision of one class: true positives over predicted positives (0 if the
// class is never predicted).
func (c *ConfusionMatrix) Precision(class int) float64 {
	return safeRatio(c.Counts[class][class], c.predicted(class))
}

// Recall of one class: true positives over actual positives (0 if the class
// never occurs).
func (c *ConfusionMatrix) Recall(class int) float64 {
	return safeRatio(c.Counts[class][class], c.actual(class))
}

// F1 of one class: the harmonic mean of its precision and recall (0 if both
// are 0).
func (c *ConfusionMatrix) F1(class int) float64 {
	p, r := c.Precision(class), c.Recall(class)
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// present lists the classes that occur as a true or a predicted class; macro
// averages run over them, as in scikit-learn (a class absent from both would
// otherwise add a 0 that says nothing about the model).
func (c *ConfusionMatrix) present() []int {
	var out []int
	for k := range c.Counts {
		if c.actual(k) > 0 || c.predicted(k) > 0 {
			out = append(out, k)
		}
	}
	return out
}

func (c *ConfusionMatrix) macro(f func(int) float64) float64 {
	ks := c.present()
	if len(ks) == 0 {
		return 0
	}
	s := 0.0
	for _, k := range ks {
		s += f(k)
	}
	return s / float64(len(ks))
}

// MacroPrecision, MacroRecall and MacroF1 are the unweighted means of the
// per-class values over the classes present (F1 is averaged per class, not
// computed from the averaged precision and recall).
func (c *ConfusionMatrix) MacroPrecision() float64 { return c.macro(c.Precision) }
func (c *ConfusionMatrix) MacroRecall() float64    { return c.macro(c.Recall) }
func (c *ConfusionMatrix) MacroF1() float64        { return c.macro(c.F1) }

// String renders the matrix as an aligned table, true classes down the side
// and predicted classes across.
func (c *ConfusionMatrix) String() string {
	k := len(c.Counts)
	name := c.Label
	cells := make([][]string, k+1)
	cells[0] = append(cells[0], `true\pred`)
	for j := range k {
		cells[0] = append(cells[0], name(j))
	}
	for i := range k {
		cells[i+1] = append(cells[i+1], name(i))
		for j := range k {
			cells[i+1] = append(cells[i+1], Thousands(c.Counts[i][j]))
		}
	}
	width := make([]int, k+1)
	for _, row := range cells {
		for j, s := range row {
			width[j] = max(width[j], len([]rune(s)))
		}
	}
	var b strings.Builder
	for _, row := range cells {
		for j, s := range row {
			pad := strings.Repeat(" ", width[j]-len([]rune(s)))
			if j == 0 {
				b.WriteString(s + pad)
			} else {
				b.WriteString("  " + pad + s)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// BinaryPrecisionRecallF1 scores the positive class 1 of 0/1 labels.
func BinaryPrecisionRecallF1(yTrue, yPred []int) (precision, recall, f1 float64, err error) {
	c, err := newConfusionMatrix(yTrue, yPred, 2)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("nn: binary precision/recall: %w", err)
	}
	return c.Precision(1), c.Recall(1), c.F1(1), nil
}

// MacroPrecisionRecallF1 is the macro average over the classes present of
// class indices in [0, classes).
func MacroPrecisionRecallF1(yTrue, yPred []int, classes int) (precision, recall, f1 float64, err error) {
	c, err := newConfusionMatrix(yTrue, yPred, classes)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("nn: macro precision/recall: %w", err)
	}
	return c.MacroPrecision(), c.MacroRecall(), c.MacroF1(), nil
}

// prefixed1 adds the package prefix to the error of an unexported metric
// function (they return their errors unprefixed, so that Evaluate and the
// composite metrics can wrap them with their own context).
func prefixed1[V any](v V, err error) (V, error) {
	if err != nil {
		var zero V
		return zero, fmt.Errorf("nn: %w", err)
	}
	return v, nil
}

// ROCAUC is the area under the ROC curve of scores for 0/1 labels: the
// probability that a random positive scores above a random negative, ties
// counting one half. It is computed from average ranks (Mann-Whitney U),
// which equals the trapezoid area under the ROC curve with tied scores
// forming one diagonal step. It needs both classes and finite scores.
func ROCAUC[T Float](yTrue []int, scores []T) (float64, error) {
	return prefixed1(rocAUC(yTrue, scores))
}

func rocAUC[T Float](yTrue []int, scores []T) (float64, error) {
	if err := lengthsMatch("roc auc", len(yTrue), len(scores)); err != nil {
		return 0, err
	}
	idx := make([]int, len(scores))
	var pos, neg int
	for i := range idx {
		idx[i] = i
		s := float64(scores[i])
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return 0, fmt.Errorf("roc auc: row %d: score %v is not finite", i, s)
		}
		switch yTrue[i] {
		case 0:
			neg++
		case 1:
			pos++
		default:
			return 0, fmt.Errorf("roc auc: row %d: label %d is not 0 or 1", i, yTrue[i])
		}
	}
	if pos == 0 || neg == 0 {
		return 0, fmt.Errorf("roc auc: needs both classes, got %d positives and %d negatives", pos, neg)
	}
	slices.SortFunc(idx, func(a, b int) int {
		if scores[a] < scores[b] {
			return -1
		}
		if scores[a] > scores[b] {
			return 1
		}
		return 0
	})
	// Sum the 1-based ranks of the positives, giving each run of tied scores
	// the average of the ranks it spans.
	rankSum := 0.0
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+1+j) / 2 // mean of ranks i+1 … j
		for _, k := range idx[i:j] {
			if yTrue[k] == 1 {
				rankSum += avg
			}
		}
		i = j
	}
	p, n := float64(pos), float64(neg)
	return (rankSum - p*(p+1)/2) / (p * n), nil
}

// macroOvRAUC is the mean over the classes that occur in truth (and not in
// every row) of the ROC AUC of that class against the rest, scored by its
// column of the rows×classes probabilities; ok is false when no class
// qualifies (fewer than two classes occur).
func macroOvRAUC(truth []int, pred []float32, classes int) (auc float64, ok bool) {
	bin := make([]int, len(truth))
	score := make([]float32, len(truth))
	sum, n := 0.0, 0
	for k := range classes {
		for i, t := range truth {
			bin[i] = 0
			if t == k {
				bin[i] = 1
			}
			score[i] = pred[i*classes+k]
		}
		if a, err := rocAUC(bin, score); err == nil {
			sum += a
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// BinaryLogLoss is the mean negative log-likelihood of 0/1 labels under
// P(1) = p, with p clipped to [LogLossEpsilon, 1-LogLossEpsilon].
func BinaryLogLoss[T Float](yTrue []int, p []T) (float64, error) {
	return prefixed1(binaryLogLoss(yTrue, p))
}

func binaryLogLoss[T Float](yTrue []int, p []T) (float64, error) {
	if err := lengthsMatch("log loss", len(yTrue), len(p)); err != nil {
		return 0, err
	}
	s := 0.0
	for i, y := range yTrue {
		q := float64(p[i])
		if math.IsNaN(q) {
			return 0, fmt.Errorf("log loss: row %d: probability is NaN", i)
		}
		q = min(max(q, LogLossEpsilon), 1-LogLossEpsilon)
		switch y {
		case 1:
			s -= math.Log(q)
		case 0:
			s -= math.Log(1 - q)
		default:
			return 0, fmt.Errorf("log loss: row %d: label %d is not 0 or 1", i, y)
		}
	}
	return s / float64(len(yTrue)), nil
}

// LogLoss is the mean negative log-probability of the true class, for
// row-major probs of len(yTrue)×classes, each probability clipped to
// [LogLossEpsilon, 1-LogLossEpsilon]. Rows are not renormalised.
func LogLoss[T Float](yTrue []int, probs []T, classes int) (float64, error) {
	return prefixed1(logLoss(yTrue, probs, classes))
}

func logLoss[T Float](yTrue []int, probs []T, classes int) (float64, error) {
	if classes < 2 {
		return 0, fmt.Errorf("log loss: %d classes, want ≥ 2 (BinaryLogLoss takes one probability per row)", classes)
	}
	if len(yTrue) == 0 {
		return 0, fmt.Errorf("log loss: %w", errMetricNoRows)
	}
	if len(probs) != len(yTrue)*classes {
		return 0, fmt.Errorf("log loss: %d probabilities for %d rows × %d classes", len(probs), len(yTrue), classes)
	}
	s := 0.0
	for i, y := range yTrue {
		if y < 0 || y >= classes {
			return 0, fmt.Errorf("log loss: row %d: class %d outside [0, %d)", i, y, classes)
		}
		q := float64(probs[i*classes+y])
		if math.IsNaN(q) {
			return 0, fmt.Errorf("log loss: row %d: probability is NaN", i)
		}
		s -= math.Log(min(max(q, LogLossEpsilon), 1-LogLossEpsilon))
	}
	return s / float64(len(yTrue)), nil
}

func regressionCheck[T Float](what string, yTrue, yPred []T) error {
	if err := lengthsMatch(what, len(yTrue), len(yPred)); err != nil {
		return err
	}
	for i := range yTrue {
		a, b := float64(yTrue[i]), float64(yPred[i])
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return fmt.Errorf("%s: true value %d is %v", what, i, a)
		}
		if math.IsNaN(b) || math.IsInf(b, 0) {
			return fmt.Errorf("%s: prediction %d is %v", what, i, b)
		}
	}
	return nil
}

// MSE is the mean squared error, accumulated in float64.
func MSE[T Float](yTrue, yPred []T) (float64, error) {
	return prefixed1(mse("mse", yTrue, yPred))
}

func mse[T Float](what string, yTrue, yPred []T) (float64, error) {
	if err := regressionCheck(what, yTrue, yPred); err != nil {
		return 0, err
	}
	s := 0.0
	for i := range yTrue {
		d := float64(yTrue[i]) - float64(yPred[i])
		s += d * d
	}
	return s / float64(len(yTrue)), nil
}

// RMSE is the square root of the MSE.
func RMSE[T Float](yTrue, yPred []T) (float64, error) {
	m, err := mse("mse", yTrue, yPred)
	if err != nil {
		return 0, fmt.Errorf("nn: rmse: %w", err)
	}
	return math.Sqrt(m), nil
}

// MAE is the mean absolute error.
func MAE[T Float](yTrue, yPred []T) (float64, error) {
	return prefixed1(mae(yTrue, yPred))
}

func mae[T Float](yTrue, yPred []T) (float64, error) {
	if err := regressionCheck("mae", yTrue, yPred); err != nil {
		return 0, err
	}
	s := 0.0
	for i := range yTrue {
		s += math.Abs(float64(yTrue[i]) - float64(yPred[i]))
	}
	return s / float64(len(yTrue)), nil
}

// R2 is the coefficient of determination 1 - SS_res/SS_tot. When the true
// values are constant (SS_tot = 0) it is 1 for a perfect prediction and 0
// otherwise, like scikit-learn's force_finite default.
func R2[T Float](yTrue, yPred []T) (float64, error) {
	return prefixed1(r2Score(yTrue, yPred))
}

func r2Score[T Float](yTrue, yPred []T) (float64, error) {
	if err := regressionCheck("r2", yTrue, yPred); err != nil {
		return 0, err
	}
	mean := 0.0
	for _, v := range yTrue {
		mean += float64(v)
	}
	mean /= float64(len(yTrue))
	var res, tot float64
	for i := range yTrue {
		d := float64(yTrue[i]) - float64(yPred[i])
		res += d * d
		e := float64(yTrue[i]) - mean
		tot += e * e
	}
	if tot == 0 {
		if res == 0 {
			return 1, nil
		}
		return 0, nil
	}
	return 1 - res/tot, nil
}

// Evaluate predicts rows×InputWidth x with m and scores the predictions
// against y with the metrics that suit the model's task (EvaluateOutputs
// lists them).
func Evaluate(m *Model, x, y []float32, rows int) (map[string]float64, error) {
	if rows <= 0 {
		return nil, fmt.Errorf("nn: evaluate: %w", errMetricNoRows)
	}
	if err := m.checkRows(x, rows); err != nil {
		return nil, fmt.Errorf("nn: evaluate: %w", err)
	}
	pred, _ := m.Predict(x, rows) // x was checked
	ev, err := EvaluateOutputs(m.Spec(), pred, y, rows)
	if err != nil {
		return nil, err
	}
	return ev.Metrics, nil
}

// Evaluation is what EvaluateOutputs finds.
type Evaluation struct {
	// Metrics by name, as listed at EvaluateOutputs.
	Metrics map[string]float64
	// Confusion is a classifier's confusion matrix, labelled with
	// Spec.ClassLabels (nil for regression).
	Confusion *ConfusionMatrix
}

// EvaluateOutputs scores a model's outputs (rows×OutputWidth, what Predict
// returns) against y with the metrics that suit the spec's task. The class
// a classifier predicts is Spec.Classify's; an output row with no class (a
// NaN) is an error naming the row, like a NaN true value.
//
//   - binary: y holds one 0/1 per row. Metrics accuracy, precision, recall,
//     f1 (of class 1), log_loss, and roc_auc when both classes occur.
//   - multiclass: y holds one class index per row, or rows×OutputWidth
//     one-hot rows (the largest entry is the class). Metrics accuracy,
//     precision, recall, f1 (macro averages), log_loss, and roc_auc: one
//     class against the rest, macro-averaged (scikit-learn's
//     roc_auc_score(multi_class="ovr", average="macro")) over the classes
//     that occur in y, left out unless at least two do.
//   - regression: y holds rows×OutputWidth targets. Metrics mse, rmse, mae
//     over all outputs, and r2 averaged over the outputs.
func EvaluateOutputs(s *Spec, pred, y []float32, rows int) (*Evaluation, error) {
	ev, err := evaluateOutputs(s, pred, y, rows)
	if err != nil {
		return nil, fmt.Errorf("nn: evaluate: %w", err)
	}
	return ev, nil
}

func evaluateOutputs(s *Spec, pred, y []float32, rows int) (*Evaluation, error) {
	if rows <= 0 {
		return nil, errMetricNoRows
	}
	out := s.OutputWidth()
	if len(pred) != rows*out {
		return nil, fmt.Errorf("%d outputs for %d rows × %d outputs", len(pred), rows, out)
	}
	res := map[string]float64{}
	ev := &Evaluation{Metrics: res}
	var err error
	switch s.Task {
	case TaskBinary, TaskMulticlass:
		truth := make([]int, rows)
		if s.Task == TaskBinary {
			if len(y) != rows {
				return nil, fmt.Errorf("binary task: y has %d values, want %d (one 0/1 per row)", len(y), rows)
			}
			for i, v := range y {
				if v != 0 && v != 1 {
					return nil, fmt.Errorf("binary task: row %d: label %v is not 0 or 1", i, v)
				}
				truth[i] = int(v)
			}
		} else {
			switch len(y) {
			case rows:
				for i, v := range y {
					if v != float32(int(v)) || v < 0 || int(v) >= out {
						return nil, fmt.Errorf("multiclass task: row %d: label %v is not a class index in [0, %d)", i, v, out)
					}
					truth[i] = int(v)
				}
			case rows * out:
				for i := range rows {
					truth[i] = argmax32(y[i*out : (i+1)*out])
				}
			default:
				return nil, fmt.Errorf("multiclass task: y has %d values, want %d (a class index per row) or %d (one-hot rows)", len(y), rows, rows*out)
			}
		}
		guess := make([]int, rows)
		for i := range rows {
			k, ok := s.Classify(pred[i*out : (i+1)*out])
			if !ok {
				return nil, fmt.Errorf("row %d: the model's output is NaN, which predicts no class", i)
			}
			guess[i] = k
		}
		labels := s.ClassLabels()
		c, err := newConfusionMatrix(truth, guess, len(labels))
		if err != nil {
			return nil, err
		}
		c.Labels = labels
		ev.Confusion = c
		res["accuracy"] = c.Accuracy()
		if s.Task == TaskBinary {
			res["precision"], res["recall"], res["f1"] = c.Precision(1), c.Recall(1), c.F1(1)
			if res["log_loss"], err = binaryLogLoss(truth, pred); err != nil {
				return nil, err
			}
			if a, err := rocAUC(truth, pred); err == nil {
				res["roc_auc"] = a
			} // one class only: AUC is undefined and left out
		} else {
			res["precision"], res["recall"], res["f1"] = c.MacroPrecision(), c.MacroRecall(), c.MacroF1()
			if res["log_loss"], err = logLoss(truth, pred, out); err != nil {
				return nil, err
			}
			if a, ok := macroOvRAUC(truth, pred, out); ok {
				res["roc_auc"] = a
			}
		}
	case TaskRegression:
		if len(y) != rows*out {
			return nil, fmt.Errorf("regression task: y has %d values, want %d (rows × %d outputs)", len(y), rows*out, out)
		}
		if res["mse"], err = mse("mse", y, pred); err != nil {
			return nil, err
		}
		res["rmse"] = math.Sqrt(res["mse"])
		if res["mae"], err = mae(y, pred); err != nil {
			return nil, err
		}
		sum := 0.0
		col := make([]float32, rows)
		pcol := make([]float32, rows)
		for j := range out {
			for i := range rows {
				col[i], pcol[i] = y[i*out+j], pred[i*out+j]
			}
			v, err := r2Score(col, pcol)
			if err != nil {
				return nil, err
			}
			sum += v
		}
		res["r2"] = sum / float64(out)
	default:
		return nil, fmt.Errorf("unknown task %q", s.Task)
	}
	return ev, nil
}
