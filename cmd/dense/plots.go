package main

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/dense-ml/dense/nn"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

var (
	trainColor = color.RGBA{R: 31, G: 119, B: 180, A: 255}  // blue
	valColor   = color.RGBA{R: 255, G: 127, B: 14, A: 255}  // orange
	textDark   = color.RGBA{R: 20, G: 20, B: 20, A: 255}    //
	textLight  = color.RGBA{R: 250, G: 250, B: 250, A: 255} //
)

// historyMetric picks the metric drawn next to the loss: accuracy for
// classifiers, else the first other metric the history has (mae, r2, …).
func historyMetric(h *nn.History) string {
	if len(h.Epochs) == 0 {
		return ""
	}
	vals := h.Epochs[0].Values
	for _, pref := range []string{"accuracy", "mae", "r2", "rmse"} {
		if _, ok := vals[pref]; ok {
			return pref
		}
		if _, ok := vals["val_"+pref]; ok {
			return pref
		}
	}
	var names []string
	for k := range vals {
		k = strings.TrimPrefix(k, "val_")
		if k != "loss" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	if len(names) > 0 {
		return names[0]
	}
	return ""
}

// metricLabel is the axis label of a metric of a history: its name and its
// unit. A regression's metrics are in the target's units (see
// pipeline.Train), its MSE in their square.
func metricLabel(name string, spec *nn.Spec) string {
	target := "target"
	loss := ""
	regression := false
	if spec != nil {
		if spec.Target != "" {
			target = spec.Target
		}
		loss, regression = string(spec.Loss), spec.Task == nn.TaskRegression
	}
	if name == "loss" {
		switch {
		case regression && (loss == nn.LossMSE || loss == ""):
			return "loss: mean squared error (" + target + "²)"
		case regression && loss == nn.LossMAE:
			return "loss: mean absolute error (" + target + ")"
		case regression:
			return "loss: " + loss
		case loss != "":
			return "loss: " + strings.ReplaceAll(loss, "_", " ")
		}
		return "loss"
	}
	switch name {
	case "accuracy":
		return "accuracy (fraction correct)"
	case "mae":
		return "mean absolute error (" + target + ")"
	case "rmse":
		return "root mean squared error (" + target + ")"
	case "mse":
		return "mean squared error (" + target + "²)"
	case "r2":
		return "R² (1 = perfect)"
	}
	return name
}

// integerTicks labels an axis with whole numbers only (epochs): about
// eight ticks, a step of 1, 2 or 5 times a power of ten.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1.0
	for _, m := range []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000} {
		step = m
		if (hi-lo)/m <= 8 {
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
	}
	return ticks
}

// writeHistoryPlot draws the training history (PNG, or SVG by extension):
// loss on the left, the main metric on the right, training and validation
// curves on each, axes labelled with the metric and its unit, whole epochs.
// spec (may be nil) gives the task, loss and target for the labels.
func writeHistoryPlot(path, title string, h *nn.History, spec *nn.Spec) error {
	if h == nil || len(h.Epochs) == 0 {
		return errors.New("plot: the training history is empty")
	}
	metric := historyMetric(h)
	panels := []string{"loss"}
	if metric != "" {
		panels = append(panels, metric)
	}
	plots := [][]*plot.Plot{make([]*plot.Plot, len(panels))}
	for i, name := range panels {
		p := plot.New()
		p.Title.Text = name
		if i == 0 && title != "" {
			p.Title.Text = title + ": " + name
		}
		p.X.Label.Text = "epoch"
		p.X.Tick.Marker = integerTicks{}
		p.Y.Label.Text = metricLabel(name, spec)
		p.Add(plotter.NewGrid())
		for _, series := range []struct {
			key   string
			label string
			col   color.Color
		}{{name, "training", trainColor}, {"val_" + name, "validation", valColor}} {
			pts := make(plotter.XYs, 0, len(h.Epochs))
			for _, ep := range h.Epochs {
				if v, ok := ep.Values[series.key]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
					pts = append(pts, plotter.XY{X: float64(ep.Epoch), Y: v})
				}
			}
			if len(pts) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(pts)
			if err != nil {
				return fmt.Errorf("plot: %w", err)
			}
			line.Color, line.Width = series.col, vg.Points(1.5)
			points.Color, points.Radius = series.col, vg.Points(1.8)
			points.Shape = draw.CircleGlyph{}
			p.Add(line, points)
			p.Legend.Add(series.label, line, points)
		}
		if h.Stopped && h.BestEpoch > 0 {
			// Early stopping restored this epoch's weights: mark it.
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, ep := range h.Epochs {
				for _, key := range []string{name, "val_" + name} {
					if v, ok := ep.Values[key]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
						lo, hi = min(lo, v), max(hi, v)
					}
				}
			}
			if lo <= hi {
				best, err := plotter.NewLine(plotter.XYs{{X: float64(h.BestEpoch), Y: lo}, {X: float64(h.BestEpoch), Y: hi}})
				if err != nil {
					return fmt.Errorf("plot: %w", err)
				}
				best.Color = color.Gray{Y: 120}
				best.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
				p.Add(best)
				p.Legend.Add("best epoch", best)
			}
		}
		p.Legend.Top = i == 0 || name != "accuracy"
		p.Legend.Left = false
		plots[0][i] = p
	}
	return savePanels(path, plots[0], 360, 300)
}

