// Package duckio moves data between DuckDB and Arrow: query results to
// record batches, record batches to tables, and data files (CSV, JSON,
// Parquet) read by DuckDB's own readers, so that every part of dense sees a
// file with the columns and types SQL sees.
//
// Why a package of its own: DuckDB is a large C++ library linked through
// cgo. Keeping it out of arrowio means programs and tests that only read
// Parquet or Arrow IPC do not link it (tens of seconds per test binary),
// and it puts every DuckDB-specific rule (type mapping, the raw C
// connection, table writing) in one place. The name says what it is: I/O,
// like arrowio, for DuckDB. It imports arrowio (for Arrow IPC files and the
// Reader/Writer interfaces it satisfies); arrowio imports no DuckDB.
//
// # Reading a query
//
// Query runs SQL on a *sql.DB opened with the "duckdb" driver
// (github.com/duckdb/duckdb-go/v2) and returns a Reader: Schema, then Read
// until io.EOF, then Close. Each batch belongs to the caller, who releases
// it. Every batch but the last holds exactly Options.BatchSize rows (default
// 64Ki). QueryFile does the same on a database file opened read-only.
//
// The result is a streaming one, read from DuckDB's data chunks through the
// C API (duckdb-go's mapping package): each column's vector data, validity
// mask, list child and string payloads are copied into Arrow buffers of
// Options.Allocator, one memmove per chunk for fixed-width columns. DuckDB
// computes chunks as Read asks for them, so memory on both sides follows
// the batch size, not the result size (a test reads 1M rows in 8Ki-row
// batches with a flat ~340 KiB of live Arrow memory). There is no
// database/sql row scanning, no boxing into driver.Value and no build tag;
// on 1M rows × 20 DOUBLE columns → feature matrix this is several times
// faster than scanning rows (bench/README.md has the figures and the
// command). Cancelling the context interrupts the query; Read then returns
// the context's error.
//
// DuckDB types and the Arrow types they are read as:
//
//	BOOLEAN                          bool
//	TINYINT … BIGINT                 int8 … int64
//	UTINYINT … UBIGINT               uint8 … uint64
//	HUGEINT, UHUGEINT                decimal128(38, 0) (a value of 39 digits is an error)
//	FLOAT, DOUBLE                    float32, float64
//	DECIMAL(p, s)                    decimal128(p, s)
//	VARCHAR (and JSON), ENUM         string (an ENUM by its labels)
//	BLOB                             binary
//	DATE                             date32
//	TIME                             time64[us]
//	TIMESTAMP[_S|_MS|_NS]            timestamp[us|s|ms|ns]
//	TIMESTAMP WITH TIME ZONE         timestamp[us, UTC]
//	T[]  (LIST)                      list<T>
//	T[n] (ARRAY)                     fixed_size_list<T>[n]
//
// Any other type (STRUCT, MAP, UNION, INTERVAL, UUID, BIT, TIME WITH TIME
// ZONE, BIGNUM) is refused when the query starts, with an error wrapping
// ErrType that names the column and the type: cast it in SQL.
//
// The raw C connection that this needs is not exported by duckdb-go; it is
// read by reflection in one place (conn.go), pinned by TestConnLayoutPinned,
// which fails loudly if duckdb-go changes the field.
//
// # Writing a table
//
// NewTableWriter (on a *sql.DB) and OpenTableWriter (on a database file,
// opened read-write) write batches into a table through DuckDB's appender,
// one data chunk at a time; there is no temporary file. TableCreate fails if
// the table exists, TableReplace replaces it, TableAppend inserts by column
// name (creating a missing table). Everything happens in one transaction,
// committed by Close: readers never see half a table, and a failed write
// leaves the database as it was. Arrow types map back to the DuckDB types
// of the table above; a dictionary of strings and large strings become
// VARCHAR, large binary BLOB.
//
//	w, err := duckio.OpenTableWriter(ctx, "scores.duckdb", "scored", duckio.TableReplace)
//	…
//	w.SetSchema(src.Schema()) // so that an empty stream still creates the table
//	for { b, err := src.Read(); …; err = w.Write(b); b.Release(); … }
//	err = w.Close() // commits
//
// # One reader for files
//
// Open reads CSV, TSV, JSON (newline-delimited or an array) and Parquet —
// one file, a glob (data/*.parquet, data/**/*.csv) or a folder — through
// DuckDB's read_csv, read_json and read_parquet in an in-memory database;
// FileSQL gives the exact table expression. Globs and folders are read with
// hive_partitioning = true, so a layout like sales/year=2024/region=eu/x.parquet
// yields the columns year (BIGINT) and region (VARCHAR) after the file's own.
// Arrow IPC (.arrow, .feather, .ipc, .arrows) is read by arrowio.
//
// The CLI (dense train/score/eval --data), the pipeline's YAML sources and
// SQL all read a CSV the same way, so a model trained on a file sees the
// types the SQL functions see when scoring FROM 'file.csv'. What DuckDB's
// CSV sniffer infers (from up to 20480 sampled rows), and therefore what
// dense sees:
//
//   - zero-padded codes (01067, 007) stay VARCHAR: the text is kept, they
//     are categories, not numbers;
//   - ISO dates (2024-01-05) become DATE (date32), date-times TIMESTAMP;
//     training refuses such a column as a feature with a message saying to
//     exclude or convert it (before, dense's own CSV reader made it a
//     category, and SQL then found a DATE where the model wanted VARCHAR);
//   - integers BIGINT, decimals DOUBLE; true/false and yes/no BOOLEAN (a
//     yes/no target gives a classifier with the labels false and true);
//   - headers that differ only in case are made unique the DuckDB way:
//     Max.Axis and max.axis become the columns "Max.Axis" and "max.axis_1".
//     A model trained on such a file has the inputs Max.Axis and max.axis_1,
//     which are the names SQL's read_csv gives too, so scoring
//     dense_predict('m', t) FROM 'file.csv' t matches each input to its own
//     column (TestTrainOnCSVScoreInSQL trains on such a file through this
//     reader and checks that SQL's STRUCT form gives Go's predictions);
//   - a header that names a column twice, exactly ("a,y,y"), is an error
//     from Open: DuckDB would rename the twin y_1, and a model would
//     silently train on the target's copy.
//
// Empty fields are NULL. To read a file differently (other types, other
// NULL strings), load it in SQL with read_csv's options and train from the
// query (dense train --query "SELECT * FROM read_csv('x.csv', …)"): the
// model then records that query's types, and scoring should use it too.
package duckio
