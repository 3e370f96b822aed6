package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fileTestModel is a small model using every layer type, preprocessing,
// labels and provenance, with seeded random weights and non-trivial
// batch-norm statistics, so a round trip exercises the whole spec.
func fileTestModel(t testing.TB) *Model {
	t.Helper()
	spec := Spec{
		Format: FormatName, Version: FormatVersion, Task: TaskMulticlass,
		Inputs: []Input{
			{Name: "age", Kind: KindNumeric, Impute: &Impute{Strategy: ImputeMedian, Value: 41, Indicator: true},
				Clip: &Clip{Min: 0, Max: 120}, Scale: &Scale{Method: ScaleStandard, Mean: 40, Std: 12.5}},
			{Name: "plan", Kind: KindCategorical, Vocabulary: []string{"basic", "pro", "ünïcode \"q\""}, UnknownBucket: true},
			VectorInput("emb", 3),
		},
		Layers: []LayerSpec{
			Dense(6, ReLU), BatchNorm(), Dropout(0.25), Dense(5, LeakyReLU).WithAlpha(0.1).WithoutBias(),
			Dense(4, GELU).WithL2(1e-4), Dense(3, Softmax),
		},
		Loss:   "sparse_categorical_crossentropy",
		Target: "segment",
		Labels: []string{"low", "mid", "high"},
		Provenance: Provenance{Seed: 7, Epochs: 12, Rows: 1000, Metrics: map[string]float64{"accuracy": 0.875, "val_loss": 0.31},
			Created: time.Date(2026, 11, 27, 1, 2, 3, 456789000, time.UTC), Source: "customers.parquet", SchemaFingerprint: "abc123"},
	}
	m, err := NewModel(spec, 42)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tn := range m.Tensors() {
		for i := range tn.Data {
			tn.Data[i] = float32(rng.NormFloat64() * 0.5)
			if strings.HasSuffix(tn.Name, "running_var") {
				tn.Data[i] = 0.5 + rng.Float32()
			}
		}
	}
	return m
}

func fileTestInput(rows, width int) []float32 {
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, rows*width)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func mustBytes(t testing.TB, m *Model) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := m.WriteTo(&b)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(b.Len()) {
		t.Fatalf("WriteTo reported %d bytes, wrote %d", n, b.Len())
	}
	return b.Bytes()
}

