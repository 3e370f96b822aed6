package pipeline

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestMapStageEdges(t *testing.T) {
	mem := checkedMem(t)
	boom := errors.New("boom")
	failing := MapStage{Fn: func(context.Context, arrow.RecordBatch) (arrow.RecordBatch, error) { return nil, boom }}

	// The function fails on the first batch: Schema falls back to the
	// input's, Read reports the error.
	in := newMemReader(batch(f64Col(mem, "a", 1)))
	r, err := failing.Apply(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Schema(); s == nil || s.Field(0).Name != "a" {
		t.Errorf("schema after a failed first batch: %v", s)
	}
	if _, err := r.Read(); !errors.Is(err, boom) {
		t.Errorf("Read = %v, want boom", err)
	}
	r.Close()
	if !in.closed {
		t.Error("closing the stage did not close its input")
	}

	// An empty stream keeps the input schema and ends at once.
	empty := &memReader{schema: arrow.NewSchema([]arrow.Field{{Name: "z", Type: arrow.PrimitiveTypes.Int64}}, nil)}
	r, _ = failing.Apply(context.Background(), empty)
	if r.Schema().Field(0).Name != "z" {
		t.Errorf("empty stream schema %v", r.Schema())
	}
	if _, err := r.Read(); !errors.Is(err, io.EOF) {
		t.Errorf("empty stream Read = %v", err)
	}

	// A failing stage in Chain closes the input and names the stage.
	in = newMemReader(batch(f64Col(mem, "a", 1)))
	_, err = Chain(context.Background(), in, failing, MapStage{})
	if err == nil || err.Error() != "pipeline: stage 1: map stage without a function" || !in.closed {
		t.Errorf("Chain with a bad stage: %v (input closed: %v)", err, in.closed)
	}

	// Cancellation stops a map stage.
	ctx, cancel := context.WithCancel(context.Background())
	in = newMemReader(batch(f64Col(mem, "a", 1)))
	r, _ = MapStage{Schema: in.Schema(), Fn: func(_ context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) { b.Retain(); return b, nil }}.Apply(ctx, in)
	cancel()
	if _, err := r.Read(); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled map Read = %v", err)
	}
	r.Close()
}
