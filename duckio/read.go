package duckio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	bindings "github.com/duckdb/duckdb-go-bindings"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// DefaultBatchSize is the number of rows per batch when Options.BatchSize is
// zero (the same as arrowio.DefaultBatchSize).
const DefaultBatchSize = 64 * 1024

// Options configure a query or file source. The zero value reads every
// column in batches of DefaultBatchSize rows with the default allocator.
type Options struct {
	// BatchSize is the maximum number of rows per batch (default
	// DefaultBatchSize); every batch but the last has exactly this many.
	BatchSize int
	// Allocator allocates the batches' buffers (default memory.DefaultAllocator).
	Allocator memory.Allocator
	// Columns projects a file source to these columns, in this order
	// (empty: all). For a query, select the columns in SQL instead.
	Columns []string
}

func (o Options) withDefaults() Options {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	return o
}

// Reader streams a DuckDB result as Arrow record batches. It satisfies
// arrowio.Reader: Schema, Read until io.EOF, Close. Each batch belongs to the
// caller, who releases it; it stays valid after the next Read and after
// Close.
type Reader struct {
	ctx      context.Context
	conn     *sql.Conn
	closeDB  *sql.DB // closed with the reader (sources that opened a database)
	stmt     mapping.PreparedStatement
	res      *mapping.Result
	schema   *arrow.Schema
	builders []builder
	batch    int
	what     string // "query", or "read FILE"

	chunk    mapping.DataChunk // the chunk being read (nil Ptr: none)
	chunkLen int
	chunkOff int
	vecs     []vec
	done     bool
	err      error

	stopInterrupt func() bool
	mu            sync.Mutex // guards closed against the interrupting goroutine
	closed        bool
}

// Query runs query on db (opened with the "duckdb" driver of
// github.com/duckdb/duckdb-go/v2) and streams its result. The reader holds
// one connection of db until it is closed. Cancelling ctx interrupts the
// query; the next Read returns the context's error.
func Query(ctx context.Context, db *sql.DB, query string, opts Options) (*Reader, error) {
	if len(opts.Columns) > 0 {
		return nil, errors.New("duckio: Options.Columns does not apply to a query; select the columns in SQL")
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("duckio: DuckDB connection: %w", err)
	}
	return queryConn(ctx, conn, query, "query", opts.withDefaults())
}

// queryConn runs query on conn, which the reader then owns (and closes on
// error).
// what names the source in errors ("query", "read data.csv").
func queryConn(ctx context.Context, conn *sql.Conn, query, what string, opts Options) (*Reader, error) {
	r := &Reader{ctx: ctx, conn: conn, batch: opts.BatchSize, what: what}
	err := withRaw(conn, func(c mapping.Connection) error {
		// Cancelling ctx interrupts whatever the connection runs, until
		// the reader is closed.
		r.stopInterrupt = context.AfterFunc(ctx, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if !r.closed {
				mapping.Interrupt(c)
			}
		})
		if mapping.Prepare(c, query, &r.stmt) == mapping.StateError {
			return fmt.Errorf("duckio: %s: %s", r.what, mapping.PrepareError(r.stmt))
		}
		// A streaming result: DuckDB produces chunks as Read fetches them,
		// so its memory, like ours, follows the batch size and not the
		// result size. mapping does not re-export the streaming variant
		// (marked deprecated in DuckDB's C API, yet the only way to stream
		// a result through it in 1.5); duckdb-go-bindings is the module
		// whose functions mapping aliases.
		var pending mapping.PendingResult
		defer mapping.DestroyPending(&pending)
		if bindings.PendingPreparedStreaming(r.stmt, &pending) == mapping.StateError {
			return fmt.Errorf("duckio: %s: %s", r.what, mapping.PendingError(pending))
		}
		var res mapping.Result
		if mapping.ExecutePending(pending, &res) == mapping.StateError {
			msg := mapping.ResultError(&res)
			mapping.DestroyResult(&res)
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("duckio: %s: %w", r.what, err)
			}
			return fmt.Errorf("duckio: %s: %s", r.what, msg)
		}
		r.res = &res
		return r.describe(opts.Allocator)
	})
	if err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// describe builds the schema and a builder per column.
