// Regression with the Go API alone: a small network learns a house price
// from size, age and distance to the centre (a non-linear function a linear
// model cannot fit), is saved as a model file, loaded back and used.
//
//	go run ./examples/regression
//
// This is the nn package without Arrow, DuckDB or the pipeline; see
// examples/churn and examples/segmentation for tables and SQL.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/dense-ml/dense/nn"
)

func main() {
	rows := flag.Int("rows", 20000, "rows of generated data")
	epochs := flag.Int("epochs", 40, "training epochs (at most)")
	flag.Parse()
	dir, err := os.MkdirTemp("", "dense-regression-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if _, err := run(context.Background(), os.Stdout, dir, *rows, *epochs); err != nil {
		log.Fatal(err)
	}
}

// house generates one house: three features scaled to about [-1, 1] (the
// network trains best on small, centred inputs; the pipeline package does
// this scaling for you) and its price in thousands.
func house(r *rand.Rand) (x [3]float32, price float64) {
	size := 40 + 160*r.Float64()              // m²
	age := 80 * r.Float64()                   // years
	distance := 25 * r.Float64()              // km to the centre
	price = 3.2*size*math.Exp(-distance/12) + // location matters more for big houses
		1.1*size - 0.04*(age-30)*(age-30) + 60 + // old and new houses sell best
		15*r.NormFloat64() // and the noise of real sales
	return [3]float32{float32((size - 120) / 80), float32((age - 40) / 40), float32((distance - 12.5) / 12.5)}, price
}

func makeData(rows int, seed uint64) (x, y []float32) {
	r := rand.New(rand.NewPCG(seed, 1))
	x = make([]float32, 0, rows*3)
	y = make([]float32, rows)
	for i := range rows {
		f, p := house(r)
		x = append(x, f[:]...)
		y[i] = float32(p / 100) // hundreds of thousands: targets near 1
	}
	return x, y
}

// run trains, evaluates, saves, loads and predicts; it returns the test R².
func run(ctx context.Context, w io.Writer, dir string, rows, epochs int) (float64, error) {
	x, y := makeData(rows, 1)
	testX, testY := makeData(2000, 2)

	// The model: 3 inputs → 64 → 64 → 1, Keras style.
	m, err := nn.NewSequential(3, nn.Dense(64, nn.ReLU), nn.Dense(64, nn.ReLU), nn.Dense(1, nn.Linear))
	if err != nil {
		return 0, err
	}
	fmt.Fprint(w, m.Summary())

	hist, err := m.Fit(ctx, x, y, rows, nn.FitConfig{
		Epochs:          epochs,
		BatchSize:       64,
		Optimizer:       nn.OptimizerConfig{Name: "adam", LR: 0.002},
		ValidationSplit: 0.2,
		EarlyStopping:   &nn.EarlyStopping{Patience: 5, RestoreBest: true},
		Seed:            1,
	})
	if err != nil {
		return 0, err
	}
	last := hist.Epochs[len(hist.Epochs)-1].Values
	fmt.Fprintf(w, "trained %d epochs (best %d): loss %.4f, val_loss %.4f\n",
		len(hist.Epochs), hist.BestEpoch, last["loss"], last["val_loss"])

	metrics, err := nn.Evaluate(m, testX, testY, len(testY))
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "test set: R² %.3f, MAE %.1f thousand\n", metrics["r2"], 100*metrics["mae"])

	// Save, load back, predict: the file is safetensors with the spec inside.
	path := filepath.Join(dir, "house-prices.safetensors")
	if err := m.Save(path); err != nil {
		return 0, err
	}
	loaded, err := nn.Load(path)
	if err != nil {
		return 0, err
	}
	pred, err := loaded.Predict(testX[:3*3], 3)
	if err != nil {
		return 0, err
	}
	for i := range 3 {
		fmt.Fprintf(w, "house %d: predicted %.0f thousand, sold for %.0f thousand\n", i+1, 100*pred[i], 100*testY[i])
	}
	return metrics["r2"], nil
}
