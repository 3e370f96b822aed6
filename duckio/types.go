package duckio

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// typeNames names DuckDB's type ids as SQL writes them (for messages and
// CREATE TABLE).
var typeNames = map[mapping.Type]string{
	mapping.TypeBoolean: "BOOLEAN", mapping.TypeTinyInt: "TINYINT", mapping.TypeSmallInt: "SMALLINT",
	mapping.TypeInteger: "INTEGER", mapping.TypeBigInt: "BIGINT", mapping.TypeUTinyInt: "UTINYINT",
	mapping.TypeUSmallInt: "USMALLINT", mapping.TypeUInteger: "UINTEGER", mapping.TypeUBigInt: "UBIGINT",
	mapping.TypeFloat: "FLOAT", mapping.TypeDouble: "DOUBLE", mapping.TypeTimestamp: "TIMESTAMP",
	mapping.TypeDate: "DATE", mapping.TypeTime: "TIME", mapping.TypeInterval: "INTERVAL",
	mapping.TypeHugeInt: "HUGEINT", mapping.TypeUHugeInt: "UHUGEINT", mapping.TypeVarchar: "VARCHAR",
	mapping.TypeBlob: "BLOB", mapping.TypeDecimal: "DECIMAL", mapping.TypeTimestampS: "TIMESTAMP_S",
	mapping.TypeTimestampMS: "TIMESTAMP_MS", mapping.TypeTimestampNS: "TIMESTAMP_NS", mapping.TypeEnum: "ENUM",
	mapping.TypeList: "LIST", mapping.TypeStruct: "STRUCT", mapping.TypeMap: "MAP", mapping.TypeArray: "ARRAY",
	mapping.TypeUUID: "UUID", mapping.TypeUnion: "UNION", mapping.TypeBit: "BIT", mapping.TypeTimeTZ: "TIME WITH TIME ZONE",
	mapping.TypeTimestampTZ: "TIMESTAMP WITH TIME ZONE", mapping.TypeBigNum: "BIGNUM", mapping.TypeSQLNull: "NULL",
}

// typeName is a DuckDB type as SQL writes it: DECIMAL(12,2), DOUBLE[],
// FLOAT[3], STRUCT, ….
func typeName(lt mapping.LogicalType) string {
	id := mapping.GetTypeId(lt)
	if alias := mapping.LogicalTypeGetAlias(lt); alias != "" {
		return alias
	}
	switch id {
	case mapping.TypeDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", mapping.DecimalWidth(lt), mapping.DecimalScale(lt))
	case mapping.TypeList:
		child := mapping.ListTypeChildType(lt)
		defer mapping.DestroyLogicalType(&child)
		return typeName(child) + "[]"
	case mapping.TypeArray:
		child := mapping.ArrayTypeChildType(lt)
		defer mapping.DestroyLogicalType(&child)
		return fmt.Sprintf("%s[%d]", typeName(child), mapping.ArrayTypeArraySize(lt))
	}
	if s, ok := typeNames[id]; ok {
		return s
	}
	return fmt.Sprintf("type #%d", id)
}

// ErrType is wrapped when a column's type has no mapping (a DuckDB type
// with no Arrow counterpart here, or an Arrow type with no DuckDB one).
var ErrType = fmt.Errorf("unsupported column type")

