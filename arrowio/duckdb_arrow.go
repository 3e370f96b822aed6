//go:build duckdb_arrow

package arrowio

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"
)

// With the duckdb_arrow tag, queries stream through DuckDB's Arrow
// interface (duckdb.NewArrowFromConn) and table writes register each batch
// as an Arrow view that an INSERT … SELECT reads.

// DuckDBArrow reports whether the build uses DuckDB's Arrow interface.
const DuckDBArrow = true

// arrowConn gets the duckdb-go Arrow handle of a pinned connection. The
// driver connection escapes Raw's callback: that is safe because the
// *sql.Conn is held (not returned to the pool) for as long as it is used.
func arrowConn(conn *sql.Conn) (*duckdb.Arrow, error) {
	var ar *duckdb.Arrow
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("arrowio: %T is not a driver connection", dc)
		}
		var err error
		ar, err = duckdb.NewArrowFromConn(c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("arrowio: DuckDB Arrow interface (is db a duckdb database?): %w", err)
	}
	return ar, nil
}

func queryDuckDB(ctx context.Context, db *sql.DB, query string, opts Options) (Reader, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("arrowio: DuckDB connection: %w", err)
	}
	ar, err := arrowConn(conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	rr, err := ar.QueryContext(ctx, query)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("arrowio: query: %w", err)
	}
	return &arrowQueryReader{conn: conn, rr: rr, batchSize: int64(opts.BatchSize), mem: opts.Allocator}, nil
}

// arrowQueryReader regroups DuckDB's chunks (2048 rows each) into batches
// of batchSize rows, concatenated into buffers of mem.
type arrowQueryReader struct {
	conn      *sql.Conn
	rr        array.RecordReader
	batchSize int64
	mem       memory.Allocator
	pending   []arrow.RecordBatch
	rows      int64
	done      bool
}

func (r *arrowQueryReader) Schema() *arrow.Schema { return r.rr.Schema() }

func (r *arrowQueryReader) Read() (arrow.RecordBatch, error) {
	for !r.done && r.rows < r.batchSize {
		if !r.rr.Next() {
			r.done = true
			if err := r.rr.Err(); err != nil && err != io.EOF {
				return nil, fmt.Errorf("arrowio: query: %w", err)
			}
			break
		}
		b := r.rr.RecordBatch()
		if b.NumRows() == 0 {
			continue
		}
		b.Retain()
		r.pending = append(r.pending, b)
		r.rows += b.NumRows()
	}
	if r.rows == 0 {
		return nil, io.EOF
	}
	n := min(r.rows, r.batchSize)
	out, err := r.take(n)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// take removes the first n pending rows as one batch owned by mem.
func (r *arrowQueryReader) take(n int64) (arrow.RecordBatch, error) {
	var parts []arrow.RecordBatch
	var got int64
	for got < n {
		b := r.pending[0]
		need := n - got
		if b.NumRows() <= need {
			parts = append(parts, b)
			r.pending = r.pending[1:]
			got += b.NumRows()
			continue
		}
		parts = append(parts, b.NewSlice(0, need))
		r.pending[0] = b.NewSlice(need, b.NumRows())
		b.Release()
		got += need
	}
	r.rows -= n
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	schema := r.rr.Schema()
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	arrs := make([]arrow.Array, len(parts))
	for j := range cols {
		for i, p := range parts {
			arrs[i] = p.Column(j)
		}
		c, err := array.Concatenate(arrs, r.mem)
		if err != nil {
			return nil, fmt.Errorf("arrowio: query column %q: %w", schema.Field(j).Name, err)
		}
		cols[j] = c
	}
	return array.NewRecordBatch(schema, cols, n), nil
}

func (r *arrowQueryReader) Close() error {
	for _, b := range r.pending {
		b.Release()
	}
	r.pending, r.rows, r.done = nil, 0, true
	if r.rr != nil {
		r.rr.Release()
		r.rr = nil
	}
	if r.conn == nil {
		return nil
	}
	err := r.conn.Close()
	r.conn = nil
	return err
}

var viewCounter atomic.Int64

type arrowInserter struct{ ar *duckdb.Arrow }

func newBatchInserter(conn *sql.Conn) (batchInserter, error) {
	ar, err := arrowConn(conn)
	if err != nil {
		return nil, err
	}
	return arrowInserter{ar}, nil
}

func (a arrowInserter) exec(ctx context.Context, conn *sql.Conn, prefix string, b arrow.RecordBatch) error {
	name := fmt.Sprintf("arrowio_batch_%d", viewCounter.Add(1))
	rr, err := array.NewRecordReader(b.Schema(), []arrow.RecordBatch{b})
	if err != nil {
		return err
	}
	defer rr.Release()
	release, err := a.ar.RegisterView(rr, name)
	if err != nil {
		return err
	}
	defer release()
	_, err = conn.ExecContext(ctx, prefix+` SELECT * FROM "`+name+`"`)
	if _, derr := conn.ExecContext(context.WithoutCancel(ctx), `DROP VIEW IF EXISTS "`+name+`"`); err == nil && derr != nil {
		err = derr
	}
	return err
}

func (arrowInserter) close() {}
