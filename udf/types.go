package udf

import (
	"fmt"
	"math"
	"strings"

	"github.com/duckdb/duckdb-go/v2/mapping"
)

// colType is the Go description of an argument's DuckDB type, taken apart at
// bind time so the per-chunk code never asks the C API about types.
type colType struct {
	id     mapping.Type
	name   string       // SQL spelling, for error messages
	phys   mapping.Type // DECIMAL, ENUM: the integer type it is stored as
	scale  float64      // DECIMAL: 10^scale
	size   int          // ARRAY: fixed length
	elem   *colType     // LIST, ARRAY: element type
	fields []colField   // STRUCT
	enum   []string     // ENUM: the dictionary (phys is the index type)
}

type colField struct {
	name string
	typ  *colType
}

// newColType describes lt (which stays owned by the caller).
func newColType(lt mapping.LogicalType) *colType {
	t := &colType{id: mapping.GetTypeId(lt)}
	switch t.id {
	case mapping.TypeDecimal:
		width, scale := mapping.DecimalWidth(lt), mapping.DecimalScale(lt)
		t.phys = mapping.DecimalInternalType(lt)
		t.scale = math.Pow10(int(scale))
		t.name = fmt.Sprintf("DECIMAL(%d,%d)", width, scale)
	case mapping.TypeList:
		c := mapping.ListTypeChildType(lt)
		t.elem = newColType(c)
		mapping.DestroyLogicalType(&c)
		t.name = t.elem.name + "[]"
	case mapping.TypeArray:
		c := mapping.ArrayTypeChildType(lt)
		t.elem = newColType(c)
		mapping.DestroyLogicalType(&c)
		t.size = int(mapping.ArrayTypeArraySize(lt))
		t.name = fmt.Sprintf("%s[%d]", t.elem.name, t.size)
	case mapping.TypeStruct:
		n := mapping.StructTypeChildCount(lt)
		parts := make([]string, 0, n)
		for i := range n {
			c := mapping.StructTypeChildType(lt, i)
			f := colField{name: mapping.StructTypeChildName(lt, i), typ: newColType(c)}
			mapping.DestroyLogicalType(&c)
			t.fields = append(t.fields, f)
			parts = append(parts, f.name+" "+f.typ.name)
		}
		t.name = "STRUCT(" + strings.Join(parts, ", ") + ")"
	case mapping.TypeEnum:
		t.phys = mapping.EnumInternalType(lt)
		t.enum = make([]string, mapping.EnumDictionarySize(lt))
		for i := range t.enum {
			t.enum[i] = mapping.EnumDictionaryValue(lt, mapping.IdxT(i))
		}
		t.name = "ENUM"
	default:
		t.name = typeNames[t.id]
		if t.name == "" {
			t.name = fmt.Sprintf("type #%d", t.id)
		}
	}
	return t
}

var typeNames = map[mapping.Type]string{
	mapping.TypeBoolean: "BOOLEAN", mapping.TypeTinyInt: "TINYINT", mapping.TypeSmallInt: "SMALLINT",
	mapping.TypeInteger: "INTEGER", mapping.TypeBigInt: "BIGINT", mapping.TypeUTinyInt: "UTINYINT",
	mapping.TypeUSmallInt: "USMALLINT", mapping.TypeUInteger: "UINTEGER", mapping.TypeUBigInt: "UBIGINT",
	mapping.TypeFloat: "FLOAT", mapping.TypeDouble: "DOUBLE", mapping.TypeHugeInt: "HUGEINT",
	mapping.TypeUHugeInt: "UHUGEINT", mapping.TypeVarchar: "VARCHAR", mapping.TypeBlob: "BLOB",
	mapping.TypeDate: "DATE", mapping.TypeTimestamp: "TIMESTAMP", mapping.TypeTimestampTZ: "TIMESTAMPTZ",
	mapping.TypeTime: "TIME", mapping.TypeInterval: "INTERVAL",
	mapping.TypeMap: "MAP", mapping.TypeUUID: "UUID", mapping.TypeUnion: "UNION",
	mapping.TypeSQLNull: "NULL", mapping.TypeBit: "BIT",
}

// numeric reports whether values of t can be read as numbers.
func (t *colType) numeric() bool {
	switch t.id {
	case mapping.TypeBoolean, mapping.TypeTinyInt, mapping.TypeSmallInt, mapping.TypeInteger,
		mapping.TypeBigInt, mapping.TypeUTinyInt, mapping.TypeUSmallInt, mapping.TypeUInteger,
		mapping.TypeUBigInt, mapping.TypeFloat, mapping.TypeDouble, mapping.TypeHugeInt,
		mapping.TypeUHugeInt, mapping.TypeDecimal,
		mapping.TypeSQLNull: // an untyped NULL literal reads as an all-NULL numeric column
		return true
	}
	return false
}

// listOfNumbers reports whether t is a LIST or ARRAY of numbers.
func (t *colType) listOfNumbers() bool {
	return (t.id == mapping.TypeList || t.id == mapping.TypeArray) && t.elem.numeric() && t.elem.id != mapping.TypeSQLNull
}
