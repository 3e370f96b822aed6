package main

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
)

// The example of scikit-learn's documentation: roc_auc_score gives 0.75
// and average_precision_score 0.8333 for these scores.
func TestBinaryCurveSklearnExample(t *testing.T) {
	y := []float32{0, 0, 1, 1}
	score := []float32{0.1, 0.4, 0.35, 0.8}
	pts := binaryCurve(score, y)
	if auc := rocAUC(pts); math.Abs(auc-0.75) > 1e-12 {
		t.Errorf("ROC AUC %v, want 0.75", auc)
	}
	if ap := averagePrecision(pts); math.Abs(ap-0.8333333333333333) > 1e-12 {
		t.Errorf("average precision %v, want 0.8333", ap)
	}
	p := at(pts, 0.5) // only 0.8 ≥ 0.5: one true positive
	if p.TPR != 0.5 || p.FPR != 0 || p.Precision != 1 || p.Positives != 1 {
		t.Errorf("at 0.5: %+v", p)
	}
	rows := thresholdTable(pts)
	if len(rows) != 9 || rows[0].Threshold != 0.1 || rows[0].Recall != 1 || rows[0].Precision != 0.5 || rows[8].Positives != 0 {
		t.Errorf("threshold table: %+v", rows)
	}
}

// On random data with ties, the curve's AUC agrees with nn.Evaluate's
// roc_auc, an independent implementation.
func TestBinaryCurveAgreesWithEvaluate(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 2000
	score, y := make([]float32, n), make([]float32, n)
	for i := range n {
		if r.Float64() < 0.3 {
			y[i] = 1
		}
		score[i] = float32(math.Round((0.3*float64(y[i])+0.7*r.Float64())*50) / 50) // ties
	}
	truth := make([]int, n)
	for i, v := range y {
		truth[i] = int(v)
	}
	want, err := nn.ROCAUC(truth, score)
	if err != nil {
		t.Fatal(err)
	}
	if got := rocAUC(binaryCurve(score, y)); math.Abs(got-want) > 1e-9 {
		t.Errorf("AUC %v, nn says %v", got, want)
	}
}

// The plots say what they show: render them to SVG and read their text.
func TestPlotTitlesAndLabels(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("DENSE_PLOT_DIR"); d != "" {
		dir = d // to look at them
	}
	text := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	spec := &nn.Spec{Task: nn.TaskRegression, Target: "monthly_spend", Loss: nn.LossMSE}
	h := &nn.History{}
	for i := 1; i <= 5; i++ {
		f := float64(i)
		h.Epochs = append(h.Epochs, nn.EpochLog{Epoch: i, Epochs: 5, Values: map[string]float64{
			"loss": 900 / f, "val_loss": 950 / f, "mae": 30 / f, "val_mae": 31 / f}})
	}
	hist := filepath.Join(dir, "history.svg")
	if err := writeHistoryPlot(hist, "spend@1", h, spec); err != nil {
		t.Fatal(err)
	}
	svg := text(hist)
	for _, want := range []string{"spend@1: loss", "loss: mean squared error (monthly_spend²)", "mean absolute error (monthly_spend)", "epoch", ">1<", ">5<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("history.svg lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`>\d+\.\d+<`).FindAllString(svg, -1); len(m) > 0 && strings.Contains(strings.Join(m, ""), ">1.5<") {
		t.Errorf("fractional epoch ticks: %v", m)
	}

	var pred, actual []float32
	for i := range 300 {
		a := float32(i)
		actual = append(actual, a)
		pred = append(pred, a+float32(i%7)-3)
	}
	reg := filepath.Join(dir, "regression.svg")
	if err := writeRegressionEvalPlot(reg, "spend@1", spec, pred, actual); err != nil {
		t.Fatal(err)
	}
	svg = text(reg)
	for _, want := range []string{"spend@1: predicted vs actual", "actual monthly_spend", "predicted monthly_spend",
		"predicted = actual", "residuals", "actual − predicted monthly_spend", "rows"} {
		if !strings.Contains(svg, want) {
			t.Errorf("regression.svg lacks %q", want)
		}
	}

	y := []float32{0, 0, 1, 1, 0, 1, 0, 1}
	score := []float32{0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.7}
	cm, err := nn.NewConfusionMatrix([]int{0, 0, 1, 1, 0, 1, 0, 1}, []int{0, 0, 0, 1, 0, 1, 1, 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	cm.Labels = []string{"false", "true"}
	bin := filepath.Join(dir, "binary.svg")
	pts := binaryCurve(score, y)
	if err := writeBinaryEvalPlot(bin, "churn@1", cm, pts, 0.5); err != nil {
		t.Fatal(err)
	}
	svg = text(bin)
	for _, want := range []string{"churn@1: confusion matrix", "ROC (AUC " + formatMetric(rocAUC(pts)) + ")",
		"precision-recall (AP " + formatMetric(averagePrecision(pts)) + ")", "false positive rate", "true positive rate (recall)",
		"threshold 0.5", "chance", "predicted", "actual"} {
		if !strings.Contains(svg, want) {
			t.Errorf("binary.svg lacks %q", want)
		}
	}
	// The same drawings as PNG, for people.
	for _, name := range []string{"history.png", "regression.png", "binary.png"} {
		path := filepath.Join(dir, name)
		var err error
		switch name {
		case "history.png":
			err = writeHistoryPlot(path, "spend@1", h, spec)
		case "regression.png":
			err = writeRegressionEvalPlot(path, "spend@1", spec, pred, actual)
		default:
			err = writeBinaryEvalPlot(path, "churn@1", cm, pts, 0.5)
		}
		if err != nil {
			t.Fatal(err)
		}
		checkPNG(t, path)
	}
}
