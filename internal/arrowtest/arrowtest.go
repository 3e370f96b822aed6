// Package arrowtest builds small Arrow record batches from Go values for the
// tests of the packages that read them (arrowio, tabular, pipeline): one set of
// column builders, a batch of every type and a row comparison instead of a
// copy per package. nil is NULL; every builder
// allocates from the given allocator, so tests can run under
// memory.NewCheckedAllocator and assert that nothing is left (CheckedMem).
package arrowtest

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/float16"
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

// AllTypesBatch builds n rows covering every type the package maps; every
// 7th row is NULL in every nullable column.
func AllTypesBatch(mem memory.Allocator, n int) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
		{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
		{Name: "u32", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
		{Name: "f16", Type: arrow.FixedWidthTypes.Float16, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "d128", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "d256", Type: &arrow.Decimal256Type{Precision: 40, Scale: 3}, Nullable: true},
		{Name: "vec", Type: arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32), Nullable: true},
		{Name: "lst", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
		{Name: "dict", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	words := []string{"red", "green", "blue"}
	for r := 0; r < n; r++ {
		if r%7 == 6 {
			for _, f := range b.Fields() {
				f.AppendNull()
			}
			continue
		}
		b.Field(0).(*array.Int8Builder).Append(int8(r%100 - 50))
		b.Field(1).(*array.Int16Builder).Append(int16(r - 1000))
		b.Field(2).(*array.Int32Builder).Append(int32(r * 1000))
		b.Field(3).(*array.Int64Builder).Append(int64(r) << 33)
		b.Field(4).(*array.Uint8Builder).Append(uint8(r))
		b.Field(5).(*array.Uint16Builder).Append(uint16(r * 3))
		b.Field(6).(*array.Uint32Builder).Append(uint32(r) * 100000)
		b.Field(7).(*array.Uint64Builder).Append(uint64(r) << 40)
		b.Field(8).(*array.Float16Builder).Append(float16.New(float32(r) / 4))
		b.Field(9).(*array.Float32Builder).Append(float32(r) / 8)
		b.Field(10).(*array.Float64Builder).Append(float64(r) / 3)
		b.Field(11).(*array.BooleanBuilder).Append(r%2 == 0)
		b.Field(12).(*array.StringBuilder).Append(words[r%3])
		b.Field(13).(*array.LargeStringBuilder).Append(fmt.Sprintf("row %d", r))
		b.Field(14).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(r*100 + 25)))
		b.Field(15).(*array.Decimal256Builder).Append(decimal256.FromI64(int64(-r*1000 - 5)))
		vb := b.Field(16).(*array.FixedSizeListBuilder)
		vb.Append(true)
		vb.ValueBuilder().(*array.Float32Builder).AppendValues([]float32{float32(r), float32(r) + 0.5, -float32(r)}, nil)
		lb := b.Field(17).(*array.ListBuilder)
		lb.Append(true)
		lb.ValueBuilder().(*array.Float64Builder).AppendValues([]float64{float64(r), 1}, nil)
		b.Field(18).(*array.BinaryDictionaryBuilder).AppendString(words[(r+1)%3])
	}
	return b.NewRecordBatch()
}

func ReleaseAll(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// SameRows checks that the batches hold exactly want's rows, in order.
func SameRows(t testing.TB, mem memory.Allocator, want arrow.RecordBatch, got []arrow.RecordBatch) {
	t.Helper()
	var off int64
	for _, g := range got {
		w := want.NewSlice(off, off+g.NumRows())
		if !array.RecordApproxEqual(w, g) {
			for j := range w.Columns() {
				if !array.ApproxEqual(w.Column(j), g.Column(j)) {
					t.Errorf("rows %d.. column %q differ:\nwant %v\ngot  %v", off, w.ColumnName(j), w.Column(j), g.Column(j))
				}
			}
			if !w.Schema().Equal(g.Schema()) {
				t.Errorf("schema differs:\nwant %s\ngot  %s", w.Schema(), g.Schema())
			}
		}
		w.Release()
		off += g.NumRows()
	}
	if off != want.NumRows() {
		t.Errorf("read %d rows, want %d", off, want.NumRows())
	}
}

// ProjectByName keeps the named columns of b, in that order (b is not
// consumed; release the result).
func ProjectByName(b arrow.RecordBatch, names ...string) arrow.RecordBatch {
	fields := make([]arrow.Field, len(names))
	cols := make([]arrow.Array, len(names))
	for i, n := range names {
		j := b.Schema().FieldIndices(n)[0]
		fields[i], cols[i] = b.Schema().Field(j), b.Column(j)
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, b.NumRows())
}
