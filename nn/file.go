package nn

// The model file: one safetensors container.
//
//	8 bytes    little-endian uint64 N, the length of the JSON header
//	N bytes    JSON header, padded with spaces to a multiple of 8
//	the rest   raw little-endian tensor data, tensor after tensor
//
// The header maps each tensor name to {"dtype", "shape", "data_offsets"}
// (offsets relative to the start of the data) and holds "__metadata__", a
// string → string map whose "dense_spec" entry is the model's Spec as JSON.
// Weights are written as F32 in PyTorch's names and layouts (see Tensors), so
// safetensors.torch.load_file reads them as a state dict.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// SpecMetadataKey is the "__metadata__" key that holds the JSON spec.
const SpecMetadataKey = "dense_spec"

// Limits the loader enforces before it allocates anything sized by the file.
const (
	MaxHeaderBytes    = 100 << 20 // the JSON header
	MaxModelFileBytes = 16 << 30  // the whole file
	maxTensorDims     = 8
)

// ErrModelFile is wrapped by every error that reports a malformed, hostile or
// mismatched model file (test with errors.Is).
var ErrModelFile = errors.New("invalid model file")

// FileError is the error Read, Load, ReadStateDict and LoadStateDict return
// for a file they refuse: Where names the file (empty for bytes in memory),
// Msg says what is wrong, Err is the underlying cause if there is one.
type FileError struct {
	Where string
	Msg   string
	Err   error
}

func (e *FileError) Error() string {
	s := "nn: model file"
	if e.Where != "" {
		s += " " + e.Where
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + strings.TrimPrefix(e.Err.Error(), "nn: ")
	}
	return s
}

// Unwrap lets errors.Is find ErrModelFile and the cause.
func (e *FileError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrModelFile}
	}
	return []error{ErrModelFile, e.Err}
}

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
	metadata map[string]string
	entries  []stEntry // sorted by offset
}

// --- writing --------------------------------------------------------------

// WriteTo writes the model file to w. It refuses a spec that does not
// validate and weights that are NaN or ±Inf, since Load would refuse them.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	n, err := m.writeTo(w)
	if err != nil {
		return n, fmt.Errorf("nn: save: %w", err)
	}
	return n, nil
}

// writeTo is WriteTo with errors left unprefixed for the callers to wrap.
func (m *Model) writeTo(w io.Writer) (int64, error) {
	if err := m.spec.Validate(); err != nil {
		return 0, unprefix(err)
	}
	tensors := m.Tensors()
	for _, t := range tensors {
		for i, v := range t.Data {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return 0, fmt.Errorf("tensor %s element %d is %v; a model with non-finite weights cannot be loaded", t.Name, i, v)
			}
		}
	}
	specJSON, err := json.Marshal(&m.spec)
	if err != nil {
		return 0, fmt.Errorf("encoding the spec: %w", err)
	}
	var h bytes.Buffer
	h.WriteString(`{"__metadata__":{`)
	writeJSONString(&h, SpecMetadataKey)
	h.WriteByte(':')
	writeJSONString(&h, string(specJSON))
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
	// Pad with spaces so the data starts 8-byte aligned, as the reference
	// implementation does.
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	if h.Len() > MaxHeaderBytes {
		return 0, fmt.Errorf("header is %d bytes, over the %d-byte limit the loader enforces", h.Len(), MaxHeaderBytes)
	}
	var written int64
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(h.Len()))
	n, err := w.Write(lenBuf[:])
	written += int64(n)
	if err != nil {
		return written, err
	}
	n, err = w.Write(h.Bytes())
	written += int64(n)
	if err != nil {
		return written, err
	}
	buf := make([]byte, 0, 64<<10)
	for _, t := range tensors {
		for _, v := range t.Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			if len(buf) == cap(buf) {
				n, err = w.Write(buf)
				written += int64(n)
				if err != nil {
					return written, err
				}
				buf = buf[:0]
			}
		}
	}
	n, err = w.Write(buf)
	written += int64(n)
	if err != nil {
		return written, err
	}
	return written, nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s) // a string always marshals
	b.Write(q)
}

// Save writes the model file to path atomically: it writes a temporary file
// in the same folder, fsyncs it, renames it over path and fsyncs the folder.
// A reader sees the old file or the new one, never a partial one; on failure
// the old file is left as it was and the temporary file is removed.
func (m *Model) Save(path string) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if _, err = m.writeTo(bw); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	if err = SyncDir(dir); err != nil {
		return fmt.Errorf("nn: save %s: %w", path, err)
	}
	return nil
}

