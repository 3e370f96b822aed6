package duckio

import (
	"errors"
	"fmt"
	"math/big"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// This file turns DuckDB vectors into Arrow arrays. A vec is a DuckDB
// vector with its data and validity pointers; a builder appends a range of
// a vec's rows to Arrow buffers of its own and hands them over as an array.
// Fixed-width values are copied with one memmove per range, validity masks
// bit by bit range (DuckDB's mask is little-endian uint64 words, the same
// bit order as Arrow's bitmap), strings from DuckDB's 16-byte string_t.

type vec struct {
	v    mapping.Vector
	data unsafe.Pointer
	mask unsafe.Pointer // nil: every row valid
}

func newVec(v mapping.Vector) vec {
	return vec{v: v, data: mapping.VectorGetData(v), mask: mapping.VectorGetValidity(v)}
}

// maskBytes is the validity mask as bytes covering rows [0, end).
func (x vec) maskBytes(end int) []byte {
	return unsafe.Slice((*byte)(x.mask), (end+7)/8)
}

func (x vec) valid(i int) bool {
	return x.mask == nil || *(*byte)(unsafe.Add(x.mask, i>>3))&(1<<(i&7)) != 0
}

// builder accumulates rows of one column.
type builder interface {
	// add appends rows [off, off+n) of x.
	add(x vec, off, n int) error
	// finish returns the rows added since the last finish as an array
	// and starts afresh.
	finish() arrow.Array
	release()
}

// buffer is a growing memory.Buffer of the allocator. hint is the size it
// starts with: what the previous batch used, so that after the first batch
// a batch fills its buffers without reallocating (and a small result does
// not allocate a full batch's worth).
type buffer struct {
	mem  memory.Allocator
	b    *memory.Buffer
	hint int
}

// extend grows the buffer by n bytes and returns them.
func (b *buffer) extend(n int) []byte {
	if b.b == nil {
		b.b = memory.NewResizableBuffer(b.mem)
		b.b.Reserve(max(n, b.hint))
	}
	l := b.b.Len()
	if need := l + n; need > b.b.Cap() {
		b.b.Reserve(max(need, 2*b.b.Cap(), 64))
	}
	b.b.ResizeNoShrink(l + n)
	return b.b.Buf()[l : l+n]
}

func (b *buffer) len() int {
	if b.b == nil {
		return 0
	}
	return b.b.Len()
}

// take hands the buffer over (an empty one if nothing was written).
func (b *buffer) take() *memory.Buffer {
	out := b.b
	b.b = nil
	if out == nil {
		out = memory.NewResizableBuffer(b.mem)
	}
	b.hint = max(b.hint, out.Len())
	return out
}

func (b *buffer) release() {
	if b.b != nil {
		b.b.Release()
		b.b = nil
	}
}

// validity is an Arrow validity bitmap that exists only once a NULL came.
type validity struct {
	buf   buffer
	n     int // rows
	nulls int
}

func (v *validity) add(x vec, off, n int) {
	if x.mask != nil {
		src := x.maskBytes(off + n)
		if nulls := n - bitutil.CountSetBits(src, off, n); nulls > 0 {
			v.materialise(n)
			bitutil.CopyBitmap(src, off, n, v.buf.b.Buf(), v.n)
			v.n += n
			v.nulls += nulls
			return
		}
	}
	v.addValid(n)
}

func (v *validity) addValid(n int) {
	if v.buf.b != nil {
		v.grow(v.n + n)
		bitutil.SetBitsTo(v.buf.b.Buf(), int64(v.n), int64(n), true)
	}
	v.n += n
}

func (v *validity) addNull() {
	v.materialise(1)
	bitutil.ClearBit(v.buf.b.Buf(), v.n)
	v.n++
	v.nulls++
}

// materialise makes the bitmap exist (all previous rows valid) with room
// for n more rows.
func (v *validity) materialise(n int) {
	if v.buf.b == nil {
		v.buf.extend(int(bitutil.BytesForBits(int64(v.n + n))))
		bitutil.SetBitsTo(v.buf.b.Buf(), 0, int64(v.n), true)
		return
	}
	v.grow(v.n + n)
}

func (v *validity) grow(rows int) {
	if need := int(bitutil.BytesForBits(int64(rows))); need > v.buf.len() {
		v.buf.extend(need - v.buf.len())
	}
}

// take returns the bitmap (nil when no NULL came) and the NULL count.
func (v *validity) take() (*memory.Buffer, int) {
	nulls := v.nulls
	var b *memory.Buffer
	if v.buf.b != nil {
		b = v.buf.take()
	}
	v.n, v.nulls = 0, 0
	return b, nulls
}

// newBuilder returns the builder for a DuckDB column type; t is
// arrowType(lt).
func newBuilder(lt mapping.LogicalType, t arrow.DataType, mem memory.Allocator) (builder, error) {
	switch id := mapping.GetTypeId(lt); id {
	case mapping.TypeBoolean:
		return &boolBuilder{valid: validity{buf: buffer{mem: mem}}, data: buffer{mem: mem}}, nil
	case mapping.TypeVarchar, mapping.TypeBlob:
		return newStringBuilder(t, mem), nil
	case mapping.TypeEnum:
		n := int(mapping.EnumDictionarySize(lt))
		dict := make([]string, n)
		for i := range dict {
			dict[i] = mapping.EnumDictionaryValue(lt, mapping.IdxT(i))
		}
		return &enumBuilder{stringBuilder: newStringBuilder(t, mem), dict: dict, index: mapping.EnumInternalType(lt)}, nil
	case mapping.TypeDecimal:
		switch internal := mapping.DecimalInternalType(lt); internal {
		case mapping.TypeSmallInt:
			return newFixed(t, 16, 2, mem, widen[int16]), nil
		case mapping.TypeInteger:
			return newFixed(t, 16, 4, mem, widen[int32]), nil
		case mapping.TypeBigInt:
			return newFixed(t, 16, 8, mem, widen[int64]), nil
		case mapping.TypeHugeInt:
			return newFixed(t, 16, 16, mem, nil), nil
		}
	case mapping.TypeHugeInt:
		return newFixed(t, 16, 16, mem, checkDecimal38(false)), nil
	case mapping.TypeUHugeInt:
		return newFixed(t, 16, 16, mem, checkDecimal38(true)), nil
	case mapping.TypeList:
		child := mapping.ListTypeChildType(lt)
		defer mapping.DestroyLogicalType(&child)
		cb, err := newBuilder(child, t.(*arrow.ListType).Elem(), mem)
		if err != nil {
			return nil, err
		}
		return &listBuilder{typ: t, child: cb, valid: validity{buf: buffer{mem: mem}}, offsets: buffer{mem: mem}}, nil
	case mapping.TypeArray:
		child := mapping.ArrayTypeChildType(lt)
		defer mapping.DestroyLogicalType(&child)
		ft := t.(*arrow.FixedSizeListType)
		cb, err := newBuilder(child, ft.Elem(), mem)
		if err != nil {
			return nil, err
		}
		return &arrayBuilder{typ: t, size: int(ft.Len()), child: cb, valid: validity{buf: buffer{mem: mem}}}, nil
	default:
		if fw, ok := t.(arrow.FixedWidthDataType); ok && fw.BitWidth()%8 == 0 {
			return newFixed(t, fw.BitWidth()/8, fw.BitWidth()/8, mem, nil), nil
		}
	}
	return nil, fmt.Errorf("%w %s", ErrType, typeName(lt))
}

// fixedBuilder copies fixed-width values (width bytes in Arrow, srcWidth in
// DuckDB). convert, when set, turns n DuckDB values at src into Arrow
// values at dst (else a memmove).
type fixedBuilder struct {
	typ      arrow.DataType
	width    int
	srcWidth int
	data     buffer
	valid    validity
	convert  func(dst []byte, src unsafe.Pointer, n int) error
}

func newFixed(t arrow.DataType, width, srcWidth int, mem memory.Allocator, convert func([]byte, unsafe.Pointer, int) error) *fixedBuilder {
	return &fixedBuilder{typ: t, width: width, srcWidth: srcWidth, data: buffer{mem: mem},
		valid: validity{buf: buffer{mem: mem}}, convert: convert}
}

func (b *fixedBuilder) add(x vec, off, n int) error {
	b.valid.add(x, off, n)
	dst := b.data.extend(n * b.width)
	if b.convert != nil {
		return b.convert(dst, unsafe.Add(x.data, off*b.srcWidth), n)
	}
	copy(dst, unsafe.Slice((*byte)(unsafe.Add(x.data, off*b.width)), n*b.width))
	return nil
}

func (b *fixedBuilder) finish() arrow.Array {
	n := b.valid.n
	vb, nulls := b.valid.take()
	db := b.data.take()
	d := array.NewData(b.typ, n, []*memory.Buffer{vb, db}, nil, nulls, 0)
	releaseBuffers(vb, db)
	defer d.Release()
	return array.MakeFromData(d)
}

func (b *fixedBuilder) release() { b.data.release(); b.valid.buf.release() }

func releaseBuffers(bs ...*memory.Buffer) {
	for _, b := range bs {
		if b != nil {
			b.Release()
		}
	}
}

// widen converts DuckDB's int16/int32/int64 decimal storage to Arrow's
// 16-byte decimal128 (low word, then the sign-extended high word).
func widen[T int16 | int32 | int64](dst []byte, src unsafe.Pointer, n int) error {
	s := unsafe.Slice((*T)(src), n)
	d := unsafe.Slice((*[2]int64)(unsafe.Pointer(unsafe.SliceData(dst))), n)
	for i, v := range s {
		d[i] = [2]int64{int64(v), int64(v) >> 63}
	}
	return nil
}

// maxDecimal38 is 10^38: decimal128(38, 0) holds magnitudes below it.
var maxDecimal38 = new(big.Int).Exp(big.NewInt(10), big.NewInt(38), nil)

// checkDecimal38 copies HUGEINT (or UHUGEINT) values, which DuckDB stores
// like decimal128 (low uint64, then the high word), and refuses a value of
// 39 digits, which a decimal128(38, 0) cannot hold.
func checkDecimal38(unsigned bool) func([]byte, unsafe.Pointer, int) error {
	// |v| < 2^126 always fits (2^126 < 10^38); only larger values need
	// the exact comparison.
	return func(dst []byte, src unsafe.Pointer, n int) error {
		copy(dst, unsafe.Slice((*byte)(src), 16*n))
		w := unsafe.Slice((*[2]uint64)(unsafe.Pointer(unsafe.SliceData(dst))), n)
		for _, v := range w {
			hi := v[1]
			if !unsigned && int64(hi) < 0 {
				hi = ^hi // the magnitude's high word, give or take one
			}
			if hi>>62 == 0 {
				continue
			}
			x := new(big.Int).Lsh(new(big.Int).SetUint64(v[1]), 64)
			x.Or(x, new(big.Int).SetUint64(v[0]))
			if !unsigned && int64(v[1]) < 0 {
				x.Sub(x, new(big.Int).Lsh(big.NewInt(1), 128))
			}
			if new(big.Int).Abs(x).Cmp(maxDecimal38) >= 0 {
				return fmt.Errorf("%w: %s has 39 digits, more than a decimal128(38, 0) holds (cast it to DOUBLE in SQL)", ErrType, x)
			}
		}
		return nil
	}
}

// boolBuilder packs DuckDB's one-byte booleans into bits.
type boolBuilder struct {
	data  buffer
	valid validity
	n     int
}

func (b *boolBuilder) add(x vec, off, n int) error {
	b.valid.add(x, off, n)
	if need := int(bitutil.BytesForBits(int64(b.n + n))); need > b.data.len() {
		clear(b.data.extend(need - b.data.len()))
	}
	bits := b.data.b.Buf()
	src := unsafe.Slice((*byte)(unsafe.Add(x.data, off)), n)
	for i, v := range src {
		if v != 0 {
			bitutil.SetBit(bits, b.n+i)
		}
	}
	b.n += n
	return nil
}

func (b *boolBuilder) finish() arrow.Array {
	n := b.n
	vb, nulls := b.valid.take()
	db := b.data.take()
	b.n = 0
	d := array.NewData(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{vb, db}, nil, nulls, 0)
	releaseBuffers(vb, db)
	defer d.Release()
	return array.MakeFromData(d)
}

func (b *boolBuilder) release() { b.data.release(); b.valid.buf.release() }

// stringBuilder builds string (or binary) arrays: int32 offsets and bytes.
type stringBuilder struct {
	typ     arrow.DataType
	offsets buffer
	bytes   buffer
	valid   validity
	end     int // bytes so far
}

func newStringBuilder(t arrow.DataType, mem memory.Allocator) *stringBuilder {
	return &stringBuilder{typ: t, offsets: buffer{mem: mem}, bytes: buffer{mem: mem},
		valid: validity{buf: buffer{mem: mem}}}
}

// errTooLarge is returned when a batch's strings pass Arrow's 2 GiB.
var errTooLarge = errors.New("the batch's strings pass 2 GiB; use a smaller batch size")

func (b *stringBuilder) offsetsFor(n int) []int32 {
	if b.offsets.len() == 0 {
		b.offsets.extend(4) // the leading 0
		*(*int32)(unsafe.Pointer(&b.offsets.b.Buf()[0])) = 0
	}
	o := b.offsets.extend(4 * n)
	return unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(o))), n)
}

