package main

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver

	"github.com/dense-ml/dense/registry"
	"github.com/dense-ml/dense/udf"
)

// registerDense makes the dense SQL functions available on db, backed by the
// registry in the models folder.
func registerDense(_ context.Context, db *sql.DB, models string) error {
	reg, err := registry.Open(models)
	if err != nil {
		return err
	}
	if err := udf.Register(db, udf.FromRegistry(reg)); err != nil {
		return fmt.Errorf("registering the dense SQL functions: %w", err)
	}
	return nil
}
