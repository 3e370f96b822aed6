package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dense-ml/dense/tabular"
)

// Reader is a stream of record batches sharing one schema; Read returns
// io.EOF after the last batch and the caller releases each batch. It is the
// same contract as arrowio.Reader, so every arrowio source is a Reader.
type Reader interface {
	Schema() *arrow.Schema
	Read() (arrow.RecordBatch, error)
	Close() error
}

// Writer is a sink of record batches; Write does not take ownership of the
// batch. Every arrowio sink is a Writer.
type Writer interface {
	Write(arrow.RecordBatch) error
	Close() error
}

// Stage is a step that turns one record stream into another, lazily: the
// returned Reader pulls from in as it is read. Closing the returned Reader
// closes in. ScoreStage is one; MapStage wraps a function.
type Stage interface {
	Apply(ctx context.Context, in Reader) (Reader, error)
}

// Chain applies stages in order: Chain(ctx, r, a, b) reads b(a(r)).
// Closing the result closes in; so does a failing Chain.
func Chain(ctx context.Context, in Reader, stages ...Stage) (Reader, error) {
	r := in
	for i, s := range stages {
		next, err := s.Apply(ctx, r)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("pipeline: stage %d: %w", i, err)
		}
		r = next
	}
	return r, nil
}

// Drain reads r to the end and writes every batch to w, returning the rows
// written. It closes neither. It stops with ctx's error when ctx is done.
func Drain(ctx context.Context, r Reader, w Writer) (int64, error) {
	var rows int64
	for {
		if err := ctx.Err(); err != nil {
			return rows, err
		}
		b, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		err = w.Write(b)
		if err == nil {
			rows += b.NumRows()
		}
		b.Release()
		if err != nil {
			return rows, err
		}
	}
}

// MapStage is a Stage that applies fn to every batch. fn returns a new batch
// (the stage releases the input) and must give every batch the same schema;
// the output schema is taken from schema, or when nil from fn's first result
// (read ahead on the first Schema call).
type MapStage struct {
	Schema *arrow.Schema
	Fn     func(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error)
}

// Apply implements Stage.
func (m MapStage) Apply(ctx context.Context, in Reader) (Reader, error) {
	if m.Fn == nil {
		return nil, errors.New("map stage without a function")
	}
	return &mapReader{ctx: ctx, in: in, fn: m.Fn, schema: m.Schema}, nil
}

type mapReader struct {
	ctx    context.Context
	in     Reader
	fn     func(context.Context, arrow.RecordBatch) (arrow.RecordBatch, error)
	schema *arrow.Schema
	ahead  arrow.RecordBatch // read ahead to learn the schema
	err    error
}

func (m *mapReader) Schema() *arrow.Schema {
	if m.schema == nil && m.err == nil {
		m.ahead, m.err = m.next()
		switch {
		case m.ahead != nil:
			m.schema = m.ahead.Schema()
		case errors.Is(m.err, io.EOF):
			m.schema = m.in.Schema() // an empty stream: nothing to map
		}
	}
	if m.schema == nil {
		return m.in.Schema() // the first batch failed; Read reports why
	}
	return m.schema
}

func (m *mapReader) next() (arrow.RecordBatch, error) {
	if err := m.ctx.Err(); err != nil {
		return nil, err
	}
	b, err := m.in.Read()
	if err != nil {
		return nil, err
	}
	defer b.Release()
	return m.fn(m.ctx, b)
}

func (m *mapReader) Read() (arrow.RecordBatch, error) {
	if m.ahead != nil {
		b := m.ahead
		m.ahead = nil
		return b, nil
	}
	if m.err != nil {
		return nil, m.err
	}
	return m.next()
}

func (m *mapReader) Close() error {
	if m.ahead != nil {
		m.ahead.Release()
		m.ahead = nil
	}
	return m.in.Close()
}

// project keeps the named columns of b (a new batch sharing b's buffers;
// the caller releases both).
func project(b arrow.RecordBatch, names []string) (arrow.RecordBatch, error) {
	fields := make([]arrow.Field, len(names))
	cols := make([]arrow.Array, len(names))
	for i, n := range names {
		idx := b.Schema().FieldIndices(n)
		if len(idx) == 0 {
			return nil, fmt.Errorf("column %q is missing from a batch (columns: %s)", n, tabular.ColumnList(b.Schema()))
		}
		fields[i] = b.Schema().Field(idx[0])
		cols[i] = b.Column(idx[0])
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, b.NumRows()), nil
}