func (b *stringBuilder) add(x vec, off, n int) error {
	b.valid.add(x, off, n)
	offs := b.offsetsFor(n)
	for i := range n {
		r := off + i
		if x.valid(r) {
			if err := b.appendBytes(stringAt(x.data, r)); err != nil {
				return err
			}
		}
		offs[i] = int32(b.end)
	}
	return nil
}

func (b *stringBuilder) appendBytes(s []byte) error {
	if b.end+len(s) > 1<<31-1 {
		return errTooLarge
	}
	copy(b.bytes.extend(len(s)), s)
	b.end += len(s)
	return nil
}

// stringAt returns duckdb_string_t i of data: a uint32 length, then 12
// inlined bytes or a 4-byte prefix and a pointer. It aliases DuckDB's memory.
func stringAt(data unsafe.Pointer, i int) []byte {
	p := unsafe.Add(data, i*16)
	n := int(*(*uint32)(p))
	if n <= 12 {
		return unsafe.Slice((*byte)(unsafe.Add(p, 4)), n)
	}
	return unsafe.Slice(*(**byte)(unsafe.Add(p, 8)), n)
}

func (b *stringBuilder) finish() arrow.Array {
	n := b.valid.n
	if b.offsets.len() == 0 {
		b.offsetsFor(0)
	}
	vb, nulls := b.valid.take()
	ob, db := b.offsets.take(), b.bytes.take()
	b.end = 0
	d := array.NewData(b.typ, n, []*memory.Buffer{vb, ob, db}, nil, nulls, 0)
	releaseBuffers(vb, ob, db)
	defer d.Release()
	return array.MakeFromData(d)
}

