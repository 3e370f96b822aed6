package duckio

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// BenchmarkQueryToFeatures runs a 1M-row × 20-DOUBLE-column query and turns
// the result into feature batches of 64Ki rows, DuckDB → Arrow → features,
// two ways in one run:
//
//   - chunks: Query, reading DuckDB's data chunks through the C API vectors;
//   - rows: the path this package replaced, database/sql rows scanned into
//     driver.Values and appended to Arrow builders (scanRows below, the old
//     arrowio.NewRowsReader cut down to DOUBLE columns, with its
//     specialised float64 appender).
//
// go test -run '^$' -bench QueryToFeatures -benchtime 3x ./duckio
func BenchmarkQueryToFeatures(b *testing.B) {
	db := openDB(b)
	cols := make([]string, 20)
	inputs := make([]nn.Input, 20)
	for j := range cols {
		name := fmt.Sprintf("x%d", j)
		cols[j] = fmt.Sprintf("((i * %d) %% 1000) / 7.0 AS %s", j+1, name)
		inputs[j] = nn.NumericInput(name)
	}
	query := "SELECT " + strings.Join(cols, ", ") + " FROM range(1000000) t(i)"
	const batch = 64 * 1024
	for _, path := range []struct {
		name string
		open func() (arrowio.Reader, error)
	}{
		{"chunks", func() (arrowio.Reader, error) {
			return Query(context.Background(), db, query, Options{BatchSize: batch})
		}},
		{"rows", func() (arrowio.Reader, error) {
			rows, err := db.Query(query)
			if err != nil {
				return nil, err
			}
			return newRowScanner(rows, batch), nil
		}},
	} {
		b.Run(path.name, func(b *testing.B) {
			var x []float32
			var n int64
			for b.Loop() {
				r, err := path.open()
				if err != nil {
					b.Fatal(err)
				}
				f, err := tabular.NewFeaturizer(inputs, r.Schema())
				if err != nil {
					b.Fatal(err)
				}
				for {
					rec, err := r.Read()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if x, err = f.Encode(rec, x); err != nil {
						b.Fatal(err)
					}
					n += rec.NumRows()
					rec.Release()
				}
				r.Close()
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// rowScanner is the replaced database/sql path for DOUBLE columns: Scan
// into []any, then append each driver.Value to a Float64Builder.
type rowScanner struct {
	rows   *sql.Rows
	schema *arrow.Schema
	batch  int
	vals   []any
	ptrs   []any
}

func newRowScanner(rows *sql.Rows, batch int) *rowScanner {
	names, _ := rows.Columns()
	fields := make([]arrow.Field, len(names))
	for i, n := range names {
		fields[i] = arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64, Nullable: true}
	}
	r := &rowScanner{rows: rows, schema: arrow.NewSchema(fields, nil), batch: batch, vals: make([]any, len(names)), ptrs: make([]any, len(names))}
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r
}

func (r *rowScanner) Schema() *arrow.Schema { return r.schema }

func (r *rowScanner) Read() (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, r.schema)
	defer b.Release()
	b.Reserve(r.batch)
	n := 0
	for n < r.batch && r.rows.Next() {
		if err := r.rows.Scan(r.ptrs...); err != nil {
			return nil, err
		}
		for j, v := range r.vals {
			fb := b.Field(j).(*array.Float64Builder)
			if x, ok := v.(float64); ok {
				fb.UnsafeAppend(x)
			} else {
				fb.AppendNull()
			}
		}
		n++
	}
	if n == 0 {
		return nil, io.EOF
	}
	return b.NewRecordBatch(), nil
}

func (r *rowScanner) Close() error { return r.rows.Close() }
