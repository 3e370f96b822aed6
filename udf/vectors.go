package udf

import (
	"math"
	"strconv"
	"unsafe"

	"github.com/dense-ml/dense/nn"
)

// vec is one DuckDB vector of a chunk, looked up once per chunk: its data
// and validity mask are read straight from DuckDB's memory.
//
// DuckDB flattens a scalar function's input chunk before the callback, so
// every vector here is flat: row i is element i of data; LIST rows are
// (offset, length) entries into the child vector; ARRAY row i is elements
// i*size … i*size+size-1 of the child; STRUCT fields are child vectors
// aligned with the parent's rows.
type vec struct {
	typ  *colType
	v    vector
	data unsafe.Pointer
	mask unsafe.Pointer // nil: every row valid
}

func newVec(t *colType, v vector) vec {
	return vec{typ: t, v: v, data: vectorData(v), mask: vectorValidity(v)}
}

// child returns the element vector of a LIST or ARRAY vector.
func (x *vec) child() vec {
	if x.typ.id == typeArray {
		return newVec(x.typ.elem, arrayVectorChild(x.v))
	}
	return newVec(x.typ.elem, listVectorChild(x.v))
}

// field returns the child vector of STRUCT field i.
func (x *vec) field(i int) vec {
	return newVec(x.typ.fields[i].typ, structVectorChild(x.v, i))
}

// valid reports whether row i is not NULL.
func (x *vec) valid(i int) bool {
	if x.typ.id == typeSQLNull {
		return false
	}
	if x.mask == nil {
		return true
	}
	w := *(*uint64)(unsafe.Add(x.mask, (i>>6)*8))
	return w>>(uint(i)&63)&1 != 0
}

// listEntry returns where LIST or ARRAY row i's elements are in the child.
func (x *vec) listEntry(i int) (offset, length int) {
	if x.typ.id == typeArray {
		return i * x.typ.size, x.typ.size
	}
	e := (*[2]uint64)(unsafe.Add(x.data, i*16))
	return int(e[0]), int(e[1])
}

// str returns VARCHAR row i. The string aliases DuckDB's memory: it is valid
// during the callback only and must not be kept.
func (x *vec) str(i int) string {
	p := unsafe.Add(x.data, i*16) // duckdb_string_t: uint32 length, then 12 inlined bytes or prefix+pointer
	n := *(*uint32)(p)
	if n <= 12 {
		return unsafe.String((*byte)(unsafe.Add(p, 4)), n)
	}
	return unsafe.String(*(**byte)(unsafe.Add(p, 8)), n)
}

// category returns VARCHAR or ENUM row i as a string. A VARCHAR aliases
// DuckDB's memory: it is valid during the callback only and must not be kept.
func (x *vec) category(i int) string {
	switch x.typ.id {
	case typeEnum:
		return x.typ.enum[int(intAt(x.typ.phys, x.data, i))]
	case typeVarchar:
		return x.str(i)
	case typeBoolean:
		return strconv.FormatBool(intAt(typeBoolean, x.data, i) != 0)
	case typeBigInt: // beyond 2^53 a float64 would change the digits
		return strconv.FormatInt(*(*int64)(unsafe.Add(x.data, i*8)), 10)
	case typeUBigInt:
		return strconv.FormatUint(*(*uint64)(unsafe.Add(x.data, i*8)), 10)
	}
	// An integer, for an input fitted from integers (checked at bind): the
	// category is its decimal text, as training made it.
	return strconv.FormatFloat(intAt(x.typ.id, x.data, i), 'f', -1, 64)
}

// num returns numeric row i as a float64 (ignoring validity).
func (x *vec) num(i int) float64 {
	t := x.typ
	switch t.id {
	case typeDouble:
		return *(*float64)(unsafe.Add(x.data, i*8))
	case typeFloat:
		return float64(*(*float32)(unsafe.Add(x.data, i*4)))
	case typeDecimal:
		return intAt(t.phys, x.data, i) / t.scale
	case typeSQLNull:
		return math.NaN()
	}
	return intAt(t.id, x.data, i)
}

// intAt reads element i of an integer (or boolean) array of type id.
func intAt(id typeID, data unsafe.Pointer, i int) float64 {
	switch id {
	case typeBoolean, typeUTinyInt:
		return float64(*(*uint8)(unsafe.Add(data, i)))
	case typeTinyInt:
		return float64(*(*int8)(unsafe.Add(data, i)))
	case typeSmallInt:
		return float64(*(*int16)(unsafe.Add(data, i*2)))
	case typeUSmallInt:
		return float64(*(*uint16)(unsafe.Add(data, i*2)))
	case typeInteger:
		return float64(*(*int32)(unsafe.Add(data, i*4)))
	case typeUInteger:
		return float64(*(*uint32)(unsafe.Add(data, i*4)))
	case typeBigInt:
		return float64(*(*int64)(unsafe.Add(data, i*8)))
	case typeUBigInt:
		return float64(*(*uint64)(unsafe.Add(data, i*8)))
	case typeHugeInt: // lower uint64, upper int64
		h := (*struct {
			lo uint64
			hi int64
		})(unsafe.Add(data, i*16))
		if h.hi == h.hi>>63 && h.hi == int64(h.lo)>>63 { // fits in an int64: convert without cancellation
			return float64(int64(h.lo))
		}
		return float64(h.hi)*0x1p64 + float64(h.lo)
	case typeUHugeInt:
		h := (*[2]uint64)(unsafe.Add(data, i*16))
		return float64(h[1])*0x1p64 + float64(h[0])
	}
	panic("udf: intAt on a non-integer type") // bind admits numeric types only
}