func (b *stringBuilder) release() { b.offsets.release(); b.bytes.release(); b.valid.buf.release() }

// enumBuilder writes an ENUM's labels as strings.
type enumBuilder struct {
	*stringBuilder
	dict  []string
	index mapping.Type // UTINYINT, USMALLINT or UINTEGER
}

func (b *enumBuilder) add(x vec, off, n int) error {
	b.valid.add(x, off, n)
	offs := b.offsetsFor(n)
	for i := range n {
		r := off + i
		if x.valid(r) {
			var k int
			switch b.index {
			case mapping.TypeUTinyInt:
				k = int(*(*uint8)(unsafe.Add(x.data, r)))
			case mapping.TypeUSmallInt:
				k = int(*(*uint16)(unsafe.Add(x.data, 2*r)))
			default:
				k = int(*(*uint32)(unsafe.Add(x.data, 4*r)))
			}
			if err := b.appendBytes(unsafe.Slice(unsafe.StringData(b.dict[k]), len(b.dict[k]))); err != nil {
				return err
			}
		}
		offs[i] = int32(b.end)
	}
	return nil
}

// listBuilder reads LIST vectors: duckdb_list_entry {offset, length} per
// row into a child vector.
type listBuilder struct {
	typ     arrow.DataType
	child   builder
	valid   validity
	offsets buffer
	end     int // child rows so far
}

