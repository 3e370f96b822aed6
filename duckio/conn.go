package duckio

import (
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// errConnLayout is returned when duckdb-go's driver connection no longer has
// the shape this package was written against (see rawConnection).
var errConnLayout = errors.New("duckio: duckdb-go's *duckdb.Conn has no field `conn mapping.Connection` any more; " +
	"the raw-connection access in duckio/conn.go must be updated for this duckdb-go version")

var mappingConnectionType = reflect.TypeFor[mapping.Connection]()

// withRaw runs fn with the C API connection behind c.
//
// duckdb-go keeps the C connection in the unexported field
// `conn mapping.Connection` of its *duckdb.Conn and offers no accessor;
// reading result chunks and appending chunks need it, so it is read by
// reflection: the field is looked up by name and its type checked to be
// exactly mapping.Connection before a byte is read, so a duckdb-go release
// that renames, retypes or removes it gives errConnLayout (and the pinning
// test TestConnLayoutPinned fails) instead of reading garbage. The handle is
// used only inside c.Raw, while database/sql guarantees that nothing else
// uses the connection; the callers keep c (not returned to the pool) for as
// long as a result or appender made on it lives.
func withRaw(c *sql.Conn, fn func(mapping.Connection) error) error {
	return c.Raw(func(driverConn any) error {
		dc, ok := driverConn.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("duckio: not a DuckDB database (the driver connection is %T)", driverConn)
		}
		h, err := rawConnection(dc)
		if err != nil {
			return err
		}
		return fn(h)
	})
}

func rawConnection(dc *duckdb.Conn) (mapping.Connection, error) {
	v := reflect.ValueOf(dc).Elem()
	f, ok := v.Type().FieldByName("conn")
	if !ok || f.Type != mappingConnectionType {
		return mapping.Connection{}, errConnLayout
	}
	h := *(*mapping.Connection)(unsafe.Pointer(v.Field(f.Index[0]).UnsafeAddr()))
	if h.Ptr == nil {
		return mapping.Connection{}, errors.New("duckio: the DuckDB connection is closed")
	}
	return h, nil
}