// arrowType maps a DuckDB logical type to the Arrow type this package reads
// it as (see the package documentation's table).
func arrowType(lt mapping.LogicalType) (arrow.DataType, error) {
	switch id := mapping.GetTypeId(lt); id {
	case mapping.TypeBoolean:
		return arrow.FixedWidthTypes.Boolean, nil
	case mapping.TypeTinyInt:
		return arrow.PrimitiveTypes.Int8, nil
	case mapping.TypeSmallInt:
		return arrow.PrimitiveTypes.Int16, nil
	case mapping.TypeInteger:
		return arrow.PrimitiveTypes.Int32, nil
	case mapping.TypeBigInt:
		return arrow.PrimitiveTypes.Int64, nil
	case mapping.TypeUTinyInt:
		return arrow.PrimitiveTypes.Uint8, nil
	case mapping.TypeUSmallInt:
		return arrow.PrimitiveTypes.Uint16, nil
	case mapping.TypeUInteger:
		return arrow.PrimitiveTypes.Uint32, nil
	case mapping.TypeUBigInt:
		return arrow.PrimitiveTypes.Uint64, nil
	case mapping.TypeHugeInt, mapping.TypeUHugeInt:
		return &arrow.Decimal128Type{Precision: 38, Scale: 0}, nil
	case mapping.TypeFloat:
		return arrow.PrimitiveTypes.Float32, nil
	case mapping.TypeDouble:
		return arrow.PrimitiveTypes.Float64, nil
	case mapping.TypeDecimal:
		return &arrow.Decimal128Type{Precision: int32(mapping.DecimalWidth(lt)), Scale: int32(mapping.DecimalScale(lt))}, nil
	case mapping.TypeVarchar, mapping.TypeEnum:
		return arrow.BinaryTypes.String, nil
	case mapping.TypeBlob:
		return arrow.BinaryTypes.Binary, nil
	case mapping.TypeDate:
		return arrow.FixedWidthTypes.Date32, nil
	case mapping.TypeTime:
		return arrow.FixedWidthTypes.Time64us, nil
	case mapping.TypeTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond}, nil
	case mapping.TypeTimestampS:
		return &arrow.TimestampType{Unit: arrow.Second}, nil
	case mapping.TypeTimestampMS:
		return &arrow.TimestampType{Unit: arrow.Millisecond}, nil
	case mapping.TypeTimestampNS:
		return &arrow.TimestampType{Unit: arrow.Nanosecond}, nil
	case mapping.TypeTimestampTZ:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, nil
	case mapping.TypeList:
		child := mapping.ListTypeChildType(lt)
		defer mapping.DestroyLogicalType(&child)
		et, err := arrowType(child)
		if err != nil {
			return nil, err
		}
		return arrow.ListOf(et), nil
	case mapping.TypeArray:
		child := mapping.ArrayTypeChildType(lt)
		defer mapping.DestroyLogicalType(&child)
		et, err := arrowType(child)
		if err != nil {
			return nil, err
		}
		return arrow.FixedSizeListOf(int32(mapping.ArrayTypeArraySize(lt)), et), nil
	}
	return nil, fmt.Errorf("%w %s (cast it in SQL to a supported type)", ErrType, typeName(lt))
}

// duckType is the DuckDB type an Arrow type is written as, in SQL.
func duckType(t arrow.DataType) (string, error) {
	switch t := t.(type) {
	case *arrow.BooleanType:
		return "BOOLEAN", nil
	case *arrow.Int8Type:
		return "TINYINT", nil
	case *arrow.Int16Type:
		return "SMALLINT", nil
	case *arrow.Int32Type:
		return "INTEGER", nil
	case *arrow.Int64Type:
		return "BIGINT", nil
	case *arrow.Uint8Type:
		return "UTINYINT", nil
	case *arrow.Uint16Type:
		return "USMALLINT", nil
	case *arrow.Uint32Type:
		return "UINTEGER", nil
	case *arrow.Uint64Type:
		return "UBIGINT", nil
	case *arrow.Float32Type:
		return "FLOAT", nil
	case *arrow.Float64Type:
		return "DOUBLE", nil
	case *arrow.Decimal128Type:
		if t.Precision > 38 {
			return "", fmt.Errorf("%w %s (DuckDB decimals hold at most 38 digits)", ErrType, t)
		}
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.StringType, *arrow.LargeStringType:
		return "VARCHAR", nil
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		return "BLOB", nil
	case *arrow.Date32Type:
		return "DATE", nil
	case *arrow.Time64Type:
		if t.Unit == arrow.Microsecond {
			return "TIME", nil
		}
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			if t.Unit == arrow.Microsecond {
				return "TIMESTAMPTZ", nil
			}
			break
		}
		return [...]string{arrow.Second: "TIMESTAMP_S", arrow.Millisecond: "TIMESTAMP_MS", arrow.Microsecond: "TIMESTAMP", arrow.Nanosecond: "TIMESTAMP_NS"}[t.Unit], nil
	case *arrow.DictionaryType:
		if isString(t.ValueType) {
			return "VARCHAR", nil
		}
	case *arrow.ListType:
		e, err := duckType(t.Elem())
		if err != nil {
			return "", err
		}
		return e + "[]", nil
	case *arrow.FixedSizeListType:
		e, err := duckType(t.Elem())
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s[%d]", e, t.Len()), nil
	}
	return "", fmt.Errorf("%w %s (no DuckDB column type for it here; cast it first)", ErrType, t)
}

func isString(t arrow.DataType) bool {
	return t.ID() == arrow.STRING || t.ID() == arrow.LARGE_STRING
}

func arrowRecord(schema *arrow.Schema, cols []arrow.Array, rows int64) arrow.RecordBatch {
	return array.NewRecordBatch(schema, cols, rows)
}
