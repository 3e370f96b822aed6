package registry

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
)

// FuzzLoad feeds an arbitrary model file and entry.json to the registry's
// whole loading path (List, Resolve, Load):
//
//	go test -run '^$' -fuzz FuzzLoad -fuzztime 60s ./registry/
//
// Nothing may panic. Either the version loads, and then the model is the
// one the seed registered (same file bytes: the entry's SHA-256 and the
// file's own digest hold), or List reports it damaged / Load fails with an
// error that wraps ErrDamaged or nn.ErrModelFile, or says the file changed.
// The committed seed corpus is testdata/fuzz/FuzzLoad (regenerate with
// DENSE_WRITE_FUZZ_CORPUS=1 go test -run TestFuzzLoadCorpus ./registry/).
func FuzzLoad(f *testing.F) {
	for _, s := range fuzzLoadSeeds(f) {
		f.Add(s[0], s[1])
	}
	good := fuzzLoadSeeds(f)[0]
	f.Fuzz(func(t *testing.T, model, entry []byte) {
		r := mustOpen(t, t.TempDir())
		vdir := filepath.Join(r.Dir(), "m", "1")
		if err := os.MkdirAll(vdir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(vdir, ModelFile), model, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(vdir, EntryFile), entry, 0o644); err != nil {
			t.Fatal(err)
		}
		list, bad, err := r.List()
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(list)+len(bad) != 1 {
			t.Fatalf("List: %d usable and %d damaged versions, want 1 in all", len(list), len(bad))
		}
		if len(bad) == 1 && !errors.Is(bad[0].Err, ErrDamaged) {
			t.Fatalf("damaged error %v does not wrap ErrDamaged", bad[0].Err)
		}
		m, e, err := r.Load("m@1")
		if err != nil {
			if !errors.Is(err, ErrDamaged) && !errors.Is(err, nn.ErrModelFile) && !strings.Contains(err.Error(), "the file was changed or damaged") {
				t.Fatalf("Load error %v is not a damage report", err)
			}
			return
		}
		if len(bad) != 0 || e.Ref() != "m@1" {
			t.Fatalf("loaded %s though List reported %v", e.Ref(), bad)
		}
		var b bytes.Buffer
		if _, err := m.WriteTo(&b); err != nil {
			t.Fatalf("a loaded model cannot be saved: %v", err)
		}
		if !bytes.Equal(model, good[0]) || !bytes.Equal(b.Bytes(), good[0]) {
			t.Fatalf("loaded a model that is not the registered one (%d bytes)", len(model))
		}
	})
}

// fuzzLoadSeeds are (model file, entry.json) pairs: a registered version,
// and damaged variants of it.
func fuzzLoadSeeds(t testing.TB) [][2][]byte {
	dir, err := os.MkdirTemp("", "dense-fuzz-seed-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	spec := nn.Spec{Format: nn.FormatName, Version: nn.FormatVersion, Task: nn.TaskRegression,
		Inputs: []nn.Input{{Name: "x", Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 1, Std: 2}}},
		Layers: []nn.LayerSpec{nn.Dense(2, nn.ReLU), nn.Dense(1, nn.Linear)}}
	m, err := nn.NewModel(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	e, err := r.Register("m", m)
	if err != nil {
		t.Fatal(err)
	}
	model, err := os.ReadFile(e.Path)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := os.ReadFile(filepath.Join(e.Dir(), EntryFile))
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(model)
	flipped[bytes.Index(flipped, []byte("scale"))+2] = 'X'
	return [][2][]byte{
		{model, entry},
		{model, nil},
		{model, []byte("{}")},
		{model, bytes.Replace(entry, []byte(`"name": "m"`), []byte(`"name": "n"`), 1)},
		{model, bytes.Replace(entry, []byte(`"sha256"`), []byte(`"sha257"`), 1)},
		{flipped, entry},
		{model[:len(model)-3], entry},
		{nil, entry},
	}
}

// TestFuzzLoadCorpus runs the seeds through the fuzz body's checks (as go
// test does) and checks that the committed corpus is there; it writes the
// corpus when DENSE_WRITE_FUZZ_CORPUS=1.
func TestFuzzLoadCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzLoad")
	seeds := fuzzLoadSeeds(t)
	if os.Getenv("DENSE_WRITE_FUZZ_CORPUS") == "1" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n[]byte(%q)\n", s[0], s[1])
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
