package main

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/pipeline/registry"
	"github.com/dense-ml/dense/udf"
)

// registerDense makes the dense SQL functions available on db, backed by the
// registry in the models folder.
func registerDense(ctx context.Context, db *sql.DB, models string) error {
	reg, err := registry.Open(models)
	if err != nil {
		return err
	}
	if err := udf.Register(db, registrySource{reg}); err != nil {
		return fmt.Errorf("registering the dense SQL functions: %w", err)
	}
	return nil
}

// registrySource shows a registry to the SQL functions (udf.ModelSource).
type registrySource struct{ reg *registry.Registry }

func info(e registry.Entry) udf.ModelInfo {
	return udf.ModelInfo{Name: e.Name, Version: e.Version, Path: e.Path, SHA256: e.SHA256, Created: e.Created}
}

func (s registrySource) List() ([]udf.ModelInfo, error) {
	entries, err := s.reg.List()
	if err != nil {
		return nil, err
	}
	out := make([]udf.ModelInfo, len(entries))
	for i, e := range entries {
		out[i] = info(e)
	}
	return out, nil
}

func (s registrySource) Load(ref string) (*nn.Model, udf.ModelInfo, error) {
	m, e, err := s.reg.Load(ref)
	if err != nil {
		return nil, udf.ModelInfo{}, err
	}
	return m, info(e), nil
}
