package tabular

import (
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/dense-ml/dense/nn"
)

// The reference encoder (this package's column readers + nn.Encoder, value
// by value) and tabular.Featurizer, which builds the training and the
// scoring matrices, are the same, bit for bit, for every column type a
// feature can have.
func TestTrainingAndScoringEncodeAlike(t *testing.T) {
	mem := checkedMem(t)
	i32 := func() col {
		b := array.NewInt32Builder(mem)
		defer b.Release()
		b.AppendValues([]int32{3, -7, 0, 12}, []bool{true, true, false, true})
		return col{Name: "i32", Arr: b.NewArray()}
	}
	u8 := func() col {
		b := array.NewUint8Builder(mem)
		defer b.Release()
		b.AppendValues([]uint8{1, 200, 7, 9}, nil)
		return col{Name: "u8", Arr: b.NewArray()}
	}
	f32 := func() col {
		b := array.NewFloat32Builder(mem)
		defer b.Release()
		b.AppendValues([]float32{0.25, -1.5, 3e3, 1e-3}, nil)
		return col{Name: "f32", Arr: b.NewArray()}
	}
	dec := func() col {
		b := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 10, Scale: 2})
		defer b.Release()
		for _, v := range []int64{12345, -99, 0, 100000} {
			b.Append(decimal128.FromI64(v))
		}
		return col{Name: "dec", Arr: b.NewArray()}
	}
	dict := func() col {
		b := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
		defer b.Release()
		for _, s := range []string{"red", "blue", "red", ""} {
			if s == "" {
				b.AppendNull()
			} else if err := b.AppendString(s); err != nil {
				t.Fatal(err)
			}
		}
		return col{Name: "dict", Arr: b.NewArray()}
	}
	mk := func() arrow.RecordBatch {
		return mkBatch(i32(), u8(), f32(), dec(), dict(),
			mkBool(mem, "flag", true, false, nil, true),
			mkF64(mem, "f64", 1.5, nil, 2.5, 100),
			mkStr(mem, "s", "x", "y", nil, "x"),
			mkVec(mem, "vec", 3, []float32{1, 2, 3}, []float32{0, 0, 1}, []float32{-1, 5, 2}, []float32{4, 4, 4}),
			mkList(mem, "list", []float64{1, 2}, []float64{3, 4}, []float64{5, 6}, []float64{7, 8}))
	}
	features := []Feature{
		{Name: "i32", FeatureOptions: FeatureOptions{Indicator: true}},
		{Name: "u8", FeatureOptions: FeatureOptions{Scale: ScaleMinMax}},
		{Name: "f32"}, {Name: "dec"},
		{Name: "dict", FeatureOptions: FeatureOptions{Indicator: true, MinCategoryCount: 1}},
		{Name: "flag", FeatureOptions: FeatureOptions{Impute: ImputeMostFrequent}},
		{Name: "f64", FeatureOptions: FeatureOptions{Log1p: true, Indicator: true, Impute: ImputeMedian}},
		{Name: "s", FeatureOptions: FeatureOptions{MaxCategories: 1, MinCategoryCount: 1}},
		{Name: "vec"}, {Name: "list"},
	}
	fit := []arrow.RecordBatch{mk(), mk()}
	inputs, err := fitBatches(t, features, fit...)
	if err != nil {
		t.Fatal(err)
	}

	b := mk()
	defer b.Release()
	enc, err := newRowEncoder(inputs)
	if err != nil {
		t.Fatal(err)
	}
	w := enc.enc.Width()
	ours := make([]float32, 4*w)
	if err := enc.encode(b, 0, func(i int) []float32 { return ours[i*w : (i+1)*w] }); err != nil {
		t.Fatal(err)
	}
	f, err := NewFeaturizer(inputs, b.Schema())
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := f.Encode(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ours, theirs) {
		for i := range ours {
			if ours[i] != theirs[i] {
				t.Errorf("row %d feature %d: training %v, scoring %v", i/w, i%w, ours[i], theirs[i])
			}
		}
	}
	if w != 2+1+1+1+(2+1+1)+1+2+(1+1)+3+2 {
		t.Errorf("width %d", w)
	}
}