// sameModel fails unless a and b have the same spec (as JSON) and bitwise
// equal tensors and predictions.
func sameModel(t *testing.T, a, b *Model) {
	t.Helper()
	ja, _ := json.Marshal(a.Spec())
	jb, _ := json.Marshal(b.Spec())
	if !bytes.Equal(ja, jb) {
		t.Fatalf("spec changed:\n%s\n%s", ja, jb)
	}
	if !a.Spec().Provenance.Created.Equal(b.Spec().Provenance.Created) {
		t.Fatalf("created %v became %v", a.Spec().Provenance.Created, b.Spec().Provenance.Created)
	}
	ta, tb := a.Tensors(), b.Tensors()
	if len(ta) != len(tb) {
		t.Fatalf("%d tensors became %d", len(ta), len(tb))
	}
	for i := range ta {
		if ta[i].Name != tb[i].Name || !slices.Equal(ta[i].Shape, tb[i].Shape) {
			t.Fatalf("tensor %s %v became %s %v", ta[i].Name, ta[i].Shape, tb[i].Name, tb[i].Shape)
		}
		for j := range ta[i].Data {
			if math.Float32bits(ta[i].Data[j]) != math.Float32bits(tb[i].Data[j]) {
				t.Fatalf("tensor %s[%d]: %v became %v", ta[i].Name, j, ta[i].Data[j], tb[i].Data[j])
			}
		}
	}
	x := fileTestInput(9, a.InputWidth())
	pa, err := a.Predict(x, 9)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.Predict(x, 9)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pa {
		if math.Float32bits(pa[i]) != math.Float32bits(pb[i]) {
			t.Fatalf("prediction %d: %v became %v", i, pa[i], pb[i])
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m := fileTestModel(t)
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sameModel(t, m, back)
	// Read on the bytes gives the same model, and writing it again gives the
	// same bytes: the format is deterministic.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Read(data)
	if err != nil {
		t.Fatal(err)
	}
	sameModel(t, m, again)
	if !bytes.Equal(mustBytes(t, again), data) {
		t.Fatal("writing a loaded model gives different bytes")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, want 0644", st.Mode().Perm())
	}
}

// The layout is the one PyTorch expects: the header parses as plain JSON,
// the data starts 8-byte aligned, tensors are F32 in Tensors order with
// contiguous offsets, and the spec sits in __metadata__ as a string.
func TestFileLayout(t *testing.T) {
	m := fileTestModel(t)
	data := mustBytes(t, m)
	n := binary.LittleEndian.Uint64(data)
	if (8+n)%8 != 0 {
		t.Errorf("data starts at %d, not 8-byte aligned", 8+n)
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	var meta map[string]string
	if err := json.Unmarshal(header["__metadata__"], &meta); err != nil {
		t.Fatal(err)
	}
	var spec Spec
	if err := json.Unmarshal([]byte(meta[SpecMetadataKey]), &spec); err != nil || spec.Format != FormatName || spec.Version != FormatVersion {
		t.Fatalf("spec in metadata: %v %+v", err, spec)
	}
	var off int64
	for _, tn := range m.Tensors() {
		var e struct {
			Dtype       string  `json:"dtype"`
			Shape       []int   `json:"shape"`
			DataOffsets []int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(header[tn.Name], &e); err != nil {
			t.Fatalf("%s: %v", tn.Name, err)
		}
		if e.Dtype != "F32" || !slices.Equal(e.Shape, tn.Shape) || e.DataOffsets[0] != off || e.DataOffsets[1] != off+4*int64(len(tn.Data)) {
			t.Fatalf("%s: %+v", tn.Name, e)
		}
		first := math.Float32frombits(binary.LittleEndian.Uint32(data[8+int64(n)+off:]))
		if first != tn.Data[0] {
			t.Fatalf("%s: first value %v in the file, %v in the model", tn.Name, first, tn.Data[0])
		}
		off = e.DataOffsets[1]
	}
	if int64(len(data)) != 8+int64(n)+off {
		t.Fatalf("file is %d bytes, header+data %d", len(data), 8+int64(n)+off)
	}
	if len(header) != len(m.Tensors())+1 {
		t.Fatalf("%d header keys for %d tensors", len(header), len(m.Tensors()))
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestSaveAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	m := fileTestModel(t)
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)

	// Overwriting replaces the file whole and leaves no temporary file.
	m2 := fileTestModel(t)
	m2.Tensors()[0].Data[0] = 123
	if err := m2.Save(path); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"m.safetensors"}) {
		t.Fatalf("folder holds %v", got)
	}
	back, err := Load(path)
	if err != nil || back.Tensors()[0].Data[0] != 123 {
		t.Fatalf("overwrite: %v", err)
	}
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}

	// A save that fails half-way (a NaN weight is refused while writing)
	// leaves the old file untouched and no temporary file behind.
	bad := fileTestModel(t)
	bad.Tensors()[2].Data[1] = float32(math.NaN())
	err = bad.Save(path)
	if err == nil || !strings.Contains(err.Error(), "nn: save "+path+": tensor layers.1.weight element 1 is NaN") {
		t.Fatalf("saving NaN weights: %v", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
		t.Fatal("a failed save changed the old file")
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"m.safetensors"}) {
		t.Fatalf("after a failed save the folder holds %v", got)
	}

	// A spec that would not load is refused too.
	badSpec := fileTestModel(t)
	badSpec.Spec().Labels = []string{"only one"}
	if err := badSpec.Save(path); err == nil || !strings.Contains(err.Error(), "3 labels") && !strings.Contains(err.Error(), "1 labels for 3 outputs") {
		t.Fatalf("saving an invalid spec: %v", err)
	}
	// A NaN metric cannot be encoded as JSON: refused with the reason.
	nanMetric := fileTestModel(t)
	nanMetric.Spec().Provenance.Metrics["r2"] = math.NaN()
	if err := nanMetric.Save(path); err == nil || !strings.Contains(err.Error(), "encoding the spec") {
		t.Fatalf("saving a NaN metric: %v", err)
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"m.safetensors"}) {
		t.Fatalf("after failed saves the folder holds %v", got)
	}
	if err := m.Save(filepath.Join(dir, "missing", "m.safetensors")); err == nil || !strings.Contains(err.Error(), "nn: save ") {
		t.Fatalf("saving into a missing folder: %v", err)
	}
}

type failWriter struct{ left int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, errors.New("disk full")
	}
	w.left -= len(p)
	return len(p), nil
}

func TestWriteToFailingWriter(t *testing.T) {
	m := fileTestModel(t)
	full := len(mustBytes(t, m))
	for _, at := range []int{0, 5, 8, 100, full - 1} {
		n, err := m.WriteTo(&failWriter{left: at})
		if err == nil || !strings.Contains(err.Error(), "disk full") || n != int64(at) {
			t.Errorf("writer failing at %d: n=%d err=%v", at, n, err)
		}
	}
}

// --- refusals ---------------------------------------------------------------

// stPart is one tensor of a hand-assembled safetensors file.
type stPart struct {
	name    string
	dtype   string
	shape   any       // marshalled as is
	offsets any       // nil: computed from the data
	data    []byte    // raw bytes
	vals    []float32 // or F32 values
}