// savePanels draws plots side by side, each width × height points, into
// path: SVG when it ends in .svg, else PNG.
func savePanels(path string, plots []*plot.Plot, width, height float64) error {
	c := newCanvas(path, vg.Points(width*float64(len(plots))), vg.Points(height))
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Points(18), PadTop: vg.Points(6),
		PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(10)}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, draw.New(c))
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	return saveCanvas(path, c)
}

// writeConfusionPlot draws a confusion matrix as an annotated heat map:
// actual classes down, predicted classes across, counts in the cells.
func writeConfusionPlot(path, title string, cm *nn.ConfusionMatrix) error {
	p, err := confusionPlot(title, cm)
	if err != nil {
		return err
	}
	k := cm.Classes()
	side := float64(min(900, 220+50*k))
	return savePanels(path, []*plot.Plot{p}, side+40, side)
}

func confusionPlot(title string, cm *nn.ConfusionMatrix) (*plot.Plot, error) {
	k := cm.Classes()
	if k == 0 {
		return nil, errors.New("plot: empty confusion matrix")
	}
	labels := make([]string, k)
	for i := range labels {
		labels[i] = cm.Label(i)
	}
	grid := confusionGrid{cm: cm}
	hm := plotter.NewHeatMap(grid, bluePalette(64))
	hm.Min, hm.Max = 0, float64(max(1, grid.maxCount()))

	p := plot.New()
	p.Title.Text = "confusion matrix"
	if title != "" {
		p.Title.Text = title + ": confusion matrix"
	}
	p.X.Label.Text = "predicted"
	p.Y.Label.Text = "actual"
	p.Add(hm)
	var xys plotter.XYs
	var strs []string
	var styles []text.Style
	base, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{}}, Labels: []string{""}})
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	for r := range k {
		for c := range k {
			n := cm.Counts[r][c]
			xys = append(xys, plotter.XY{X: float64(c), Y: float64(k - 1 - r)})
			strs = append(strs, strconv.Itoa(n))
			st := base.TextStyle[0]
			st.XAlign, st.YAlign = draw.XCenter, draw.YCenter
			st.Color = textDark
			if float64(n) > 0.5*hm.Max {
				st.Color = textLight
			}
			styles = append(styles, st)
		}
	}
	cells := &plotter.Labels{XYs: xys, Labels: strs, TextStyle: styles}
	p.Add(cells)
	xNames := make([]string, k)
	yNames := make([]string, k)
	for i, l := range labels {
		xNames[i] = l
		yNames[k-1-i] = l
	}
	p.NominalX(xNames...)
	p.NominalY(yNames...)
	p.X.Padding, p.Y.Padding = 0, 0
	return p, nil
}

type confusionGrid struct{ cm *nn.ConfusionMatrix }

func (g confusionGrid) Dims() (c, r int) { return g.cm.Classes(), g.cm.Classes() }
func (g confusionGrid) Z(c, r int) float64 {
	k := g.cm.Classes()
	return float64(g.cm.Counts[k-1-r][c])
}
func (g confusionGrid) X(c int) float64 { return float64(c) }
func (g confusionGrid) Y(r int) float64 { return float64(r) }
func (g confusionGrid) maxCount() int {
	m := 0
	for _, row := range g.cm.Counts {
		for _, n := range row {
			m = max(m, n)
		}
	}
	return m
}

// bluePalette runs from near-white (zero) to dark blue (the largest count).
type bluePalette int

func (n bluePalette) Colors() []color.Color {
	lo, hi := [3]float64{247, 251, 255}, [3]float64{8, 48, 107}
	out := make([]color.Color, n)
	for i := range out {
		t := float64(i) / float64(n-1)
		c := func(j int) uint8 { return uint8(math.Round(lo[j] + t*(hi[j]-lo[j]))) }
		out[i] = color.RGBA{R: c(0), G: c(1), B: c(2), A: 255}
	}
	return out
}

// newCanvas is an SVG canvas for a .svg path, else a PNG one.
func newCanvas(path string, w, h vg.Length) vg.CanvasWriterTo {
	if strings.EqualFold(filepath.Ext(path), ".svg") {
		return vgsvg.New(w, h)
	}
	return vgimg.PngCanvas{Canvas: vgimg.New(w, h)}
}

// saveCanvas writes the canvas to path, creating or replacing the file.
func saveCanvas(path string, img vg.CanvasWriterTo) error {
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("plot: folder %s does not exist", dir)
		}
	}
	// Write a temporary file and rename it: a failure (a full disk) leaves
	// no truncated PNG behind.
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	_, err = img.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	return nil
}

// maxScatterPoints caps the points of a scatter plot: beyond it every k-th
// row is drawn (a million dots draw slowly and show no more).
const maxScatterPoints = 5000

