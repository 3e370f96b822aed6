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
		return fmt.Errorf("nn: %s: %w", what, errMetricNoRows)
	}
	if a != b {
		return fmt.Errorf("nn: %s: %d true values but %d predictions", what, a, b)
	}
	return nil
}

// Accuracy is the fraction of rows whose predicted class equals the true one.
func Accuracy(yTrue, yPred []int) (float64, error) {
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
	if err := lengthsMatch("confusion matrix", len(yTrue), len(yPred)); err != nil {
		return nil, err
	}
	if classes < 1 {
		return nil, fmt.Errorf("nn: confusion matrix: %d classes, want ≥ 1", classes)
	}
	c := &ConfusionMatrix{Counts: make([][]int, classes)}
	for i := range c.Counts {
		c.Counts[i] = make([]int, classes)
	}
	for i := range yTrue {
		t, p := yTrue[i], yPred[i]
		if t < 0 || t >= classes {
			return nil, fmt.Errorf("nn: confusion matrix: row %d: true class %d outside [0, %d)", i, t, classes)
		}
		if p < 0 || p >= classes {
			return nil, fmt.Errorf("nn: confusion matrix: row %d: predicted class %d outside [0, %d)", i, p, classes)
		}
		c.Counts[t][p]++
	}
	return c, nil
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
	name := func(i int) string {
		if i < len(c.Labels) {
			return c.Labels[i]
		}
		return strconv.Itoa(i)
	}
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
	c, err := NewConfusionMatrix(yTrue, yPred, 2)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("nn: binary precision/recall: %w", unprefix(err))
	}
	return c.Precision(1), c.Recall(1), c.F1(1), nil
}

// MacroPrecisionRecallF1 is the macro average over the classes present of
// class indices in [0, classes).
func MacroPrecisionRecallF1(yTrue, yPred []int, classes int) (precision, recall, f1 float64, err error) {
	c, err := NewConfusionMatrix(yTrue, yPred, classes)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("nn: macro precision/recall: %w", unprefix(err))
	}
	return c.MacroPrecision(), c.MacroRecall(), c.MacroF1(), nil
}

// unprefixed drops a leading "nn: " so wrapped errors read once.
type unprefixed struct{ err error }

func (u unprefixed) Error() string { return strings.TrimPrefix(u.err.Error(), "nn: ") }
func (u unprefixed) Unwrap() error { return u.err }

func unprefix(err error) error { return unprefixed{err} }

