package duckio

import (
	"database/sql"
	"fmt"

	"github.com/duckdb/duckdb-go/v2/mapping"

	"github.com/dense-ml/dense/internal/duckconn"
)

// withRaw runs fn with the C API connection behind c (internal/duckconn);
// the callers keep c (not returned to the pool) for as long as a result or
// appender made on it lives.
func withRaw(c *sql.Conn, fn func(mapping.Connection) error) error {
	called := false
	err := duckconn.WithRaw(c, func(h mapping.Connection) error { called = true; return fn(h) })
	if err != nil && !called { // fn's own errors carry their prefix already
		return fmt.Errorf("duckio: %w", err)
	}
	return err
}