// SyncDir fsyncs a folder so that a rename or a new name in it survives a
// crash. File systems that cannot sync a folder are not an error.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}

// --- reading --------------------------------------------------------------

// Load reads a model file written by Save. Every check of Read applies.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nn: load: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("nn: load: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, &FileError{Where: path, Msg: "not a regular file"}
	}
	return decodeModel(bufio.NewReaderSize(f, 1<<20), st.Size(), path)
}

// Read parses a model file held in memory. It checks, before allocating
// anything sized by the file: the header length (at most MaxHeaderBytes and
// inside the file), the header's JSON, each tensor's dtype, shape and byte
// span (overflow-checked), that the tensors tile the data section exactly
// from offset 0 with no gap, overlap or trailing bytes, the spec's format and
// version, Spec.Validate (layer types, activation allow list, sizes), and
// that the spec's layers cannot need more weights than the file holds. Then
// it builds the model and requires every model tensor to be present with the
// model's shape, no other tensor, and every weight finite. The first problem
// found is returned as a *FileError (wrapping ErrModelFile) saying what is
// wrong; Read never panics on bad input.
func Read(data []byte) (*Model, error) {
	return decodeModel(bytes.NewReader(data), int64(len(data)), "")
}

// Decode reads a model file of size bytes from r; Read and Load use it. It
// reads exactly size bytes when it succeeds.
func Decode(r io.Reader, size int64) (*Model, error) { return decodeModel(r, size, "") }

func decodeModel(r io.Reader, size int64, where string) (*Model, error) {
	bad := func(format string, args ...any) error {
		return &FileError{Where: where, Msg: fmt.Sprintf(format, args...)}
	}
	h, err := readHeader(r, size, where)
	if err != nil {
		return nil, err
	}
	raw, ok := h.metadata[SpecMetadataKey]
	if !ok {
		return nil, bad("no %q in the header's __metadata__: not a dense model (a plain PyTorch state dict loads with LoadStateDict)", SpecMetadataKey)
	}
	var spec Spec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		return nil, &FileError{Where: where, Msg: "spec JSON", Err: err}
	}
	if spec.Format != FormatName {
		return nil, bad("spec format is %q, want %q", spec.Format, FormatName)
	}
	if spec.Version != FormatVersion {
		return nil, bad("spec version %d is not supported (this build reads version %d)", spec.Version, FormatVersion)
	}
	m, err := buildFor(spec, h, where)
	if err != nil {
		return nil, err
	}
	dest := map[string][]float32{}
	byName := map[string]*stEntry{}
	for i := range h.entries {
		byName[h.entries[i].name] = &h.entries[i]
	}
	modelNames := map[string]bool{}
	for _, t := range m.Tensors() {
		modelNames[t.Name] = true
		e, ok := byName[t.Name]
		if !ok {
			return nil, bad("tensor %s is missing (the model needs %s)", t.Name, strings.Join(modelTensorNames(m), ", "))
		}
		if !slices.Equal(e.shape, t.Shape) {
			return nil, bad("tensor %s: shape %v in the file, the spec's layers need %v", t.Name, e.shape, t.Shape)
		}
		if !loadableDtype(e.dtype) {
			return nil, bad("tensor %s: dtype %s cannot be loaded (want F32, or F16, BF16, F64)", t.Name, e.dtype)
		}
		dest[t.Name] = t.Data
	}
	for _, e := range h.entries {
		if !modelNames[e.name] {
			return nil, bad("unexpected tensor %s (the model has %s)", e.name, strings.Join(modelTensorNames(m), ", "))
		}
	}
	if err := readTensors(r, h, dest, where); err != nil {
		return nil, err
	}
	return m, nil
}

func modelTensorNames(m *Model) []string {
	var out []string
	for _, t := range m.Tensors() {
		out = append(out, t.Name)
	}
	return out
}