// Element status of a gathered run of numbers.
const (
	runOK      = iota
	runMissing // a NULL or NaN element
	runInf     // a ±Inf element (and no missing one)
)

// gather32 converts elements start … start+len(dst)-1 of the numeric vector
// x into dst, the fast path for inputs without preprocessing. The type switch
// is outside the loops; FLOAT and DOUBLE runs are straight conversions.
func (x *vec) gather32(dst []float32, start int) int {
	n := len(dst)
	if x.typ.id == typeSQLNull {
		return runMissing
	}
	if x.mask != nil {
		for j := range n {
			if !x.valid(start + j) {
				return runMissing
			}
		}
	}
	switch x.typ.id {
	case typeFloat:
		src := unsafe.Slice((*float32)(unsafe.Add(x.data, start*4)), n)
		copy(dst, src)
	case typeDouble:
		src := unsafe.Slice((*float64)(unsafe.Add(x.data, start*8)), n)
		for j, v := range src {
			dst[j] = float32(v) // ±Inf stays ±Inf; beyond float32's range becomes ±Inf too
		}
	default:
		for j := range n {
			dst[j] = float32(x.num(start + j))
		}
	}
	status := runOK
	for _, v := range dst {
		if v-v != 0 { // NaN or ±Inf
			if v != v {
				return runMissing
			}
			status = runInf
		}
	}
	return status
}

// gather64 is gather32 for inputs with preprocessing: full precision, and a
// NULL element becomes NaN, which the encoder treats as missing.
func (x *vec) gather64(dst []float64, start int) {
	for j := range dst {
		if x.valid(start + j) {
			dst[j] = x.num(start + j)
		} else {
			dst[j] = math.NaN()
		}
	}
}

// numbers converts one value per row into dst, NaN for a NULL: row r's is
// element base[r]+pos of x, or element r when base is nil (a column aligned
// with the rows). The type switch is outside the loops; the common types
// convert in straight loops.
func (x *vec) numbers(dst []float64, base []int, pos int) {
	switch x.typ.id {
	case typeSQLNull:
		for r := range dst {
			dst[r] = math.NaN()
		}
		return
	case typeDouble:
		loadNumbers[float64](dst, x.data, base, pos)
	case typeFloat:
		loadNumbers[float32](dst, x.data, base, pos)
	case typeInteger:
		loadNumbers[int32](dst, x.data, base, pos)
	case typeBigInt:
		loadNumbers[int64](dst, x.data, base, pos)
	case typeSmallInt:
		loadNumbers[int16](dst, x.data, base, pos)
	default:
		for r := range dst {
			i := r
			if base != nil {
				i = base[r] + pos
			}
			dst[r] = x.num(i)
		}
	}
	if x.mask == nil {
		return
	}
	for r := range dst {
		i := r
		if base != nil {
			i = base[r] + pos
		}
		if !x.valid(i) {
			dst[r] = math.NaN()
		}
	}
}

// loadNumbers is numbers' loop for element type T.
func loadNumbers[T float32 | float64 | int16 | int32 | int64](dst []float64, data unsafe.Pointer, base []int, pos int) {
	if base == nil {
		for r, v := range unsafe.Slice((*T)(data), len(dst)) {
			dst[r] = float64(v)
		}
		return
	}
	var zero T
	size := int(unsafe.Sizeof(zero))
	for r, b := range base[:len(dst)] {
		dst[r] = float64(*(*T)(unsafe.Add(data, (b+pos)*size)))
	}
}

// shortCodes caches the category codes of short VARCHARs for one input: a
// duckdb_string_t of at most 12 bytes holds the whole string, zero padded,
// so its 16 bytes are the value itself, a key that stays valid from chunk
// to chunk (a longer string's are a pointer into one chunk's memory). Open
// addressing over a fixed table; it takes no new keys once half full, and a
// column with more distinct values looks the rest up in the encoder.
type shortCodes struct {
	keys  [shortCodesSize][2]uint64
	codes [shortCodesSize]int32 // code+1; 0: empty slot
	n     int
}

const shortCodesSize = 512 // a power of 2

func shortSlot(k [2]uint64) int {
	h := k[0]*0x9e3779b97f4a7c15 ^ k[1]*0xc2b2ae3d27d4eb4f
	return int(h >> (64 - 9)) // log2(shortCodesSize) bits
}

// get returns the cached code of key k.
func (c *shortCodes) get(k [2]uint64) (nn.CategoryCode, bool) {
	for i := shortSlot(k); ; i = (i + 1) & (shortCodesSize - 1) {
		switch {
		case c.codes[i] == 0:
			return 0, false
		case c.keys[i] == k:
			return nn.CategoryCode(c.codes[i] - 1), true
		}
	}
}

// put caches code for key k (not present), unless the table is half full.
func (c *shortCodes) put(k [2]uint64, code nn.CategoryCode) {
	if c.n >= shortCodesSize/2 || code < 0 {
		return
	}
	i := shortSlot(k)
	for c.codes[i] != 0 {
		i = (i + 1) & (shortCodesSize - 1)
	}
	c.keys[i], c.codes[i] = k, int32(code)+1
	c.n++
}
