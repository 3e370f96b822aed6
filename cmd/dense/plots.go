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

// writeHistoryPlot draws the training history as a PNG: loss on the left,
// the main metric on the right, training and validation curves on each.
func writeHistoryPlot(path, title string, h *nn.History) error {
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
	img := vgimg.New(vg.Points(float64(360*len(panels))), vg.Points(300))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Points(18), PadTop: vg.Points(6),
		PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(10)}
	canvases := plot.Align(plots, tiles, dc)
	for i, p := range plots[0] {
		p.Draw(canvases[0][i])
	}
	return savePNG(path, img)
}

// writeConfusionPlot draws a confusion matrix as an annotated heat map:
// actual classes down, predicted classes across, counts in the cells.
func writeConfusionPlot(path, title string, cm *nn.ConfusionMatrix) error {
	k := cm.Classes()
	if k == 0 {
		return errors.New("plot: empty confusion matrix")
	}
	labels := cm.Labels
	if len(labels) != k {
		labels = make([]string, k)
		for i := range labels {
			labels[i] = strconv.Itoa(i)
		}
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
		return fmt.Errorf("plot: %w", err)
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
	side := vg.Points(float64(min(900, 220+50*k)))
	img := vgimg.New(side+vg.Points(40), side)
	p.Draw(draw.New(img))
	return savePNG(path, img)
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

// savePNG writes the canvas to path, creating or replacing the file.
func savePNG(path string, img *vgimg.Canvas) error {
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("plot: folder %s does not exist", dir)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	return nil
}
