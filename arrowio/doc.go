// Package arrowio moves data between the outside world and the network as
// Arrow record batches: sources (Parquet, CSV, Arrow IPC, DuckDB queries),
// sinks (Parquet, CSV, Arrow IPC, DuckDB tables), the conversion of batches
// into a model's float32 feature matrix, and the conversion of predictions
// back into Arrow columns.
//
// # Streams
//
// Every source is a Reader: Schema, then Read until it returns io.EOF, then
// Close. Every sink is a Writer: Write batch after batch, then Close, which
// finishes the output (Parquet and IPC footers, the DuckDB commit); output
// is complete only when Close returned nil.
//
//	r, err := arrowio.Open("customers.parquet", arrowio.Options{Columns: []string{"age", "plan"}})
//	if err != nil { … }
//	defer r.Close()
//	for {
//		batch, err := r.Read()
//		if err == io.EOF { break }
//		if err != nil { … }
//		x, err = featurizer.Encode(batch, x)
//		batch.Release()
//		…
//	}
//
// Memory follows the batch size, not the input size: nothing reads a whole
// file. Parquet decodes only the projected columns, one batch at a time, with
// buffered column streams (1 MiB per column) instead of whole column chunks;
// CSV parses batch by batch; IPC files are read one stored batch at a time;
// a DuckDB query is fetched chunk by chunk. A test reads a 400k-row file in
// 4k-row batches and checks that the allocator's live bytes stay flat.
//
// # Ownership
//
// A batch returned by Read belongs to the caller, who must Release it; it
// stays valid after the next Read and after Close. Writer.Write does not
// take ownership. AppendPredictions returns a new batch sharing the input's
// columns: release both. Strings read from a batch (CategoryGetter) alias
// its memory; Target.Strings are copies. Options.Allocator and
// WriterOptions.Allocator choose where buffers come from: the tests run
// everything under memory.NewCheckedAllocator and assert that nothing leaks.
//
// # Sources
//
// Open chooses by extension: .parquet/.pq (Parquet), .csv/.tsv (CSV),
// .arrow/.feather/.ipc (IPC file), .arrows (IPC stream). A directory or a
// glob means every Parquet file in it, in name order, as one stream; the
// files must share a schema. Options.BatchSize (default DefaultBatchSize =
// 64Ki rows) bounds the rows per batch; IPC batches that are larger are
// sliced without copying.
//
// CSV needs a header row. Without Options.Schema, column types are inferred
// from the first Options.InferRows (default 1000) data rows: int64 if every
// non-NULL value is an integer, else float64 if every one is a number, else
// bool if every one is true/false (any case), else string; a column NULL in
// every sampled row is a string column. Empty fields, and fields equal to
// one of Options.NullValues (say "NA"), are NULL. A later value that
// does not fit the inferred (or explicit) type stops the stream with an error
// naming file, line, column, value and type, wrapping ErrCSVValue; the fix
// is an explicit Options.Schema or a larger InferRows. Options.Delimiter
// sets the separator (.tsv defaults to a tab).
//
// QueryDuckDB runs SQL on a *sql.DB opened with the "duckdb" driver and
// streams the result in batches of the requested size; OpenDuckDBQuery does
// the same on a database file (opened read-only), for a --db FILE flag.
//
// # Sinks
//
// Create chooses by extension like Open. Parquet is zstd-compressed by
// default (WriterOptions.Compression: zstd, snappy, gzip, lz4, none), one row
// group per batch, with the Arrow schema stored so that types come back as
// written. Parquet has no fixed-size list, and arrow-go's writer cannot write
// a fixed_size_list with NULL entries (a NULL probability vector, for one),
// so such columns are written as lists marked in the stored schema, and
// OpenParquet makes them fixed-size lists again; other readers (DuckDB,
// pandas) see a list. CSV writes a header and NULL as an empty field. IPC writes the file format (or the stream
// format for .arrows), optionally zstd or lz4 compressed.
//
// NewDuckDBWriter writes a DuckDB table in mode TableCreate (fail if it
// exists), TableReplace or TableAppend (insert by column name; create the
// table if missing). All batches go in one transaction on one connection,
// committed by Close, so readers never see half a table and a failed write
// leaves the database as it was. The table is created from the first
// batch's schema, or from the one given to SetSchema when no batch came.
//
// # The duckdb_arrow build tag
//
// duckdb-go's Arrow interface (duckdb.NewArrowFromConn) only exists when
// building with -tags duckdb_arrow. With the tag, queries stream through it
// (DuckDB's 2048-row chunks are regrouped into batches of the requested size)
// and table writes register each batch as an Arrow view read by INSERT …
// SELECT. Without the tag, which is what `go test ./...` and `go run` use,
// this package does not import the DuckDB driver at all, so programs and
// test binaries that do not touch DuckDB do not pay for linking it: queries
// go through database/sql and NewRowsReader (typed by the DuckDB column
// types, see below), and table writes go through a temporary uncompressed
// Parquet file per batch read with read_parquet. The two paths give the same
// Arrow types for the types in the table below and are tested alike:
//
//	go test ./arrowio/...
//	go test -tags duckdb_arrow ./arrowio/...
//
// The DuckDB tests live in arrowio/duckdbtest so that the rest of arrowio's
// tests link without DuckDB. A program calling OpenDuckDBQuery must link the
// driver (import _ "github.com/duckdb/duckdb-go/v2"); anything that uses the
// udf package already does.
//
// DuckDB types without the tag: BOOLEAN → bool; TINYINT…BIGINT → int8…int64;
// UTINYINT…UBIGINT → uint8…uint64; FLOAT, DOUBLE → float32, float64;
// DECIMAL(p,s) → decimal128(p,s); HUGEINT → decimal128(38,0); VARCHAR, ENUM,
// JSON, UUID → string (with the tag ENUM is a dictionary); BLOB → binary; DATE
// → date32; TIME → time64[us]; TIMESTAMP[_S|_MS|_NS] → timestamp[us|s|ms|ns];
// TIMESTAMPTZ → timestamp[us, UTC]; T[] → list<T>; T[n] → fixed_size_list<T>[n].
// STRUCT, MAP, UNION, INTERVAL and the rest are refused with an error naming
// the column (cast them in SQL, or build with the tag).
//
// # Features
//
// NewFeaturizer binds a model's ordered inputs (nn.Input, with their fitted
// preprocessing) to the columns of a schema by name; Encode turns a batch into
// a rows×Width row-major []float32, reusing the destination's memory. The
// preprocessing is applied by nn.Encoder (Number, Category, Vector), the same
// code the SQL functions use, so Go and SQL scoring do the same arithmetic.
//
//	input kind    column types                                   encoding
//	numeric       int8…int64, uint8…uint64, float16/32/64,       Encoder.Number on the value as float64
//	              decimal32/64/128/256 (value / 10^scale),       (NULL and NaN are missing)
//	              bool (0/1)
//	vector        fixed_size_list or list (or large_list) of     Encoder.Vector on the elements; the
//	              any numeric type above                         length must equal Input.Length
//	categorical   string, large_string, string_view,             Encoder.Category on the text
//	              dictionaries of those; integers and bools
//	              (by their decimal / "true"/"false" text)
//
// Float columns cannot be categorical: their text form is too fragile to be
// a category (fit them as numeric, or cast them to an integer or string).
// Passthrough inputs (no imputation, clipping, log1p or scaling) whose
// column has no NULLs are copied straight from the column's value slice
// (arr.Float32Values() for float32), checked for finiteness, without a call
// per value. The batch is processed in tiles of rows that fit in cache.
//
// # Errors
//
// Every error starts with "arrowio: " and wraps a sentinel for errors.Is:
// a missing column (ErrNoColumn; the message lists the columns there are), a
// type that cannot feed an input (ErrColumnType, naming column and type), a
// list of the wrong length (ErrListLength: row, expected, got; a fixed-size
// list of the wrong size is refused by NewFeaturizer), a batch of another
// schema (ErrSchema). Row-level problems are a *RowError with the column and
// the 0-based row within the batch, wrapping nn.ErrMissing (a NULL or NaN
// with no imputation), nn.ErrNotFinite (±Inf), nn.ErrUnknownCategory,
// nn.ErrDomain (log1p) or ErrFloat32Range (a value that overflows float32).
// Encode stops at the first; EncodeMasked encodes every row it can and
// returns a validity mask, which AppendPredictions turns into NULL
// predictions.
//
// # Predictions
//
// AppendPredictions appends, under the names the caller picks (an empty name
// leaves the column out): a float64 score (the value for regression, P of
// Labels[1] for binary, the probability of the predicted label for
// multiclass), a string label for classifiers (binary: Labels[1] when P ≥
// 0.5; multiclass: the argmax), and the probabilities as
// fixed_size_list<float32> in Labels order (binary: [1-p, p]; regression:
// the output vector). A model without Labels gets "0", "1", … (see Labels).
//
// # Performance
//
// Measured on the project's 2-core AMD EPYC machine while other jobs were
// running (best of three; go test -bench . ./arrowio/ ./arrowio/duckdbtest/):
//
//	1M rows × 20 columns, Parquet (zstd, random normals) → feature batches
//	  float64, passthrough inputs          ≈ 4.9M rows/s  (0.20 s)
//	  float64, standard-scaled inputs      ≈ 2.6M rows/s  (0.39 s)
//	  float32, passthrough inputs          ≈ 2.4M rows/s  (zstd decodes float32 noise slower)
//	Encode alone, 64Ki rows × 20 columns
//	  float32 / float64 passthrough        ≈ 47M / 22M rows/s
//	  float64 scaled (nn.Encoder.Number)   ≈ 5.5M rows/s
//	writing 1M × 20 float64 to Parquet     ≈ 0.6M rows/s (with generating the data)
//	DuckDB query (1M rows × 20 DOUBLE expressions) → Arrow → features
//	  without the tag (database/sql)       ≈ 0.8M rows/s
//	  with -tags duckdb_arrow              ≈ 1.6M rows/s
//
// TargetColumn reads a training target: float64 values for numeric and bool
// columns, strings for text columns; a NULL or NaN target is an error naming
// the row.
package arrowio
