// Package arrowio moves data between files and the program as Arrow record
// batches: sources (Parquet, Arrow IPC) and sinks (Parquet, CSV, Arrow IPC).
// It is pure I/O: DuckDB and CSV reading are package duckio's, the
// conversion of batches into a model's feature matrix and of predictions
// back into columns is package tabular's.
//
// # Streams
//
// Every source is a Reader: Schema, then Read until it returns io.EOF, then
// Close. Every sink is a Writer: Write batch after batch, then Close, which
// finishes the output (Parquet and IPC footers, flushing CSV); output
// is complete only when Close returned nil.
//
//	r, err := arrowio.Open("customers.parquet", arrowio.Options{Columns: []string{"age", "plan"}})
//	if err != nil { … }
//	defer r.Close()
//	for {
//		batch, err := r.Read()
//		if err == io.EOF { break }
//		if err != nil { … }
//		… use batch …
//		batch.Release()
//		…
//	}
//
// Memory follows the batch size, not the input size: nothing reads a whole
// file. Parquet decodes only the projected columns, one batch at a time, with
// buffered column streams (1 MiB per column) instead of whole column chunks;
// IPC files are read one stored batch at a time. A test reads a 400k-row file in
// 4k-row batches and checks that the allocator's live bytes stay flat.
//
// # Ownership
//
// A batch returned by Read belongs to the caller, who must Release it; it
// stays valid after the next Read and after Close. Writer.Write does not
// take ownership. Options.Allocator and
// WriterOptions.Allocator choose where buffers come from: the tests run
// everything under memory.NewCheckedAllocator and assert that nothing leaks.
//
// # Sources
//
// Open chooses by extension: .parquet/.pq (Parquet), .arrow/.feather/.ipc
// (IPC file), .arrows (IPC stream). A directory or a glob means every
// Parquet file in it, in name order, as one stream; the files must share a
// schema. Options.BatchSize (default DefaultBatchSize = 64Ki rows) bounds
// the rows per batch; IPC batches that are larger are sliced without
// copying.
//
// This package reads no CSV or JSON and links no DuckDB. Package duckio
// reads CSV, JSON lines, Parquet globs and hive-partitioned folders through
// DuckDB's own readers (the one type inference that the CLI, the pipeline
// and SQL share), DuckDB queries into batches and batches into DuckDB
// tables.
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
// # Performance
//
// Throughput figures, with the command that measures them and their date,
// are in bench/README.md.
package arrowio
