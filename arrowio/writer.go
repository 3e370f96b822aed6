package arrowio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Writer is a sink of record batches. Write does not take ownership of the
// batch (the caller still releases it). Close finishes the output (footers,
// commits); the data is complete only once Close returned nil.
type Writer interface {
	Write(arrow.RecordBatch) error
	Close() error
}

// WriterOptions configure a file sink.
type WriterOptions struct {
	// Compression: "zstd" (the Parquet default), "snappy", "gzip", "lz4",
	// "none". Parquet honours all of them; Arrow IPC honours "zstd" and
	// "lz4" (default none); CSV ignores it.
	Compression string
	// Allocator for the writers' scratch buffers (default memory.DefaultAllocator).
	Allocator memory.Allocator
	// CSV: the delimiter (default ',', '\t' for .tsv) and NoHeader to
	// leave out the header row. NULL is written as an empty field.
	Delimiter rune
	NoHeader  bool
	// Stream selects the IPC stream format for .arrow/.ipc paths too
	// (.arrows always is a stream).
	Stream bool
}

// Create creates path (truncating it) and returns a sink for batches of
// schema, the format chosen by extension like Open: .parquet/.pq, .csv/.tsv,
// .arrow/.feather/.ipc (IPC file) or .arrows (IPC stream).
func Create(path string, schema *arrow.Schema, opts WriterOptions) (Writer, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".parquet", ".pq", ".csv", ".tsv", ".arrow", ".feather", ".ipc", ".arrows":
	default:
		return nil, fmt.Errorf("arrowio: %q: %w %q (want .parquet, .pq, .csv, .tsv, .arrow, .feather, .ipc or .arrows)", path, ErrFormat, ext)
	}
	if opts.Allocator == nil {
		opts.Allocator = memory.DefaultAllocator
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("arrowio: %w", err)
	}
	var w Writer
	switch ext {
	case ".parquet", ".pq":
		w, err = NewParquetWriter(struct{ io.Writer }{f}, schema, opts) // hide Close: pqarrow would close f
	case ".csv", ".tsv":
		if ext == ".tsv" && opts.Delimiter == 0 {
			opts.Delimiter = '\t'
		}
		w, err = NewCSVWriter(f, schema, opts)
	default:
		opts.Stream = opts.Stream || ext == ".arrows"
		w, err = NewIPCWriter(f, schema, opts)
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return &fileWriter{Writer: w, f: f, path: path}, nil
}

// fileWriter closes the file after the format writer.
type fileWriter struct {
	Writer
	f    *os.File
	path string
}

func (w *fileWriter) Write(b arrow.RecordBatch) error {
	if err := w.Writer.Write(b); err != nil {
		return fmt.Errorf("arrowio: writing %s: %w", w.path, err)
	}
	return nil
}

func (w *fileWriter) Close() error {
	if w.f == nil {
		return nil
	}
	err := w.Writer.Close()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("arrowio: %w", cerr)
	}
	w.f = nil
	return err
}

func parquetCodec(name string) (compress.Compression, error) {
	switch strings.ToLower(name) {
	case "", "zstd":
		return compress.Codecs.Zstd, nil
	case "snappy":
		return compress.Codecs.Snappy, nil
	case "gzip":
		return compress.Codecs.Gzip, nil
	case "lz4", "lz4_raw":
		return compress.Codecs.Lz4Raw, nil
	case "none", "uncompressed":
		return compress.Codecs.Uncompressed, nil
	}
	return 0, fmt.Errorf("arrowio: unknown compression %q (want zstd, snappy, gzip, lz4 or none)", name)
}

