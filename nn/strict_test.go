package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Every single-byte change to a model file is an error: the digest in the
// header covers every byte, and the strict spec names what it does not know.
// (Without them, a flipped "scale" → "scXle" dropped standardisation and the
// model loaded.)
func TestEveryByteFlipIsRefused(t *testing.T) {
	good := mustBytes(t, fileTestModel(t))
	if _, err := Read(good); err != nil {
		t.Fatal(err)
	}
	for i := range good {
		for _, mask := range []byte{0x01, 0x20} {
			b := bytes.Clone(good)
			b[i] ^= mask
			if _, err := Read(b); err == nil {
				t.Fatalf("byte %d ^ %#x: the changed file loads", i, mask)
			} else if !errors.Is(err, ErrModelFile) {
				t.Fatalf("byte %d: %v does not wrap ErrModelFile", i, err)
			}
		}
	}
}

// respec rebuilds a model file with the spec JSON edited and a valid digest,
// so that only the strict spec parser can notice.
func respec(t *testing.T, m *Model, edit func(string) string) []byte {
	t.Helper()
	specJSON, err := json.Marshal(m.Spec())
	if err != nil {
		t.Fatal(err)
	}
	edited := edit(string(specJSON))
	if edited == string(specJSON) {
		t.Fatal("the edit changed nothing")
	}
	var parts []stPart
	for _, tn := range m.Tensors() {
		parts = append(parts, stPart{name: tn.Name, dtype: "F32", shape: tn.Shape, vals: tn.Data})
	}
	return assemble(map[string]string{SpecMetadataKey: edited}, parts)
}

func TestStrictSpec(t *testing.T) {
	m := fileTestModel(t)
	cases := []struct {
		name string
		edit func(string) string
		want string
	}{
		{"unknown nested key", func(s string) string { return strings.Replace(s, `"scale":`, `"scXle":`, 1) }, `unknown key "scXle" in inputs[0]`},
		{"unknown top key", func(s string) string { return strings.Replace(s, `"task":`, `"tasks":`, 1) }, `unknown key "tasks" in the spec`},
		{"other case", func(s string) string { return strings.Replace(s, `"mean":`, `"Mean":`, 1) }, `unknown key "Mean" in inputs[0].scale`},
		{"missing key", func(s string) string { return strings.Replace(s, `"kind":"categorical",`, ``, 1) }, `missing key "kind" in inputs[1]`},
		{"missing layer type", func(s string) string { return strings.Replace(s, `{"type":"dropout",`, `{`, 1) }, `missing key "type" in layers[2]`},
		{"missing provenance", func(s string) string {
			i := strings.Index(s, `,"provenance":`)
			return s[:i] + "}"
		}, `missing key "provenance" in the spec`},
		{"key twice", func(s string) string { return strings.Replace(s, `"std":12.5`, `"std":12.5,"std":1`, 1) }, `key "std" appears twice in inputs[0].scale`},
		{"wrong type", func(s string) string { return strings.Replace(s, `"units":6`, `"units":"6"`, 1) }, "cannot unmarshal string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(respec(t, m, c.edit))
			if err == nil || !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want …%s…", err, c.want)
			}
		})
	}
	// The spec as written parses back to itself.
	b, _ := json.Marshal(m.Spec())
	s, err := ParseSpec(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(s)
	if !bytes.Equal(b, b2) {
		t.Fatalf("ParseSpec round trip differs:\n%s\n%s", b, b2)
	}
}

func TestDigestRequired(t *testing.T) {
	good := mustBytes(t, fileTestModel(t))
	n := binary.LittleEndian.Uint64(good)
	hdr := string(good[8 : 8+n])
	if !strings.HasPrefix(hdr, digestPrefix) {
		t.Fatalf("header does not start with the digest: %.60s", hdr)
	}
	// Without the digest (a file from before it existed): refused, saying so.
	m := fileTestModel(t)
	var parts []stPart
	for _, tn := range m.Tensors() {
		parts = append(parts, stPart{name: tn.Name, dtype: "F32", shape: tn.Shape, vals: tn.Data})
	}
	specJSON, _ := json.Marshal(m.Spec())
	noDigest := assembleRaw(map[string]string{SpecMetadataKey: string(specJSON)}, parts)
	if _, err := Read(noDigest); err == nil || !strings.Contains(err.Error(), `no "dense_sha256" digest`) {
		t.Fatalf("no digest: %v", err)
	}
	// The right digest, but not the header's first entry: refused.
	moved := assembleRaw(map[string]string{"a_first": "x", SpecMetadataKey: string(specJSON), DigestMetadataKey: hdr[len(digestPrefix) : len(digestPrefix)+64]}, parts)
	if _, err := Read(moved); err == nil || !strings.Contains(err.Error(), "is not the header's first entry") {
		t.Fatalf("digest not first: %v", err)
	}
}

// Load refuses what is not a regular file, naming it, without blocking.
func TestLoadNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.safetensors")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	dangling := filepath.Join(dir, "dangling.safetensors")
	if err := os.Symlink(filepath.Join(dir, "gone"), dangling); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.safetensors")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		fifo:     "is a FIFO, not a regular file",
		dir:      "is a folder, not a regular file",
		dangling: "which does not exist",
		zero:     "is a device, not a regular file",
	} {
		_, err := Load(path)
		if err == nil || !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%s): %v, want …%s…", path, err, want)
		}
		_, err = LoadStateDict(path, tinySpec())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadStateDict(%s): %v, want …%s…", path, err, want)
		}
	}
}