// assemble writes a safetensors file from its parts; meta nil leaves out
// __metadata__. Offsets are computed unless given. A dense model's metadata
// (with a spec) gets the file's digest, as Save writes it, unless meta has
// one already.
func assemble(meta map[string]string, parts []stPart) []byte {
	if _, ok := meta[SpecMetadataKey]; ok {
		if _, ok := meta[DigestMetadataKey]; !ok {
			m := maps.Clone(meta)
			m[DigestMetadataKey] = string(zeroDigest)
			return seal(assembleRaw(m, parts))
		}
	}
	return assembleRaw(meta, parts)
}

// seal writes a model file's digest into its header (see DigestMetadataKey).
func seal(file []byte) []byte {
	n := binary.LittleEndian.Uint64(file)
	hdr := file[8 : 8+n]
	d := fileDigest(hdr)
	d.Write(file[8+n:])
	hex.Encode(hdr[len(digestPrefix):], d.Sum(nil))
	return file
}

func assembleRaw(meta map[string]string, parts []stPart) []byte {
	var h bytes.Buffer
	h.WriteByte('{')
	first := true
	sep := func() {
		if !first {
			h.WriteByte(',')
		}
		first = false
	}
	if meta != nil {
		sep()
		mb, _ := json.Marshal(meta)
		h.WriteString(`"__metadata__":`)
		h.Write(mb)
	}
	var body []byte
	for _, p := range parts {
		raw := p.data
		if p.vals != nil {
			raw = nil
			for _, v := range p.vals {
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
			}
		}
		off := p.offsets
		if off == nil {
			off = []int{len(body), len(body) + len(raw)}
		}
		body = append(body, raw...)
		sep()
		nb, _ := json.Marshal(p.name)
		eb, _ := json.Marshal(map[string]any{"dtype": p.dtype, "shape": p.shape, "data_offsets": off})
		h.Write(nb)
		h.WriteByte(':')
		h.Write(eb)
	}
	h.WriteByte('}')
	return rawFile(h.Bytes(), body)
}

func rawFile(header, body []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), body...)
}

// tinySpecJSON is a 2 → 3 (tanh) → 1 (sigmoid) binary model's spec.
func tinySpec() Spec {
	return Spec{Format: FormatName, Version: FormatVersion, Task: TaskBinary,
		Inputs: []Input{VectorInput("x", 2)}, Layers: []LayerSpec{Dense(3, Tanh), Dense(1, Sigmoid)}}
}

func specMeta(s Spec) map[string]string {
	b, _ := json.Marshal(s)
	return map[string]string{SpecMetadataKey: string(b)}
}

func tinyParts() []stPart {
	return []stPart{
		{name: "layers.0.weight", dtype: "F32", shape: []int{3, 2}, vals: []float32{1, 2, 3, 4, 5, 6}},
		{name: "layers.0.bias", dtype: "F32", shape: []int{3}, vals: []float32{0.1, 0.2, 0.3}},
		{name: "layers.1.weight", dtype: "F32", shape: []int{1, 3}, vals: []float32{-1, 0.5, 0.25}},
		{name: "layers.1.bias", dtype: "F32", shape: []int{1}, vals: []float32{0.05}},
	}
}

