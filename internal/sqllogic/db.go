package sqllogic

import (
	"context"
	"database/sql"
)

// DB is a Host over a database/sql pool (duckdb-go in udf's tests and in
// the extension's comparisons). Set db.SetMaxOpenConns(1) first, so that
// SET statements apply to the next records, or use Conn.
func DB(db *sql.DB) Host { return dbHost{db} }

// Conn is a Host over one connection of a database/sql pool: SET
// statements apply to the next records, and the pool's other connections
// stay free (dense_evaluate and dense_train run their queries on one).
func Conn(c *sql.Conn) Host { return dbHost{c} }

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type dbHost struct{ db querier }

// Exec runs q once through Query and reads every row: an error DuckDB
// raises while it produces rows shows up only there.
func (h dbHost) Exec(q string) error {
	rows, err := h.db.QueryContext(context.Background(), q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

func (h dbHost) Query(q string) (Result, error) {
	rows, err := h.db.QueryContext(context.Background(), q)
	if err != nil {
		return Result{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Result{}, err
	}
	res := Result{Columns: len(cols)}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return Result{}, err
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}
