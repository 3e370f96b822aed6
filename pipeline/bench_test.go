package pipeline

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// go test -run '^$' -bench . ./pipeline

// BenchmarkScore scores 100,000 rows in 100-row batches of the generated customers with a
// 3-input (7 features) → 16 → 3 classifier; reports rows/s.
func BenchmarkScore(b *testing.B) {
	b.StopTimer()
	model := trainOn(&testing.T{}, memory.NewGoAllocator(), quickConfig("tier"))
	batches := genBatches(memory.NewGoAllocator(), 100000, 1)
	b.StartTimer()
	rows := 0
	for b.Loop() {
		for _, x := range batches {
			x.Retain() // the reader hands them over; keep them for the next loop
		}
		n, err := Score(context.Background(), model, newMemReader(slices.Clone(batches)...), &releaseWriter{}, PredictionColumns{})
		if err != nil {
			b.Fatal(err)
		}
		rows += int(n)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkTrain trains on 10,000 generated rows for 5 epochs (fit, split,
// encode, 5 epochs of 64→32 relu, evaluate); reports training rows/s
// (rows × epochs per second).
func BenchmarkTrain(b *testing.B) {
	mem := memory.NewGoAllocator()
	rows := 0
	for b.Loop() {
		b.StopTimer()
		r := newMemReader(genBatches(mem, 10000, 1)...)
		cfg := quickConfig("churn")
		cfg.Hidden, cfg.Epochs, cfg.Patience = []int{64, 32}, 5, 0
		b.StartTimer()
		res, err := Train(context.Background(), r, cfg)
		if err != nil {
			b.Fatal(err)
		}
		rows += res.Rows * len(res.History.Epochs)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
