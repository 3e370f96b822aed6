//go:build !dense_extension

package udf

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
)

func linModel(t testing.TB, w float32) *nn.Model {
	return handModel(t, nn.Spec{Task: nn.TaskRegression, Inputs: []nn.Input{nn.NumericInput("a"), nn.NumericInput("b")},
		Layers: []nn.LayerSpec{nn.Dense(1, nn.Linear)}}, []float32{w, 1}, []float32{0})
}

// The functions over a real registry folder: versions, a version registered
// by another registry handle (another process, as far as the folder is
// concerned) seen by the next query, dense_models from the entries, and a
// damaged model file reported as such while other models keep working.
func TestRegistrySource(t *testing.T) {
	dir := t.TempDir()
	reg, err := registry.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Register("price", linModel(t, 1)); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := Register(db, FromRegistry(reg)); err != nil {
		t.Fatal(err)
	}
	predict := func(q string) (float64, error) {
		var v float64
		err := db.QueryRow(q).Scan(&v)
		return v, err
	}
	if v, err := predict("SELECT dense_predict('price', 3, 1)"); err != nil || v != 4 {
		t.Fatalf("price@1: %v, %v", v, err)
	}

	// Another writer registers version 2 in the same folder.
	other, err := registry.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := other.Register("price", linModel(t, 10))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := predict("SELECT dense_predict('price', 3, 1)"); err != nil || v != 31 {
		t.Fatalf("newest after another writer registered v2: %v, %v (want 31)", v, err)
	}
	if v, err := predict("SELECT dense_predict('price@1', 3, 1)"); err != nil || v != 4 {
		t.Fatalf("price@1 after v2: %v, %v", v, err)
	}
	if v, err := predict("SELECT dense_predict('price@latest', 3, 1)"); err != nil || v != 31 {
		t.Fatalf("price@latest: %v, %v", v, err)
	}

	var names, sha string
	var params int64
	if err := db.QueryRow("SELECT string_agg(name || '@' || version, ',' ORDER BY version), max(sha256), max(params) FROM dense_models()").
		Scan(&names, &sha, &params); err != nil {
		t.Fatal(err)
	}
	if names != "price@1,price@2" || len(sha) != 64 || params != 3 {
		t.Fatalf("dense_models: %q %q %d", names, sha, params)
	}

	_, err = predict("SELECT dense_predict('nope', 1, 2)")
	if err == nil || !strings.Contains(err.Error(), `unknown model "nope"; available models: price`) {
		t.Fatalf("unknown model: %v", err)
	}
	_, err = predict("SELECT dense_predict('price@5', 1, 2)")
	if err == nil || !strings.Contains(err.Error(), `model "price" has no version 5; available versions: 1, 2`) {
		t.Fatalf("unknown version: %v", err)
	}

	// Damage version 2's file: a new query on it fails, naming the file;
	// version 1 still works. (A fresh source, so nothing is cached.)
	data, err := os.ReadFile(e2.Path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 0xff
	if err := os.WriteFile(e2.Path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	db2, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if err := Register(db2, FromRegistry(reg)); err != nil {
		t.Fatal(err)
	}
	_, err = db2.Exec("SELECT dense_predict('price', 3, 1)")
	if err == nil || !strings.Contains(err.Error(), `cannot load model "price"`) || !strings.Contains(err.Error(), "changed or damaged") ||
		!strings.Contains(err.Error(), e2.Path) {
		t.Fatalf("damaged file: %v", err)
	}
	var v float64
	if err := db2.QueryRow("SELECT dense_predict('price@1', 3, 1)").Scan(&v); err != nil || v != 4 {
		t.Fatalf("price@1 next to a damaged v2: %v, %v", v, err)
	}
	// The first database's source verified and cached v2 before the damage:
	// it keeps serving that model without reading the file again.
	if v, err := predict("SELECT dense_predict('price', 3, 1)"); err != nil || v != 31 {
		t.Fatalf("cached v2: %v, %v", v, err)
	}

	// Without its entry.json, version 2 is damaged: dense_models() still
	// lists version 1, and version 2 with the reason; folder names the
	// registry's folder, as does the error for an unknown model.
	if err := os.Remove(filepath.Join(e2.Dir(), registry.EntryFile)); err != nil {
		t.Fatal(err)
	}
	rows, err := db2.Query("SELECT name || '@' || version, status, folder, sha256 IS NULL FROM dense_models() ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var listed []string
	for rows.Next() {
		var ref, status, folder string
		var noSHA bool
		if err := rows.Scan(&ref, &status, &folder, &noSHA); err != nil {
			t.Fatal(err)
		}
		if folder != reg.Dir() {
			t.Errorf("%s: folder %q, want %q", ref, folder, reg.Dir())
		}
		listed = append(listed, fmt.Sprintf("%s %v %s", ref, noSHA, status))
	}
	if len(listed) != 2 || listed[0] != "price@1 false ok" ||
		!strings.HasPrefix(listed[1], "price@2 true damaged version price@2") || !strings.Contains(listed[1], "entry.json is missing") {
		t.Fatalf("dense_models with a damaged version: %q", listed)
	}
	_, err = db2.Exec("SELECT dense_predict('nope', 1, 2)")
	if err == nil || !strings.Contains(err.Error(), `unknown model "nope"; available models: price (models folder: `+reg.Dir()+")") {
		t.Fatalf("unknown model: %v", err)
	}
}

// The registry source keeps the last registryCacheSize models used: the
// least recently used one is dropped first, and a cached one is served as is.
func TestRegistryCacheKeepsRecent(t *testing.T) {
	reg, err := registry.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, registryCacheSize+1)
	for i := range names {
		names[i] = "m" + strconv.Itoa(i)
		if _, err := reg.Register(names[i], linModel(t, float32(i))); err != nil {
			t.Fatal(err)
		}
	}
	src := FromRegistry(reg).(*registrySource)
	load := func(name string) *nn.Model {
		t.Helper()
		m, _, err := src.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	models := make([]*nn.Model, len(names))
	for i, n := range names[:registryCacheSize] {
		models[i] = load(n)
	}
	if load(names[0]) != models[0] { // used again: now the most recent
		t.Fatal("a cached model was loaded again")
	}
	load(names[registryCacheSize]) // one too many: names[1] is the least recently used
	if len(src.cache) != registryCacheSize {
		t.Fatalf("%d models cached, want %d", len(src.cache), registryCacheSize)
	}
	cached := map[*nn.Model]bool{}
	for _, c := range src.cache {
		cached[c.model] = true
	}
	if !cached[models[0]] || cached[models[1]] {
		t.Fatalf("after %s was used again and one more loaded: %s cached %v, %s cached %v (want true, false)",
			names[0], names[0], cached[models[0]], names[1], cached[models[1]])
	}
}