func TestAssembledTinyModelLoads(t *testing.T) {
	m, err := Read(assemble(specMeta(tinySpec()), tinyParts()))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Predict([]float32{0.5, -1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	h := []float64{math.Tanh(0.5 - 2 + 0.1), math.Tanh(1.5 - 4 + 0.2), math.Tanh(2.5 - 6 + 0.3)}
	z := -h[0] + 0.5*h[1] + 0.25*h[2] + 0.05
	if want := 1 / (1 + math.Exp(-z)); math.Abs(float64(p[0])-want) > 1e-6 {
		t.Fatalf("predict %v, want %v", p[0], want)
	}
}

func TestReadRefusals(t *testing.T) {
	spec := tinySpec()
	meta := specMeta(spec)
	with := func(edit func(p []stPart) []stPart) []byte { return assemble(meta, edit(tinyParts())) }
	specWith := func(edit func(s *Spec)) []byte {
		s := tinySpec()
		edit(&s)
		return assemble(specMeta(s), tinyParts())
	}
	good := assemble(meta, tinyParts())
	f32 := func(v ...float32) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
		return b
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "file is 0 bytes, too short for the 8-byte header length"},
		{"short", []byte{1, 2, 3}, "file is 3 bytes, too short"},
		{"header over the cap", append(binary.LittleEndian.AppendUint64(nil, 200<<20), good[8:]...), "header length 209715200 is over the 104857600-byte limit"},
		{"header past the end", append(binary.LittleEndian.AppendUint64(nil, uint64(len(good))), good[8:]...), "runs past the end of the file"},
		{"header length 0", binary.LittleEndian.AppendUint64(nil, 0), "header length 0 is too short for a JSON object"},
		{"not json", rawFile([]byte("PK\x03\x04"), nil), "header does not start with '{' (byte 0x50): not a safetensors file"},
		{"broken json", rawFile([]byte(`{"a":`), nil), "header: tensor a: unexpected EOF"},
		{"unclosed object", rawFile([]byte(`{"__metadata__":{}`), nil), "header JSON: unexpected EOF"},
		{"trailing junk", rawFile([]byte(`{} x`), nil), "trailing data after the JSON object"},
		{"two objects", rawFile([]byte(`{}{}`), nil), "trailing data"},
		{"duplicate key", rawFile([]byte(`{"__metadata__":{},"__metadata__":{}}`), nil), `key "__metadata__" appears twice`},
		{"metadata not strings", rawFile([]byte(`{"__metadata__":{"dense_spec":3}}`), nil), "__metadata__ must map strings to strings"},
		{"entry not an object", rawFile([]byte(`{"w":[1]}`), nil), "tensor w:"},
		{"unknown dtype", with(func(p []stPart) []stPart { p[0].dtype = "Q8"; return p }), `tensor layers.0.weight: unknown dtype "Q8"`},
		{"no dtype", rawFile([]byte(`{"w":{"shape":[1],"data_offsets":[0,4]}}`), f32(1)), "tensor w: no dtype"},
		{"no shape", rawFile([]byte(`{"w":{"dtype":"F32","data_offsets":[0,4]}}`), f32(1)), "tensor w: no shape"},
		{"negative dim", with(func(p []stPart) []stPart { p[1].shape = []int{-3}; return p }), "tensor layers.0.bias: dimension 0 is -3"},
		{"fractional dim", with(func(p []stPart) []stPart { p[1].shape = []float64{2.5}; return p }), "dimension 0 is 2.5"},
		{"too many dims", with(func(p []stPart) []stPart { p[1].shape = []int{1, 1, 1, 1, 1, 1, 1, 1, 3}; return p }), "9 dimensions, at most 8"},
		{"overflowing shape", with(func(p []stPart) []stPart { p[0].shape = []int{40, 40, 40, 40, 40, 40, 40, 40}; return p }), "has more elements than the file has bytes"},
		{"shape vs offsets", with(func(p []stPart) []stPart { p[0].vals = p[0].vals[:1]; return p }), "tensor layers.0.weight: shape [3 2] of F32 needs 24 bytes, offsets give 4"},
		{"three offsets", with(func(p []stPart) []stPart { p[3].offsets = []int{48, 52, 56}; return p }), "data_offsets has 3 numbers, want 2"},
		{"offsets past the data", with(func(p []stPart) []stPart { p[3].offsets = []int{48, 60}; return p }), "tensor layers.1.bias: data_offsets [48, 60] outside the 52 bytes of data"},
		{"offsets reversed", with(func(p []stPart) []stPart { p[3].offsets = []int{52, 48}; return p }), "data_offsets [52, 48] end before they begin"},
		{"first not at 0", with(func(p []stPart) []stPart { p[0].offsets = []int{4, 28}; p[0].vals = append(p[0].vals, 7); return p }), "starts at byte 4 of the data, want 0"},
		{"gap", with(func(p []stPart) []stPart {
			p[1].data = append(f32(0.1, 0.2, 0.3), 0, 0, 0, 0)
			p[1].vals = nil
			p[1].offsets = []int{24, 36}
			p[2].offsets = []int{40, 52}
			p[3].offsets = []int{52, 56}
			return p
		}), "gap of 4 bytes between tensor layers.0.bias (ends at 36) and tensor layers.1.weight (starts at 40)"},
		{"overlap", with(func(p []stPart) []stPart {
			p[3].offsets = []int{44, 48}
			p = append(p, stPart{name: "pad", dtype: "F32", shape: []int{2}, vals: []float32{0, 0}, offsets: []int{48, 56}})
			return p
		}), "tensor layers.1.bias (bytes 44 to 48) overlaps tensor layers.1.weight (ends at 48)"},
		{"trailing data", append(good, 0, 0, 0, 0), "the tensors cover 52 bytes but the file has 56 bytes of data after the header"},
		{"no metadata", assemble(nil, tinyParts()), `no "dense_spec" in the header's __metadata__: not a dense model`},
		{"spec not json", assemble(map[string]string{SpecMetadataKey: "{nope"}, tinyParts()), "spec JSON: invalid character"},
		{"other format", specWith(func(s *Spec) { s.Format = "keras" }), `spec format is "keras", want "dense-model"`},
		{"future version", specWith(func(s *Spec) { s.Version = 2 }), "spec version 2 is not supported (this build reads version 1)"},
		{"bad activation", specWith(func(s *Spec) { s.Layers[0].Activation = "swish" }), `spec: invalid model spec: layer 0: unknown activation "swish"`},
		{"bad task", specWith(func(s *Spec) { s.Task = "ranking" }), `unknown task "ranking"`},
		{"shapes do not chain", specWith(func(s *Spec) { s.Layers[0].Units = 2 }), "tensor layers.0.weight: shape [3 2] in the file, the spec's layers need [2 2]"},
		{"input width differs", specWith(func(s *Spec) { s.Inputs[0].Length = 1 }), "tensor layers.0.weight: shape [3 2] in the file, the spec's layers need [3 1]"},
		{"huge spec, tiny file", specWith(func(s *Spec) { s.Layers[0].Units = 1 << 24; s.Inputs[0].Length = 1 << 24 }), "the spec's layers need 281475010265089 weights, the file holds 13"},
		{"missing tensor", with(func(p []stPart) []stPart { return p[:3] }), "tensor layers.1.bias is missing (the model needs layers.0.weight, layers.0.bias, layers.1.weight, layers.1.bias)"},
		{"extra tensor", with(func(p []stPart) []stPart {
			return append(p, stPart{name: "layers.9.weight", dtype: "F32", shape: []int{1}, vals: []float32{1}})
		}), "unexpected tensor layers.9.weight (the model has layers.0.weight"},
		{"integer dtype", with(func(p []stPart) []stPart { p[1].dtype = "I32"; return p }), "tensor layers.0.bias: dtype I32 cannot be loaded"},
		{"NaN weight", with(func(p []stPart) []stPart { p[0].vals[3] = float32(math.NaN()); return p }), "tensor layers.0.weight: element 3 is NaN (as float32); weights must be finite"},
		{"Inf bias", with(func(p []stPart) []stPart { p[3].vals[0] = float32(math.Inf(-1)); return p }), "tensor layers.1.bias: element 0 is -Inf"},
		{"F64 beyond float32", with(func(p []stPart) []stPart {
			p[1].dtype, p[1].vals = "F64", nil
			p[1].data = binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil,
				math.Float64bits(1)), math.Float64bits(1e300)), math.Float64bits(2))
			return p
		}), "tensor layers.0.bias: element 1 is +Inf (as float32)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Read(c.data)
			if err == nil {
				t.Fatalf("accepted (model %v)", m != nil)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q\nwant it to contain %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "nn: model file: ") {
				t.Fatalf("error %q lacks the prefix", err)
			}
			if !errors.Is(err, ErrModelFile) {
				t.Fatalf("error %q does not wrap ErrModelFile", err)
			}
		})
	}
}

