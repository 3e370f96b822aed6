package arrowio

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// ErrCSVValue is wrapped when a CSV field does not parse as its column's type.
var ErrCSVValue = errors.New("value does not fit the column type")

// OpenCSV reads a CSV file with a header row. Without Options.Schema the
// column types are inferred from the first Options.InferRows data rows:
// int64 if every non-NULL value is an integer, else float64 if every one is
// a number, else bool if every one is true/false (any case), else string. A
// column that is NULL in every sampled row is a string column. A later row
// whose value does not fit the inferred type stops the stream with an error
// naming the file, line, column and value (wrapping ErrCSVValue); pass an
// explicit Schema or a larger InferRows then. An explicit schema must name
// every header column that is read (with Options.Columns, only those).
// Empty fields, and fields equal to one of Options.NullValues (say "NA"),
// are NULL in every column, strings included.
func OpenCSV(path string, opts Options) (Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("arrowio: %w", err)
	}
	r, err := NewCSVReader(f, path, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewCSVReader reads CSV from r; name is used in errors. Closing the reader
// does not close r.
func NewCSVReader(r io.Reader, name string, opts Options) (*CSVReader, error) {
	opts = opts.withDefaults()
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	if opts.Delimiter != 0 {
		cr.Comma = opts.Delimiter
	}
	cr.ReuseRecord = true
	cr.FieldsPerRecord = 0 // every row must have as many fields as the header
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("arrowio: %s: empty file, want a header row", name)
	}
	if err != nil {
		return nil, fmt.Errorf("arrowio: %s: %w", name, err)
	}
	header = append([]string(nil), header...)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // a UTF-8 byte order mark
	}
	c := &CSVReader{name: name, r: cr, opts: opts, nulls: map[string]bool{}, header: header}
	c.nulls[""] = true
	for _, v := range opts.NullValues {
		c.nulls[v] = true
	}

	var types []arrow.DataType
	if opts.Schema != nil {
		types = make([]arrow.DataType, len(header))
		for i, h := range header {
			idx := opts.Schema.FieldIndices(h)
			if len(idx) == 0 {
				if len(opts.Columns) > 0 && !slices.Contains(opts.Columns, h) {
					types[i] = arrow.BinaryTypes.String // projected away: never parsed
					continue
				}
				return nil, fmt.Errorf("arrowio: %s: header column %q is not in the explicit schema (fields: %s)", name, h, columnList(opts.Schema))
			}
			t := opts.Schema.Field(idx[0]).Type
			if !csvParsable(t) {
				return nil, fmt.Errorf("arrowio: %s: column %q: type %s cannot be read from CSV (use int*, uint*, float32/64, bool, string or large_string)", name, h, t)
			}
			types[i] = t
		}
	} else {
		// Buffer the sample rows; they are parsed again after inference.
		for len(c.sample) < opts.InferRows {
			rec, err := cr.Read()
			if err == io.EOF {
				c.eof = true
				break
			}
			if err != nil {
				return nil, fmt.Errorf("arrowio: %s: %w", name, err)
			}
			line, _ := cr.FieldPos(0)
			c.sample = append(c.sample, append([]string(nil), rec...))
			c.sampleLines = append(c.sampleLines, line)
		}
		types = make([]arrow.DataType, len(header))
		for j := range header {
			types[j] = c.infer(j)
		}
	}
	fields := make([]arrow.Field, len(header))
	for i, h := range header {
		fields[i] = arrow.Field{Name: h, Type: types[i], Nullable: true}
	}
	c.full = arrow.NewSchema(fields, nil)
	idx, err := projection(c.full, opts.Columns, name)
	if err != nil {
		return nil, err
	}
	if idx == nil {
		idx = make([]int, len(header))
		for i := range idx {
			idx[i] = i
		}
	}
	c.cols = idx
	c.schema = projectSchema(c.full, idx)
	return c, nil
}

// CSVReader is the CSV source; see OpenCSV.
type CSVReader struct {
	name   string
	r      *csv.Reader
	opts   Options
	nulls  map[string]bool
	header []string
	full   *arrow.Schema
	schema *arrow.Schema
	cols   []int // header positions of the output columns
	sample [][]string
	// sampleLines are the file lines where the sampled rows start.
	sampleLines []int
	row         int // data rows read so far
	eof         bool
	line        int // the file line where the last row read starts (the header is line 1)
	closer      io.Closer
	err         error
}

func (c *CSVReader) isNull(s string) bool { return c.nulls[s] }