func (b *listBuilder) add(x vec, off, n int) error {
	b.valid.add(x, off, n)
	if b.offsets.len() == 0 {
		b.offsets.extend(4)
		*(*int32)(unsafe.Pointer(&b.offsets.b.Buf()[0])) = 0
	}
	o := b.offsets.extend(4 * n)
	offs := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(o))), n)
	entries := unsafe.Slice((*[2]uint64)(unsafe.Add(x.data, off*16)), n)
	child := newVec(mapping.ListVectorGetChild(x.v))
	// Consecutive entries (the usual layout) are copied as one range.
	runStart, runLen := 0, 0
	for i, e := range entries {
		if x.valid(off + i) {
			if runLen > 0 && int(e[0]) != runStart+runLen {
				if err := b.child.add(child, runStart, runLen); err != nil {
					return err
				}
				runLen = 0
			}
			if runLen == 0 {
				runStart = int(e[0])
			}
			runLen += int(e[1])
			b.end += int(e[1])
			if b.end > 1<<31-1 {
				return errTooLarge
			}
		}
		offs[i] = int32(b.end)
	}
	if runLen > 0 {
		return b.child.add(child, runStart, runLen)
	}
	return nil
}

func (b *listBuilder) finish() arrow.Array {
	n := b.valid.n
	if b.offsets.len() == 0 {
		b.offsets.extend(4)
		*(*int32)(unsafe.Pointer(&b.offsets.b.Buf()[0])) = 0
	}
	child := b.child.finish()
	defer child.Release()
	vb, nulls := b.valid.take()
	ob := b.offsets.take()
	b.end = 0
	d := array.NewData(b.typ, n, []*memory.Buffer{vb, ob}, []arrow.ArrayData{child.Data()}, nulls, 0)
	releaseBuffers(vb, ob)
	defer d.Release()
	return array.MakeFromData(d)
}

func (b *listBuilder) release() { b.child.release(); b.offsets.release(); b.valid.buf.release() }

// arrayBuilder reads ARRAY (fixed-size) vectors: size child rows per row.
type arrayBuilder struct {
	typ   arrow.DataType
	size  int
	child builder
	valid validity
}

func (b *arrayBuilder) add(x vec, off, n int) error {
	b.valid.add(x, off, n)
	return b.child.add(newVec(mapping.ArrayVectorGetChild(x.v)), off*b.size, n*b.size)
}

func (b *arrayBuilder) finish() arrow.Array {
	n := b.valid.n
	child := b.child.finish()
	defer child.Release()
	vb, nulls := b.valid.take()
	d := array.NewData(b.typ, n, []*memory.Buffer{vb}, []arrow.ArrayData{child.Data()}, nulls, 0)
	releaseBuffers(vb)
	defer d.Release()
	return array.MakeFromData(d)
}

func (b *arrayBuilder) release() { b.child.release(); b.valid.buf.release() }
