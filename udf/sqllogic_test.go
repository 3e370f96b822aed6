//go:build !dense_extension

package udf

import (
	"context"
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
			// One connection runs the records (SET statements apply to the
			// next ones); the pool keeps others for the queries of
			// dense_evaluate and dense_train.
			conn, err := db.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			sqllogic.RunFile(t, sqllogic.Conn(conn), file, dir)
		})
	}
}