func (c *CSVReader) infer(j int) arrow.DataType {
	isInt, isFloat, isBool, any := true, true, true, false
	for _, rec := range c.sample {
		s := rec[j]
		if c.isNull(s) {
			continue
		}
		any = true
		if isInt {
			if _, err := strconv.ParseInt(s, 10, 64); err != nil {
				isInt = false
			}
		}
		if isFloat {
			if _, err := strconv.ParseFloat(s, 64); err != nil {
				isFloat = false
			}
		}
		if isBool {
			if _, ok := parseBool(s); !ok {
				isBool = false
			}
		}
	}
	switch {
	case !any:
		return arrow.BinaryTypes.String
	case isInt:
		return arrow.PrimitiveTypes.Int64
	case isFloat:
		return arrow.PrimitiveTypes.Float64
	case isBool:
		return arrow.FixedWidthTypes.Boolean
	}
	return arrow.BinaryTypes.String
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func csvParsable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.BOOL, arrow.STRING, arrow.LARGE_STRING:
		return true
	}
	return false
}

// Schema is the schema of the batches (after projection).
func (c *CSVReader) Schema() *arrow.Schema { return c.schema }

// Read returns the next batch of up to Options.BatchSize rows.
func (c *CSVReader) Read() (arrow.RecordBatch, error) {
	if c.err != nil {
		return nil, c.err
	}
	b := array.NewRecordBuilder(c.opts.Allocator, c.schema)
	defer b.Release()
	n := 0
	for n < c.opts.BatchSize {
		var rec []string
		if len(c.sample) > 0 {
			rec, c.sample[0] = c.sample[0], nil
			c.sample = c.sample[1:]
			c.line, c.sampleLines = c.sampleLines[0], c.sampleLines[1:]
		} else if c.eof {
			break
		} else {
			var err error
			rec, err = c.r.Read()
			if err == io.EOF {
				c.eof = true
				break
			}
			if err != nil {
				c.err = fmt.Errorf("arrowio: %s: %w", c.name, err)
				return nil, c.err
			}
			c.line, _ = c.r.FieldPos(0)
		}
		c.row++
		for k, j := range c.cols {
			if err := c.appendField(b.Field(k), rec[j]); err != nil {
				c.err = fmt.Errorf("arrowio: %s line %d (data row %d) column %q: %q: %w: %v", c.name, c.line, c.row, c.header[j], rec[j], ErrCSVValue, err)
				if c.opts.Schema == nil {
					c.err = fmt.Errorf("%w (type inferred from the first %d rows; pass an explicit schema or sample more rows)", c.err, c.opts.InferRows)
				}
				return nil, c.err
			}
		}
		n++
	}
	if n == 0 {
		return nil, io.EOF
	}
	return b.NewRecordBatch(), nil
}

func (c *CSVReader) appendField(b array.Builder, s string) error {
	if c.isNull(s) {
		b.AppendNull()
		return nil
	}
	switch b := b.(type) {
	case *array.Int8Builder:
		v, err := strconv.ParseInt(s, 10, 8)
		if err != nil {
			return errors.New("want an int8")
		}
		b.Append(int8(v))
	case *array.Int16Builder:
		v, err := strconv.ParseInt(s, 10, 16)
		if err != nil {
			return errors.New("want an int16")
		}
		b.Append(int16(v))
	case *array.Int32Builder:
		v, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return errors.New("want an int32")
		}
		b.Append(int32(v))
	case *array.Int64Builder:
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errors.New("want an int64")
		}
		b.Append(v)
	case *array.Uint8Builder:
		v, err := strconv.ParseUint(s, 10, 8)
		if err != nil {
			return errors.New("want a uint8")
		}
		b.Append(uint8(v))
	case *array.Uint16Builder:
		v, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return errors.New("want a uint16")
		}
		b.Append(uint16(v))
	case *array.Uint32Builder:
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return errors.New("want a uint32")
		}
		b.Append(uint32(v))
	case *array.Uint64Builder:
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return errors.New("want a uint64")
		}
		b.Append(v)
	case *array.Float32Builder:
		v, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return errors.New("want a float32")
		}
		b.Append(float32(v))
	case *array.Float64Builder:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return errors.New("want a float64")
		}
		b.Append(v)
	case *array.BooleanBuilder:
		v, ok := parseBool(s)
		if !ok {
			return errors.New("want true or false")
		}
		b.Append(v)
	case *array.StringBuilder:
		b.Append(s)
	case *array.LargeStringBuilder:
		b.Append(s)
	default:
		return fmt.Errorf("unsupported builder %T", b)
	}
	return nil
}

// Close closes the file (for OpenCSV).
func (c *CSVReader) Close() error {
	c.sample = nil
	if c.err == nil {
		c.err = errors.New("arrowio: read after Close")
	}
	if c.closer != nil {
		err := c.closer.Close()
		c.closer = nil
		return err
	}
	return nil
}
