package registry

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dense-ml/dense/nn"
)

// testModel is a small binary model whose weights depend on seed, with a
// validation metric, so versions are distinguishable.
func testModel(t testing.TB, seed int64) *nn.Model {
	t.Helper()
	spec := nn.Spec{Format: nn.FormatName, Version: nn.FormatVersion, Task: nn.TaskBinary,
		Inputs: []nn.Input{nn.NumericInput("tenure"), nn.VectorInput("emb", 3)},
		Layers: []nn.LayerSpec{nn.Dense(5, nn.ReLU), nn.Dense(1, nn.Sigmoid)},
		Target: "churned", Labels: []string{"no", "yes"},
		Provenance: nn.Provenance{Seed: seed, Rows: 100 + seed, Metrics: map[string]float64{"accuracy": 0.5 + float64(seed%50)/100}}}
	m, err := nn.NewModel(spec, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fingerprint is a model's prediction on a fixed row: equal fingerprints
// mean (for these tests) the same model.
func fingerprint(t testing.TB, m *nn.Model) float32 {
	t.Helper()
	p, err := m.Predict([]float32{0.5, -1, 2, 0.25}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return p[0]
}

func mustOpen(t testing.TB, dir string) *Registry {
	t.Helper()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRegisterResolveLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "models")
	r := mustOpen(t, dir)
	if l, bad, err := r.List(); err != nil || len(l) != 0 || len(bad) != 0 {
		t.Fatalf("empty registry lists %v, %v", l, err)
	}
	var want []float32
	for i := range 3 {
		m := testModel(t, int64(i+1))
		e, err := r.Register("churn", m)
		if err != nil {
			t.Fatal(err)
		}
		if e.Version != i+1 || e.Name != "churn" || e.Ref() != "churn@"+strconv.Itoa(i+1) {
			t.Fatalf("entry %+v", e)
		}
		if e.Path != filepath.Join(dir, "churn", strconv.Itoa(i+1), ModelFile) || e.Dir() != filepath.Dir(e.Path) {
			t.Fatalf("path %s", e.Path)
		}
		st, err := os.Stat(e.Path)
		if err != nil || st.Size() != e.Size || len(e.SHA256) != 64 {
			t.Fatalf("size %d vs %v %v, sha %q", e.Size, st, err, e.SHA256)
		}
		if e.Task != string(nn.TaskBinary) || !slices.Equal(e.Inputs, []string{"tenure", "emb"}) || !slices.Equal(e.Labels, []string{"no", "yes"}) ||
			e.Params != 4*5+5+5+1 || e.Metrics["accuracy"] != 0.5+float64(i+1)/100 || e.Target != "churned" || time.Since(e.Created) > time.Minute {
			t.Fatalf("summary %+v", e)
		}
		want = append(want, fingerprint(t, m))
	}
	if _, err := r.Register("other", testModel(t, 9)); err != nil {
		t.Fatal(err)
	}
	for ref, v := range map[string]int{"churn": 3, "churn@latest": 3, "churn@1": 1, "churn@2": 2, "churn@3": 3} {
		m, e, err := r.Load(ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if e.Version != v || fingerprint(t, m) != want[v-1] {
			t.Fatalf("%s: version %d fingerprint %v, want %d %v", ref, e.Version, fingerprint(t, m), v, want[v-1])
		}
		re, err := r.Resolve(ref)
		if err != nil || re.Version != v || re.SHA256 != e.SHA256 {
			t.Fatalf("resolve %s: %+v %v", ref, re, err)
		}
	}
	list, _, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, e := range list {
		refs = append(refs, e.Ref())
	}
	if !slices.Equal(refs, []string{"churn@1", "churn@2", "churn@3", "other@1"}) {
		t.Fatalf("list %v", refs)
	}
	vs, err := r.Versions("churn")
	if err != nil || len(vs) != 3 {
		t.Fatalf("versions %v %v", vs, err)
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(filepath.Join(dir, "churn"))
	for _, de := range ents {
		if strings.HasSuffix(de.Name(), ".tmp") {
			t.Errorf("left behind %s", de.Name())
		}
	}
}

func TestNotFoundErrors(t *testing.T) {
	r := mustOpen(t, t.TempDir())
	_, err := r.Resolve("churn")
	if err == nil || !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `unknown model "churn"`) || !strings.Contains(err.Error(), "there are none") {
		t.Fatalf("empty registry: %v", err)
	}
	for _, n := range []string{"churn", "segment"} {
		for range 2 {
			if _, err := r.Register(n, testModel(t, 1)); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, _, err = r.Load("chrun")
	if err == nil || !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `registry: not found: unknown model "chrun"`) ||
		!strings.Contains(err.Error(), "(available: churn, segment)") {
		t.Fatalf("unknown model: %v", err)
	}
	_, err = r.Resolve("churn@7")
	if err == nil || !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `unknown version 7 of model "churn" (versions: 1, 2)`) {
		t.Fatalf("unknown version: %v", err)
	}
	// A claimed but unpublished version (a registration in flight, or a crash).
	os.Mkdir(filepath.Join(r.Dir(), "churn", "3"), 0o755)
	if _, err = r.Resolve("churn@3"); err == nil || !strings.Contains(err.Error(), `unfinished version 3 of model "churn" (versions: 1, 2)`) {
		t.Fatalf("unfinished version: %v", err)
	}
	if e, err := r.Resolve("churn"); err != nil || e.Version != 2 {
		t.Fatalf("newest with an unfinished version above it: %+v %v", e, err)
	}
	// The next registration skips the claimed number.
	if e, err := r.Register("churn", testModel(t, 1)); err != nil || e.Version != 4 {
		t.Fatalf("register after an abandoned claim: %+v %v", e, err)
	}
}

func TestBadNames(t *testing.T) {
	r := mustOpen(t, t.TempDir())
	m := testModel(t, 1)
	for _, name := range []string{"", "a/b", `a\b`, "..", ".", ".hidden", "-flag", "_x", "a b", "naïve", "x@1", strings.Repeat("a", 129), "a\x00b"} {
		if _, err := r.Register(name, m); err == nil || !errors.Is(err, ErrBadRef) {
			t.Errorf("Register(%q): %v", name, err)
		}
	}
	for _, name := range []string{"a", "Churn_v2", "m-1.0", "9lives", strings.Repeat("a", 128)} {
		if err := ValidName(name); err != nil {
			t.Errorf("ValidName(%q): %v", name, err)
		}
	}
	for _, ref := range []string{"a@0", "a@-1", "a@01", "a@1x", "a@_x", "a@", "a@1@2", "@1", "../a"} {
		if _, err := r.Resolve(ref); err == nil || !errors.Is(err, ErrBadRef) {
			t.Errorf("Resolve(%q): %v", ref, err)
		}
	}
	if err := r.Delete("a/b", false); err == nil || !errors.Is(err, ErrBadRef) {
		t.Errorf("Delete bad name: %v", err)
	}
	if _, err := r.Resolve("a@1x"); err == nil || !strings.Contains(err.Error(), `version "1x" is not a positive integer`) {
		t.Errorf("message: %v", err)
	}
	if _, err := r.Register("a/b", m); err == nil || !strings.Contains(err.Error(), `model name "a/b": character '/' at 1`) {
		t.Errorf("message: %v", err)
	}
	// Nothing was created for the refused names.
	if ents, _ := os.ReadDir(r.Dir()); len(ents) != 0 {
		t.Errorf("refused names left %d entries", len(ents))
	}
}

func TestDelete(t *testing.T) {
	r := mustOpen(t, t.TempDir())
	for i := range 3 {
		if _, err := r.Register("churn", testModel(t, int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Delete("churn@3", false); err != nil {
		t.Fatal(err)
	}
	if e, err := r.Resolve("churn"); err != nil || e.Version != 2 {
		t.Fatalf("newest after deleting 3: %+v %v", e, err)
	}
	if _, err := r.Resolve("churn@3"); err == nil || !strings.Contains(err.Error(), `deleted version 3 of model "churn" (versions: 1, 2)`) {
		t.Fatalf("deleted version: %v", err)
	}
	if err := r.Delete("churn@3", false); err == nil || !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
	// The number is not reused.
	if e, err := r.Register("churn", testModel(t, 7)); err != nil || e.Version != 4 {
		t.Fatalf("register after delete: %+v %v", e, err)
	}
	if err := r.Delete("churn@latest", false); err == nil || !errors.Is(err, ErrBadRef) {
		t.Fatalf("delete @latest: %v", err)
	}
	// Deleting the name deletes every version; numbering still continues.
	if err := r.Delete("churn", false); err != nil {
		t.Fatal(err)
	}
	if l, bad, err := r.List(); err != nil || len(l) != 0 || len(bad) != 0 {
		t.Fatalf("after deleting all: %v %v", l, err)
	}
	if _, err := r.Resolve("churn"); err == nil || !strings.Contains(err.Error(), `unknown model "churn"`) {
		t.Fatalf("resolve deleted model: %v", err)
	}
	if e, err := r.Register("churn", testModel(t, 8)); err != nil || e.Version != 5 {
		t.Fatalf("register after deleting all: %+v %v", e, err)
	}
	if err := r.Delete("nope", false); err == nil || !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete unknown: %v", err)
	}
}

func TestCorruptionDetected(t *testing.T) {
	r := mustOpen(t, t.TempDir())
	e, err := r.Register("churn", testModel(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(e.Path)
	// Flip one weight byte: still a valid model file, but not the registered one.
	data[len(data)-2] ^= 0x01
	if err := os.WriteFile(e.Path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Load("churn"); err == nil || !strings.Contains(err.Error(), "the file was changed or damaged") {
		t.Fatalf("flipped byte: %v", err)
	}
	if err := os.WriteFile(e.Path, data[:len(data)-4], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Load("churn"); err == nil || !strings.Contains(err.Error(), "bytes, "+strconv.FormatInt(e.Size, 10)+" when registered") {
		t.Fatalf("truncated: %v", err)
	}
}

func TestOpenDefaults(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv(EnvDir, filepath.Join(tmp, "from-env"))
	r := mustOpen(t, "")
	if r.Dir() != filepath.Join(tmp, "from-env") {
		t.Fatalf("DENSE_MODELS ignored: %s", r.Dir())
	}
	if _, err := r.Register("x", testModel(t, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(tmp, "from-env", "x", "1", ModelFile)); err != nil {
		t.Fatal(err)
	}
	if r := mustOpen(t, filepath.Join(tmp, "explicit")); r.Dir() != filepath.Join(tmp, "explicit") {
		t.Fatalf("explicit dir: %s", r.Dir())
	}
	t.Setenv(EnvDir, "")
	if r, wd := mustOpen(t, ""), mustGetwd(t); r.Dir() != filepath.Join(wd, "models") {
		t.Fatalf("default dir: %s", r.Dir())
	}
	file := filepath.Join(tmp, "file")
	os.WriteFile(file, nil, 0o644)
	if _, err := Open(file); err == nil || !strings.Contains(err.Error(), "is not a folder") {
		t.Fatalf("open a file: %v", err)
	}
}

// A model that cannot be saved uses up no version.
func TestRegisterFailureClaimsNothing(t *testing.T) {
	r := mustOpen(t, t.TempDir())
	bad := testModel(t, 1)
	bad.Tensors()[0].Data[0] = float32(nanValue())
	if _, err := r.Register("churn", bad); err == nil || !strings.Contains(err.Error(), "nn: save: tensor layers.0.weight element 0 is NaN") {
		t.Fatalf("register NaN model: %v", err)
	}
	if e, err := r.Register("churn", testModel(t, 1)); err != nil || e.Version != 1 {
		t.Fatalf("after a failed register: %+v %v", e, err)
	}
	ents, _ := os.ReadDir(filepath.Join(r.Dir(), "churn"))
	if len(ents) != 1 || ents[0].Name() != "1" {
		t.Fatalf("name folder holds %v", ents)
	}
}

func nanValue() float64 { var z float64; return z / z }

func TestConcurrentRegister(t *testing.T) {
	r := mustOpen(t, t.TempDir())
	const n = 24
	fps := make([]float32, n)
	versions := make([]int, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := testModel(t, int64(100+i))
			fps[i] = fingerprint(t, m)
			// Each goroutine uses its own Registry value, like separate callers.
			e, err := mustOpen(t, r.Dir()).Register("churn", m)
			if err != nil {
				errs <- err
				return
			}
			versions[i] = e.Version
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sorted := slices.Clone(versions)
	slices.Sort(sorted)
	for i, v := range sorted {
		if v != i+1 {
			t.Fatalf("versions %v, want 1..%d each once", sorted, n)
		}
	}
	for i, v := range versions {
		m, _, err := r.Load("churn@" + strconv.Itoa(v))
		if err != nil {
			t.Fatal(err)
		}
		if fingerprint(t, m) != fps[i] {
			t.Fatalf("churn@%d is not the model goroutine %d registered", v, i)
		}
	}
}

// A reader listing and loading while writers register never sees a partial
// model: everything List returns loads and verifies.
func TestReaderDuringWrites(t *testing.T) {
	r := mustOpen(t, t.TempDir())
	if _, err := r.Register("churn", testModel(t, 0)); err != nil {
		t.Fatal(err)
	}
	var done atomic.Bool
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				if _, err := r.Register("churn", testModel(t, int64(w*100+i+1))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	readerDone := make(chan struct{})
	loads := 0
	go func() {
		defer close(readerDone)
		for !done.Load() {
			list, _, err := r.List()
			if err != nil {
				t.Error(err)
				return
			}
			for _, e := range list {
				if _, _, err := r.Load(e.Ref()); err != nil {
					t.Error(err)
					return
				}
				loads++
			}
			if _, _, err := r.Load("churn"); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	done.Store(true)
	<-readerDone
	if l, _, _ := r.List(); len(l) != 31 {
		t.Fatalf("%d versions, want 31", len(l))
	}
	t.Logf("reader loaded %d versions while writers ran", loads)
}

// The helper process: registers models when DENSE_REGISTRY_HELPER is set.
// It waits for a start file so that both processes run at the same time.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("DENSE_REGISTRY_HELPER")
	if dir == "" {
		t.Skip("helper for TestTwoProcesses")
	}
	start := os.Getenv("DENSE_REGISTRY_START")
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := os.Stat(start); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("start signal never came")
		}
		time.Sleep(time.Millisecond)
	}
	id, _ := strconv.Atoi(os.Getenv("DENSE_REGISTRY_ID"))
	r := mustOpen(t, dir)
	for i := range 10 {
		seed := int64(id*1000 + i)
		e, err := r.Register("shared", testModel(t, seed))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("REGISTERED %d %d\n", e.Version, seed)
	}
}

func TestTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two processes")
	}
	dir := t.TempDir()
	start := filepath.Join(dir, "start")
	models := filepath.Join(dir, "models")
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for id := 1; id <= 2; id++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v")
		cmd.Env = append(os.Environ(), "DENSE_REGISTRY_HELPER="+models, "DENSE_REGISTRY_START="+start, "DENSE_REGISTRY_ID="+strconv.Itoa(id))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, &out)
	}
	time.Sleep(50 * time.Millisecond)
	os.WriteFile(start, nil, 0o644)
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i+1, err, outs[i])
		}
	}
	r := mustOpen(t, models)
	seen := map[int]int64{}
	for _, out := range outs {
		for _, line := range strings.Split(out.String(), "\n") {
			var v int
			var seed int64
			if _, err := fmt.Sscanf(line, "REGISTERED %d %d", &v, &seed); err == nil {
				if prev, dup := seen[v]; dup {
					t.Fatalf("version %d given to seeds %d and %d", v, prev, seed)
				}
				seen[v] = seed
			}
		}
	}
	if len(seen) != 20 {
		t.Fatalf("%d registrations reported, want 20:\n%s\n%s", len(seen), outs[0], outs[1])
	}
	order := ""
	for v := 1; v <= 20; v++ {
		order += strconv.FormatInt(seen[v]/1000, 10)
	}
	t.Logf("process owning each version 1..20: %s", order) // interleaved when both ran at once
	for v := 1; v <= 20; v++ {
		seed, ok := seen[v]
		if !ok {
			t.Fatalf("version %d missing: %v", v, seen)
		}
		m, _, err := r.Load("shared@" + strconv.Itoa(v))
		if err != nil {
			t.Fatal(err)
		}
		if fingerprint(t, m) != fingerprint(t, testModel(t, seed)) {
			t.Fatalf("shared@%d is not the model of seed %d", v, seed)
		}
	}
}
