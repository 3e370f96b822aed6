package tabular

import (
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// NumberGetter returns a function reading element i of a numeric column as
// float64 (false for NULL): int8…int64, uint8…uint64, float16/32/64,
// decimal32/64/128/256 and bool (0 or 1). A decimal is its unscaled integer
// as float64 divided by math.Pow10(scale), the arithmetic the SQL functions
// use on DuckDB DECIMALs (arrow's own ToFloat64 multiplies by 10^-scale,
// which can differ in the last bit). It is how
// the Featurizer reads numbers, exported so that fitting (means, quantiles)
// reads them the same way.
func NumberGetter(col arrow.Array) (func(i int) (float64, bool), error) {
	valid := func(i int) bool { return col.IsValid(i) }
	if col.NullN() == 0 {
		valid = func(int) bool { return true }
	}
	switch a := col.(type) {
	case *array.Int8:
		return func(i int) (float64, bool) { return float64(a.Value(i)), valid(i) }, nil
	case *array.Int16:
		return func(i int) (float64, bool) { return float64(a.Value(i)), valid(i) }, nil
	case *array.Int32:
		return func(i int) (float64, bool) { return float64(a.Value(i)), valid(i) }, nil
	case *array.Int64:
		return func(i int) (float64, bool) { return float64(a.Value(i)), valid(i) }, nil
	case *array.Uint8:
		return func(i int) (float64, bool) { return float64(a.Value(i)), valid(i) }, nil
	case *array.Uint16:
		return func(i int) (float64, bool) { return float64(a.Value(i)), valid(i) }, nil
	case *array.Uint32:
		return func(i int) (float64, bool) { return float64(a.Value(i)), valid(i) }, nil
	case *array.Uint64:
		return func(i int) (float64, bool) { return float64(a.Value(i)), valid(i) }, nil
	case *array.Float16:
		return func(i int) (float64, bool) { return float64(a.Value(i).Float32()), valid(i) }, nil
	case *array.Float32:
		return func(i int) (float64, bool) { return float64(a.Value(i)), valid(i) }, nil
	case *array.Float64:
		return func(i int) (float64, bool) { return a.Value(i), valid(i) }, nil
	case *array.Boolean:
		return func(i int) (float64, bool) {
			if a.Value(i) {
				return 1, valid(i)
			}
			return 0, valid(i)
		}, nil
	case *array.Decimal32:
		div := math.Pow10(int(a.DataType().(*arrow.Decimal32Type).Scale))
		return func(i int) (float64, bool) { return float64(a.Value(i)) / div, valid(i) }, nil
	case *array.Decimal64:
		div := math.Pow10(int(a.DataType().(*arrow.Decimal64Type).Scale))
		return func(i int) (float64, bool) { return float64(a.Value(i)) / div, valid(i) }, nil
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		div := math.Pow10(int(scale))
		return func(i int) (float64, bool) {
			n := a.Value(i)
			if lo, hi := n.LowBits(), n.HighBits(); hi == int64(lo)>>63 { // fits an int64
				return float64(int64(lo)) / div, valid(i)
			}
			return n.ToFloat64(scale), valid(i)
		}, nil
	case *array.Decimal256:
		scale := a.DataType().(*arrow.Decimal256Type).Scale
		div := math.Pow10(int(scale))
		return func(i int) (float64, bool) {
			n := a.Value(i)
			w := n.Array() // little-endian 64-bit words
			if ext := uint64(int64(w[0]) >> 63); w[1] == ext && w[2] == ext && w[3] == ext {
				return float64(int64(w[0])) / div, valid(i)
			}
			return n.ToFloat64(scale), valid(i)
		}, nil
	}
	return nil, fmt.Errorf("%w: %s is not numeric", ErrColumnType, col.DataType())
}

// IsNumericType reports whether NumberGetter reads columns of type t: the
// types of a numeric input's column and of a vector input's elements.
func IsNumericType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.BOOL,
		arrow.DECIMAL32, arrow.DECIMAL64, arrow.DECIMAL128, arrow.DECIMAL256:
		return true
	}
	return false
}

// isCategoryType reports whether CategoryGetter reads columns of type t.
func isCategoryType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	case arrow.DICTIONARY:
		return isCategoryType(t.(*arrow.DictionaryType).ValueType)
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64, arrow.BOOL:
		return true
	}
	return false
}

// IsTextType reports whether t holds strings (possibly dictionary encoded):
// the types a categorical input's column is inferred from.
func IsTextType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	case arrow.DICTIONARY:
		return IsTextType(t.(*arrow.DictionaryType).ValueType)
	}
	return false
}

// CategoryGetter returns a function reading element i of a column as a
// category string (false for NULL). Strings (string, large_string,
// string_view, and dictionaries of them) are taken as they are. Integer
// and bool columns are categorical by their decimal / "true"/"false" text,
// so a model fitted on a numeric code column as categorical sees "3", not 3.0.
// Float columns are refused: their text form is too fragile to be a category.
func CategoryGetter(col arrow.Array) (func(i int) (string, bool), error) {
	valid := func(i int) bool { return col.IsValid(i) }
	switch a := col.(type) {
	case *array.String:
		return func(i int) (string, bool) { return a.Value(i), valid(i) }, nil
	case *array.LargeString:
		return func(i int) (string, bool) { return a.Value(i), valid(i) }, nil
	case *array.StringView:
		return func(i int) (string, bool) { return a.Value(i), valid(i) }, nil
	case *array.Dictionary:
		dict, err := CategoryGetter(a.Dictionary())
		if err != nil {
			return nil, err
		}
		return func(i int) (string, bool) {
			if !valid(i) {
				return "", false
			}
			return dict(a.GetValueIndex(i))
		}, nil
	case *array.Boolean:
		return func(i int) (string, bool) { return strconv.FormatBool(a.Value(i)), valid(i) }, nil
	case *array.Int8, *array.Int16, *array.Int32, *array.Int64:
		ints := intGetter(col)
		return func(i int) (string, bool) { return strconv.FormatInt(ints(i), 10), valid(i) }, nil
	case *array.Uint8, *array.Uint16, *array.Uint32, *array.Uint64:
		uints := uintGetter(col)
		return func(i int) (string, bool) { return strconv.FormatUint(uints(i), 10), valid(i) }, nil
	}
	return nil, fmt.Errorf("%w: %s cannot be a category (want a string, dictionary, integer or bool column)", ErrColumnType, col.DataType())
}

func intGetter(col arrow.Array) func(int) int64 {
	switch a := col.(type) {
	case *array.Int8:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Int16:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Int32:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Int64:
		return a.Value
	}
	panic("tabular: intGetter on " + col.DataType().String())
}

func uintGetter(col arrow.Array) func(int) uint64 {
	switch a := col.(type) {
	case *array.Uint8:
		return func(i int) uint64 { return uint64(a.Value(i)) }
	case *array.Uint16:
		return func(i int) uint64 { return uint64(a.Value(i)) }
	case *array.Uint32:
		return func(i int) uint64 { return uint64(a.Value(i)) }
	case *array.Uint64:
		return a.Value
	}
	panic("tabular: uintGetter on " + col.DataType().String())
}
