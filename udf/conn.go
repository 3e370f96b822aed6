//go:build !dense_extension

package udf

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/duckdb/duckdb-go/v2/mapping"

	"github.com/dense-ml/dense/internal/duckconn"
)

// connHandle runs fn with the C API connection behind c
// (internal/duckconn). duckdb-go registers its own scalar functions through
// that handle; registering ours, whose callbacks read DuckDB's vectors
// directly, needs it too.
func connHandle(c *sql.Conn, fn func(mapping.Connection) error) error {
	called := false
	err := duckconn.WithRaw(c, func(h mapping.Connection) error { called = true; return fn(h) })
	if err != nil && !called { // fn's own errors carry their prefix already
		return fmt.Errorf("udf: %w", err)
	}
	return err
}

// Register makes the dense SQL functions available on every connection of
// db, backed by src:
//
//	dense_predict(model, features…)        → DOUBLE
//	dense_predict_label(model, features…)  → VARCHAR
//	dense_predict_proba(model, features…)  → FLOAT[]
//	dense_predict_all(model, features…)    → STRUCT(label, probability, probabilities, prediction)
//	dense_models()                         → one row per model version
//	dense_layers(model)                    → one row per layer
//	dense_params(inputs, units, bias := true) → one row per dense layer
//
// DuckDB keeps functions registered through the C API in the database's
// system catalog, so registering once on one connection serves every
// connection of the database, present and future, in-memory or file-backed.
// Register a database once: a second Register on the same database (or on
// another *sql.DB that duckdb-go's instance cache maps to the same file)
// returns ErrRegistered. Functions are not stored in the database file; a
// file database opened again in a new process needs Register again.
//
// Register is not part of the extension build (tag dense_extension): there
// DuckDB is the host, and the extension's entry point registers the
// functions with RegisterExtension.
func Register(db *sql.DB, src ModelSource) error {
	if db == nil || src == nil {
		return errors.New("udf: Register needs a database and a model source")
	}
	ctx := context.Background()
	return withConn(ctx, db, func(c *sql.Conn) error {
		// DuckDB would let the scalar functions be replaced but add the
		// table functions a second time, the first one winning: half the
		// functions would see the new source. Refuse instead.
		var n int
		if err := c.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'dense_predict'").Scan(&n); err != nil {
			return fmt.Errorf("udf: %w", err)
		}
		if n > 0 {
			return ErrRegistered
		}
		return connHandle(c, func(h mapping.Connection) error {
			return registerAll(connection{h.Ptr}, &models{fixed: src, db: db})
		})
	})
}

// models is where a registration's functions find models and data. Linked
// into a Go program, that is the source given to Register, and the
// database's pool, on which dense_train, dense_evaluate and dense_confusion
// run their queries (query_linked.go).
type models struct {
	fixed ModelSource
	db    *sql.DB
}

// source returns the model source for a query.
func (m *models) source(clientContext) (ModelSource, error) { return m.fixed, nil }

// withConn runs fn on one connection of db.
func withConn(ctx context.Context, db *sql.DB, fn func(*sql.Conn) error) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("udf: %w", err)
	}
	defer c.Close()
	return fn(c)
}
