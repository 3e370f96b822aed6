package udf

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// errConnLayout is returned when duckdb-go's driver connection no longer has
// the shape this package was written against (see connHandle).
var errConnLayout = errors.New("udf: duckdb-go's *duckdb.Conn has no field `conn mapping.Connection` any more; " +
	"the raw-connection access in udf/conn.go must be updated for this duckdb-go version")

// connHandle returns the C API connection behind a database/sql connection.
//
// duckdb-go registers its own scalar functions through mapping, on the
// unexported field `conn mapping.Connection` of its *duckdb.Conn, and offers
// no exported accessor. Registering a function whose callbacks read DuckDB's
// vectors directly needs that handle, so we read the field with reflection:
// the field is looked up by name and its type checked to be exactly
// mapping.Connection before a single byte is read, so a duckdb-go release that
// renames, retypes or removes it makes this return errConnLayout (and the
// pinning test TestConnLayoutPinned fail) instead of reading garbage. The
// handle is only used inside c.Raw, while database/sql guarantees the
// connection is not used concurrently.
func connHandle(c *sql.Conn, fn func(mapping.Connection) error) error {
	return c.Raw(func(driverConn any) error {
		dc, ok := driverConn.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("udf: the database is not a DuckDB database (driver connection is %T)", driverConn)
		}
		h, err := rawConnection(dc)
		if err != nil {
			return err
		}
		return fn(h)
	})
}

var mappingConnectionType = reflect.TypeFor[mapping.Connection]()

func rawConnection(dc *duckdb.Conn) (mapping.Connection, error) {
	v := reflect.ValueOf(dc).Elem()
	f, ok := v.Type().FieldByName("conn")
	if !ok || f.Type != mappingConnectionType {
		return mapping.Connection{}, errConnLayout
	}
	p := unsafe.Pointer(v.Field(f.Index[0]).UnsafeAddr())
	h := *(*mapping.Connection)(p)
	if h.Ptr == nil {
		return mapping.Connection{}, errors.New("udf: the DuckDB connection is closed")
	}
	return h, nil
}

// withConn runs fn on one connection of db.
func withConn(ctx context.Context, db *sql.DB, fn func(*sql.Conn) error) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("udf: %w", err)
	}
	defer c.Close()
	return fn(c)
}