// NewParquetWriter writes Parquet to w, one row group per batch (a batch
// over 1Mi rows is split), so memory follows the batch size. The Arrow
// schema is stored in the file so types like float16, large_string or
// dictionaries come back as written. Fixed_size_list columns are written as
// Parquet lists (arrow-go's Parquet writer cannot write a fixed-size list
// with NULL entries) marked in the stored schema, and OpenParquet turns them
// back into fixed-size lists. Closing closes w if it is an io.Closer.
func NewParquetWriter(w io.Writer, schema *arrow.Schema, opts WriterOptions) (Writer, error) {
	if opts.Allocator == nil {
		opts.Allocator = memory.DefaultAllocator
	}
	codec, err := parquetCodec(opts.Compression)
	if err != nil {
		return nil, err
	}
	popts := []parquet.WriterProperty{
		parquet.WithCompression(codec),
		parquet.WithAllocator(opts.Allocator),
		parquet.WithMaxRowGroupLength(1 << 20),
	}
	// Float columns rarely repeat values: trying a dictionary for them (the
	// default) hashes every value before falling back, which made writing
	// measurements three times slower.
	for _, f := range schema.Fields() {
		switch f.Type.ID() {
		case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
			popts = append(popts, parquet.WithDictionaryFor(f.Name, false))
		}
	}
	props := parquet.NewWriterProperties(popts...)
	arrowProps := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(opts.Allocator))
	stored, fsl := listSchema(schema)
	fw, err := pqarrow.NewFileWriter(stored, w, props, arrowProps)
	if err != nil {
		return nil, fmt.Errorf("arrowio: parquet: %w", err)
	}
	return &parquetWriter{fw: fw, schema: schema, stored: stored, fsl: fsl, mem: opts.Allocator}, nil
}

type parquetWriter struct {
	fw     *pqarrow.FileWriter
	schema *arrow.Schema
	stored *arrow.Schema // schema with fixed-size lists turned into lists
	fsl    []int         // the fixed-size list columns
	mem    memory.Allocator
	closed bool
}

// fixedSizeKey is the field metadata that marks a list column written for
// a fixed_size_list, with the size, so that the reader restores the type.
const fixedSizeKey = "arrowio.fixed_size_list"

// listSchema replaces the top-level fixed_size_list fields by lists marked
// with fixedSizeKey.
func listSchema(schema *arrow.Schema) (*arrow.Schema, []int) {
	var fsl []int
	fields := schema.Fields()
	for i, f := range fields {
		if t, ok := f.Type.(*arrow.FixedSizeListType); ok {
			fields[i].Type = arrow.ListOfField(t.ElemField())
			keys := append(f.Metadata.Keys(), fixedSizeKey)
			vals := append(f.Metadata.Values(), strconv.Itoa(int(t.Len())))
			fields[i].Metadata = arrow.NewMetadata(keys, vals)
			fsl = append(fsl, i)
		}
	}
	if fsl == nil {
		return schema, nil
	}
	md := schema.Metadata()
	return arrow.NewSchema(fields, &md), fsl
}

