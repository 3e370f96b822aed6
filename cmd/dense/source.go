package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/duckio"
	"github.com/urfave/cli/v2"
)

// dataFlags are the flags that name a data source: a file, or a DuckDB
// database and a query.
func dataFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "data", Usage: "data: a CSV (.csv/.tsv), JSON lines (.jsonl/.json), Parquet (.parquet) or Arrow IPC (.arrow/.arrows) file, a glob, or a (hive-partitioned) folder; read as DuckDB's FROM 'path' reads it"},
		&cli.StringFlag{Name: "db", Usage: "DuckDB database file to run --query in"},
		&cli.StringFlag{Name: "query", Usage: "SQL query giving the rows (in --db, or in an in-memory database that can read files: FROM 'x.parquet')"},
	}
}

// source is an open data source.
type source struct {
	arrowio.Reader
	desc string  // for messages and the model's provenance
	db   *sql.DB // the database behind a query, closed with the source
}

func (s *source) Close() error {
	err := s.Reader.Close()
	if s.db != nil {
		if cerr := s.db.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// openSource opens --data, or --query in --db (or in memory). The dense
// SQL functions are registered in the database over models, so a query can
// use another model's predictions as features.
func openSource(ctx context.Context, c *cli.Context, models string, batchSize int) (*source, error) {
	data, dbPath, query := c.String("data"), c.String("db"), c.String("query")
	switch {
	case data != "" && (dbPath != "" || query != ""):
		return nil, errors.New("give either --data FILE or --db FILE --query SQL, not both")
	case data != "":
		if _, err := os.Stat(data); err != nil && !hasGlob(data) {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("data file %s does not exist", data)
			}
			return nil, fmt.Errorf("data file %s: %w", data, err)
		}
		// One reader: DuckDB's read_csv/read_json/read_parquet, so the
		// columns and types are those SQL sees in FROM 'file'.
		r, err := duckio.Open(ctx, data, duckio.Options{BatchSize: batchSize})
		if err != nil {
			return nil, err
		}
		return &source{Reader: r, desc: data}, nil
	case query != "":
		if dbPath != "" {
			if _, err := os.Stat(dbPath); err != nil {
				return nil, fmt.Errorf("database %s does not exist", dbPath)
			}
		}
		// Reading only: other readers may share the file.
		db, err := openDuckDB(ctx, dbPath, models, true)
		if err != nil {
			return nil, err
		}
		r, err := duckio.Query(ctx, db, query, duckio.Options{BatchSize: batchSize})
		if err != nil {
			db.Close()
			return nil, err
		}
		desc := "duckdb: " + query
		if dbPath != "" {
			desc = "duckdb:" + dbPath + ": " + query
		}
		return &source{Reader: r, desc: desc, db: db}, nil
	case dbPath != "":
		return nil, errors.New("--db needs --query SQL")
	default:
		return nil, errors.New("no data: give --data FILE or --db FILE --query SQL")
	}
}

func hasGlob(s string) bool {
	for _, r := range s {
		if r == '*' || r == '?' || r == '[' {
			return true
		}
	}
	return false
}