func TestDecodeSizes(t *testing.T) {
	good := assemble(specMeta(tinySpec()), tinyParts())
	if _, err := Decode(bytes.NewReader(good), MaxModelFileBytes+1); err == nil || !strings.Contains(err.Error(), "over the 17179869184-byte limit") {
		t.Fatalf("size cap: %v", err)
	}
	// A reader that ends before the size it claims: the data is missing.
	if _, err := Decode(bytes.NewReader(good[:len(good)-4]), int64(len(good))); err == nil ||
		!strings.Contains(err.Error(), "tensor layers.1.bias: reading the data: unexpected EOF") {
		t.Fatalf("short reader: %v", err)
	}
	// Decode consumes exactly size bytes, so a caller can hash what it read.
	r := bytes.NewReader(append(slices.Clone(good), "next"...))
	if _, err := Decode(r, int64(len(good))); err != nil || r.Len() != 4 {
		t.Fatalf("decode left %d bytes, err %v", r.Len(), err)
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "junk.safetensors")
	os.WriteFile(path, []byte("hello world, not a model"), 0o644)
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), "nn: model file "+path+": header length") {
		t.Fatalf("Load junk: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "absent")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load absent: %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Load folder: %v", err)
	}
}

func TestHalfFloats(t *testing.T) {
	for bits, want := range map[uint16]float32{
		0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0001: 1.0 / (1 << 24), 0x0400: 1.0 / (1 << 14),
		0x3555: 0.333251953125, 0x0000: 0, 0x8000: float32(math.Copysign(0, -1)), 0x7c00: float32(math.Inf(1)), 0xfc00: float32(math.Inf(-1)),
		0x83ff: -1023.0 / (1 << 24),
	} {
		if got := halfToFloat32(bits); math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("half 0x%04x = %v, want %v", bits, got, want)
		}
	}
	if v := halfToFloat32(0x7e00); v == v {
		t.Error("half NaN is not NaN")
	}
	// A file in F16 and BF16 loads with the converted values.
	h16 := func(v ...uint16) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint16(b, x)
		}
		return b
	}
	parts := tinyParts()
	parts[0].dtype, parts[0].vals, parts[0].data = "F16", nil, h16(0x3c00, 0xc000, 0x3555, 0x0400, 0x7bff, 0x0001)
	parts[1].dtype, parts[1].vals, parts[1].data = "BF16", nil, h16(0x3f80, 0xc000, 0x3e80) // 1, -2, 0.25
	m, err := Read(assemble(specMeta(tinySpec()), parts))
	if err != nil {
		t.Fatal(err)
	}
	ts := m.Tensors()
	if !slices.Equal(ts[0].Data, []float32{1, -2, 0.333251953125, 1.0 / (1 << 14), 65504, 1.0 / (1 << 24)}) || !slices.Equal(ts[1].Data, []float32{1, -2, 0.25}) {
		t.Fatalf("converted %v %v", ts[0].Data, ts[1].Data)
	}
}

