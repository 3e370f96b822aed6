package dense

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local" // local paths
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	register.DoFn3x1[context.Context, fileio.FileMetadata, func(RowGroup), error](&splitFn{})
	register.DoFn3x1[context.Context, RowGroup, func(Batch), error](&readFn{})
	register.Emitter1[RowGroup]()
	register.Emitter1[Batch]()
}

// DefaultBatchRows is the number of rows of one forward pass.
const DefaultBatchRows = 2048

// DefaultReadRows is the number of rows per Batch that ReadParquet reads:
// large, so that the per-element costs of a runner (bookkeeping, progress
// reports, one Parquet row group written per Batch) are spread over many
// rows; Score cuts a Batch into forward passes of DefaultBatchRows.
const DefaultReadRows = 65536

// RowGroup is a unit of reading work: one row group of a Parquet file, or
// the whole file (Index -1) on a filesystem without random access.
type RowGroup struct {
	Path     string
	Index    int   // row group, or -1: every row group of the file
	FirstRow int64 // the file's row the group starts at
}

// ReadParquet reads the Parquet files that pattern matches (a glob such as
// "data/*.parquet" or "gs://bucket/day=*/part-*.parquet", or a folder, which
// means every *.parquet file in it) on any of Beam's filesystems, into
// Batches of up to batchRows rows (0: DefaultReadRows).
//
// The files are split into row groups, shuffled across workers and read
// with arrow-go's pqarrow: every column, in the file's types. On local
// files a row group is read in place; on filesystems that only stream
// (gs://, s3://) a worker reads the whole file and all its row groups, so
// there the unit of parallelism is the file.
func ReadParquet(s beam.Scope, pattern string, batchRows int) beam.PCollection {
	s = s.Scope("dense.ReadParquet")
	if batchRows <= 0 {
		batchRows = DefaultReadRows
	}
	files := fileio.MatchFiles(s, Glob(pattern), fileio.MatchEmptyDisallow())
	groups := beam.ParDo(s, &splitFn{}, files)
	return beam.ParDo(s, &readFn{BatchRows: batchRows}, beam.Reshuffle(s, groups))
}

// Glob turns a folder into the glob of its Parquet files; a pattern with a
// wildcard, or a file name, is returned as it is.
func Glob(pattern string) string {
	if strings.ContainsAny(pattern, "*?[") || strings.HasSuffix(pattern, ".parquet") {
		return pattern
	}
	return strings.TrimSuffix(pattern, "/") + "/*.parquet"
}

// openParquet opens path for reading: in place when the filesystem gives
// random access (a local file), else read into memory.
func openParquet(ctx context.Context, p string) (parquet.ReaderAtSeeker, io.Closer, error) {
	fs, err := filesystem.New(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	defer fs.Close()
	rc, err := fs.OpenRead(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	if ras, ok := rc.(parquet.ReaderAtSeeker); ok {
		return ras, rc, nil
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, nil, err
	}
	return bytes.NewReader(data), io.NopCloser(nil), nil
}

// splitFn turns a matched file into its row groups.
type splitFn struct{}

func (*splitFn) ProcessElement(ctx context.Context, f fileio.FileMetadata, emit func(RowGroup)) error {
	fs, err := filesystem.New(ctx, f.Path)
	if err != nil {
		return fmt.Errorf("dense: %s: %w", f.Path, err)
	}
	rc, err := fs.OpenRead(ctx, f.Path)
	fs.Close()
	if err != nil {
		return fmt.Errorf("dense: %s: %w", f.Path, err)
	}
	defer rc.Close()
	ras, ok := rc.(parquet.ReaderAtSeeker)
	if !ok {
		emit(RowGroup{Path: f.Path, Index: -1})
		return nil
	}
	pf, err := file.NewParquetReader(ras)
	if err != nil {
		return fmt.Errorf("dense: %s is not a Parquet file: %w", f.Path, err)
	}
	defer pf.Close()
	var first int64
	for i := range pf.NumRowGroups() {
		emit(RowGroup{Path: f.Path, Index: i, FirstRow: first})
		first += pf.MetaData().RowGroup(i).NumRows()
	}
	return nil
}

// readFn reads a row group into Batches.
type readFn struct {
	BatchRows int `json:"batch_rows"`
}

func (fn *readFn) ProcessElement(ctx context.Context, g RowGroup, emit func(Batch)) error {
	src, closer, err := openParquet(ctx, g.Path)
	if err != nil {
		return fmt.Errorf("dense: %s: %w", g.Path, err)
	}
	defer closer.Close()
	props := parquet.NewReaderProperties(memory.DefaultAllocator)
	props.BufferedStreamEnabled = true
	props.BufferSize = 1 << 20
	pf, err := file.NewParquetReader(src, file.WithReadProps(props))
	if err != nil {
		return fmt.Errorf("dense: %s is not a Parquet file: %w", g.Path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(fn.BatchRows)}, memory.DefaultAllocator)
	if err != nil {
		return fmt.Errorf("dense: %s: %w", g.Path, err)
	}
	var groups []int
	if g.Index >= 0 {
		groups = []int{g.Index}
	}
	rr, err := fr.GetRecordReader(ctx, nil, groups)
	if err != nil {
		return fmt.Errorf("dense: %s row group %d: %w", g.Path, g.Index, err)
	}
	defer rr.Release()
	row := g.FirstRow
	for {
		rec, err := rr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("dense: %s row group %d: %w", g.Path, g.Index, err)
		}
		if rec.NumRows() == 0 {
			continue
		}
		rec.Retain() // the reader releases it on the next Read
		emit(Batch{Record: rec, Source: g.Path, Row: row})
		row += rec.NumRows()
	}
}
