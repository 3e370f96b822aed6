package tabular

import (
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dense-ml/dense/nn"
)

// Errors of the feature conversion, wrapped (with the column, and the row
// where there is one) by the errors the Featurizer returns.
var (
	ErrColumnType   = errors.New("column type cannot become this feature")
	ErrListLength   = errors.New("list length differs from the model's")
	ErrSchema       = errors.New("batch schema differs from the featurizer's")
	ErrFloat32Range = nn.ErrFloat32Range // one rule, enforced by nn.Encoder
	ErrNoColumn     = errors.New("no column")
)

// RowError is a value the Featurizer could not encode: Row is the 0-based
// row within the batch (callers streaming many batches add their offset),
// Err wraps the reason (nn.ErrMissing, nn.ErrNotFinite,
// nn.ErrUnknownCategory, nn.ErrDomain, ErrListLength, ErrFloat32Range).
type RowError struct {
	Column string
	Row    int
	Err    error
}

func (e *RowError) Error() string {
	return fmt.Sprintf("tabular: column %q row %d: %v", e.Column, e.Row, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// Featurizer converts record batches of one schema into a model's float32
// feature matrix, applying the model's fitted preprocessing through
// nn.Encoder so that Go and SQL scoring do the same arithmetic. It is
// immutable after NewFeaturizer and safe for concurrent use.
type Featurizer struct {
	enc    *nn.Encoder
	schema *arrow.Schema
	plans  []inputPlan
}

type inputPlan struct {
	input int // index in the encoder's inputs
	name  string
	kind  string
	col   int // column index in the schema
	typ   arrow.DataType
	pass  bool // no preprocessing: raw values are copied
	off   int  // first feature of the input in a row
	len   int  // vector length
	codes bool // categorical fitted from integers, fed text: parse the codes (dates.go)
}

// NewFeaturizer binds the model's inputs to the columns of schema by name.
// It fails when a column is missing (listing the columns there are), when a
// column's type cannot feed its input (numeric inputs take numbers and
// bools; vector inputs take fixed-size lists or lists of numbers; categorical
// inputs take strings, dictionaries of strings, integers and bools), and when
// a fixed-size list has another length than the vector input.
func NewFeaturizer(inputs []nn.Input, schema *arrow.Schema) (*Featurizer, error) {
	enc, err := nn.NewEncoder(inputs)
	if err != nil {
		return nil, fmt.Errorf("tabular: %w", err)
	}
	f := &Featurizer{enc: enc, schema: schema, plans: make([]inputPlan, len(inputs))}
	for i := range inputs {
		in := &inputs[i]
		idx := schema.FieldIndices(in.Name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("tabular: model input %q: %w %q (columns: %s)", in.Name, ErrNoColumn, in.Name, ColumnList(schema))
		}
		field := schema.Field(idx[0])
		p := inputPlan{input: i, name: in.Name, kind: in.Kind, col: idx[0], typ: field.Type,
			pass: enc.Passthrough(i), off: enc.Offset(i), len: in.Length}
		bad := func(want string) error {
			return fmt.Errorf("tabular: column %q: %w: type %s cannot feed %s input %q (want %s)", in.Name, ErrColumnType, field.Type, in.Kind, in.Name, want)
		}
		switch in.Kind {
		case nn.KindNumeric:
			if !IsNumericType(field.Type) {
				return nil, bad("an integer, float, decimal or bool column")
			}
		case nn.KindCategorical:
			if !isCategoryType(field.Type) {
				return nil, bad("a string, dictionary, integer or bool column")
			}
			if in.IntegerSource() && IsTextType(field.Type) {
				p.codes = true // text holding the integer codes (dates.go)
			} else if text, known := in.TextSource(); known && text != IsTextType(field.Type) {
				return nil, fmt.Errorf("tabular: column %q: %w: model input %q was fitted from %s values and the column is %s "+
					"(%s); convert the column to %s", in.Name, ErrColumnType, in.Name, in.Source, SQLTypeName(field.Type),
					"the categories are the values' text, so 01067 and 1067 would be different categories", in.Source)
			}
		case nn.KindDate:
			if !isDaysType(field.Type) {
				return nil, bad("a date or timestamp column, or text holding dates")
			}
		case nn.KindVector:
			var elem arrow.DataType
			switch t := field.Type.(type) {
			case *arrow.FixedSizeListType:
				elem = t.Elem()
				if int(t.Len()) != in.Length {
					return nil, fmt.Errorf("tabular: column %q: %w: fixed_size_list of %d, model input %q has length %d", in.Name, ErrListLength, t.Len(), in.Name, in.Length)
				}
			case *arrow.ListType:
				elem = t.Elem()
			case *arrow.LargeListType:
				elem = t.Elem()
			default:
				return nil, bad("a fixed_size_list or list of numbers")
			}
			if !IsNumericType(elem) {
				return nil, bad("a list of numbers")
			}
		}
		f.plans[i] = p
	}
	return f, nil
}

// Width is the number of features per row.
func (f *Featurizer) Width() int { return f.enc.Width() }

// Encoder is the nn.Encoder built from the inputs.
func (f *Featurizer) Encoder() *nn.Encoder { return f.enc }

// Schema is the schema the featurizer was bound to.
func (f *Featurizer) Schema() *arrow.Schema { return f.schema }

// Encode converts batch into a rows×Width row-major float32 matrix, reusing
// dst's memory when it is large enough. The first value that cannot be
// encoded stops it with a *RowError naming column and row.
func (f *Featurizer) Encode(batch arrow.RecordBatch, dst []float32) ([]float32, error) {
	x, _, err := f.encode(batch, dst, nil, false)
	return x, err
}

// EncodeMasked is Encode that keeps going past bad rows: valid[r] reports
// whether row r was encoded (a bad row's features are zero), and err is the
// first row's error, or nil when every row was fine. valid reuses the given
// slice's memory. Batch-level problems (a batch of another schema) are
// returned with x == nil. Use it to score with NULL predictions for rows
// that cannot be encoded (see AppendPredictions).
func (f *Featurizer) EncodeMasked(batch arrow.RecordBatch, dst []float32, valid []bool) (x []float32, ok []bool, err error) {
	rows := int(batch.NumRows())
	if cap(valid) < rows {
		valid = make([]bool, rows)
	}
	valid = valid[:rows]
	for i := range valid {
		valid[i] = true
	}
	return f.encode(batch, dst, valid, true)
}

func (f *Featurizer) checkSchema(batch arrow.RecordBatch) error {
	s := batch.Schema()
	if s == f.schema {
		return nil
	}
	for _, p := range f.plans {
		if p.col >= s.NumFields() || s.Field(p.col).Name != p.name || !arrow.TypeEqual(s.Field(p.col).Type, p.typ) {
			return fmt.Errorf("tabular: %w: input %q was bound to column %d of type %s; batch schema:\n%s", ErrSchema, p.name, p.col, p.typ, s)
		}
	}
	return nil
}

// encodeTileBytes is the size of the block of the output matrix filled
// input by input (about half a typical L2 cache).
const encodeTileBytes = 256 << 10

// encoding state for one batch.
type encodeRun struct {
	f       *Featurizer
	x       []float32
	width   int
	rows    int
	lo, hi  int    // the rows of the current tile
	valid   []bool // nil: stop at the first error
	lenient bool
	first   error
	scratch []float64
	codes   []nn.CategoryCode
	dicts   map[int]*dictionaryCodes // by input: its dictionary's codes
}

// fail records a row error; it returns the error to stop with (nil in
// lenient mode, where the row is marked invalid instead).
func (e *encodeRun) fail(p *inputPlan, row int, err error) error {
	re := &RowError{Column: p.name, Row: row, Err: err}
	if !e.lenient {
		return re
	}
	if e.first == nil {
		e.first = re
	}
	e.valid[row] = false
	return nil
}

func (f *Featurizer) encode(batch arrow.RecordBatch, dst []float32, valid []bool, lenient bool) ([]float32, []bool, error) {
	if err := f.checkSchema(batch); err != nil {
		return nil, valid, err
	}
	rows := int(batch.NumRows())
	width := f.enc.Width()
	need := rows * width
	if cap(dst) < need {
		dst = make([]float32, need)
	}
	dst = dst[:need]
	e := &encodeRun{f: f, x: dst, width: width, rows: rows, valid: valid, lenient: lenient}
	// Work in tiles of rows, every input of a tile before the next, so the
	// tile's part of dst stays in cache while the columns are written into
	// it (strided writes over the whole matrix, column after column, were
	// twice as slow).
	tile := max(1, encodeTileBytes/(4*max(width, 1)))
	for e.lo = 0; e.lo < rows; e.lo += tile {
		e.hi = min(e.lo+tile, rows)
		for i := range f.plans {
			p := &f.plans[i]
			col := batch.Column(p.col)
			var err error
			switch p.kind {
			case nn.KindNumeric:
				err = e.numeric(p, col)
			case nn.KindCategorical:
				if p.codes {
					err = e.integerCodes(p, col)
				} else {
					err = e.categorical(p, col)
				}
			case nn.KindDate:
				err = e.date(p, col)
			case nn.KindVector:
				err = e.vector(p, col)
			}
			if err != nil {
				return dst, valid, err
			}
		}
	}
	if lenient {
		for r, ok := range valid {
			if !ok {
				clear(dst[r*width : (r+1)*width])
			}
		}
	}
	return dst, valid, e.first
}

// numeric encodes a numeric input column. A passthrough input whose column
// has no NULLs is copied from the column's value slice (float32 columns
// straight from arr.Float32Values()); any non-finite value falls back to
// the encoder for the exact error.
func (e *encodeRun) numeric(p *inputPlan, col arrow.Array) error {
	if p.pass && col.NullN() == 0 {
		var bad int
		switch a := col.(type) {
		case *array.Float32:
			bad = copyFloats(a.Float32Values()[e.lo:e.hi], e.x[e.lo*e.width:], e.width, p.off)
		case *array.Float64:
			bad = copyFloats(a.Float64Values()[e.lo:e.hi], e.x[e.lo*e.width:], e.width, p.off)
		case *array.Int8:
			bad = copyInts(a.Int8Values()[e.lo:e.hi], e.x[e.lo*e.width:], e.width, p.off)
		case *array.Int16:
			bad = copyInts(a.Int16Values()[e.lo:e.hi], e.x[e.lo*e.width:], e.width, p.off)
		case *array.Int32:
			bad = copyInts(a.Int32Values()[e.lo:e.hi], e.x[e.lo*e.width:], e.width, p.off)
		case *array.Int64:
			bad = copyInts(a.Int64Values()[e.lo:e.hi], e.x[e.lo*e.width:], e.width, p.off)
		case *array.Uint8:
			bad = copyInts(a.Uint8Values()[e.lo:e.hi], e.x[e.lo*e.width:], e.width, p.off)
		case *array.Uint16:
			bad = copyInts(a.Uint16Values()[e.lo:e.hi], e.x[e.lo*e.width:], e.width, p.off)
		case *array.Uint32:
			bad = copyInts(a.Uint32Values()[e.lo:e.hi], e.x[e.lo*e.width:], e.width, p.off)
		case *array.Uint64:
			bad = copyInts(a.Uint64Values()[e.lo:e.hi], e.x[e.lo*e.width:], e.width, p.off)
		default:
			return e.numericSlow(p, col, e.lo)
		}
		if bad < 0 {
			return nil
		}
		return e.numericSlow(p, col, e.lo+bad)
	}
	return e.numericSlow(p, col, e.lo)
}

// copyFloats copies vals into column off of the row-major x and returns the
// first row whose value is not finite as float32 (NaN, ±Inf, or a float64
// beyond float32's range), or -1.
func copyFloats[T float32 | float64](vals []T, x []float32, width, off int) int {
	for r, v := range vals {
		f := float32(float64(v))
		if f-f != 0 {
			return r
		}
		x[r*width+off] = f
	}
	return -1
}

// copyInts is copyFloats for integers, converted through float64 exactly
// like nn.Encoder.Number does.
func copyInts[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](vals []T, x []float32, width, off int) int {
	for r, v := range vals {
		x[r*width+off] = float32(float64(v))
	}
	return -1
}

// numericSlow encodes rows from..e.hi-1 column at a time: the values are
// converted to float64 in one loop (NaN for NULL: missing) and encoded by
// nn.Encoder.Numbers in another. Rows already refused by another input are
// encoded too (they are cleared at the end) but report no error.
func (e *encodeRun) numericSlow(p *inputPlan, col arrow.Array, from int) error {
	n := e.hi - from
	if cap(e.scratch) < n {
		e.scratch = make([]float64, n)
	}
	vals := e.scratch[:n]
	switch a := col.(type) {
	case *array.Float64:
		copy(vals, a.Float64Values()[from:e.hi])
	case *array.Float32:
		toFloat64s(vals, a.Float32Values()[from:e.hi])
	case *array.Int64:
		toFloat64s(vals, a.Int64Values()[from:e.hi])
	case *array.Int32:
		toFloat64s(vals, a.Int32Values()[from:e.hi])
	default:
		get, err := NumberGetter(col)
		if err != nil {
			return fmt.Errorf("tabular: column %q: %w", p.name, err)
		}
		for r := range vals {
			vals[r], _ = get(from + r)
		}
	}
	if col.NullN() > 0 {
		for r := range vals {
			if col.IsNull(from + r) {
				vals[r] = math.NaN()
			}
		}
	}
	var stop error
	e.f.enc.Numbers(p.input, vals, e.x[from*e.width:], e.width, func(r int, err error) {
		if stop == nil && (e.valid == nil || e.valid[from+r]) {
			stop = e.fail(p, from+r, err)
		}
	})
	return stop
}

func toFloat64s[T float32 | int32 | int64](dst []float64, src []T) {
	for i, v := range src {
		dst[i] = float64(v)
	}
}

// categorical looks up each row's category code, then writes the one-hot
// blocks in one loop (nn.Encoder.OneHots). A dictionary column's entries
// are looked up once per batch.
func (e *encodeRun) categorical(p *inputPlan, col arrow.Array) error {
	n := e.hi - e.lo
	if cap(e.codes) < n {
		e.codes = make([]nn.CategoryCode, n)
	}
	codes := e.codes[:n]
	enc := e.f.enc
	var stop error
	code := func(r int, s string, ok bool) {
		c, err := enc.CategoryCode(p.input, s, ok)
		codes[r-e.lo] = c
		if err != nil && stop == nil && (e.valid == nil || e.valid[r]) {
			stop = e.fail(p, r, err)
		}
	}
	if d, ok := col.(*array.Dictionary); ok {
		dict, err := e.dictCodes(p, d)
		if err != nil {
			return err
		}
		for r := e.lo; r < e.hi; r++ {
			if d.IsNull(r) {
				code(r, "", false)
				continue
			}
			k := d.GetValueIndex(r)
			if dict.errs[k] != nil {
				codes[r-e.lo] = nn.SkipRow
				if stop == nil && (e.valid == nil || e.valid[r]) {
					stop = e.fail(p, r, dict.errs[k])
				}
				continue
			}
			codes[r-e.lo] = dict.codes[k]
		}
	} else {
		get, err := CategoryGetter(col)
		if err != nil {
			return fmt.Errorf("tabular: column %q: %w", p.name, err)
		}
		for r := e.lo; r < e.hi; r++ {
			s, ok := get(r)
			code(r, s, ok)
		}
	}
	if stop != nil {
		return stop
	}
	enc.OneHots(p.input, codes, e.x[e.lo*e.width:], e.width)
	return nil
}

// dictionaryCodes are the category codes of a dictionary's entries.
type dictionaryCodes struct {
	dict  arrow.Array
	codes []nn.CategoryCode
	errs  []error
}

// dictCodes looks up the codes of d's dictionary entries, once per
// dictionary (the tiles of a batch share it).
func (e *encodeRun) dictCodes(p *inputPlan, d *array.Dictionary) (*dictionaryCodes, error) {
	if e.dicts == nil {
		e.dicts = make(map[int]*dictionaryCodes)
	}
	if c := e.dicts[p.input]; c != nil && c.dict == d.Dictionary() {
		return c, nil
	}
	get, err := CategoryGetter(d.Dictionary())
	if err != nil {
		return nil, fmt.Errorf("tabular: column %q: %w", p.name, err)
	}
	k := d.Dictionary().Len()
	c := &dictionaryCodes{dict: d.Dictionary(), codes: make([]nn.CategoryCode, k), errs: make([]error, k)}
	for j := range k {
		s, ok := get(j)
		c.codes[j], c.errs[j] = e.f.enc.CategoryCode(p.input, s, ok)
	}
	e.dicts[p.input] = c
	return c, nil
}

func (e *encodeRun) vector(p *inputPlan, col arrow.Array) error {
	list, ok := col.(array.ListLike)
	if !ok {
		return fmt.Errorf("tabular: column %q: %w: %s", p.name, ErrColumnType, col.DataType())
	}
	child := list.ListValues()
	var fast []float32
	if c, ok := child.(*array.Float32); ok && p.pass && c.NullN() == 0 {
		fast = c.Float32Values() // indexed by the list's absolute offsets
	}
	var get func(int) (float64, bool)
	if fast == nil {
		var err error
		if get, err = NumberGetter(child); err != nil {
			return fmt.Errorf("tabular: column %q: %w", p.name, err)
		}
	}
	if cap(e.scratch) < p.len {
		e.scratch = make([]float64, p.len)
	}
	elems := e.scratch[:p.len]
	enc := e.f.enc
	for r := e.lo; r < e.hi; r++ {
		if e.valid != nil && !e.valid[r] {
			continue
		}
		if col.IsNull(r) {
			if err := e.fail(p, r, nn.ErrMissing); err != nil {
				return err
			}
			continue
		}
		start, end := list.ValueOffsets(r)
		if n := int(end - start); n != p.len {
			if err := e.fail(p, r, fmt.Errorf("%w: expected %d elements, got %d", ErrListLength, p.len, n)); err != nil {
				return err
			}
			continue
		}
		dst := e.x[r*e.width+p.off : r*e.width+p.off+p.len]
		if fast != nil {
			copy(dst, fast[start:end])
			if finite32(dst) {
				continue
			}
			for j, v := range fast[start:end] {
				elems[j] = float64(v)
			}
		} else {
			for j := range elems {
				v, ok := get(int(start) + j)
				if !ok {
					v = math.NaN() // a NULL element is missing
				}
				elems[j] = v
			}
		}
		if err := enc.Vector(p.input, elems, e.x[r*e.width:(r+1)*e.width]); err != nil {
			if err := e.fail(p, r, err); err != nil {
				return err
			}
		}
	}
	return nil
}

func finite32(xs []float32) bool {
	for _, v := range xs {
		if v-v != 0 {
			return false
		}
	}
	return true
}
