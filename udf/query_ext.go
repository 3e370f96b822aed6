//go:build dense_extension

package udf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/cdata"

	"github.com/dense-ml/dense/pipeline"
)

/*
#include <stdlib.h>
*/
import "C"

// query runs sql for dense_train, dense_evaluate or dense_confusion and
// streams its rows, on the extension's own connection to the database
// (opened when the extension was loaded; see RegisterExtension): DuckDB's
// C API lends an extension the database only while it loads, and a table
// function cannot run a query on the connection that calls it. The rows
// are converted by DuckDB's own Arrow export (duckdb_data_chunk_to_arrow),
// one record batch per data chunk. One query runs at a time on that
// connection; a call from a query that the connection itself is running
// (dense_evaluate inside dense_train's query, say) is an error, not a
// deadlock. caller is the calling connection's id.
func (m *models) query(ctx context.Context, caller uint64, sql string) (pipeline.Reader, error) {
	if m.conn.p == nil {
		return nil, errors.New("the extension has no connection of its own to run the query on")
	}
	if caller == m.connID {
		return nil, errors.New("cannot run inside a query that dense_train, dense_evaluate or dense_confusion runs")
	}
	m.queryMu.Lock()
	stmt, res, err := streamQuery(m.conn, sql)
	if err != nil {
		m.queryMu.Unlock()
		return nil, err
	}
	r := &extReader{m: m, ctx: ctx, stmt: stmt, res: res}
	cs := (*cdata.CArrowSchema)(C.calloc(1, C.size_t(unsafe.Sizeof(cdata.CArrowSchema{}))))
	defer C.free(unsafe.Pointer(cs))
	if err := resultArrowSchema(res, unsafe.Pointer(cs)); err != nil {
		r.Close()
		return nil, err
	}
	r.schema, err = cdata.ImportCArrowSchema(cs) // releases cs's contents
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("reading the query's Arrow schema: %w", err)
	}
	return r, nil
}

// extReader streams a query's result as Arrow record batches. It gives the
// connection back at the end of the result (or Close), so that a training
// does not hold it while it trains.
type extReader struct {
	m         *models
	ctx       context.Context
	stmt, res unsafe.Pointer
	schema    *arrow.Schema
}

func (r *extReader) Schema() *arrow.Schema { return r.schema }

func (r *extReader) Read() (arrow.RecordBatch, error) {
	for {
		if r.res == nil {
			return nil, io.EOF
		}
		if err := r.ctx.Err(); err != nil {
			interruptConnection(r.m.conn)
			r.Close()
			return nil, err
		}
		ca := (*cdata.CArrowArray)(C.calloc(1, C.size_t(unsafe.Sizeof(cdata.CArrowArray{}))))
		ok, err := resultNextArrow(r.res, unsafe.Pointer(ca))
		if !ok || err != nil {
			C.free(unsafe.Pointer(ca))
			r.Close()
			if err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		b, err := cdata.ImportCRecordBatchWithSchema(ca, r.schema) // moves ca's contents
		C.free(unsafe.Pointer(ca))
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("reading the query's rows: %w", err)
		}
		if b.NumRows() > 0 {
			return b, nil
		}
		b.Release()
	}
}

// Close frees the result and gives the connection back; it may be called
// more than once.
func (r *extReader) Close() error {
	if r.res != nil {
		closeQuery(r.stmt, r.res)
		r.stmt, r.res = nil, nil
		r.m.queryMu.Unlock()
	}
	return nil
}
