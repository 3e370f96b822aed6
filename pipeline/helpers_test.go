package pipeline

import (
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dense-ml/dense/internal/arrowtest"
)

// The column builders are internal/arrowtest's, shared with tabular's tests.
type col = arrowtest.Col

var (
	checkedMem = arrowtest.CheckedMem
	f64Col     = arrowtest.F64
	i64Col     = arrowtest.I64
	boolCol    = arrowtest.Bool
	strCol     = arrowtest.Str
	vecCol     = arrowtest.Vec
	listCol    = arrowtest.List
	batch      = arrowtest.Batch
)

// memReader streams a fixed list of batches; it takes ownership of them.
type memReader struct {
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	next    int
	closed  bool
}

func newMemReader(batches ...arrow.RecordBatch) *memReader {
	return &memReader{schema: batches[0].Schema(), batches: batches}
}

func (r *memReader) Schema() *arrow.Schema { return r.schema }

func (r *memReader) Read() (arrow.RecordBatch, error) {
	if r.next >= len(r.batches) {
		return nil, io.EOF
	}
	b := r.batches[r.next]
	r.batches[r.next] = nil
	r.next++
	return b, nil
}

func (r *memReader) Close() error {
	for i, b := range r.batches {
		if b != nil {
			b.Release()
			r.batches[i] = nil
		}
	}
	r.closed = true
	return nil
}

// collectWriter keeps the batches written to it.
type collectWriter struct {
	batches []arrow.RecordBatch
	closed  bool
}

func (w *collectWriter) Write(b arrow.RecordBatch) error {
	b.Retain()
	w.batches = append(w.batches, b)
	return nil
}

func (w *collectWriter) Close() error { w.closed = true; return nil }

func (w *collectWriter) release() {
	for _, b := range w.batches {
		b.Release()
	}
	w.batches = nil
}
