// Package arrowtest builds small Arrow record batches from Go values for the
// tests of the packages that read them (tabular, pipeline): one set of
// column builders instead of a copy per package. nil is NULL; every builder
// allocates from the given allocator, so tests can run under
// memory.NewCheckedAllocator and assert that nothing is left (CheckedMem).
package arrowtest

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// CheckedMem returns a checked allocator that fails the test if anything
// allocated through it is still held at the end.
func CheckedMem(t testing.TB) *memory.CheckedAllocator {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// Col is a named column built from Go values; nil is NULL.
type Col struct {
	Name string
	Arr  arrow.Array
}

// F64 builds a float64 column; numbers may be float64, float32 or int.
func F64(mem memory.Allocator, name string, vals ...any) Col {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
		} else {
			b.Append(ToF64(v))
		}
	}
	return Col{name, b.NewArray()}
}

// I64 builds an int64 column.
func I64(mem memory.Allocator, name string, vals ...any) Col {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
		} else {
			b.Append(int64(ToF64(v)))
		}
	}
	return Col{name, b.NewArray()}
}

// Bool builds a boolean column.
func Bool(mem memory.Allocator, name string, vals ...any) Col {
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
		} else {
			b.Append(v.(bool))
		}
	}
	return Col{name, b.NewArray()}
}

// Str builds a string column.
func Str(mem memory.Allocator, name string, vals ...any) Col {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
		} else {
			b.Append(v.(string))
		}
	}
	return Col{name, b.NewArray()}
}

// Vec builds a fixed-size list<float32>[n] column; a nil row is NULL.
func Vec(mem memory.Allocator, name string, n int, rows ...[]float32) Col {
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
	return Col{name, b.NewArray()}
}

// List builds a variable list<float64> column.
func List(mem memory.Allocator, name string, rows ...[]float64) Col {
	b := array.NewListBuilder(mem, arrow.PrimitiveTypes.Float64)
	defer b.Release()
	vb := b.ValueBuilder().(*array.Float64Builder)
	for _, r := range rows {
		b.Append(true)
		vb.AppendValues(r, nil)
	}
	return Col{name, b.NewArray()}
}

// ToF64 converts a float64, float32 or int test value.
func ToF64(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case float32:
		return float64(x)
	}
	panic("arrowtest.ToF64: unsupported type")
}

// Batch assembles columns into a record batch, releasing the columns.
func Batch(cols ...Col) arrow.RecordBatch {
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Arr.DataType(), Nullable: true}
		arrs[i] = c.Arr
	}
	rows := int64(0)
	if len(cols) > 0 {
		rows = int64(cols[0].Arr.Len())
	}
	b := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, rows)
	for _, c := range cols {
		c.Arr.Release()
	}
	return b
}