// fixedToList converts a fixed-size list array to a list array. Without
// NULL entries it shares the child; with them the child is compacted so
// that NULL entries have no elements, as the Parquet writer requires.
func fixedToList(a *array.FixedSizeList, typ arrow.DataType, mem memory.Allocator) (arrow.Array, error) {
	n := int32(a.DataType().(*arrow.FixedSizeListType).Len())
	rows := a.Len()
	offsets := make([]int32, rows+1)
	child := a.ListValues()
	var values arrow.Array
	if a.NullN() == 0 {
		start, _ := a.ValueOffsets(0)
		for i := range offsets {
			offsets[i] = int32(start) + int32(i)*n
		}
		values = child
		values.Retain()
	} else {
		var runs []arrow.Array
		defer func() {
			for _, r := range runs {
				r.Release()
			}
		}()
		var total int32
		for i := 0; i < rows; {
			offsets[i] = total
			if a.IsNull(i) {
				i++
				offsets[i] = total
				continue
			}
			j := i
			for j < rows && a.IsValid(j) {
				j++
				offsets[j] = total + int32(j-i)*n
			}
			s, _ := a.ValueOffsets(i)
			_, e := a.ValueOffsets(j - 1)
			runs = append(runs, array.NewSlice(child, s, e))
			total += int32(j-i) * n
			i = j
		}
		if len(runs) == 0 {
			values = array.MakeArrayOfNull(mem, child.DataType(), 0)
		} else {
			var err error
			if values, err = array.Concatenate(runs, mem); err != nil {
				return nil, err
			}
		}
	}
	defer values.Release()
	offBuf := memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offsets))
	var validity *memory.Buffer
	if a.NullN() > 0 {
		bits := make([]byte, bitutil.BytesForBits(int64(rows)))
		for i := 0; i < rows; i++ {
			if a.IsValid(i) {
				bitutil.SetBit(bits, i)
			}
		}
		validity = memory.NewBufferBytes(bits)
	}
	data := array.NewData(typ, rows, []*memory.Buffer{validity, offBuf}, []arrow.ArrayData{values.Data()}, a.NullN(), 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

func (w *parquetWriter) Write(b arrow.RecordBatch) error {
	if w.closed {
		return errors.New("arrowio: write after Close")
	}
	if !b.Schema().Equal(w.schema) {
		return fmt.Errorf("arrowio: batch schema differs from the writer's:\n%s\nwant:\n%s", b.Schema(), w.schema)
	}
	if b.NumRows() == 0 {
		return nil
	}
	if w.fsl == nil {
		return w.fw.Write(b)
	}
	cols := append([]arrow.Array(nil), b.Columns()...)
	for _, i := range w.fsl {
		l, err := fixedToList(cols[i].(*array.FixedSizeList), w.stored.Field(i).Type, w.mem)
		if err != nil {
			return err
		}
		defer l.Release()
		cols[i] = l
	}
	conv := array.NewRecordBatch(w.stored, cols, b.NumRows())
	defer conv.Release()
	return w.fw.Write(conv)
}

func (w *parquetWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	return w.fw.Close()
}

// NewCSVWriter writes CSV with a header row to w. Closing flushes but does
// not close w.
func NewCSVWriter(w io.Writer, schema *arrow.Schema, opts WriterOptions) (Writer, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	copts := []csv.Option{csv.WithHeader(!opts.NoHeader), csv.WithNullWriter("")}
	if opts.Delimiter != 0 {
		copts = append(copts, csv.WithComma(opts.Delimiter))
	}
	mem := opts.Allocator
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	// Lists are written as text in DuckDB's (and JSON's) form, [0.93,0.06],
	// which DuckDB casts back to FLOAT[]; arrow's CSV writer would write
	// {0.93,0.06}, which nothing reads back.
	stored := schema
	var lists []int
	fields := schema.Fields()
	for i, f := range fields {
		if isListType(f.Type) {
			lists = append(lists, i)
			fields[i].Type = arrow.BinaryTypes.String
		}
	}
	if len(lists) > 0 {
		md := schema.Metadata()
		stored = arrow.NewSchema(fields, &md)
	}
	return &csvWriter{w: csv.NewWriter(bw, stored, copts...), bw: bw, schema: schema, stored: stored, lists: lists,
		header: !opts.NoHeader, mem: mem}, nil
}

type csvWriter struct {
	w      *csv.Writer
	bw     *bufio.Writer
	schema *arrow.Schema // of the batches written
	stored *arrow.Schema // of the CSV writer: lists become strings
	lists  []int         // the list columns
	header bool
	wrote  bool
	mem    memory.Allocator
	closed bool
}

func isListType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST, arrow.LIST_VIEW, arrow.LARGE_LIST_VIEW:
		return true
	}
	return false
}

// listsAsText replaces the list columns of b by their text.
func (w *csvWriter) listsAsText(b arrow.RecordBatch) arrow.RecordBatch {
	cols := append([]arrow.Array{}, b.Columns()...)
	var made []arrow.Array
	for _, i := range w.lists {
		sb := array.NewStringBuilder(w.mem)
		a := cols[i]
		var text strings.Builder
		for r := 0; r < a.Len(); r++ {
			if a.IsNull(r) {
				sb.AppendNull()
				continue
			}
			text.Reset()
			writeListValue(&text, a, r)
			sb.Append(text.String())
		}
		cols[i] = sb.NewArray()
		sb.Release()
		made = append(made, cols[i])
	}
	out := array.NewRecordBatch(w.stored, cols, b.NumRows())
	for _, a := range made {
		a.Release()
	}
	return out
}

