//go:build !dense_extension

package udf

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/dense-ml/dense/internal/sqllogic"
)

// TestSQL runs the SQL test suite, ../sql/test/*.test (the format is in
// internal/sqllogic's doc). Each file runs on a fresh in-memory database
// with the functions registered over the suite's models folder
// (sqllogic.WriteModels). The extension's tests run the same files through
// dense.duckdb_extension (extension/hosttest).
func TestSQL(t *testing.T) {
	for _, file := range sqllogic.Files(t, "../sql/test") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			dir := sqlFixtureDir(t)
			db := openDB(t, sqlFixtureSource(t, dir))
			db.SetMaxOpenConns(1) // SET statements apply to the next records
			sqllogic.RunFile(t, dbHost{db}, file, dir)
		})
	}
}

// dbHost runs the suite through database/sql.
type dbHost struct{ db *sql.DB }

// Exec runs q once through Query and reads every row: an error DuckDB
// raises while it produces rows shows up only there.
func (h dbHost) Exec(q string) error {
	rows, err := h.db.Query(q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

func (h dbHost) Query(q string) (sqllogic.Result, error) {
	rows, err := h.db.Query(q)
	if err != nil {
		return sqllogic.Result{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return sqllogic.Result{}, err
	}
	res := sqllogic.Result{Columns: len(cols)}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return sqllogic.Result{}, err
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}
