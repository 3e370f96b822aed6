package nn

// The safetensors container (https://github.com/huggingface/safetensors):
//
//	8 bytes    little-endian uint64 N, the length of the JSON header
//	N bytes    JSON header, padded with spaces to a multiple of 8
//	the rest   raw little-endian tensor data, tensor after tensor
//
// The header maps each tensor name to {"dtype", "shape", "data_offsets"}
// (offsets relative to the start of the data) and may hold "__metadata__", a
// string → string map. This file reads and checks any such container and
// writes one of F32 tensors; it knows nothing of models or specs (file.go and
// statedict.go map tensors to layers).

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Limits the loader enforces before it allocates anything sized by the file.
const (
	MaxHeaderBytes    = 100 << 20 // the JSON header
	MaxModelFileBytes = 16 << 30  // the whole file
	maxTensorDims     = 8
)

// dtypeSize holds the element size of every safetensors dtype, so that the
// layout of any file can be checked; only the float ones can be loaded.
var dtypeSize = map[string]int64{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

// Loadable dtypes: F32 as is; F16, BF16 and F64 are converted to float32
// (an F64 value beyond float32's range becomes ±Inf and is refused).
func loadableDtype(d string) bool { return d == "F32" || d == "F16" || d == "BF16" || d == "F64" }

// stEntry is one tensor of a safetensors header, checked for consistency.
type stEntry struct {
	name       string
	dtype      string
	shape      []int
	elems      int64
	begin, end int64 // offsets into the data section
}

// stHeader is a parsed and checked safetensors header.
type stHeader struct {
	raw      []byte // the JSON header as read, padding included
	metadata map[string]string
	entries  []stEntry // sorted by offset
}

// --- writing --------------------------------------------------------------

// metaPair is one "__metadata__" entry, written in the order given.
type metaPair struct{ key, value string }

// safetensorsHeader builds the JSON header of a container with the given
// metadata entries and the tensors as F32, in order, padded with spaces so
// that the data starts 8-byte aligned, as the reference implementation does.
func safetensorsHeader(meta []metaPair, tensors []Tensor) ([]byte, error) {
	var h bytes.Buffer
	h.WriteString(`{"__metadata__":{`)
	for i, p := range meta {
		if i > 0 {
			h.WriteByte(',')
		}
		writeJSONString(&h, p.key)
		h.WriteByte(':')
		writeJSONString(&h, p.value)
	}
	h.WriteByte('}')
	var off int64
	for _, t := range tensors {
		n := int64(len(t.Data)) * 4
		h.WriteByte(',')
		writeJSONString(&h, t.Name)
		h.WriteString(`:{"dtype":"F32","shape":[`)
		for i, d := range t.Shape {
			if i > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, off, off+n)
		off += n
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	if h.Len() > MaxHeaderBytes {
		return nil, fmt.Errorf("header is %d bytes, over the %d-byte limit the loader enforces", h.Len(), MaxHeaderBytes)
	}
	return h.Bytes(), nil
}

// writeSafetensors writes a container: the 8-byte length, hdr (from
// safetensorsHeader) and the tensors' data.
func writeSafetensors(w io.Writer, hdr []byte, tensors []Tensor) (int64, error) {
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hdr)))
	n, err := w.Write(lenBuf[:])
	written := int64(n)
	if err != nil {
		return written, err
	}
	n, err = w.Write(hdr)
	written += int64(n)
	if err != nil {
		return written, err
	}
	m, err := writeTensorData(w, tensors)
	return written + m, err
}

// writeTensorData writes the tensors' values as little-endian F32.
func writeTensorData(w io.Writer, tensors []Tensor) (int64, error) {
	var written int64
	buf := make([]byte, 0, 64<<10)
	for _, t := range tensors {
		for _, v := range t.Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			if len(buf) == cap(buf) {
				n, err := w.Write(buf)
				written += int64(n)
				if err != nil {
					return written, err
				}
				buf = buf[:0]
			}
		}
	}
	n, err := w.Write(buf)
	written += int64(n)
	return written, err
}

func writeJSONString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s) // a string always marshals
	b.Write(q)
}

// --- reading --------------------------------------------------------------

