package tabular

import (
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

func mkF64(mem memory.Allocator, name string, vals ...any) col {
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

func mkI64(mem memory.Allocator, name string, vals ...any) col {
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

func mkBool(mem memory.Allocator, name string, vals ...any) col {
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

func mkStr(mem memory.Allocator, name string, vals ...any) col {
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

// mkVec builds a fixed-size list<float32>[n] column; a nil row is NULL.
func mkVec(mem memory.Allocator, name string, n int, rows ...[]float32) col {
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

// mkList builds a variable list<float64> column.
func mkList(mem memory.Allocator, name string, rows ...[]float64) col {
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

// mkBatch assembles columns into a record batch, releasing the columns.
func mkBatch(cols ...col) arrow.RecordBatch {
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