// ROCAUC is the area under the ROC curve of scores for 0/1 labels: the
// probability that a random positive scores above a random negative, ties
// counting one half. It is computed from average ranks (Mann-Whitney U),
// which equals the trapezoid area under the ROC curve with tied scores
// forming one diagonal step. It needs both classes and finite scores.
func ROCAUC[T Float](yTrue []int, scores []T) (float64, error) {
	if err := lengthsMatch("roc auc", len(yTrue), len(scores)); err != nil {
		return 0, err
	}
	idx := make([]int, len(scores))
	var pos, neg int
	for i := range idx {
		idx[i] = i
		s := float64(scores[i])
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return 0, fmt.Errorf("nn: roc auc: row %d: score %v is not finite", i, s)
		}
		switch yTrue[i] {
		case 0:
			neg++
		case 1:
			pos++
		default:
			return 0, fmt.Errorf("nn: roc auc: row %d: label %d is not 0 or 1", i, yTrue[i])
		}
	}
	if pos == 0 || neg == 0 {
		return 0, fmt.Errorf("nn: roc auc: needs both classes, got %d positives and %d negatives", pos, neg)
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

// BinaryLogLoss is the mean negative log-likelihood of 0/1 labels under
// P(1) = p, with p clipped to [LogLossEpsilon, 1-LogLossEpsilon].
func BinaryLogLoss[T Float](yTrue []int, p []T) (float64, error) {
	if err := lengthsMatch("log loss", len(yTrue), len(p)); err != nil {
		return 0, err
	}
	s := 0.0
	for i, y := range yTrue {
		q := float64(p[i])
		if math.IsNaN(q) {
			return 0, fmt.Errorf("nn: log loss: row %d: probability is NaN", i)
		}
		q = min(max(q, LogLossEpsilon), 1-LogLossEpsilon)
		switch y {
		case 1:
			s -= math.Log(q)
		case 0:
			s -= math.Log(1 - q)
		default:
			return 0, fmt.Errorf("nn: log loss: row %d: label %d is not 0 or 1", i, y)
		}
	}
	return s / float64(len(yTrue)), nil
}

// LogLoss is the mean negative log-probability of the true class, for
// row-major probs of len(yTrue)×classes, each probability clipped to
// [LogLossEpsilon, 1-LogLossEpsilon]. Rows are not renormalised.
func LogLoss[T Float](yTrue []int, probs []T, classes int) (float64, error) {
	if classes < 2 {
		return 0, fmt.Errorf("nn: log loss: %d classes, want ≥ 2 (BinaryLogLoss takes one probability per row)", classes)
	}
	if len(yTrue) == 0 {
		return 0, fmt.Errorf("nn: log loss: %w", errMetricNoRows)
	}
	if len(probs) != len(yTrue)*classes {
		return 0, fmt.Errorf("nn: log loss: %d probabilities for %d rows × %d classes", len(probs), len(yTrue), classes)
	}
	s := 0.0
	for i, y := range yTrue {
		if y < 0 || y >= classes {
			return 0, fmt.Errorf("nn: log loss: row %d: class %d outside [0, %d)", i, y, classes)
		}
		q := float64(probs[i*classes+y])
		if math.IsNaN(q) {
			return 0, fmt.Errorf("nn: log loss: row %d: probability is NaN", i)
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
			return fmt.Errorf("nn: %s: true value %d is %v", what, i, a)
		}
		if math.IsNaN(b) || math.IsInf(b, 0) {
			return fmt.Errorf("nn: %s: prediction %d is %v", what, i, b)
		}
	}
	return nil
}

// MSE is the mean squared error, accumulated in float64.
func MSE[T Float](yTrue, yPred []T) (float64, error) {
	if err := regressionCheck("mse", yTrue, yPred); err != nil {
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
	m, err := MSE(yTrue, yPred)
	if err != nil {
		return 0, fmt.Errorf("nn: rmse: %w", unprefix(err))
	}
	return math.Sqrt(m), nil
}

// MAE is the mean absolute error.
func MAE[T Float](yTrue, yPred []T) (float64, error) {
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
// against y with the metrics that suit the model's task:
//
//   - binary: y holds one 0/1 per row; the class is P ≥ 0.5. Metrics
//     accuracy, precision, recall, f1 (of class 1), log_loss, and roc_auc
//     when both classes occur.
//   - multiclass: y holds one class index per row, or rows×OutputWidth
//     one-hot rows (the largest entry is the class). Metrics accuracy,
//     precision, recall, f1 (macro averages), log_loss.
//   - regression: y holds rows×OutputWidth targets. Metrics mse, rmse, mae
//     over all outputs, and r2 averaged over the outputs.
func Evaluate(m *Model, x, y []float32, rows int) (map[string]float64, error) {
	if rows <= 0 {
		return nil, fmt.Errorf("nn: evaluate: %w", errMetricNoRows)
	}
	out := m.OutputWidth()
	task := m.Spec().Task
	pred, err := m.Predict(x, rows)
	if err != nil {
		return nil, fmt.Errorf("nn: evaluate: %w", unprefix(err))
	}
	res := map[string]float64{}
	wrap := func(err error) (map[string]float64, error) {
		return nil, fmt.Errorf("nn: evaluate: %w", unprefix(err))
	}
	switch task {
	case TaskBinary:
		if len(y) != rows {
			return nil, fmt.Errorf("nn: evaluate: binary task: y has %d values, want %d (one 0/1 per row)", len(y), rows)
		}
		truth := make([]int, rows)
		guess := make([]int, rows)
		for i, v := range y {
			if v != 0 && v != 1 {
				return nil, fmt.Errorf("nn: evaluate: binary task: row %d: label %v is not 0 or 1", i, v)
			}
			truth[i] = int(v)
			if pred[i] >= 0.5 {
				guess[i] = 1
			}
		}
		c, err := NewConfusionMatrix(truth, guess, 2)
		if err != nil {
			return wrap(err)
		}
		res["accuracy"] = c.Accuracy()
		res["precision"], res["recall"], res["f1"] = c.Precision(1), c.Recall(1), c.F1(1)
		if res["log_loss"], err = BinaryLogLoss(truth, pred); err != nil {
			return wrap(err)
		}
		if a, err := ROCAUC(truth, pred); err == nil {
			res["roc_auc"] = a
		} // one class only: AUC is undefined and left out
	case TaskMulticlass:
		truth := make([]int, rows)
		switch len(y) {
		case rows:
			for i, v := range y {
				if v != float32(int(v)) || v < 0 || int(v) >= out {
					return nil, fmt.Errorf("nn: evaluate: multiclass task: row %d: label %v is not a class index in [0, %d)", i, v, out)
				}
				truth[i] = int(v)
			}
		case rows * out:
			for i := range rows {
				truth[i] = argmax32(y[i*out : (i+1)*out])
			}
		default:
			return nil, fmt.Errorf("nn: evaluate: multiclass task: y has %d values, want %d (a class index per row) or %d (one-hot rows)", len(y), rows, rows*out)
		}
		guess := make([]int, rows)
		for i := range rows {
			guess[i] = argmax32(pred[i*out : (i+1)*out])
		}
		c, err := NewConfusionMatrix(truth, guess, out)
		if err != nil {
			return wrap(err)
		}
		res["accuracy"] = c.Accuracy()
		res["precision"], res["recall"], res["f1"] = c.MacroPrecision(), c.MacroRecall(), c.MacroF1()
		if res["log_loss"], err = LogLoss(truth, pred, out); err != nil {
			return wrap(err)
		}
	case TaskRegression:
		if len(y) != rows*out {
			return nil, fmt.Errorf("nn: evaluate: regression task: y has %d values, want %d (rows × %d outputs)", len(y), rows*out, out)
		}
		if res["mse"], err = MSE(y, pred); err != nil {
			return wrap(err)
		}
		res["rmse"] = math.Sqrt(res["mse"])
		if res["mae"], err = MAE(y, pred); err != nil {
			return wrap(err)
		}
		r2 := 0.0
		col := make([]float32, rows)
		pcol := make([]float32, rows)
		for j := range out {
			for i := range rows {
				col[i], pcol[i] = y[i*out+j], pred[i*out+j]
			}
			v, err := R2(col, pcol)
			if err != nil {
				return wrap(err)
			}
			r2 += v
		}
		res["r2"] = r2 / float64(out)
	default:
		return nil, fmt.Errorf("nn: evaluate: unknown task %q", task)
	}
	return res, nil
}