// Every byte of the header flipped a few ways, and every truncation: each
// gives an error or a valid model, never a panic. Truncations must all fail.
func TestCorruptHeaderNeverPanics(t *testing.T) {
	good := assemble(specMeta(tinySpec()), tinyParts())
	hdrEnd := 8 + int(binary.LittleEndian.Uint64(good))
	x := []float32{0.3, -0.7}
	accepted := 0
	buf := make([]byte, len(good))
	for i := range hdrEnd {
		for _, v := range []byte{good[i] ^ 0x01, good[i] ^ 0x80, good[i] ^ 0x20, 0, 0xff, '"', '9', '}', '-'} {
			if v == good[i] {
				continue
			}
			copy(buf, good)
			buf[i] = v
			m, err := readNoPanic(t, buf)
			if err != nil {
				if !errors.Is(err, ErrModelFile) {
					t.Fatalf("byte %d = %q: error %v does not wrap ErrModelFile", i, v, err)
				}
				continue
			}
			accepted++
			// An accepted mutation (say, a digit in the spec's provenance)
			// is a model that validates and predicts finite values.
			if err := m.Spec().Validate(); err != nil {
				t.Fatalf("byte %d = %q: accepted an invalid spec: %v", i, v, err)
			}
			if p, err := m.Predict(x, 1); err != nil || math.IsNaN(float64(p[0])) {
				t.Fatalf("byte %d = %q: accepted model predicts %v, %v", i, v, p, err)
			}
		}
	}
	for n := range len(good) {
		if _, err := readNoPanic(t, good[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: accepted", n, len(good))
		}
	}
	t.Logf("%d header bytes, %d mutations accepted as valid models", hdrEnd, accepted)
}

func readNoPanic(t *testing.T, data []byte) (m *Model, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Read panicked on %q: %v", data, r)
		}
	}()
	return Read(data)
}

// --- PyTorch ------------------------------------------------------------------

type torchCase struct {
	File  string      `json:"file"`
	Dtype string      `json:"dtype"`
	Spec  Spec        `json:"spec"`
	X     [][]float64 `json:"x"`
	Y     [][]float64 `json:"y"`
}

func flat32(rows [][]float64) []float32 {
	var out []float32
	for _, r := range rows {
		for _, v := range r {
			out = append(out, float32(v))
		}
	}
	return out
}

// closeTo is the tolerance of the PyTorch comparisons: 1e-5, relative for
// values beyond 1.
func closeTo(got float32, want float64) bool {
	return math.Abs(float64(got)-want) <= 1e-5*max(1, math.Abs(want))
}

// TestLoadStateDictMatchesPyTorch loads state dicts written by PyTorch
// (make_fixture.py: nn.Sequential MLPs under "net.", bare, and "layers.";
// F32, F64 and BF16; batch norm, dropout, every activation but linear) and
// checks our Predict against PyTorch's outputs.
func TestLoadStateDictMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/statedict/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct{ Cases []torchCase }
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.Cases) != 3 {
		t.Fatalf("%d fixture cases, want 3", len(fx.Cases))
	}
	for _, c := range fx.Cases {
		t.Run(c.File, func(t *testing.T) {
			m, err := LoadStateDict(filepath.Join("testdata/statedict", c.File), c.Spec)
			if err != nil {
				t.Fatal(err)
			}
			x := flat32(c.X)
			got, err := m.Predict(x, len(c.X))
			if err != nil {
				t.Fatal(err)
			}
			want := c.Y
			if len(got) != len(want)*len(want[0]) {
				t.Fatalf("%d outputs, want %d", len(got), len(want)*len(want[0]))
			}
			k := len(want[0])
			for i := range want {
				for j := range want[i] {
					if !closeTo(got[i*k+j], want[i][j]) {
						t.Errorf("row %d output %d: got %v, PyTorch %v", i, j, got[i*k+j], want[i][j])
					}
				}
			}
			// The imported model saves and loads like any other.
			back, err := Read(mustBytes(t, m))
			if err != nil {
				t.Fatal(err)
			}
			sameModel(t, m, back)
		})
	}
}