func (r *Reader) describe(mem memory.Allocator) error {
	n := int(mapping.ColumnCount(r.res))
	fields := make([]arrow.Field, n)
	r.builders = make([]builder, n)
	r.vecs = make([]vec, n)
	for j := range n {
		name := mapping.ColumnName(r.res, mapping.IdxT(j))
		lt := mapping.ColumnLogicalType(r.res, mapping.IdxT(j))
		t, err := arrowType(lt)
		if err == nil {
			r.builders[j], err = newBuilder(lt, t, mem)
		}
		mapping.DestroyLogicalType(&lt)
		if err != nil {
			return fmt.Errorf("duckio: %s: column %q: %w", r.what, name, err)
		}
		fields[j] = arrow.Field{Name: name, Type: t, Nullable: true}
	}
	r.schema = arrow.NewSchema(fields, nil)
	return nil
}

// Schema is the result's schema.
func (r *Reader) Schema() *arrow.Schema { return r.schema }

// Read returns the next batch, or io.EOF after the last one.
func (r *Reader) Read() (arrow.RecordBatch, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.done {
		return nil, io.EOF
	}
	if r.conn == nil {
		return nil, errors.New("duckio: Read after Close")
	}
	if err := r.ctx.Err(); err != nil {
		r.err = fmt.Errorf("duckio: %s: %w", r.what, err)
		return nil, r.err
	}
	rows := 0
	err := withRaw(r.conn, func(mapping.Connection) error {
		for rows < r.batch {
			if r.chunkOff == r.chunkLen {
				if !r.nextChunk() {
					break
				}
				continue
			}
			k := min(r.chunkLen-r.chunkOff, r.batch-rows)
			for j, b := range r.builders {
				if err := b.add(r.vecs[j], r.chunkOff, k); err != nil {
					return fmt.Errorf("duckio: %s: column %q: %w", r.what, r.schema.Field(j).Name, err)
				}
			}
			r.chunkOff += k
			rows += k
		}
		return nil
	})
	if err == nil && r.done {
		if msg := mapping.ResultError(r.res); msg != "" {
			err = fmt.Errorf("duckio: %s: %s", r.what, msg)
		} else if cerr := r.ctx.Err(); cerr != nil {
			err = fmt.Errorf("duckio: %s: %w", r.what, cerr)
		}
	}
	cols := make([]arrow.Array, len(r.builders))
	for j, b := range r.builders {
		cols[j] = b.finish()
	}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	if err != nil {
		r.err = err
		return nil, err
	}
	if rows == 0 {
		return nil, io.EOF
	}
	return arrowRecord(r.schema, cols, int64(rows)), nil
}

// nextChunk fetches the next result chunk; false at the end.
func (r *Reader) nextChunk() bool {
	mapping.DestroyDataChunk(&r.chunk)
	r.chunk = mapping.FetchChunk(*r.res)
	if r.chunk.Ptr == nil {
		r.done = true
		r.chunkLen, r.chunkOff = 0, 0
		return false
	}
	r.chunkLen, r.chunkOff = int(mapping.DataChunkGetSize(r.chunk)), 0
	for j := range r.vecs {
		r.vecs[j] = newVec(mapping.DataChunkGetVector(r.chunk, mapping.IdxT(j)))
	}
	return true
}

// Close frees the result, returns the connection to its pool (and closes
// the database the reader opened, if any). It may be called more than once.
func (r *Reader) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	if r.stopInterrupt != nil {
		r.stopInterrupt()
		r.stopInterrupt = nil
	}
	var err error
	if r.conn != nil {
		err = withRaw(r.conn, func(mapping.Connection) error {
			mapping.DestroyDataChunk(&r.chunk)
			if r.res != nil {
				mapping.DestroyResult(r.res)
				r.res = nil
			}
			mapping.DestroyPrepare(&r.stmt)
			return nil
		})
		if cerr := r.conn.Close(); err == nil {
			err = cerr
		}
		r.conn = nil
	}
	for _, b := range r.builders {
		if b != nil {
			b.release()
		}
	}
	r.builders = nil
	r.done = true
	if r.closeDB != nil {
		if cerr := r.closeDB.Close(); err == nil {
			err = cerr
		}
		r.closeDB = nil
	}
	return err
}
