package arrowio

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// parquetStreamBuffer is the read buffer per column when streaming a
// column chunk; without buffered streams the Parquet reader loads whole
// column chunks, so memory would follow the row-group size.
const parquetStreamBuffer = 1 << 20

// OpenParquet reads the Parquet files one after the other as one stream.
// Every file must have the first file's schema (after projection). Only the
// projected columns are decoded.
func OpenParquet(files []string, opts Options) (Reader, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("arrowio: no Parquet files")
	}
	opts = opts.withDefaults()
	r := &parquetReader{files: files, opts: opts}
	if err := r.openFile(0); err != nil {
		return nil, err
	}
	r.schema = r.outSch
	return r, nil
}

type parquetReader struct {
	files  []string
	opts   Options
	schema *arrow.Schema
	next   int // index of the next file to open

	f      *os.File
	pf     *file.Reader
	cur    pqarrow.RecordReader
	order  []int // cur's columns in the requested order
	outSch *arrow.Schema
	fixed  []int // output columns to turn back into fixed-size lists
}

func (r *parquetReader) openFile(i int) error {
	path := r.files[i]
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("arrowio: %w", err)
	}
	props := parquet.NewReaderProperties(r.opts.Allocator)
	props.BufferedStreamEnabled = true
	props.BufferSize = parquetStreamBuffer
	pf, err := file.NewParquetReader(f, file.WithReadProps(props))
	if err != nil {
		f.Close()
		return fmt.Errorf("arrowio: %s: %w", path, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(r.opts.BatchSize)}, r.opts.Allocator)
	if err != nil {
		pf.Close()
		return fmt.Errorf("arrowio: %s: %w", path, err)
	}
	full, err := fr.Schema()
	if err != nil {
		pf.Close()
		return fmt.Errorf("arrowio: %s: %w", path, err)
	}
	fieldIdx, err := projection(full, r.opts.Columns, path)
	if err != nil {
		pf.Close()
		return err
	}
	var leaves []int
	if fieldIdx != nil {
		for _, fi := range fieldIdx {
			leaves = appendLeaves(leaves, fr.Manifest.Fields[fi])
		}
	}
	rr, err := fr.GetRecordReader(context.Background(), leaves, nil)
	if err != nil {
		pf.Close()
		return fmt.Errorf("arrowio: %s: %w", path, err)
	}
	// The record reader returns the fields in file order; put them in the
	// order asked for.
	got := rr.Schema()
	order := make([]int, got.NumFields())
	for i := range order {
		order[i] = i
	}
	if fieldIdx != nil {
		order = order[:len(r.opts.Columns)]
		for i, name := range r.opts.Columns {
			order[i] = got.FieldIndices(name)[0]
		}
	}
	outSch, fixed := restoreFixed(stripFieldIDs(projectSchema(got, order)))
	if r.schema != nil && !r.schema.Equal(outSch) {
		rr.Release()
		pf.Close()
		return fmt.Errorf("arrowio: %s: schema differs from %s's:\n%s\nwant:\n%s", path, r.files[0], outSch, r.schema)
	}
	r.f, r.pf, r.cur, r.order, r.outSch, r.fixed, r.next = f, pf, rr, order, outSch, fixed, i+1
	return nil
}

// restoreFixed gives the list fields that NewParquetWriter wrote for
// fixed-size lists their type back.
func restoreFixed(s *arrow.Schema) (*arrow.Schema, []int) {
	var fixed []int
	fields := s.Fields()
	for i, f := range fields {
		k := f.Metadata.FindKey(fixedSizeKey)
		lt, ok := f.Type.(*arrow.ListType)
		if k < 0 || !ok {
			continue
		}
		n, err := strconv.Atoi(f.Metadata.Values()[k])
		if err != nil || n <= 0 {
			continue
		}
		var keys, vals []string
		for j, key := range f.Metadata.Keys() {
			if key != fixedSizeKey {
				keys = append(keys, key)
				vals = append(vals, f.Metadata.Values()[j])
			}
		}
		elem := lt.ElemField()
		elem.Name = "item"
		fields[i].Type = arrow.FixedSizeListOfField(int32(n), elem)
		fields[i].Metadata = arrow.NewMetadata(keys, vals)
		fixed = append(fixed, i)
	}
	if fixed == nil {
		return s, nil
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md), fixed
}