// buildFor validates spec, checks that its layers roughly fit in the weights
// the file holds (so a tiny hostile file cannot make NewModel allocate
// gigabytes: at most the file's size plus 4 MB) and builds the model.
func buildFor(spec Spec, h *stHeader, where string) (*Model, error) {
	if err := spec.Validate(); err != nil {
		return nil, &FileError{Where: where, Msg: "spec", Err: err}
	}
	need, ok := specMinWeights(&spec)
	var have int64
	for _, e := range h.entries {
		have += e.elems // each ≤ dataLen, so no overflow
	}
	// Slack lets small mismatches through to the precise per-tensor checks;
	// only a spec far bigger than the file is refused here.
	const slack = 1 << 20
	if !ok || need > have+slack {
		needS := "more than 2^63"
		if ok {
			needS = strconv.FormatInt(need, 10)
		}
		return nil, &FileError{Where: where, Msg: fmt.Sprintf("the spec's layers need %s weights, the file holds %d", needS, have)}
	}
	m, err := NewModel(spec, 0)
	if err != nil {
		return nil, &FileError{Where: where, Msg: "building the model", Err: err}
	}
	return m, nil
}

// specMinWeights is a lower bound on the weights a spec's model holds (dense
// weights and biases, batch-norm's four vectors), overflow-checked.
func specMinWeights(s *Spec) (int64, bool) {
	var width, total int64
	for i := range s.Inputs {
		width += int64(max(s.Inputs[i].Width(), 0))
		if width > math.MaxInt32*int64(1<<16) {
			return 0, false
		}
	}
	add := func(a, b int64) (int64, bool) {
		if a > math.MaxInt64-b {
			return 0, false
		}
		return a + b, true
	}
	var ok bool
	for _, l := range s.Layers {
		switch l.Type {
		case LayerDense:
			u := int64(l.Units)
			hi, lo := bits.Mul64(uint64(width), uint64(u))
			if hi != 0 || lo > math.MaxInt64 {
				return 0, false
			}
			if total, ok = add(total, int64(lo)); !ok {
				return 0, false
			}
			if l.Bias {
				if total, ok = add(total, u); !ok {
					return 0, false
				}
			}
			width = u
		case LayerBatchNorm:
			if total, ok = add(total, 4*width); !ok {
				return 0, false
			}
		}
	}
	return total, true
}

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

// --- PyTorch state dicts --------------------------------------------------

// LoadStateDict builds a model from spec and the weights of a plain
// safetensors file written by PyTorch (safetensors.torch.save_file of an
// nn.Sequential MLP's state_dict()). Keys look like "0.weight",
// "layers.2.weight" or "net.4.bias": a common prefix, the module's index in
// the Sequential (activations and dropout take indices but have no
// weights), and the parameter name. The modules with weights are taken in
// index order and assigned to the spec's dense and batch-norm layers in
// order: a Linear (2-D weight, optional bias) to a dense layer, a
// BatchNorm1d (weight, bias, running_mean, running_var) to a batch-norm
// layer; num_batches_tracked is ignored. Counts, kinds, bias presence and
// shapes must all agree. Tensors may be F32, F16, BF16 or F64. The
// activations come from the spec: PyTorch does not store them.
//
// A spec with an empty Format and Version gets the current ones. Our own
// model files load too (their metadata is ignored).
func LoadStateDict(path string, spec Spec) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nn: load state dict: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("nn: load state dict: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, &FileError{Where: path, Msg: "not a regular file"}
	}
	return decodeStateDict(bufio.NewReaderSize(f, 1<<20), st.Size(), spec, path)
}

// ReadStateDict is LoadStateDict on bytes in memory.
func ReadStateDict(data []byte, spec Spec) (*Model, error) {
	return decodeStateDict(bytes.NewReader(data), int64(len(data)), spec, "")
}

// stModule is one Sequential module with weights: its key prefix and index.
type stModule struct {
	prefix string
	index  int
	params map[string]*stEntry // "weight", "bias", "running_mean", "running_var"
}

