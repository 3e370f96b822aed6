//go:build !duckdb_arrow

package arrowio

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Without the duckdb_arrow tag this package does not import the DuckDB
// driver at all (so programs and tests that do not use DuckDB do not link
// it): queries go through database/sql and NewRowsReader, and table writes
// go through a temporary Parquet file per batch that DuckDB reads with
// read_parquet.

// DuckDBArrow reports whether the build uses DuckDB's Arrow interface.
const DuckDBArrow = false

func queryDuckDB(ctx context.Context, db *sql.DB, query string, opts Options) (Reader, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("arrowio: query: %w", err)
	}
	return NewRowsReader(rows, opts.BatchSize, opts.Allocator)
}

type parquetInserter struct{}

func newBatchInserter(*sql.Conn) (batchInserter, error) { return parquetInserter{}, nil }

func (parquetInserter) exec(ctx context.Context, conn *sql.Conn, prefix string, b arrow.RecordBatch) error {
	f, err := os.CreateTemp("", "arrowio-*.parquet")
	if err != nil {
		return err
	}
	path := f.Name()
	defer os.Remove(path)
	w, err := NewParquetWriter(struct{ io.Writer }{f}, b.Schema(), WriterOptions{Compression: "none"})
	if err == nil {
		err = w.Write(b)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	lit := "'" + strings.ReplaceAll(path, "'", "''") + "'"
	_, err = conn.ExecContext(ctx, prefix+" SELECT *"+arrayCasts(b.Schema())+" FROM read_parquet("+lit+")")
	return err
}

// arrayCasts turns the lists that Parquet makes of fixed-size lists back
// into DuckDB ARRAY columns (T[n]), as the Arrow path creates them.
func arrayCasts(s *arrow.Schema) string {
	var casts []string
	for _, f := range s.Fields() {
		t, ok := f.Type.(*arrow.FixedSizeListType)
		if !ok {
			continue
		}
		elem, ok := duckdbTypeNames[t.Elem().ID()]
		if !ok {
			continue
		}
		q := `"` + strings.ReplaceAll(f.Name, `"`, `""`) + `"`
		casts = append(casts, fmt.Sprintf("%s::%s[%d] AS %s", q, elem, t.Len(), q))
	}
	if casts == nil {
		return ""
	}
	return " REPLACE (" + strings.Join(casts, ", ") + ")"
}

var duckdbTypeNames = map[arrow.Type]string{
	arrow.BOOL: "BOOLEAN", arrow.INT8: "TINYINT", arrow.INT16: "SMALLINT", arrow.INT32: "INTEGER", arrow.INT64: "BIGINT",
	arrow.UINT8: "UTINYINT", arrow.UINT16: "USMALLINT", arrow.UINT32: "UINTEGER", arrow.UINT64: "UBIGINT",
	arrow.FLOAT32: "FLOAT", arrow.FLOAT64: "DOUBLE", arrow.STRING: "VARCHAR", arrow.LARGE_STRING: "VARCHAR",
}

func (parquetInserter) close() {}