func (r *parquetReader) restore(b arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, len(r.order))
	for i, j := range r.order {
		cols[i] = b.Column(j)
	}
	for _, i := range r.fixed {
		f, err := listToFixed(cols[i].(*array.List), r.schema.Field(i).Type.(*arrow.FixedSizeListType), r.opts.Allocator)
		if err != nil {
			return nil, fmt.Errorf("arrowio: %s column %q: %w", r.files[r.next-1], r.schema.Field(i).Name, err)
		}
		defer f.Release()
		cols[i] = f
	}
	return array.NewRecordBatch(r.schema, cols, b.NumRows()), nil
}

// listToFixed converts a list array whose entries all have typ's length
// (NULL entries: none) into a fixed-size list array. Without NULLs it shares
// the child.
func listToFixed(a *array.List, typ *arrow.FixedSizeListType, mem memory.Allocator) (arrow.Array, error) {
	rows := a.Len()
	n := int64(typ.Len())
	child := a.ListValues()
	var pieces []arrow.Array
	defer func() {
		for _, p := range pieces {
			p.Release()
		}
	}()
	var bits []byte
	if a.NullN() > 0 {
		bits = make([]byte, bitutil.BytesForBits(int64(rows)))
	}
	runStart, runEnd := int64(-1), int64(-1) // the current run of child elements
	flush := func() {
		if runStart >= 0 && runEnd > runStart {
			pieces = append(pieces, array.NewSlice(child, runStart, runEnd))
		}
		runStart, runEnd = -1, -1
	}
	for i := 0; i < rows; i++ {
		if a.IsNull(i) {
			flush()
			pieces = append(pieces, array.MakeArrayOfNull(mem, typ.Elem(), int(n)))
			continue
		}
		if bits != nil {
			bitutil.SetBit(bits, i)
		}
		s, e := a.ValueOffsets(i)
		if e-s != n {
			return nil, fmt.Errorf("%w: row %d: expected %d elements, got %d", ErrListLength, i, n, e-s)
		}
		if s != runEnd {
			flush()
			runStart = s
		}
		runEnd = e
	}
	flush()
	var values arrow.Array
	switch len(pieces) {
	case 0:
		values = array.MakeArrayOfNull(mem, typ.Elem(), 0)
	case 1:
		values = pieces[0]
		values.Retain()
	default:
		var err error
		if values, err = array.Concatenate(pieces, mem); err != nil {
			return nil, err
		}
	}
	defer values.Release()
	var validity *memory.Buffer
	if bits != nil {
		validity = memory.NewBufferBytes(bits)
	}
	data := array.NewData(typ, rows, []*memory.Buffer{validity}, []arrow.ArrayData{values.Data()}, a.NullN(), 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

// stripFieldIDs drops the "PARQUET:field_id" field metadata the reader
// adds, so that a schema read back equals the one written.
func stripFieldIDs(s *arrow.Schema) *arrow.Schema {
	fields := s.Fields()
	for i, f := range fields {
		if f.Metadata.FindKey("PARQUET:field_id") < 0 {
			continue
		}
		var keys, vals []string
		for j, k := range f.Metadata.Keys() {
			if k != "PARQUET:field_id" {
				keys = append(keys, k)
				vals = append(vals, f.Metadata.Values()[j])
			}
		}
		fields[i].Metadata = arrow.NewMetadata(keys, vals)
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md)
}

func appendLeaves(dst []int, f pqarrow.SchemaField) []int {
	if f.IsLeaf() {
		return append(dst, f.ColIndex)
	}
	for _, c := range f.Children {
		dst = appendLeaves(dst, c)
	}
	return dst
}

func (r *parquetReader) Schema() *arrow.Schema { return r.schema }

func (r *parquetReader) Read() (arrow.RecordBatch, error) {
	for {
		if r.cur == nil {
			return nil, io.EOF
		}
		b, err := r.cur.Read()
		if err == nil && b != nil && b.NumRows() > 0 {
			// A new batch (the record reader releases b on the next Read)
			// in the requested order, with the schema without field ids.
			if r.fixed == nil {
				return project(b, r.schema, r.order), nil
			}
			return r.restore(b)
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("arrowio: %s: %w", r.files[r.next-1], err)
		}
		if err == nil {
			continue // an empty batch
		}
		r.closeFile()
		if r.next == len(r.files) {
			return nil, io.EOF
		}
		if err := r.openFile(r.next); err != nil {
			return nil, err
		}
	}
}

func (r *parquetReader) closeFile() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.pf != nil {
		r.pf.Close() // closes r.f too
		r.pf, r.f = nil, nil
	}
}

func (r *parquetReader) Close() error {
	r.closeFile()
	r.next = len(r.files)
	return nil
}
