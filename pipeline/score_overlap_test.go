package pipeline

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dense-ml/dense/tabular"
)

// noScoringGoroutine fails if a score stage's goroutine is still running
// (it is given a moment to return: Close waits for it, a context's end
// does not).
func noScoringGoroutine(t *testing.T) {
	t.Helper()
	var stacks string
	for range 200 {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "(*scoreReader).work") {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("a scoring goroutine is still running:\n%s", stacks)
}

// countingReader counts the batches read from it.
type countingReader struct {
	Reader
	reads atomic.Int64 // read on the stage's goroutine, checked on the writer's
}

func (c *countingReader) Read() (arrow.RecordBatch, error) {
	b, err := c.Reader.Read()
	if err == nil {
		c.reads.Add(1)
	}
	return b, err
}

// failingWriter fails on write number failAt (1-based); until then it
// calls onWrite, if set, with the write's number.
type failingWriter struct {
	failAt, writes int
	onWrite        func(int)
}

func (w *failingWriter) Write(b arrow.RecordBatch) error {
	w.writes++
	if w.onWrite != nil {
		w.onWrite(w.writes)
	}
	if w.writes == w.failAt {
		return errors.New("disk full")
	}
	return nil
}

func (w *failingWriter) Close() error { return nil }

// A writer's error ends Score with that error, before a later batch's
// encoding error (the first error wins, as when the stage read, scored
// and wrote in turn), and an encoding error before the writer's names its
// column and row; the stage reads at most one batch ahead of the writer,
// releases what it read, and its goroutine is gone when Score returns.
func TestScoreOverlapFailingWriter(t *testing.T) {
	mem := checkedMem(t)
	cfg := quickConfig("churn")
	cfg.Transforms = map[string]tabular.FeatureOptions{"a": {Impute: ImputeNone}}
	model := trainOn(t, mem, cfg)
	for _, tc := range []struct {
		name    string
		failAt  int // the writer fails at this write (1-based)
		badAt   int // this batch (0-based) has a NULL a in its row 1 (-1: none)
		want    string
		written int64
	}{
		{"writer fails at batch 3", 3, -1, "pipeline: score: writing: disk full", 200},
		{"writer fails before a bad batch", 2, 2, "pipeline: score: writing: disk full", 100},
		{"a bad batch before the writer fails", 5, 2, `pipeline: score: column "a" row 201: `, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := genBatches(mem, 1000, 5) // 10 batches of 100 rows
			if tc.badAt >= 0 {
				in[tc.badAt].Release()
				in[tc.badAt] = batch(f64Col(mem, "a", 1, nil), f64Col(mem, "b", 2, 3), strCol(mem, "region", "north", "east"),
					strCol(mem, "churn", "no", "no"), f64Col(mem, "spend", 1, 2), strCol(mem, "tier", "gold", "gold"))
			}
			r := &countingReader{Reader: newMemReader(in...)}
			w := &failingWriter{failAt: tc.failAt}
			w.onWrite = func(n int) {
				if reads := r.reads.Load(); reads > int64(n+1) {
					t.Errorf("write %d: %d batches read, more than one ahead", n, reads)
				}
			}
			n, err := Score(context.Background(), model, r, w, PredictionColumns{})
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q…", err, tc.want)
			}
			if n != tc.written {
				t.Errorf("%d rows written, want %d", n, tc.written)
			}
			noScoringGoroutine(t)
			r.Close()
		})
	}
}

// A context cancelled while the caller writes ends the stream with the
// context's error, and the stage's goroutine returns even when the
// reader is never closed.
func TestScoreOverlapCancelled(t *testing.T) {
	mem := checkedMem(t)
	model := trainOn(t, mem, quickConfig("spend"))
	for _, closeIt := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		src := newMemReader(genBatches(mem, 1000, 6)...)
		var events []int64
		sr, err := ScoreStage{Model: model, OnEvent: func(e Event) { events = append(events, e.Rows) }}.Apply(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		w := &failingWriter{onWrite: func(n int) {
			if n == 3 {
				cancel()
			}
		}}
		n, err := drainScored(ctx, sr, w)
		if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "pipeline: score: ") {
			t.Errorf("err = %v, want pipeline: score: …context canceled", err)
		}
		if n != 300 || len(events) != 3 || events[2] != 300 {
			t.Errorf("%d rows written, events %v; want 300 and [100 200 300]", n, events)
		}
		if _, err := sr.Read(); !errors.Is(err, context.Canceled) {
			t.Errorf("Read after the cancellation: %v", err)
		}
		if closeIt {
			sr.Close()
		}
		noScoringGoroutine(t)
		if !closeIt {
			sr.Close() // the goroutine is gone; Close orders its last read before src.Close
		}
		src.Close()
		cancel()
	}
}

// A panic on the stage's goroutine (here in a map stage's function) is
// raised again on the caller's, in Read.
func TestScoreOverlapPanic(t *testing.T) {
	mem := checkedMem(t)
	model := trainOn(t, mem, quickConfig("spend"))
	calls := 0
	boom := MapStage{Fn: func(_ context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
		if calls++; calls == 2 { // the first is the map stage's look ahead for its schema
			panic("boom")
		}
		b.Retain()
		return b, nil
	}}
	sr, err := Chain(context.Background(), newMemReader(genBatches(mem, 300, 7)...), boom, ScoreStage{Model: model})
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want boom", p)
			}
		}()
		for {
			b, err := sr.Read()
			if err != nil {
				t.Errorf("Read did not panic: %v", err)
				return
			}
			b.Release()
		}
	}()
	sr.Close()
	noScoringGoroutine(t)
}
