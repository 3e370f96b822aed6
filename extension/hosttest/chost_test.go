package hosttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dense-ml/dense/internal/sqllogic"
)

// duckdbInclude finds duckdb.h where extension/build looks for it.
func duckdbInclude() string {
	dirs := []string{os.Getenv("DENSE_DUCKDB_INCLUDE")}
	if cache, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(cache, "dense", "duckdb-v1.5.6", "include"))
	}
	for _, d := range append(dirs, "/usr/local/include", "/usr/include") {
		if _, err := os.Stat(filepath.Join(d, "duckdb.h")); d != "" && err == nil {
			return d
		}
	}
	return ""
}

// TestCHost loads the extension into a C program linked against the Node
// API's libduckdb.so and runs a few queries, one of them on 4 threads.
func TestCHost(t *testing.T) {
	needNode(t) // for libduckdb.so
	var missing string
	include := duckdbInclude()
	switch {
	case include == "":
		missing = "duckdb.h is not found (go run ./extension/build fetches it into the user cache folder)"
	case func() bool { _, err := exec.LookPath("gcc"); return err != nil }():
		missing = "gcc is not installed"
	}
	need(t, missing)
	if _, err := os.Stat(filepath.Join(libduckdbDir, "libduckdb.so")); err != nil {
		need(t, "the Node API's libduckdb.so is missing: "+err.Error())
	}
	bin := filepath.Join(t.TempDir(), "host")
	src := filepath.Join(moduleRoot, "extension", "hosttest", "chost", "host.c")
	if out, err := exec.Command("gcc", "-O1", "-Wall", "-Wno-deprecated-declarations", "-I", include, "-o", bin, src,
		"-L", libduckdbDir, "-lduckdb", "-Wl,-rpath,"+libduckdbDir).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	models := t.TempDir()
	if err := sqllogic.WriteModels(models); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		loadSQL(extensionFile),
		loadSQL(extensionFile),
		"SELECT dense_predict('lin3@1', 1, 2, 3), dense_predict_label('gate', 1, 'green'), len(dense_predict_proba('pick3', 1, 2, 3))",
		"SELECT dense_predict('nope', 1)",
		"SET threads = 4",
		"SELECT sum(dense_predict('lin3', i, i, i)), count(*) FROM range(100000) t(i)",
		"SELECT count(*) FROM dense_models() WHERE name = 'lin3'",
	)
	cmd.Env = append(os.Environ(), "DENSE_MODELS="+models)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the C host failed: %v\n%s", err, out)
	}
	blocks := strings.Split(strings.TrimSuffix(string(out), "--\n"), "--\n")
	if len(blocks) != 8 {
		t.Fatalf("the C host printed %d results, want 8:\n%s", len(blocks), out)
	}
	if !strings.HasPrefix(blocks[0], "version\tv1.5.") {
		t.Errorf("host version %q, want DuckDB v1.5.x", blocks[0])
	}
	for i, b := range blocks[1:3] {
		if b != "" {
			t.Errorf("LOAD %d: %q", i+1, b)
		}
	}
	if got := strings.TrimSpace(blocks[3]); got != "14.5\tyes\t3" {
		t.Errorf("scalar functions: %q, want 14.5, yes, 3", got)
	}
	if got := blocks[4]; !strings.HasPrefix(got, "ERROR\t") || !strings.Contains(got, `unknown model "nope"`) {
		t.Errorf("unknown model: %q", got)
	}
	// lin3 (@2) is a + b + c: the sum of 3i over 0 … 99999, exact in float32 and double.
	fields := strings.Fields(blocks[6])
	if len(fields) != 2 {
		t.Fatalf("sum on 4 threads: %q", blocks[6])
	}
	if sum, err := strconv.ParseFloat(fields[0], 64); err != nil || sum != 3*99999*100000/2 || fields[1] != "100000" {
		t.Errorf("sum on 4 threads: %q, want %d over 100000 rows", blocks[6], 3*99999*100000/2)
	}
	if got := strings.TrimSpace(blocks[7]); got != "2" {
		t.Errorf("dense_models() has %q versions of lin3, want 2", got)
	}
}
