package main

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/dense-ml/dense/nn"
)

// curvePoint is one threshold of a binary classifier's score: the rates
// of predicting positive at score ≥ Threshold.
type curvePoint struct {
	Threshold           float64
	TPR, FPR, Precision float64 // TPR is the recall
	Positives           int     // rows predicted positive
}

// binaryCurve sweeps the threshold over every distinct score, highest
// first: the points of the ROC and precision-recall curves. y holds 1 for
// the positive class, 0 otherwise. The first point is (0, 0) at threshold
// +Inf (nothing predicted positive, precision 1 by convention).
func binaryCurve(score, y []float32) []curvePoint {
	idx := make([]int, len(score))
	pos, neg := 0, 0
	for i := range idx {
		idx[i] = i
		if y[i] == 1 {
			pos++
		} else {
			neg++
		}
	}
	sort.Slice(idx, func(a, b int) bool { return score[idx[a]] > score[idx[b]] })
	rate := func(n, of int) float64 {
		if of == 0 {
			return 0
		}
		return float64(n) / float64(of)
	}
	pts := []curvePoint{{Threshold: math.Inf(1), Precision: 1}}
	tp, fp := 0, 0
	for i := 0; i < len(idx); {
		s := score[idx[i]]
		for ; i < len(idx) && score[idx[i]] == s; i++ { // ties move together
			if y[idx[i]] == 1 {
				tp++
			} else {
				fp++
			}
		}
		pts = append(pts, curvePoint{Threshold: float64(s), TPR: rate(tp, pos), FPR: rate(fp, neg),
			Precision: rate(tp, tp+fp), Positives: tp + fp})
	}
	return pts
}

// rocAUC is the area under the ROC curve (trapezoids).
func rocAUC(pts []curvePoint) float64 {
	auc := 0.0
	for i := 1; i < len(pts); i++ {
		auc += (pts[i].FPR - pts[i-1].FPR) * (pts[i].TPR + pts[i-1].TPR) / 2
	}
	return auc
}

// averagePrecision is the area under the precision-recall curve as
// scikit-learn's average_precision_score computes it: Σ (Rₖ − Rₖ₋₁) Pₖ.
func averagePrecision(pts []curvePoint) float64 {
	ap := 0.0
	for i := 1; i < len(pts); i++ {
		ap += (pts[i].TPR - pts[i-1].TPR) * pts[i].Precision
	}
	return ap
}

// at is the point of the curve for predicting positive at score ≥ t.
func at(pts []curvePoint, t float64) curvePoint {
	best := pts[0]
	for _, p := range pts[1:] {
		if p.Threshold >= t {
			best = p
		}
	}
	return best
}

// thresholdRow is precision, recall and F1 at one threshold.
type thresholdRow struct {
	Threshold, Precision, Recall, F1 float64
	Positives                        int
}

// thresholdTable evaluates thresholds 0.1, 0.2, …, 0.9 on the curve.
func thresholdTable(pts []curvePoint) []thresholdRow {
	var rows []thresholdRow
	for k := 1; k <= 9; k++ {
		t := float64(k) / 10
		p := at(pts, t)
		f1 := 0.0
		if p.Precision+p.TPR > 0 {
			f1 = 2 * p.Precision * p.TPR / (p.Precision + p.TPR)
		}
		rows = append(rows, thresholdRow{Threshold: t, Precision: p.Precision, Recall: p.TPR, F1: f1, Positives: p.Positives})
	}
	return rows
}

// binaryReport draws a binary model's evaluation plot (confusion matrix,
// ROC and precision-recall curves) from its scores (P(Labels[1]) per row,
// the outputs Evaluate already computed) and prints the threshold table.
func (e *env) binaryReport(score, y []float32, cm *nn.ConfusionMatrix, plot, title string, thresholds bool, threshold float64) error {
	pts := binaryCurve(score, y)
	if thresholds {
		fmt.Fprintf(e.stdout, "\nThresholds (predict %s when P(%s) ≥ threshold; the model's is %g):\n",
			cm.Labels[1], cm.Labels[1], threshold)
		rs := &resultSet{Columns: []string{"threshold", "precision", "recall", "f1", "predicted_positive"}}
		for _, r := range thresholdTable(pts) {
			prec := numText(formatMetric(r.Precision))
			if r.Positives == 0 {
				prec = numText("–") // nothing predicted positive
			}
			rs.Rows = append(rs.Rows, []any{numText(strconv.FormatFloat(r.Threshold, 'f', 1, 64)), prec,
				numText(formatMetric(r.Recall)), numText(formatMetric(r.F1)), numText(thousands(r.Positives))})
		}
		if err := rs.writeTable(e.stdout); err != nil {
			return err
		}
	}
	if plot != "" {
		return writeBinaryEvalPlot(plot, title, cm, pts, threshold)
	}
	return nil
}
