package udf

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/duckdb/duckdb-go/v2/mapping"
)

// Register makes the dense SQL functions available on every connection of
// db, backed by models:
//
//	dense_predict(model, features…)        → DOUBLE
//	dense_predict_label(model, features…)  → VARCHAR
//	dense_predict_proba(model, features…)  → FLOAT[]
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
func Register(db *sql.DB, models ModelSource) error {
	if db == nil || models == nil {
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
		for _, fn := range []*function{
			{name: "dense_predict", kind: kindPredict, src: models},
			{name: "dense_predict_label", kind: kindLabel, src: models},
			{name: "dense_predict_proba", kind: kindProba, src: models},
		} {
			if err := registerScalar(c, fn); err != nil {
				return err
			}
		}
		return registerTables(c, models)
	})
}

// registerScalar registers fn as name(VARCHAR model, ANY…): the feature
// arguments are variadic and of any type, and the bind callback sorts them
// out. Special NULL handling keeps DuckDB from short-cutting NULL inputs to
// NULL outputs: a model may impute a missing feature.
// ErrRegistered is returned by Register for a database that has the dense
// functions already.
var ErrRegistered = errors.New("udf: the dense functions are already registered on this database")

func registerScalar(c *sql.Conn, fn *function) error {
	f := mapping.CreateScalarFunction()
	defer mapping.DestroyScalarFunction(&f)
	mapping.ScalarFunctionSetName(f, fn.name)

	model := mapping.CreateLogicalType(mapping.TypeVarchar)
	mapping.ScalarFunctionAddParameter(f, model)
	mapping.DestroyLogicalType(&model)
	anyType := mapping.CreateLogicalType(mapping.TypeAny)
	mapping.ScalarFunctionSetVarargs(f, anyType)
	mapping.DestroyLogicalType(&anyType)

	var ret mapping.LogicalType
	switch fn.kind {
	case kindPredict:
		ret = mapping.CreateLogicalType(mapping.TypeDouble)
	case kindLabel:
		ret = mapping.CreateLogicalType(mapping.TypeVarchar)
	case kindProba:
		elem := mapping.CreateLogicalType(mapping.TypeFloat)
		ret = mapping.CreateListType(elem)
		mapping.DestroyLogicalType(&elem)
	}
	mapping.ScalarFunctionSetReturnType(f, ret)
	mapping.DestroyLogicalType(&ret)

	mapping.ScalarFunctionSetSpecialHandling(f)
	mapping.ScalarFunctionSetBind(f, bindCallback)
	mapping.ScalarFunctionSetFunction(f, execCallback)
	mapping.ScalarFunctionSetExtraInfo(f, newCHandle(fn), deleteCallback)

	return connHandle(c, func(conn mapping.Connection) error {
		if mapping.RegisterScalarFunction(conn, f) == mapping.StateError {
			return fmt.Errorf("udf: registering %s failed (is it registered on this database already?)", fn.name)
		}
		return nil
	})
}
