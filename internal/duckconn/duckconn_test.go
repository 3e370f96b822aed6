package duckconn

import (
	"context"
	"database/sql"
	"reflect"
	"testing"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// TestLayoutPinned fails loudly when duckdb-go changes the unexported field
// WithRaw reads, and checks that the handle it gives is a live connection.
func TestLayoutPinned(t *testing.T) {
	f, ok := reflect.TypeFor[duckdb.Conn]().FieldByName("conn")
	if !ok {
		t.Fatal("duckdb-go's Conn has no field `conn` any more: update internal/duckconn (WithRaw)")
	}
	if f.Type != reflect.TypeFor[mapping.Connection]() {
		t.Fatalf("duckdb-go's Conn.conn is %v, not mapping.Connection: update internal/duckconn (WithRaw)", f.Type)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = WithRaw(c, func(h mapping.Connection) error {
		if h.Ptr == nil {
			t.Fatal("raw connection is nil")
		}
		var res mapping.Result
		defer mapping.DestroyResult(&res)
		if mapping.Query(h, "SELECT 42", &res) == mapping.StateError {
			t.Fatalf("query on the raw connection failed: %s", mapping.ResultError(&res))
		}
		if n := mapping.ColumnCount(&res); n != 1 {
			t.Errorf("%d columns, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestClosedConnIsRefused(t *testing.T) {
	// A closed *sql.Conn is refused by database/sql before WithRaw's callback runs.
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	called := false
	if err := WithRaw(c, func(mapping.Connection) error { called = true; return nil }); err == nil || called {
		t.Fatalf("WithRaw on a closed connection: err %v, callback called %v", err, called)
	}
}