func TestLoadStateDictRefusals(t *testing.T) {
	spec := tinySpec()
	// A state dict of tinySpec's network with PyTorch keys.
	torchParts := func(prefix string, idx ...int) []stPart {
		p := tinyParts()
		p[0].name = fmt.Sprintf("%s%d.weight", prefix, idx[0])
		p[1].name = fmt.Sprintf("%s%d.bias", prefix, idx[0])
		p[2].name = fmt.Sprintf("%s%d.weight", prefix, idx[1])
		p[3].name = fmt.Sprintf("%s%d.bias", prefix, idx[1])
		return p
	}
	// The happy path, with a num_batches_tracked scalar to ignore.
	p := torchParts("net.", 0, 2)
	p = append(p, stPart{name: "net.1.num_batches_tracked", dtype: "I64", shape: []int{}, data: make([]byte, 8)})
	m, err := ReadStateDict(assemble(nil, p), spec)
	if err != nil {
		t.Fatal(err)
	}
	if w := m.Tensors()[2].Data; !slices.Equal(w, []float32{-1, 0.5, 0.25}) {
		t.Fatalf("layers.1.weight = %v", w)
	}
	if _, err := ReadStateDict(assemble(nil, torchParts("", 0, 2)), Spec{Task: TaskBinary, Inputs: spec.Inputs, Layers: spec.Layers}); err != nil {
		t.Fatalf("bare Sequential keys with an empty format: %v", err)
	}
	// Index order, not file order: "2" before "10".
	swapped := torchParts("net.", 10, 2)
	swapped[0], swapped[2] = swapped[2], swapped[0]
	swapped[1], swapped[3] = swapped[3], swapped[1]
	if _, err := ReadStateDict(assemble(nil, swapped), spec); err == nil || !strings.Contains(err.Error(), "tensor net.2.weight: shape [1 3] in the file, spec layer 0 (layers.0.weight) needs [3 2]") {
		t.Fatalf("numeric index order: %v", err)
	}

	cases := []struct {
		name  string
		parts []stPart
		spec  Spec
		want  string
	}{
		{"two stems", func() []stPart { p := torchParts("net.", 0, 2); p[3].name = "head.2.bias"; return p }(), spec,
			`keys "net.0.weight" and "head.2.bias" come from different modules`},
		{"no index", func() []stPart { p := torchParts("net.", 0, 2); p[0].name = "net.fc.weight"; return p }(), spec,
			`key "net.fc.weight": "fc" is not a Sequential index`},
		{"unknown parameter", func() []stPart { p := torchParts("", 0, 2); p[1].name = "0.scale"; return p }(), spec,
			`key "0.scale": parameter "scale" is not one of weight, bias, running_mean, running_var`},
		{"no dot", func() []stPart { p := torchParts("", 0, 2); p[1].name = "bias"; return p }(), spec,
			`key "bias" is not <module>.<parameter>`},
		{"same index twice", func() []stPart { p := torchParts("", 0, 2); p[2].name = "00.weight"; p[3].name = "00.bias"; return p }(), spec,
			`modules "0" and "00" have the same index`},
		{"too few layers", torchParts("", 0, 2), Spec{Task: TaskRegression, Inputs: spec.Inputs, Layers: []LayerSpec{Dense(3, Tanh)}},
			"the state dict has 2 modules with weights (0, 2), the spec has 1 dense and batch-norm layers"},
		{"bias mismatch", torchParts("", 0, 2), Spec{Task: TaskBinary, Inputs: spec.Inputs, Layers: []LayerSpec{Dense(3, Tanh).WithoutBias(), Dense(1, Sigmoid)}},
			"module 0 has a bias but spec layer 0 is dense without bias"},
		{"missing bias", torchParts("", 0, 2)[:3], spec, "module 2 has no bias but spec layer 1 is dense with a bias"},
		{"linear where batchnorm", torchParts("", 0, 2), Spec{Task: TaskBinary, Inputs: spec.Inputs, Layers: []LayerSpec{BatchNorm(), Dense(1, Sigmoid)}},
			"module 0 has no running_mean, but spec layer 0 is a batch norm"},
		{"batchnorm where linear", []stPart{
			{name: "0.weight", dtype: "F32", shape: []int{2}, vals: []float32{1, 1}},
			{name: "0.bias", dtype: "F32", shape: []int{2}, vals: []float32{0, 0}},
			{name: "0.running_mean", dtype: "F32", shape: []int{2}, vals: []float32{0, 0}},
			{name: "0.running_var", dtype: "F32", shape: []int{2}, vals: []float32{1, 1}},
		}, Spec{Task: TaskRegression, Inputs: spec.Inputs, Layers: []LayerSpec{Dense(2, Linear)}},
			"module 0 (weight shape [2]) is not a Linear, but spec layer 0 is dense"},
		{"shape", torchParts("", 0, 2), Spec{Task: TaskBinary, Inputs: []Input{VectorInput("x", 4)}, Layers: spec.Layers},
			"tensor 0.weight: shape [3 2] in the file, spec layer 0 (layers.0.weight) needs [3 4]"},
		{"bad spec", torchParts("", 0, 2), Spec{Task: TaskBinary, Inputs: spec.Inputs, Layers: []LayerSpec{Dense(3, "swish"), Dense(1, Sigmoid)}},
			`unknown activation "swish"`},
		{"NaN", func() []stPart { p := torchParts("", 0, 2); p[2].vals[1] = float32(math.NaN()); return p }(), spec,
			"tensor 2.weight: element 1 is NaN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadStateDict(assemble(nil, c.parts), c.spec)
			if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrModelFile) {
				t.Fatalf("error %v\nwant it to contain %q", err, c.want)
			}
		})
	}
	if _, err := LoadStateDict(filepath.Join(t.TempDir(), "absent"), spec); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("absent file: %v", err)
	}
}

