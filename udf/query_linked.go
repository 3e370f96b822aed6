//go:build !dense_extension

package udf

import (
	"context"
	"errors"
	"fmt"

	"github.com/dense-ml/dense/duckio"
	"github.com/dense-ml/dense/pipeline"
)

// query runs sql for dense_train, dense_evaluate or dense_confusion and
// streams its rows: on another connection of the database/sql pool given to
// Register, read by duckio.Query, the reader `dense train --db --query`
// uses. The calling connection is busy running the call itself, so the pool
// needs a free connection: a pool limited to connections that are all in
// use (SetMaxOpenConns) is an error rather than a wait that would never
// end. caller (the calling connection's id) is not needed here.
func (m *models) query(ctx context.Context, _ uint64, sql string) (pipeline.Reader, error) {
	if m.db == nil {
		return nil, errors.New("no database to run the query in")
	}
	if st := m.db.Stats(); st.MaxOpenConnections > 0 && st.InUse >= st.MaxOpenConnections {
		return nil, fmt.Errorf("the query runs on a connection of its own, and all %d connections the database/sql pool allows are in use "+
			"(SetMaxOpenConns): allow one more", st.MaxOpenConnections)
	}
	return duckio.Query(ctx, m.db, sql, duckio.Options{})
}
