package arrowio

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

const benchRows, benchCols = 1_000_000, 20

// writeBenchParquet writes benchRows × benchCols numbers of type typ.
func writeBenchParquet(b *testing.B, path string, typ arrow.DataType) {
	fields := make([]arrow.Field, benchCols)
	for j := range fields {
		fields[j] = arrow.Field{Name: fmt.Sprintf("x%d", j), Type: typ}
	}
	schema := arrow.NewSchema(fields, nil)
	w, err := Create(path, schema, WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	// Random normal values: no dictionary encoding, like real measurements.
	rng := rand.New(rand.NewPCG(1, 2))
	const chunk = 64 * 1024
	for off := 0; off < benchRows; off += chunk {
		n := min(chunk, benchRows-off)
		rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for j := 0; j < benchCols; j++ {
			switch fb := rb.Field(j).(type) {
			case *array.Float64Builder:
				for i := 0; i < n; i++ {
					fb.Append(rng.NormFloat64()*40 + 70)
				}
			case *array.Float32Builder:
				for i := 0; i < n; i++ {
					fb.Append(float32(rng.NormFloat64()*40 + 70))
				}
			}
		}
		rec := rb.NewRecordBatch()
		rb.Release()
		if err := w.Write(rec); err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWriteParquet writes 1M rows × 20 float64 columns (zstd) in
// 64Ki-row batches.
func BenchmarkWriteParquet(b *testing.B) {
	path := filepath.Join(b.TempDir(), "w.parquet")
	var rows int64
	for b.Loop() {
		writeBenchParquet(b, path, arrow.PrimitiveTypes.Float64)
		rows += benchRows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
