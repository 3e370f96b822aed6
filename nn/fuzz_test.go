package nn

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds arbitrary bytes to the model-file and state-dict loaders:
//
//	go test -run '^$' -fuzz FuzzRead ./nn/
//
// Neither may panic; every error wraps ErrModelFile; an accepted file is a
// model with a valid spec that predicts, saves and reads back to the same
// bytes. The committed seed corpus lives in testdata/fuzz/FuzzRead
// (regenerate it with DENSE_WRITE_FUZZ_CORPUS=1 go test -run TestFuzzCorpus).
func FuzzRead(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(data)
		if err != nil {
			if !errors.Is(err, ErrModelFile) {
				t.Fatalf("error %v does not wrap ErrModelFile", err)
			}
		} else {
			if err := m.Spec().Validate(); err != nil {
				t.Fatalf("accepted a model whose spec does not validate: %v", err)
			}
			if _, err := m.Predict(make([]float32, m.InputWidth()), 1); err != nil {
				t.Fatalf("accepted a model that cannot predict: %v", err)
			}
			var b bytes.Buffer
			if _, err := m.WriteTo(&b); err != nil {
				t.Fatalf("accepted a model that cannot be saved: %v", err)
			}
			back, err := Read(b.Bytes())
			if err != nil {
				t.Fatalf("a saved model does not read back: %v", err)
			}
			var b2 bytes.Buffer
			if _, err := back.WriteTo(&b2); err != nil || !bytes.Equal(b.Bytes(), b2.Bytes()) {
				t.Fatalf("save → read → save is not stable (%v)", err)
			}
		}
		if _, err := ReadStateDict(data, tinySpec()); err != nil && !errors.Is(err, ErrModelFile) {
			t.Fatalf("state dict error %v does not wrap ErrModelFile", err)
		}
	})
}

// fuzzSeeds are small valid and nearly valid files.
func fuzzSeeds(t testing.TB) [][]byte {
	tiny := assemble(specMeta(tinySpec()), tinyParts())
	full := mustBytes(t, fileTestModel(t))
	stateDict := assemble(nil, tinyParts())
	half := tinyParts()
	half[1].dtype, half[1].vals, half[1].data = "F16", nil, []byte{0x00, 0x3c, 0x00, 0xc0, 0x55, 0x35}
	return [][]byte{
		tiny,
		full,
		stateDict,
		assemble(specMeta(tinySpec()), half),
		tiny[:len(tiny)-3],
		tiny[:20],
		rawFile([]byte(`{"__metadata__":{"dense_spec":"{}"}}`), nil),
		rawFile([]byte(`{}`), nil),
		{},
	}
}

// TestFuzzCorpus checks that the committed seed corpus is there, and writes
// it when DENSE_WRITE_FUZZ_CORPUS=1.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	seeds := fuzzSeeds(t)
	if os.Getenv("DENSE_WRITE_FUZZ_CORPUS") == "1" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("seed corpus: %v", err)
	}
	if len(ents) < len(seeds) {
		t.Fatalf("seed corpus has %d files, want at least %d", len(ents), len(seeds))
	}
}