// writeRegressionEvalPlot draws a regression model's evaluation: predicted
// against actual values with the identity line (a perfect model's points
// lie on it), and the histogram of the residuals (actual − predicted).
func writeRegressionEvalPlot(path, title string, spec *nn.Spec, pred, y []float32) error {
	if len(y) == 0 || len(pred) != len(y) {
		return errors.New("plot: no predictions to draw")
	}
	target := "target"
	if spec != nil && spec.Target != "" {
		target = spec.Target
	}
	step := max(1, len(y)/maxScatterPoints)
	var pts plotter.XYs
	resid := make(plotter.Values, 0, len(y))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range y {
		a, p := float64(y[i]), float64(pred[i])
		if math.IsNaN(a) || math.IsNaN(p) || math.IsInf(a, 0) || math.IsInf(p, 0) {
			continue
		}
		resid = append(resid, a-p)
		lo, hi = min(lo, a, p), max(hi, a, p)
		if i%step == 0 {
			pts = append(pts, plotter.XY{X: a, Y: p})
		}
	}
	if len(resid) == 0 {
		return errors.New("plot: no finite predictions to draw")
	}
	sc := plot.New()
	sc.Title.Text = withTitle(title, "predicted vs actual")
	sc.X.Label.Text = "actual " + target
	sc.Y.Label.Text = "predicted " + target
	sc.Add(plotter.NewGrid())
	dots, err := plotter.NewScatter(pts)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	dots.Color, dots.Radius, dots.Shape = color.RGBA{R: 31, G: 119, B: 180, A: 90}, vg.Points(1.6), draw.CircleGlyph{}
	ident, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	ident.Color, ident.Dashes = valColor, []vg.Length{vg.Points(5), vg.Points(3)}
	sc.Add(dots, ident)
	sc.Legend.Add("rows", dots)
	sc.Legend.Add("predicted = actual", ident)
	sc.Legend.Top, sc.Legend.Left = true, true

	hp := plot.New()
	hp.Title.Text = "residuals"
	hp.X.Label.Text = "actual − predicted " + target
	hp.Y.Label.Text = "rows"
	hp.Add(plotter.NewGrid())
	h, err := plotter.NewHist(resid, 40)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	h.FillColor, h.LineStyle.Color = trainColor, color.White
	hp.Add(h)
	return savePanels(path, []*plot.Plot{sc, hp}, 380, 340)
}

// writeBinaryEvalPlot draws a binary classifier's evaluation: the confusion
// matrix, the ROC curve with its AUC, and the precision-recall curve with
// its average precision, the model's threshold marked on both curves.
func writeBinaryEvalPlot(path, title string, cm *nn.ConfusionMatrix, pts []curvePoint, threshold float64) error {
	conf, err := confusionPlot(title, cm)
	if err != nil {
		return err
	}
	th := at(pts, threshold)
	label := "threshold " + strconv.FormatFloat(threshold, 'g', 3, 64)
	curve := func(name, x, y string, xy func(curvePoint) (float64, float64), area string, diag bool) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = name + " (" + area + ")"
		p.X.Label.Text, p.Y.Label.Text = x, y
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1.02
		p.Add(plotter.NewGrid())
		line := make(plotter.XYs, 0, len(pts))
		for _, c := range pts {
			if name == "precision-recall" && c.Positives == 0 {
				continue // precision of no prediction is a convention, not a point
			}
			a, b := xy(c)
			line = append(line, plotter.XY{X: a, Y: b})
		}
		l, err := plotter.NewLine(line)
		if err != nil {
			return nil, fmt.Errorf("plot: %w", err)
		}
		l.Color, l.Width = trainColor, vg.Points(1.5)
		p.Add(l)
		if diag {
			d, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
			if err != nil {
				return nil, fmt.Errorf("plot: %w", err)
			}
			d.Color, d.Dashes = color.Gray{Y: 150}, []vg.Length{vg.Points(4), vg.Points(3)}
			p.Add(d)
			p.Legend.Add("chance", d)
		}
		a, b := xy(th)
		mark, err := plotter.NewScatter(plotter.XYs{{X: a, Y: b}})
		if err != nil {
			return nil, fmt.Errorf("plot: %w", err)
		}
		mark.Color, mark.Radius, mark.Shape = valColor, vg.Points(4), draw.CircleGlyph{}
		p.Add(mark)
		p.Legend.Add(label, mark)
		p.Legend.Top, p.Legend.Left = !diag, diag
		return p, nil
	}
	roc, err := curve("ROC", "false positive rate", "true positive rate (recall)",
		func(c curvePoint) (float64, float64) { return c.FPR, c.TPR }, "AUC "+formatMetric(rocAUC(pts)), true)
	if err != nil {
		return err
	}
	pr, err := curve("precision-recall", "recall", "precision",
		func(c curvePoint) (float64, float64) { return c.TPR, c.Precision }, "AP "+formatMetric(averagePrecision(pts)), false)
	if err != nil {
		return err
	}
	pr.Legend.Left, pr.Legend.Top = true, false
	return savePanels(path, []*plot.Plot{conf, roc, pr}, 330, 330)
}

func withTitle(title, what string) string {
	if title == "" {
		return what
	}
	return title + ": " + what
}
