package main

import (
	"context"
	"database/sql"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
)

// registerDense makes the dense SQL functions available on db, backed by the
// models folder.
func registerDense(ctx context.Context, db *sql.DB, models string) error {
	_, _, _ = ctx, db, models // wired to udf.Register once the udf package lands
	return nil
}
