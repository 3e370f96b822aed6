package tabular

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Column kinds as the fitter sees an Arrow type.
const (
	colNumeric = iota + 1 // ints, uints, floats, decimals, bool
	colString             // string, large string, string view, dictionary of strings
	colList               // list, large list, fixed-size list of numbers
	colDate               // date32, date64, timestamp (any unit, any zone)
)

// columnKind classifies an Arrow type, or returns 0 if it cannot be a
// feature or a target. It takes the Featurizer's type lists, so that
// training accepts exactly the columns scoring reads.
func columnKind(t arrow.DataType) int {
	switch {
	case IsNumericType(t):
		return colNumeric
	case IsTextType(t):
		return colString
	case IsDateType(t):
		return colDate
	}
	switch t.ID() {
	case arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST:
		if IsNumericType(t.(arrow.ListLikeType).Elem()) {
			return colList
		}
	}
	return 0
}

// isIntegerType reports whether t holds whole numbers (used by task detection).
func isIntegerType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}

// listAt returns an accessor for a list of numbers: it appends row i's
// elements to dst (a NULL element becomes NaN) and reports the row's validity.
func listAt(a arrow.Array) (func(i int, dst []float64) ([]float64, bool), error) {
	l, ok := a.(array.ListLike)
	if !ok {
		return nil, fmt.Errorf("type %s is not a list", a.DataType())
	}
	elem, err := NumberGetter(l.ListValues())
	if err != nil {
		return nil, fmt.Errorf("list elements: %w", err)
	}
	return func(i int, dst []float64) ([]float64, bool) {
		if l.IsNull(i) {
			return dst, false
		}
		start, end := l.ValueOffsets(i)
		for j := start; j < end; j++ {
			v, ok := elem(int(j))
			if !ok {
				v = nan
			}
			dst = append(dst, v)
		}
		return dst, true
	}, nil
}

// fixedListLen is the list size of a fixed-size list type, or 0.
func fixedListLen(t arrow.DataType) int {
	if f, ok := t.(*arrow.FixedSizeListType); ok {
		return int(f.Len())
	}
	return 0
}

// SQLTypeName is the SQL type (DuckDB's spelling) of an Arrow feature column,
// recorded as the model input's Source: the feature contract.
func SQLTypeName(t arrow.DataType) string {
	switch t := t.(type) {
	case *arrow.BooleanType:
		return "BOOLEAN"
	case *arrow.Int8Type:
		return "TINYINT"
	case *arrow.Int16Type:
		return "SMALLINT"
	case *arrow.Int32Type:
		return "INTEGER"
	case *arrow.Int64Type:
		return "BIGINT"
	case *arrow.Uint8Type:
		return "UTINYINT"
	case *arrow.Uint16Type:
		return "USMALLINT"
	case *arrow.Uint32Type:
		return "UINTEGER"
	case *arrow.Uint64Type:
		return "UBIGINT"
	case *arrow.Float16Type, *arrow.Float32Type:
		return "FLOAT"
	case *arrow.Float64Type:
		return "DOUBLE"
	case arrow.DecimalType:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.GetPrecision(), t.GetScale())
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return "VARCHAR"
	case *arrow.DictionaryType:
		return SQLTypeName(t.ValueType)
	case *arrow.Date32Type, *arrow.Date64Type:
		return "DATE"
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return "TIMESTAMPTZ"
		}
		return [...]string{arrow.Second: "TIMESTAMP_S", arrow.Millisecond: "TIMESTAMP_MS",
			arrow.Microsecond: "TIMESTAMP", arrow.Nanosecond: "TIMESTAMP_NS"}[t.Unit]
	case *arrow.ListType:
		return SQLTypeName(t.Elem()) + "[]"
	case *arrow.LargeListType:
		return SQLTypeName(t.Elem()) + "[]"
	case *arrow.FixedSizeListType:
		return fmt.Sprintf("%s[%d]", SQLTypeName(t.Elem()), t.Len())
	}
	return t.String()
}
