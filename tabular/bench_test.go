package tabular_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

const benchRows, benchCols = 1_000_000, 20

// writeBenchParquet writes benchRows × benchCols numbers of type typ.
func writeBenchParquet(b *testing.B, path string, typ arrow.DataType) {
	fields := make([]arrow.Field, benchCols)
	for j := range fields {
		fields[j] = arrow.Field{Name: fmt.Sprintf("x%d", j), Type: typ}
	}
	schema := arrow.NewSchema(fields, nil)
	w, err := arrowio.Create(path, schema, arrowio.WriterOptions{})
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

// BenchmarkParquetToFeatures reads a 1M-row × 20-column Parquet file (zstd,
// random normal values, 64Ki-row row groups)
// and converts every batch into the feature matrix: decode + featurize.
// float32/passthrough takes the slice fast path; float64/scaled goes
// through nn.Encoder.Number for every value.
func BenchmarkParquetToFeatures(b *testing.B) {
	for _, c := range []struct {
		name   string
		typ    arrow.DataType
		scaled bool
	}{
		{"float32/passthrough", arrow.PrimitiveTypes.Float32, false},
		{"float64/passthrough", arrow.PrimitiveTypes.Float64, false},
		{"float64/scaled", arrow.PrimitiveTypes.Float64, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench.parquet")
			writeBenchParquet(b, path, c.typ)
			inputs := make([]nn.Input, benchCols)
			for j := range inputs {
				inputs[j] = nn.NumericInput(fmt.Sprintf("x%d", j))
				if c.scaled {
					inputs[j].Scale = &nn.Scale{Method: nn.ScaleStandard, Mean: 70, Std: 40}
				}
			}
			var x []float32
			var rows int64
			for b.Loop() {
				r, err := arrowio.Open(path, arrowio.Options{})
				if err != nil {
					b.Fatal(err)
				}
				f, err := tabular.NewFeaturizer(inputs, r.Schema())
				if err != nil {
					b.Fatal(err)
				}
				for {
					batch, err := r.Read()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if x, err = f.Encode(batch, x); err != nil {
						b.Fatal(err)
					}
					rows += batch.NumRows()
					batch.Release()
				}
				r.Close()
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkEncode isolates the featurizer (no decoding) on one 64Ki-row
// batch of 20 columns.
func BenchmarkEncode(b *testing.B) {
	for _, c := range []struct {
		name   string
		typ    arrow.DataType
		scaled bool
	}{
		{"float32/passthrough", arrow.PrimitiveTypes.Float32, false},
		{"float64/passthrough", arrow.PrimitiveTypes.Float64, false},
		{"float64/scaled", arrow.PrimitiveTypes.Float64, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			const n = 64 * 1024
			fields := make([]arrow.Field, benchCols)
			inputs := make([]nn.Input, benchCols)
			for j := range fields {
				fields[j] = arrow.Field{Name: fmt.Sprintf("x%d", j), Type: c.typ}
				inputs[j] = nn.NumericInput(fields[j].Name)
				if c.scaled {
					inputs[j].Scale = &nn.Scale{Method: nn.ScaleStandard, Mean: 70, Std: 40}
				}
			}
			rb := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
			for j := range fields {
				for i := 0; i < n; i++ {
					switch fb := rb.Field(j).(type) {
					case *array.Float64Builder:
						fb.Append(float64(i % 100))
					case *array.Float32Builder:
						fb.Append(float32(i % 100))
					}
				}
			}
			batch := rb.NewRecordBatch()
			rb.Release()
			defer batch.Release()
			f, err := tabular.NewFeaturizer(inputs, batch.Schema())
			if err != nil {
				b.Fatal(err)
			}
			var x []float32
			var rows int64
			for b.Loop() {
				if x, err = f.Encode(batch, x); err != nil {
					b.Fatal(err)
				}
				rows += n
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
