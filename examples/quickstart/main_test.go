package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/duckio"
	"github.com/dense-ml/dense/internal/demodata"
)

// The README shows this program verbatim: keep them identical.
func TestREADMEShowsQuickstart(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- quickstart -->\\s*```go\\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no ```go block after <!-- quickstart -->")
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(m[1]) != string(src) {
		t.Error("the README's Go API example differs from examples/quickstart/main.go; copy main.go into the README")
	}
}

// The quickstart runs: it trains, registers and scores.
func TestQuickstartRuns(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "customers.parquet"), 4000)
	t.Chdir(dir)
	t.Setenv("DENSE_MODELS", "")
	main()
	if _, err := os.Stat(filepath.Join(dir, "models", "churn", "1", "model.safetensors")); err != nil {
		t.Errorf("model not registered in ./models: %v", err)
	}
	r, err := arrowio.Open(filepath.Join(dir, "scored.parquet"), arrowio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var names []string
	for _, f := range r.Schema().Fields() {
		names = append(names, f.Name)
	}
	if !strings.HasSuffix(strings.Join(names, ","), "churned,prediction,predicted_label,probabilities") {
		t.Errorf("scored columns: %v", names)
	}
	rows := int64(0)
	for {
		b, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows += b.NumRows()
		b.Release()
	}
	if rows != 4000 {
		t.Errorf("scored %d rows, want 4000", rows)
	}
}

// writeParquet writes n generated customers as Parquet (CSV → Arrow → Parquet).
func writeParquet(t *testing.T, path string, n int) {
	t.Helper()
	csvPath := path + ".csv"
	if err := demodata.WriteCustomersCSV(csvPath, n, 9); err != nil {
		t.Fatal(err)
	}
	in, err := duckio.Open(context.Background(), csvPath, duckio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := arrowio.Create(path, in.Schema(), arrowio.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := arrowio.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