// readHeader reads the length prefix and the JSON header from r and checks
// the tensor layout against the size of the file.
func readHeader(r io.Reader, size int64, where string) (*stHeader, error) {
	bad := func(format string, args ...any) error {
		return &FileError{Where: where, Msg: fmt.Sprintf(format, args...)}
	}
	if size < 8 {
		return nil, bad("file is %d bytes, too short for the 8-byte header length", size)
	}
	if size > MaxModelFileBytes {
		return nil, bad("file is %d bytes, over the %d-byte limit", size, int64(MaxModelFileBytes))
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, &FileError{Where: where, Msg: "reading the header length", Err: eofIsUnexpected(err)}
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderBytes {
		return nil, bad("header length %d is over the %d-byte limit", n, MaxHeaderBytes)
	}
	if int64(n) > size-8 {
		return nil, bad("header length %d runs past the end of the file (%d bytes after the length)", n, size-8)
	}
	if n < 2 {
		return nil, bad("header length %d is too short for a JSON object", n)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, &FileError{Where: where, Msg: "reading the header", Err: eofIsUnexpected(err)}
	}
	h, err := parseHeader(hdr, size-8-int64(n))
	if err != nil {
		return nil, &FileError{Where: where, Msg: err.Error()}
	}
	h.raw = hdr
	return h, nil
}

// parseHeader parses the JSON header and checks every entry and the layout.
func parseHeader(hdr []byte, dataLen int64) (*stHeader, error) {
	if hdr[0] != '{' {
		return nil, fmt.Errorf("header does not start with '{' (byte 0x%02x): not a safetensors file", hdr[0])
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // the '{'
		return nil, fmt.Errorf("header JSON: %w", err)
	}
	h := &stHeader{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("header JSON: %w", eofIsUnexpected(err))
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("header JSON: key %v is not a string", tok)
		}
		if seen[key] {
			return nil, fmt.Errorf("header: key %q appears twice", key)
		}
		seen[key] = true
		if key == "__metadata__" {
			if err := dec.Decode(&h.metadata); err != nil {
				return nil, fmt.Errorf("header: __metadata__ must map strings to strings: %w", eofIsUnexpected(err))
			}
			continue
		}
		var raw struct {
			Dtype       *string       `json:"dtype"`
			Shape       []json.Number `json:"shape"`
			DataOffsets []json.Number `json:"data_offsets"`
		}
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("header: tensor %s: %w", key, eofIsUnexpected(err))
		}
		e, err := checkEntry(key, raw.Dtype, raw.Shape, raw.DataOffsets, dataLen)
		if err != nil {
			return nil, err
		}
		h.entries = append(h.entries, e)
	}
	if _, err := dec.Token(); err != nil { // the '}'
		return nil, fmt.Errorf("header JSON: %w", eofIsUnexpected(err))
	}
	// Only the space padding may follow the object.
	rest := hdr[dec.InputOffset():]
	if len(bytes.TrimRight(rest, " \t\r\n")) != 0 {
		return nil, fmt.Errorf("header: %d bytes of trailing data after the JSON object", len(rest))
	}
	if err := checkLayout(h.entries, dataLen); err != nil {
		return nil, err
	}
	return h, nil
}

// eofIsUnexpected reports a header that ends inside a value as such.
func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseNonNeg reads a JSON number as an integer in [0, limit].
func parseNonNeg(n json.Number, limit int64) (int64, bool) {
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || v < 0 || v > limit {
		return 0, false
	}
	return v, true
}

func checkEntry(name string, dtype *string, shape, offsets []json.Number, dataLen int64) (stEntry, error) {
	e := stEntry{name: name}
	if dtype == nil {
		return e, fmt.Errorf("tensor %s: no dtype", name)
	}
	e.dtype = *dtype
	size, ok := dtypeSize[e.dtype]
	if !ok {
		return e, fmt.Errorf("tensor %s: unknown dtype %q", name, e.dtype)
	}
	if shape == nil {
		return e, fmt.Errorf("tensor %s: no shape", name)
	}
	if len(shape) > maxTensorDims {
		return e, fmt.Errorf("tensor %s: %d dimensions, at most %d allowed", name, len(shape), maxTensorDims)
	}
	e.elems = 1
	e.shape = make([]int, len(shape))
	for i, d := range shape {
		v, ok := parseNonNeg(d, dataLen)
		if !ok {
			return e, fmt.Errorf("tensor %s: dimension %d is %s, want an integer in [0, %d]", name, i, d, dataLen)
		}
		e.shape[i] = int(v)
		hi, lo := bits.Mul64(uint64(e.elems), uint64(v))
		if hi != 0 || lo > uint64(dataLen) {
			return e, fmt.Errorf("tensor %s: shape %v has more elements than the file has bytes (%d)", name, shapeString(shape), dataLen)
		}
		e.elems = int64(lo)
	}
	need := e.elems * size // e.elems ≤ dataLen ≤ 16 GiB, so no overflow
	if len(offsets) != 2 {
		return e, fmt.Errorf("tensor %s: data_offsets has %d numbers, want 2", name, len(offsets))
	}
	var okB, okE bool
	e.begin, okB = parseNonNeg(offsets[0], dataLen)
	e.end, okE = parseNonNeg(offsets[1], dataLen)
	if !okB || !okE {
		return e, fmt.Errorf("tensor %s: data_offsets [%s, %s] outside the %d bytes of data", name, offsets[0], offsets[1], dataLen)
	}
	if e.end < e.begin {
		return e, fmt.Errorf("tensor %s: data_offsets [%d, %d] end before they begin", name, e.begin, e.end)
	}
	if e.end-e.begin != need {
		return e, fmt.Errorf("tensor %s: shape %v of %s needs %d bytes, offsets give %d", name, e.shape, e.dtype, need, e.end-e.begin)
	}
	return e, nil
}