// writeListValue writes element r of a as DuckDB's text form of a value:
// lists as [a,b], NULL as NULL, strings quoted with ' when they hold a
// character of the list syntax.
func writeListValue(b *strings.Builder, a arrow.Array, r int) {
	if a.IsNull(r) {
		b.WriteString("NULL")
		return
	}
	var child arrow.Array
	var start, end int64
	switch l := a.(type) {
	case array.ListLike:
		child = l.ListValues()
		start, end = l.ValueOffsets(r)
	default:
		s := a.ValueStr(r)
		if _, isString := a.(array.StringLike); isString && (s == "" || s == "NULL" || strings.ContainsAny(s, ",[]{}'\"\\ ")) {
			s = "'" + strings.NewReplacer("\\", "\\\\", "'", "\\'").Replace(s) + "'"
		}
		b.WriteString(s)
		return
	}
	b.WriteByte('[')
	for j := start; j < end; j++ {
		if j > start {
			b.WriteByte(',')
		}
		writeListValue(b, child, int(j))
	}
	b.WriteByte(']')
}

func (w *csvWriter) Write(b arrow.RecordBatch) error {
	if w.closed {
		return errors.New("arrowio: write after Close")
	}
	if !b.Schema().Equal(w.schema) {
		return fmt.Errorf("arrowio: batch schema differs from the writer's:\n%s\nwant:\n%s", b.Schema(), w.schema)
	}
	if len(w.lists) > 0 {
		b = w.listsAsText(b)
		defer b.Release()
	}
	if err := w.w.Write(b); err != nil {
		return fmt.Errorf("arrowio: csv: %w", err)
	}
	w.wrote = true
	return nil
}

func (w *csvWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	// arrow's CSV writer writes the header with the first batch; give an
	// empty stream its header with an empty batch.
	if w.header && !w.wrote {
		cols := make([]arrow.Array, w.stored.NumFields())
		for i, f := range w.stored.Fields() {
			cols[i] = array.MakeArrayOfNull(w.mem, f.Type, 0)
		}
		empty := array.NewRecordBatch(w.stored, cols, 0)
		for _, c := range cols {
			c.Release()
		}
		err := w.w.Write(empty)
		empty.Release()
		if err != nil {
			return fmt.Errorf("arrowio: csv: %w", err)
		}
	}
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("arrowio: csv: %w", err)
	}
	return w.bw.Flush()
}

// NewIPCWriter writes the Arrow IPC file format (or the stream format with
// opts.Stream) to w. Closing writes the footer but does not close w.
func NewIPCWriter(w io.Writer, schema *arrow.Schema, opts WriterOptions) (Writer, error) {
	if opts.Allocator == nil {
		opts.Allocator = memory.DefaultAllocator
	}
	iopts := []ipc.Option{ipc.WithSchema(schema), ipc.WithAllocator(opts.Allocator)}
	switch strings.ToLower(opts.Compression) {
	case "", "none", "uncompressed":
	case "zstd":
		iopts = append(iopts, ipc.WithZstd())
	case "lz4":
		iopts = append(iopts, ipc.WithLZ4())
	default:
		return nil, fmt.Errorf("arrowio: Arrow IPC supports zstd and lz4 compression, not %q", opts.Compression)
	}
	if opts.Stream {
		return &ipcWriter{w: ipc.NewWriter(w, iopts...), schema: schema}, nil
	}
	fw, err := ipc.NewFileWriter(w, iopts...)
	if err != nil {
		return nil, fmt.Errorf("arrowio: ipc: %w", err)
	}
	return &ipcWriter{w: fw, schema: schema}, nil
}

type ipcWriter struct {
	w interface {
		Write(arrow.RecordBatch) error
		Close() error
	}
	schema *arrow.Schema
	closed bool
}

func (w *ipcWriter) Write(b arrow.RecordBatch) error {
	if w.closed {
		return errors.New("arrowio: write after Close")
	}
	if !b.Schema().Equal(w.schema) {
		return fmt.Errorf("arrowio: batch schema differs from the writer's:\n%s\nwant:\n%s", b.Schema(), w.schema)
	}
	if err := w.w.Write(b); err != nil {
		return fmt.Errorf("arrowio: ipc: %w", err)
	}
	return nil
}

func (w *ipcWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	return w.w.Close()
}
