package nn

import (
	"context"
	"testing"
)

// TestDefaultsFromRows checks the size rules of defaults.go (values worked
// out by hand from the documented rules).
func TestDefaultsFromRows(t *testing.T) {
	for _, c := range []struct{ rows, batch, epochs, patience int }{
		{90, 32, 1000, 50},        // 3 batches: 20,000 steps → capped at 1,000; 500 steps → 167, capped at 50
		{1000, 32, 625, 16},       // 32 batches
		{2047, 32, 313, 10},       // 64 batches
		{2048, 64, 625, 16},       // 32 batches
		{8000, 128, 318, 10},      // 63 batches
		{100_000, 256, 52, 10},    // 391 batches: 52 epochs; patience 2 → at least 10
		{10_000_000, 256, 50, 10}, // at least 50 epochs
	} {
		b := DefaultBatchSize(c.rows)
		e, p := DefaultEpochs(c.rows, b), DefaultPatience(c.rows, b)
		if b != c.batch || e != c.epochs || p != c.patience {
			t.Errorf("%d rows: batch %d, epochs %d, patience %d; want %d, %d, %d", c.rows, b, e, p, c.batch, c.epochs, c.patience)
		}
	}
}

// TestFitZeroConfigUsesDefaults: Fit's zero BatchSize and Epochs are the
// same rules dense train uses (one source of defaults).
func TestFitZeroConfigUsesDefaults(t *testing.T) {
	x, y := spiral(30, 3) // 90 rows: batch 32, 1,000 epochs
	m, err := NewSequential(2, Dense(4, Tanh), Dense(3, Softmax))
	if err != nil {
		t.Fatal(err)
	}
	var batches int
	hist, err := m.Fit(context.Background(), x, y, 90, FitConfig{Seed: 1, OnBatch: func(l BatchLog) { batches = l.Batches }})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Epochs) != DefaultEpochs(90, 32) || batches != 3 {
		t.Errorf("%d epochs of %d batches, want %d of 3", len(hist.Epochs), batches, DefaultEpochs(90, 32))
	}
}
