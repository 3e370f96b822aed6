package main

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/dense-ml/dense/nn"
)

func TestPlotsArePNGs(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("DENSE_PLOT_DIR"); d != "" {
		dir = d // to look at the pictures
	}
	h := &nn.History{BestEpoch: 6, Stopped: true}
	for i := 1; i <= 9; i++ {
		f := float64(i)
		h.Epochs = append(h.Epochs, nn.EpochLog{Epoch: i, Epochs: 20, Values: map[string]float64{
			"loss": 1 / f, "val_loss": 1/f + 0.02*f, "accuracy": 1 - 0.5/f, "val_accuracy": 0.95 - 0.5/f,
		}})
	}
	hist := filepath.Join(dir, "history.png")
	if err := writeHistoryPlot(hist, "segment@1", h, nil); err != nil {
		t.Fatal(err)
	}
	cm, err := nn.NewConfusionMatrix([]int{0, 0, 1, 1, 1, 2, 2, 2, 2, 0}, []int{0, 1, 1, 1, 1, 2, 2, 0, 2, 0}, 3)
	if err != nil {
		t.Fatal(err)
	}
	cm.Labels = []string{"budget", "family", "premium"}
	conf := filepath.Join(dir, "confusion.png")
	if err := writeConfusionPlot(conf, "segment@1", cm); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{hist, conf} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if b := img.Bounds(); b.Dx() < 200 || b.Dy() < 200 {
			t.Fatalf("%s: %v is too small", p, b)
		}
	}
	if err := writeHistoryPlot(filepath.Join(dir, "x.png"), "", &nn.History{}, nil); err == nil {
		t.Fatal("want an error for an empty history")
	}
	if err := writeHistoryPlot(filepath.Join(dir, "no/such/x.png"), "", h, nil); err == nil {
		t.Fatal("want an error for a missing folder")
	}
}
