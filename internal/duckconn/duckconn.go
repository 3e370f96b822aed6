// Package duckconn reaches the DuckDB C API connection behind a duckdb-go
// database/sql connection, for the two packages that call the C API on a
// database opened through duckdb-go: udf (registering functions whose
// callbacks read DuckDB's vectors) and duckio (reading result chunks,
// appending chunks).
//
// duckdb-go keeps the C connection in the unexported field
// `conn mapping.Connection` of its *duckdb.Conn and offers no accessor, so
// WithRaw reads it by reflection: the field is looked up by name and its type
// checked to be exactly mapping.Connection before a byte is read, so a
// duckdb-go release that renames, retypes or removes it gives ErrLayout (and
// TestLayoutPinned fails) instead of reading garbage.
//
// The loadable extension never uses this package: DuckDB hands it its
// connection, and its build links no duckdb-go.
package duckconn

import (
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// ErrLayout is returned when duckdb-go's driver connection no longer has the
// shape this package was written against.
var ErrLayout = errors.New("duckdb-go's *duckdb.Conn has no field `conn mapping.Connection` any more; " +
	"the raw-connection access in internal/duckconn must be updated for this duckdb-go version")

var mappingConnectionType = reflect.TypeFor[mapping.Connection]()

// WithRaw runs fn with the C API connection behind c. The handle is valid
// only inside fn, while database/sql guarantees that nothing else uses the
// connection; a caller that keeps a result or appender made on it must keep
// c (not return it to the pool) for as long as that lives.
func WithRaw(c *sql.Conn, fn func(mapping.Connection) error) error {
	return c.Raw(func(driverConn any) error {
		dc, ok := driverConn.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("not a DuckDB database (the driver connection is %T)", driverConn)
		}
		v := reflect.ValueOf(dc).Elem()
		f, ok := v.Type().FieldByName("conn")
		if !ok || f.Type != mappingConnectionType {
			return ErrLayout
		}
		h := *(*mapping.Connection)(unsafe.Pointer(v.Field(f.Index[0]).UnsafeAddr()))
		if h.Ptr == nil {
			return errors.New("the DuckDB connection is closed")
		}
		return fn(h)
	})
}
