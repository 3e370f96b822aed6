package pipeline

import (
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// checkedMem returns a checked allocator that fails the test if anything
// allocated through it is still held at the end.
func checkedMem(t *testing.T) *memory.CheckedAllocator {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// col is a named column built from Go values; nil is NULL.
type col struct {
	name string
	arr  arrow.Array
}

func f64Col(mem memory.Allocator, name string, vals ...any) col {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
		} else {
			b.Append(toF64(v))
		}
	}
	return col{name, b.NewArray()}
}

func i64Col(mem memory.Allocator, name string, vals ...any) col {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
		} else {
			b.Append(int64(toF64(v)))
		}
	}
	return col{name, b.NewArray()}
}

func boolCol(mem memory.Allocator, name string, vals ...any) col {
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
		} else {
			b.Append(v.(bool))
		}
	}
	return col{name, b.NewArray()}
}

func strCol(mem memory.Allocator, name string, vals ...any) col {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
		} else {
			b.Append(v.(string))
		}
	}
	return col{name, b.NewArray()}
}

// vecCol builds a fixed-size list<float32>[n] column; a nil row is NULL.
func vecCol(mem memory.Allocator, name string, n int, rows ...[]float32) col {
	b := array.NewFixedSizeListBuilder(mem, int32(n), arrow.PrimitiveTypes.Float32)
	defer b.Release()
	vb := b.ValueBuilder().(*array.Float32Builder)
	for _, r := range rows {
		if r == nil {
			b.AppendNull() // appends n NULL elements itself
			continue
		}
		b.Append(true)
		vb.AppendValues(r, nil)
	}
	return col{name, b.NewArray()}
}

// listCol builds a variable list<float64> column.
func listCol(mem memory.Allocator, name string, rows ...[]float64) col {
	b := array.NewListBuilder(mem, arrow.PrimitiveTypes.Float64)
	defer b.Release()
	vb := b.ValueBuilder().(*array.Float64Builder)
	for _, r := range rows {
		b.Append(true)
		vb.AppendValues(r, nil)
	}
	return col{name, b.NewArray()}
}

func toF64(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case float32:
		return float64(x)
	}
	panic("toF64: unsupported type")
}

// batch assembles columns into a record batch, releasing the columns.
func batch(cols ...col) arrow.RecordBatch {
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.arr.DataType(), Nullable: true}
		arrs[i] = c.arr
	}
	rows := int64(0)
	if len(cols) > 0 {
		rows = int64(cols[0].arr.Len())
	}
	b := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, rows)
	for _, c := range cols {
		c.arr.Release()
	}
	return b
}

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
