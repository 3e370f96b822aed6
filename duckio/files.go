package duckio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dense-ml/dense/arrowio"
)

// ErrFormat is wrapped when a path's format cannot be told from its name.
var ErrFormat = errors.New("unknown file format")

// readers maps file extensions to DuckDB's reader for them.
var readers = map[string]string{
	".csv": "read_csv", ".tsv": "read_csv", ".txt": "read_csv",
	".json": "read_json", ".jsonl": "read_json", ".ndjson": "read_json",
	".parquet": "read_parquet", ".pq": "read_parquet",
}

// ipcExts are the Arrow IPC extensions, read by arrowio.
var ipcExts = map[string]bool{".arrow": true, ".feather": true, ".ipc": true, ".arrows": true}

// dataExt is a file name's extension without a compression suffix
// (data.csv.gz → .csv), lower-cased.
func dataExt(name string) string {
	name = strings.ToLower(name)
	for _, c := range []string{".gz", ".zst"} {
		name = strings.TrimSuffix(name, c)
	}
	return filepath.Ext(name)
}

// FileSQL returns the DuckDB table expression that reads path, the one
// Open runs as SELECT * FROM <expression>:
//
//	x.csv, x.tsv, x.txt (also .gz, .zst)   read_csv('x.csv')
//	x.json, x.jsonl, x.ndjson               read_json('x.jsonl')
//	x.parquet, x.pq                         read_parquet('x.parquet')
//	a glob (*, ?, [, **)                    the reader of its extension, hive_partitioning = true
//	a folder                                every file of the first data extension found in it,
//	                                        at any depth (folder/**/*.parquet), hive_partitioning = true
//
// The SQL functions score the same data when a query uses this expression
// (or DuckDB's own FROM 'x.csv', which is read_csv with the same defaults).
func FileSQL(path string) (string, error) {
	hive := false
	pattern := path
	switch {
	case strings.ContainsAny(path, "*?["):
		hive = true
	default:
		st, err := os.Stat(path)
		if err != nil {
			return "", fmt.Errorf("duckio: %w", err)
		}
		if st.IsDir() {
			ext, err := folderExt(path)
			if err != nil {
				return "", err
			}
			pattern = filepath.Join(path, "**", "*"+ext)
			hive = true
		}
	}
	ext := dataExt(pattern)
	fn, ok := readers[ext]
	if !ok {
		return "", fmt.Errorf("duckio: %q: %w %q (want .csv, .tsv, .json, .jsonl, .ndjson, .parquet or .pq; .arrow, .arrows, .feather or .ipc through arrowio)", path, ErrFormat, ext)
	}
	expr := fn + "(" + quoteString(pattern)
	if hive {
		expr += ", hive_partitioning = true"
	}
	return expr + ")", nil
}

// folderExt is the data extension of the first data file (in walk order)
// under dir.
func folderExt(dir string) (string, error) {
	var found string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") {
			return nil
		}
		if _, ok := readers[dataExt(d.Name())]; ok {
			found = dataExt(d.Name())
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("duckio: %w", err)
	}
	if found == "" {
		return "", fmt.Errorf("duckio: folder %s holds no .parquet, .csv or .json files", dir)
	}
	return found, nil
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Open reads a data file (or a glob, or a folder) as a stream of batches.
// CSV, JSON and Parquet go through DuckDB's readers (FileSQL) in an
// in-memory database, so their columns and types are exactly what SQL sees
// (see the package documentation); Arrow IPC files and streams go through
// arrowio.Open. opts.Columns selects and orders columns.
func Open(ctx context.Context, path string, opts Options) (arrowio.Reader, error) {
	if ipcExts[strings.ToLower(filepath.Ext(path))] {
		return arrowio.Open(path, arrowio.Options{Columns: opts.Columns, BatchSize: opts.BatchSize, Allocator: opts.Allocator})
	}
	expr, err := FileSQL(path)
	if err != nil {
		return nil, err
	}
	sel := "*"
	if len(opts.Columns) > 0 {
		q := make([]string, len(opts.Columns))
		for i, c := range opts.Columns {
			q[i] = quoteIdent(c)
		}
		sel = strings.Join(q, ", ")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("duckio: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("duckio: %w", err)
	}
	if strings.HasPrefix(expr, "read_csv(") && !strings.Contains(expr, "hive_partitioning") {
		if err := checkCSVHeader(ctx, conn, path); err != nil {
			conn.Close()
			db.Close()
			return nil, err
		}
	}
	r, err := queryConn(ctx, conn, "SELECT "+sel+" FROM "+expr, "read "+path, opts.withDefaults())
	if err != nil {
		db.Close()
		return nil, err
	}
	r.closeDB = db
	return r, nil
}

// QueryFile opens the DuckDB database file path read-only, runs query on it
// and streams the result; closing the reader closes the database.
func QueryFile(ctx context.Context, path, query string, opts Options) (*Reader, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("duckio: DuckDB database: %w", err)
	}
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		return nil, fmt.Errorf("duckio: open DuckDB %s: %w", path, err)
	}
	r, err := Query(ctx, db, query, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	r.closeDB = db
	return r, nil
}
