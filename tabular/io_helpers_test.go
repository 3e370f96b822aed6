package tabular

// Test helpers shared with arrowio's tests: batches of every type, and
// files written and read back through arrowio.

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/arrowio"
)

func checkedAlloc(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// allTypesBatch builds n rows covering every type the package maps; every
// 7th row is NULL in every nullable column.
func allTypesBatch(mem memory.Allocator, n int) arrow.RecordBatch {
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

func writeFile(t testing.TB, path string, opts arrowio.WriterOptions, batches ...arrow.RecordBatch) {
	t.Helper()
	w, err := arrowio.Create(path, batches[0].Schema(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// readConcat reads the whole file and returns its batches' row count and
// the batches (the caller releases them).
func readAllFile(t testing.TB, path string, opts arrowio.Options) (*arrow.Schema, []arrow.RecordBatch) {
	t.Helper()
	r, err := arrowio.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	bs, err := arrowio.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return r.Schema(), bs
}

func releaseAll(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// sameRows checks that the batches hold exactly want's rows, in order.
func sameRows(t *testing.T, mem memory.Allocator, want arrow.RecordBatch, got []arrow.RecordBatch) {
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

// projectByName keeps the named columns of b, in that order (b is not
// consumed; release the result).
func projectByName(b arrow.RecordBatch, names ...string) arrow.RecordBatch {
	fields := make([]arrow.Field, len(names))
	cols := make([]arrow.Array, len(names))
	for i, n := range names {
		j := b.Schema().FieldIndices(n)[0]
		fields[i], cols[i] = b.Schema().Field(j), b.Column(j)
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, b.NumRows())
}