func shapeString(shape []json.Number) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = string(d)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// checkLayout sorts entries by offset and requires them to tile [0, dataLen).
func checkLayout(entries []stEntry, dataLen int64) error {
	slices.SortStableFunc(entries, func(a, b stEntry) int {
		if a.begin != b.begin {
			return cmpInt64(a.begin, b.begin)
		}
		return cmpInt64(a.end, b.end)
	})
	var at int64
	prev := ""
	for _, e := range entries {
		switch {
		case e.begin > at && prev == "":
			return fmt.Errorf("tensor %s starts at byte %d of the data, want 0: %d bytes before it belong to no tensor", e.name, e.begin, e.begin)
		case e.begin > at:
			return fmt.Errorf("gap of %d bytes between tensor %s (ends at %d) and tensor %s (starts at %d)", e.begin-at, prev, at, e.name, e.begin)
		case e.begin < at:
			return fmt.Errorf("tensor %s (bytes %d to %d) overlaps tensor %s (ends at %d)", e.name, e.begin, e.end, prev, at)
		}
		at, prev = e.end, e.name
	}
	if at != dataLen {
		return fmt.Errorf("the tensors cover %d bytes but the file has %d bytes of data after the header", at, dataLen)
	}
	return nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// readTensors reads the data section in offset order, converting each entry
// named in dest into its float32 slice (len = elems) and skipping the others,
// then checks every value is finite.
func readTensors(r io.Reader, h *stHeader, dest map[string][]float32, where string) error {
	buf := make([]byte, 64<<10)
	for _, e := range h.entries {
		n := e.end - e.begin
		out, ok := dest[e.name]
		if !ok {
			if _, err := io.CopyN(io.Discard, r, n); err != nil {
				return &FileError{Where: where, Msg: "tensor " + e.name + ": reading the data", Err: eofIsUnexpected(err)}
			}
			continue
		}
		if int64(len(out)) != e.elems {
			panic(fmt.Sprintf("nn: readTensors: %s: destination has %d elements, entry %d", e.name, len(out), e.elems))
		}
		size := dtypeSize[e.dtype]
		per := int64(len(buf)) / size
		for i := int64(0); i < e.elems; i += per {
			k := min(per, e.elems-i)
			chunk := buf[:k*size]
			if _, err := io.ReadFull(r, chunk); err != nil {
				return &FileError{Where: where, Msg: "tensor " + e.name + ": reading the data", Err: eofIsUnexpected(err)}
			}
			convert(out[i:i+k], chunk, e.dtype)
		}
		for i, v := range out {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return &FileError{Where: where, Msg: fmt.Sprintf("tensor %s: element %d is %v (as float32); weights must be finite", e.name, i, v)}
			}
		}
	}
	return nil
}

// convert decodes little-endian values of a loadable dtype into float32.
func convert(dst []float32, src []byte, dtype string) {
	switch dtype {
	case "F32":
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case "F64":
		for i := range dst {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
		}
	case "BF16":
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
		}
	case "F16":
		for i := range dst {
			dst[i] = halfToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	default:
		panic("nn: convert: dtype " + dtype + " is not loadable")
	}
}

// halfToFloat32 converts an IEEE 754 binary16 value exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
	case frac == 0: // ±0
		return math.Float32frombits(sign)
	}
	// Subnormal: frac × 2^-24.
	v := float32(frac) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}