func decodeStateDict(r io.Reader, size int64, spec Spec, where string) (*Model, error) {
	bad := func(format string, args ...any) error {
		return &FileError{Where: where, Msg: fmt.Sprintf(format, args...)}
	}
	if spec.Format == "" && spec.Version == 0 {
		spec.Format, spec.Version = FormatName, FormatVersion
	}
	h, err := readHeader(r, size, where)
	if err != nil {
		return nil, err
	}
	modules := map[string]*stModule{}
	stem, stemKey := "", ""
	for i := range h.entries {
		e := &h.entries[i]
		dot := strings.LastIndexByte(e.name, '.')
		if dot < 0 {
			return nil, bad("key %q is not <module>.<parameter>", e.name)
		}
		prefix, param := e.name[:dot], e.name[dot+1:]
		switch param {
		case "num_batches_tracked":
			continue
		case "weight", "bias", "running_mean", "running_var":
		default:
			return nil, bad("key %q: parameter %q is not one of weight, bias, running_mean, running_var", e.name, param)
		}
		idxStart := strings.LastIndexByte(prefix, '.') + 1
		idx, err := strconv.Atoi(prefix[idxStart:])
		if err != nil || idx < 0 || strings.HasPrefix(prefix[idxStart:], "+") {
			return nil, bad("key %q: %q is not a Sequential index", e.name, prefix[idxStart:])
		}
		if stemKey == "" {
			stem, stemKey = prefix[:idxStart], e.name
		} else if prefix[:idxStart] != stem {
			return nil, bad("keys %q and %q come from different modules; want one nn.Sequential", stemKey, e.name)
		}
		mod := modules[prefix]
		if mod == nil {
			mod = &stModule{prefix: prefix, index: idx, params: map[string]*stEntry{}}
			modules[prefix] = mod
		}
		mod.params[param] = e
	}
	var mods []*stModule
	for _, mod := range modules {
		mods = append(mods, mod)
	}
	slices.SortFunc(mods, func(a, b *stModule) int {
		if a.index != b.index {
			return a.index - b.index
		}
		return strings.Compare(a.prefix, b.prefix) // "01" and "1": refused below
	})
	for i := 1; i < len(mods); i++ {
		if mods[i].index == mods[i-1].index {
			return nil, bad("modules %q and %q have the same index", mods[i-1].prefix, mods[i].prefix)
		}
	}
	var specLayers []int // indices into spec.Layers of the layers with weights
	for i, l := range spec.Layers {
		if l.Type == LayerDense || l.Type == LayerBatchNorm {
			specLayers = append(specLayers, i)
		}
	}
	if len(mods) != len(specLayers) {
		var names []string
		for _, mod := range mods {
			names = append(names, mod.prefix)
		}
		return nil, bad("the state dict has %d modules with weights (%s), the spec has %d dense and batch-norm layers",
			len(mods), strings.Join(names, ", "), len(specLayers))
	}
	// Check kinds before building, so a mismatch is reported as such.
	for k, mod := range mods {
		li := specLayers[k]
		isBN := mod.params["running_mean"] != nil || mod.params["running_var"] != nil
		w := mod.params["weight"]
		if w == nil {
			return nil, bad("module %s has no weight", mod.prefix)
		}
		switch spec.Layers[li].Type {
		case LayerDense:
			if isBN || len(w.shape) != 2 {
				return nil, bad("module %s (weight shape %v) is not a Linear, but spec layer %d is dense", mod.prefix, w.shape, li)
			}
			if b := mod.params["bias"]; b != nil && !spec.Layers[li].Bias {
				return nil, bad("module %s has a bias but spec layer %d is dense without bias", mod.prefix, li)
			} else if b == nil && spec.Layers[li].Bias {
				return nil, bad("module %s has no bias but spec layer %d is dense with a bias", mod.prefix, li)
			}
		case LayerBatchNorm:
			for _, p := range []string{"weight", "bias", "running_mean", "running_var"} {
				if mod.params[p] == nil {
					return nil, bad("module %s has no %s, but spec layer %d is a batch norm (affine, with running statistics)", mod.prefix, p, li)
				}
			}
		}
	}
	m, err := buildFor(spec, h, where)
	if err != nil {
		return nil, err
	}
	model := map[string]Tensor{}
	for _, t := range m.Tensors() {
		model[t.Name] = t
	}
	dest := map[string][]float32{}
	for k, mod := range mods {
		li := specLayers[k]
		for _, p := range []string{"weight", "bias", "running_mean", "running_var"} {
			e := mod.params[p]
			if e == nil {
				continue
			}
			t, ok := model[fmt.Sprintf("layers.%d.%s", li, p)]
			if !ok {
				return nil, bad("tensor %s has no place in spec layer %d", e.name, li)
			}
			if !slices.Equal(e.shape, t.Shape) {
				return nil, bad("tensor %s: shape %v in the file, spec layer %d (%s) needs %v", e.name, e.shape, li, t.Name, t.Shape)
			}
			if !loadableDtype(e.dtype) {
				return nil, bad("tensor %s: dtype %s cannot be loaded (want F32, F16, BF16 or F64)", e.name, e.dtype)
			}
			dest[e.name] = t.Data
		}
	}
	if len(dest) != len(model) {
		return nil, bad("the state dict fills %d of the model's %d tensors", len(dest), len(model))
	}
	if err := readTensors(r, h, dest, where); err != nil {
		return nil, err
	}
	return m, nil
}
