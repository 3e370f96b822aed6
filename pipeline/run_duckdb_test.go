//go:build !dense_extension

package pipeline

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // the DuckDB driver for the db sources and sinks
)

// The spec's DuckDB source (db + query) and sink (db + table), scoring a
// table into another table of the same database file.
func TestRunDuckDB(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "shop.duckdb")
	db, err := sql.Open("duckdb", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`CREATE TABLE customers AS
		SELECT i AS id, (i % 50)::DOUBLE AS a, ((i * 7) % 13)::DOUBLE AS b,
		       CASE i % 3 WHEN 0 THEN 'x' WHEN 1 THEN 'y' ELSE 'z' END AS c,
		       CASE WHEN (i % 50) + 2 * ((i * 7) % 13) > 36 THEN 'yes' ELSE 'no' END AS y
		FROM range(800) t(i)`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	spec := `
source: {db: shop.duckdb, query: "SELECT * EXCLUDE (id) FROM customers", batch_size: 256}
target: y
architecture: {hidden: [16]}
training: {epochs: 30, learning_rate: 0.01, seed: 1}
registry: {name: shop, dir: models}
score:
  source: {db: shop.duckdb, query: "SELECT * FROM customers"}
  sink: {db: shop.duckdb, table: scored, mode: replace}
`
	s, err := ParseSpec([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	s.Dir = dir
	res, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Scored != 800 || res.Train.Entry.Ref() != "shop@1" || res.Train.Rows != 800 {
		t.Errorf("scored %d, entry %s, rows %d", res.Scored, res.Train.Entry.Ref(), res.Train.Rows)
	}
	t.Logf("metrics %v", res.Train.Metrics)
	out, err := sql.Open("duckdb", filepath.Join(dir, "shop.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var n int
	var acc float64
	err = out.QueryRow(`SELECT count(*), avg((predicted_label = y)::INT) FROM scored WHERE prediction IS NOT NULL`).Scan(&n, &acc)
	if err != nil {
		t.Fatal(err)
	}
	if n != 800 || acc < 0.85 {
		t.Errorf("sink table: %d scored rows, label accuracy %v", n, acc)
	}
	if _, err := os.Stat(filepath.Join(dir, "models", "shop")); err != nil {
		t.Error(err)
	}
}
