package nn

// The model file: one safetensors container (safetensors.go) whose
// "__metadata__" entry "dense_spec" holds the model's Spec as JSON, and whose
// tensors are the model's weights in PyTorch's names and layouts (see
// Tensors), so that safetensors.torch.load_file reads them as a state dict.
// This file maps a Model to and from that container; statedict.go maps a
// plain PyTorch state dict onto a Spec.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/dense-ml/dense/internal/safefile"
)

// SpecMetadataKey is the "__metadata__" key that holds the JSON spec.
const SpecMetadataKey = "dense_spec"

// DigestMetadataKey is the "__metadata__" key that holds the model file's
// own SHA-256 digest (64 lower-case hex digits). It is the first entry of the
// header, so its digits sit at a fixed place; the digest covers every byte of
// the file (the 8-byte length, the header, the data) with those 64 digits
// read as '0'. Read and Load verify it, so a damaged file (a flipped byte in
// the spec or the weights) is an error even where no registry entry records
// a checksum.
const DigestMetadataKey = "dense_sha256"

// digestPrefix is how every model file's header starts; the digest's digits
// follow it.
const digestPrefix = `{"__metadata__":{"` + DigestMetadataKey + `":"`

var zeroDigest = []byte(strings.Repeat("0", sha256.Size*2))

// fileDigest starts the digest of a model file whose JSON header is hdr
// (which starts with digestPrefix and the digits); the caller adds the data.
func fileDigest(hdr []byte) hash.Hash {
	d := sha256.New()
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hdr)))
	d.Write(lenBuf[:])
	d.Write(hdr[:len(digestPrefix)])
	d.Write(zeroDigest)
	d.Write(hdr[len(digestPrefix)+len(zeroDigest):])
	return d
}

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
		s += ": " + e.Err.Error()
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
	if err := m.spec.validate(); err != nil {
		return 0, err
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
	hdr, err := safetensorsHeader([]metaPair{{DigestMetadataKey, string(zeroDigest)}, {SpecMetadataKey, string(specJSON)}}, tensors)
	if err != nil {
		return 0, err
	}
	d := fileDigest(hdr)
	if _, err := writeTensorData(d, tensors); err != nil {
		return 0, err
	}
	hex.Encode(hdr[len(digestPrefix):], d.Sum(nil))
	return writeSafetensors(w, hdr, tensors)
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

// Load reads a model file written by Save. Every check of Read applies. A
// path that is not a regular file (a FIFO, a folder, a device, a dangling
// link) is refused before it is opened, so Load never blocks on it.
func Load(path string) (*Model, error) {
	f, st, err := safefile.Open(path)
	if err != nil {
		if se := (*safefile.Error)(nil); errors.As(err, &se) {
			return nil, &FileError{Where: path, Msg: se.Problem}
		}
		return nil, fmt.Errorf("nn: load: %w", err)
	}
	defer f.Close()
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
	digest, ok := h.metadata[DigestMetadataKey]
	if !ok {
		return nil, bad("no %q digest in the header's __metadata__: the file is damaged, or was written before dense stored one (load it with an older dense and save it again)", DigestMetadataKey)
	}
	if at := len(digestPrefix); len(h.raw) < at+len(zeroDigest) || string(h.raw[:at]) != digestPrefix || string(h.raw[at:at+len(zeroDigest)]) != digest {
		return nil, bad("the %q digest is not the header's first entry, where dense writes it: the header was changed", DigestMetadataKey)
	}
	spec, err := ParseSpec([]byte(raw))
	if err != nil {
		return nil, &FileError{Where: where, Msg: "spec", Err: err}
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
	d := fileDigest(h.raw)
	if err := readTensors(io.TeeReader(r, d), h, dest, where); err != nil {
		return nil, err
	}
	if got := hex.EncodeToString(d.Sum(nil)); got != digest {
		return nil, bad("its SHA-256 digest is %s, its header records %s: the file was changed or damaged", got, digest)
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
	if err := spec.validate(); err != nil {
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
	m, err := newModel(spec, 0)
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
