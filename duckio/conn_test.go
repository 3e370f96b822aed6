package duckio

import (
	"context"
	"reflect"
	"testing"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// TestConnLayoutPinned fails when duckdb-go changes the unexported field
// that withRaw reads: update conn.go for the new version.
func TestConnLayoutPinned(t *testing.T) {
	f, ok := reflect.TypeFor[duckdb.Conn]().FieldByName("conn")
	if !ok {
		t.Fatal("duckdb-go's Conn has no field `conn` any more: update duckio/conn.go (rawConnection)")
	}
	if f.Type != reflect.TypeFor[mapping.Connection]() {
		t.Fatalf("duckdb-go's Conn.conn is %v, not mapping.Connection: update duckio/conn.go (rawConnection)", f.Type)
	}
	// And the handle works: a query through it returns a row.
	db := openDB(t)
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = withRaw(c, func(h mapping.Connection) error {
		var res mapping.Result
		defer mapping.DestroyResult(&res)
		if mapping.Query(h, "SELECT 42", &res) == mapping.StateError {
			t.Fatal(mapping.ResultError(&res))
		}
		if n := mapping.ColumnCount(&res); n != 1 {
			t.Errorf("%d columns", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
