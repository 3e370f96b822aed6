package udf

import (
	"fmt"
	"math"
	"strings"
)

// colType is the Go description of an argument's DuckDB type, taken apart at
// bind time so the per-chunk code never asks the C API about types.
type colType struct {
	id     typeID
	name   string     // SQL spelling, for error messages
	phys   typeID     // DECIMAL, ENUM: the integer type it is stored as
	scale  float64    // DECIMAL: 10^scale
	size   int        // ARRAY: fixed length
	elem   *colType   // LIST, ARRAY: element type
	fields []colField // STRUCT
	enum   []string   // ENUM: the dictionary (phys is the index type)
}

type colField struct {
	name string
	typ  *colType
}

// newColType describes lt (which stays owned by the caller).
func newColType(lt logicalType) *colType {
	t := &colType{id: logicalTypeID(lt)}
	switch t.id {
	case typeDecimal:
		width, scale := decimalWidth(lt), decimalScale(lt)
		t.phys = decimalInternalType(lt)
		t.scale = math.Pow10(int(scale))
		t.name = fmt.Sprintf("DECIMAL(%d,%d)", width, scale)
	case typeList:
		c := listTypeChild(lt)
		t.elem = newColType(c)
		destroyLogicalType(&c)
		t.name = t.elem.name + "[]"
	case typeArray:
		c := arrayTypeChild(lt)
		t.elem = newColType(c)
		destroyLogicalType(&c)
		t.size = arrayTypeSize(lt)
		t.name = fmt.Sprintf("%s[%d]", t.elem.name, t.size)
	case typeStruct:
		n := structTypeChildCount(lt)
		parts := make([]string, 0, n)
		for i := range n {
			c := structTypeChild(lt, i)
			f := colField{name: structTypeChildName(lt, i), typ: newColType(c)}
			destroyLogicalType(&c)
			t.fields = append(t.fields, f)
			parts = append(parts, f.name+" "+f.typ.name)
		}
		t.name = "STRUCT(" + strings.Join(parts, ", ") + ")"
	case typeEnum:
		t.phys = enumInternalType(lt)
		t.enum = make([]string, enumDictionarySize(lt))
		for i := range t.enum {
			t.enum[i] = enumDictionaryValue(lt, i)
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

var typeNames = map[typeID]string{
	typeBoolean: "BOOLEAN", typeTinyInt: "TINYINT", typeSmallInt: "SMALLINT",
	typeInteger: "INTEGER", typeBigInt: "BIGINT", typeUTinyInt: "UTINYINT",
	typeUSmallInt: "USMALLINT", typeUInteger: "UINTEGER", typeUBigInt: "UBIGINT",
	typeFloat: "FLOAT", typeDouble: "DOUBLE", typeHugeInt: "HUGEINT",
	typeUHugeInt: "UHUGEINT", typeVarchar: "VARCHAR", typeBlob: "BLOB",
	typeDate: "DATE", typeTimestamp: "TIMESTAMP", typeTimestampTZ: "TIMESTAMPTZ",
	typeTime: "TIME", typeInterval: "INTERVAL", typeTimestampS: "TIMESTAMP_S",
	typeTimestampMS: "TIMESTAMP_MS", typeTimestampNS: "TIMESTAMP_NS",
	typeMap: "MAP", typeUUID: "UUID", typeUnion: "UNION",
	typeSQLNull: "NULL", typeBit: "BIT",
}

// numeric reports whether values of t can be read as numbers.
func (t *colType) numeric() bool {
	switch t.id {
	case typeBoolean, typeTinyInt, typeSmallInt, typeInteger,
		typeBigInt, typeUTinyInt, typeUSmallInt, typeUInteger,
		typeUBigInt, typeFloat, typeDouble, typeHugeInt,
		typeUHugeInt, typeDecimal,
		typeSQLNull: // an untyped NULL literal reads as an all-NULL numeric column
		return true
	}
	return false
}

// listOfNumbers reports whether t is a LIST or ARRAY of numbers.
func (t *colType) listOfNumbers() bool {
	return (t.id == typeList || t.id == typeArray) && t.elem.numeric() && t.elem.id != typeSQLNull
}

// unknown reports whether t, or a type inside it, is not known yet: a ?
// parameter while a statement is prepared.
func (t *colType) unknown() bool {
	if t.id == typeInvalid || (t.elem != nil && t.elem.unknown()) {
		return true
	}
	for _, f := range t.fields {
		if f.typ.unknown() {
			return true
		}
	}
	return false
}

// integer reports whether t is an integer or BOOLEAN type that intAt reads.
func (t *colType) integer() bool {
	switch t.id {
	case typeBoolean, typeTinyInt, typeSmallInt, typeInteger, typeBigInt,
		typeUTinyInt, typeUSmallInt, typeUInteger, typeUBigInt:
		return true
	}
	return false
}