// TestSavedFileReadsInPyTorch saves a model, has make_fixture.py rebuild it
// in PyTorch from the file alone (hand-written safetensors reader,
// load_state_dict) and compares the outputs. PyTorch takes seconds to import
// on this machine, so the test runs only with DENSE_TEST_TORCH=1.
func TestSavedFileReadsInPyTorch(t *testing.T) {
	if os.Getenv("DENSE_TEST_TORCH") != "1" {
		t.Skip("set DENSE_TEST_TORCH=1 to run PyTorch on a saved model (needs /usr/bin/python3 with python3-torch)")
	}
	m := fileTestModel(t)
	// Predict takes encoded rows, so PyTorch gets the same numbers.
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	rows := 6
	x := fileTestInput(rows, m.InputWidth())
	xs := make([][]float32, rows)
	for i := range xs {
		xs[i] = x[i*m.InputWidth() : (i+1)*m.InputWidth()]
	}
	xb, _ := json.Marshal(xs)
	xPath := filepath.Join(dir, "x.json")
	if err := os.WriteFile(xPath, xb, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", "testdata/statedict/make_fixture.py", "predict", path, xPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	var y [][]float64
	if err := json.Unmarshal(out, &y); err != nil {
		t.Fatalf("python output %q: %v", out, err)
	}
	got, err := m.Predict(x, rows)
	if err != nil {
		t.Fatal(err)
	}
	k := m.OutputWidth()
	if len(y) != rows || len(y[0]) != k {
		t.Fatalf("PyTorch gave %d×%d outputs, want %d×%d", len(y), len(y[0]), rows, k)
	}
	for i := range y {
		for j := range y[i] {
			if !closeTo(got[i*k+j], y[i][j]) {
				t.Errorf("row %d output %d: ours %v, PyTorch %v", i, j, got[i*k+j], y[i][j])
			}
		}
	}
}

func ExampleModel_Save() {
	m, err := NewSequential(2, Dense(3, Tanh), Dense(1, Sigmoid))
	if err != nil {
		panic(err)
	}
	m.Spec().Labels = []string{"stay", "churn"}
	dir, err := os.MkdirTemp("", "dense-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "churn.safetensors")
	if err := m.Save(path); err != nil {
		panic(err)
	}
	loaded, err := Load(path)
	if err != nil {
		panic(err)
	}
	x := []float32{0.5, -1}
	a, _ := m.Predict(x, 1)
	b, _ := loaded.Predict(x, 1)
	fmt.Println(loaded.Spec().Task, loaded.Spec().Labels, a[0] == b[0])
	for _, t := range loaded.Tensors() {
		fmt.Println(t.Name, t.Shape)
	}
	// Output:
	// binary [stay churn] true
	// layers.0.weight [3 2]
	// layers.0.bias [3]
	// layers.1.weight [1 3]
	// layers.1.bias [1]
}

// BenchmarkModelFile measures writing and reading the 784→128→10 model
// (101,770 parameters, 407 kB) through memory.
func BenchmarkModelFile(b *testing.B) {
	m, err := NewSequential(784, Dense(128, ReLU), Dense(10, Softmax))
	if err != nil {
		b.Fatal(err)
	}
	data := mustBytes(b, m)
	b.Run("WriteTo", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if _, err := m.WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Read", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Read(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