// rowEncoder is the tests' reference encoder: this package's column readers
// and nn.Encoder, value by value, independent of tabular.Featurizer (which
// training and scoring both use).
type rowEncoder struct {
	enc    *nn.Encoder
	inputs []nn.Input
	elems  []float64
}

func newRowEncoder(inputs []nn.Input) (*rowEncoder, error) {
	enc, err := nn.NewEncoder(inputs)
	if err != nil {
		return nil, err
	}
	return &rowEncoder{enc: enc, inputs: inputs}, nil
}

// encode writes batch row i's features into rowOf(i). offset is the row
// number of the batch's first row, for error messages.
func (e *rowEncoder) encode(b arrow.RecordBatch, offset int64, rowOf func(i int) []float32) error {
	n := int(b.NumRows())
	for k := range e.inputs {
		in := &e.inputs[k]
		col, err := batchColumn(b, in.Name)
		if err != nil {
			return err
		}
		fail := func(i int, err error) error {
			return fmt.Errorf("column %q row %d: %w", in.Name, offset+int64(i), err)
		}
		switch in.Kind {
		case nn.KindNumeric:
			at, err := NumberGetter(col)
			if err != nil {
				return fmt.Errorf("column %q: %w", in.Name, err)
			}
			for i := range n {
				v, ok := at(i)
				if err := e.enc.Number(k, v, ok, rowOf(i)); err != nil {
					return fail(i, err)
				}
			}
		case nn.KindCategorical:
			at, err := CategoryGetter(col)
			if err != nil {
				return fmt.Errorf("column %q: %w", in.Name, err)
			}
			for i := range n {
				s, ok := at(i)
				if err := e.enc.Category(k, s, ok, rowOf(i)); err != nil {
					return fail(i, err)
				}
			}
		case nn.KindVector:
			at, err := listAt(col)
			if err != nil {
				return fmt.Errorf("column %q: %w", in.Name, err)
			}
			for i := range n {
				var ok bool
				e.elems, ok = at(i, e.elems[:0])
				if !ok {
					return fail(i, nn.ErrMissing)
				}
				if err := e.enc.Vector(k, e.elems, rowOf(i)); err != nil {
					return fail(i, err)
				}
			}
		}
	}
	return nil
}

// Training takes exactly the column types scoring reads: decimal32 and
// decimal64 included, binary, dates and lists of strings not.
func TestColumnKindsMatchScoring(t *testing.T) {
	for _, c := range []struct {
		typ  arrow.DataType
		kind int
	}{
		{&arrow.Decimal32Type{Precision: 5, Scale: 2}, colNumeric},
		{&arrow.Decimal64Type{Precision: 12, Scale: 3}, colNumeric},
		{&arrow.Decimal128Type{Precision: 20, Scale: 3}, colNumeric},
		{arrow.FixedWidthTypes.Float16, colNumeric},
		{arrow.FixedWidthTypes.Boolean, colNumeric},
		{arrow.PrimitiveTypes.Uint64, colNumeric},
		{arrow.BinaryTypes.LargeString, colString},
		{arrow.BinaryTypes.StringView, colString},
		{&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}, colString},
		{arrow.ListOf(&arrow.Decimal64Type{Precision: 12, Scale: 3}), colList},
		{arrow.LargeListOf(arrow.PrimitiveTypes.Int32), colList},
		{arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32), colList},
		{arrow.BinaryTypes.Binary, 0},
		{arrow.FixedWidthTypes.Date32, colDate},
		{arrow.FixedWidthTypes.Date64, colDate},
		{&arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}, colDate},
		{arrow.FixedWidthTypes.Time64us, 0},
		{arrow.ListOf(arrow.BinaryTypes.String), 0},
		{arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64), 0},
		{&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.PrimitiveTypes.Float64}, 0},
	} {
		if got := columnKind(c.typ); got != c.kind {
			t.Errorf("%s: kind %d, want %d", c.typ, got, c.kind)
		}
	}
}
