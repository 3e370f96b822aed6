package arrowio

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// DefaultBatchSize is the number of rows per batch when Options.BatchSize is
// zero: 64Ki rows of 20 float64 columns is about 10 MiB, large enough to
// amortise per-batch costs, small enough to keep memory modest.
const DefaultBatchSize = 64 * 1024

// Reader is a stream of record batches that all share Schema. Read returns
// io.EOF after the last batch. The caller owns each batch it gets and must
// Release it; batches stay valid after the next Read and after Close. Close
// releases the reader's resources (files, connections) and may be called
// more than once.
type Reader interface {
	Schema() *arrow.Schema
	Read() (arrow.RecordBatch, error)
	Close() error
}

// Options configure a source. The zero value reads every column in batches
// of DefaultBatchSize rows with the default Go allocator.
type Options struct {
	// Columns projects the source to these columns, in this order. For
	// Parquet the other columns are never decoded. Empty means all columns.
	Columns []string
	// BatchSize is the maximum number of rows per batch (default
	// DefaultBatchSize). IPC batches larger than this are sliced.
	BatchSize int
	// Allocator allocates the batches' buffers (default memory.DefaultAllocator).
	Allocator memory.Allocator
}

func (o Options) withDefaults() Options {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	return o
}

// ErrFormat is wrapped when a path's format cannot be told from its name.
var ErrFormat = errors.New("unknown file format")

// Open opens path as a batch stream, choosing the format by extension:
// .parquet and .pq are Parquet, .arrow, .feather and .ipc are Arrow IPC
// files and .arrows is an Arrow IPC stream. A directory means every
// *.parquet / *.pq file in it and a glob pattern (containing *, ? or [)
// every Parquet file it matches, read one after the other in name order;
// they must share a schema.
//
// CSV and JSON are not read here: duckio.Open reads them (and Parquet,
// globs and hive-partitioned folders) through DuckDB's own readers, the one
// type inference that the CLI, the pipeline and SQL share.
func Open(path string, opts Options) (Reader, error) {
	if strings.ContainsAny(path, "*?[") {
		matches, err := filepath.Glob(path)
		if err != nil {
			return nil, fmt.Errorf("arrowio: glob %q: %w", path, err)
		}
		var files []string
		for _, m := range matches {
			if isParquetName(m) {
				files = append(files, m)
			}
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("arrowio: glob %q matches no .parquet files", path)
		}
		return OpenParquet(files, opts)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("arrowio: %w", err)
	}
	if st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("arrowio: %w", err)
		}
		var files []string
		for _, e := range entries {
			if !e.IsDir() && isParquetName(e.Name()) {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("arrowio: directory %q holds no .parquet files", path)
		}
		return OpenParquet(files, opts)
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".parquet", ".pq":
		return OpenParquet([]string{path}, opts)
	case ".csv", ".tsv", ".json", ".jsonl", ".ndjson":
		return nil, fmt.Errorf("arrowio: %q: %w %q: read CSV and JSON with duckio.Open (DuckDB's read_csv and read_json, the type inference SQL uses)", path, ErrFormat, ext)
	case ".arrow", ".feather", ".ipc":
		return OpenIPC(path, opts)
	case ".arrows":
		return OpenIPCStream(path, opts)
	default:
		return nil, fmt.Errorf("arrowio: %q: %w %q (want .parquet, .pq, .arrow, .feather, .ipc or .arrows)", path, ErrFormat, ext)
	}
}

func isParquetName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".parquet" || ext == ".pq"
}

// projection maps the wanted column names to indices in schema, with an
// error listing the columns that exist when one is missing. nil columns
// means all.
func projection(schema *arrow.Schema, columns []string, source string) ([]int, error) {
	if len(columns) == 0 {
		return nil, nil
	}
	idx := make([]int, len(columns))
	for i, name := range columns {
		found := schema.FieldIndices(name)
		if len(found) == 0 {
			return nil, fmt.Errorf("arrowio: %s: %w %q (columns: %s)", source, ErrNoColumn, name, columnList(schema))
		}
		idx[i] = found[0]
	}
	return idx, nil
}

// Errors the readers wrap: a named column that does not exist, a column
// type they cannot read, a list of the wrong length for its declared type.
var (
	ErrNoColumn   = errors.New("no column")
	ErrColumnType = errors.New("column type not supported")
	ErrListLength = errors.New("list length differs from the declared one")
)

func columnList(schema *arrow.Schema) string {
	names := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// projectSchema is schema restricted to idx (nil = all).
func projectSchema(schema *arrow.Schema, idx []int) *arrow.Schema {
	if idx == nil {
		return schema
	}
	fields := make([]arrow.Field, len(idx))
	for i, j := range idx {
		fields[i] = schema.Field(j)
	}
	md := schema.Metadata()
	return arrow.NewSchema(fields, &md)
}

// project returns a new batch holding batch's columns idx with the given
// schema; it does not consume batch.
func project(batch arrow.RecordBatch, schema *arrow.Schema, idx []int) arrow.RecordBatch {
	cols := make([]arrow.Array, len(idx))
	for i, j := range idx {
		cols[i] = batch.Column(j)
	}
	return array.NewRecordBatch(schema, cols, batch.NumRows())
}

// sliceReader splits batches longer than max rows into zero-copy slices.
type sliceReader struct {
	src     Reader
	max     int64
	cur     arrow.RecordBatch
	offset  int64
	project []int
	schema  *arrow.Schema
}

func newSliceReader(src Reader, max int, idx []int) *sliceReader {
	return &sliceReader{src: src, max: int64(max), project: idx, schema: projectSchema(src.Schema(), idx)}
}

func (r *sliceReader) Schema() *arrow.Schema { return r.schema }

func (r *sliceReader) Read() (arrow.RecordBatch, error) {
	for r.cur == nil {
		b, err := r.src.Read()
		if err != nil {
			return nil, err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		if r.project != nil {
			p := project(b, r.schema, r.project)
			b.Release()
			b = p
		}
		if b.NumRows() <= r.max {
			return b, nil
		}
		r.cur, r.offset = b, 0
	}
	end := min(r.offset+r.max, r.cur.NumRows())
	out := r.cur.NewSlice(r.offset, end)
	r.offset = end
	if end == r.cur.NumRows() {
		r.cur.Release()
		r.cur = nil
	}
	return out, nil
}

func (r *sliceReader) Close() error {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	return r.src.Close()
}

// ReadAll reads every batch of r into memory (for tests and small inputs):
// the caller releases each batch. It does not close r.
func ReadAll(r Reader) ([]arrow.RecordBatch, error) {
	var out []arrow.RecordBatch
	for {
		b, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			for _, b := range out {
				b.Release()
			}
			return nil, err
		}
		out = append(out, b)
	}
}

// Copy writes every batch of r to w and returns the number of rows written.
// It closes neither.
func Copy(w Writer, r Reader) (int64, error) {
	var rows int64
	for {
		b, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		err = w.Write(b)
		rows += b.NumRows()
		b.Release()
		if err != nil {
			return rows, err
		}
	}
}
