package tabular

// Test helpers: files written and read back through arrowio; batches of
// every type come from internal/arrowtest, as in arrowio's tests.

import (
	"testing"

	"github.com/dense-ml/dense/internal/arrowtest"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dense-ml/dense/arrowio"
)

// Batches of every type and their comparison are internal/arrowtest's,
// shared with arrowio's tests.
var (
	checkedAlloc  = arrowtest.CheckedMem
	allTypesBatch = arrowtest.AllTypesBatch
	releaseAll    = arrowtest.ReleaseAll
	sameRows      = arrowtest.SameRows
	projectByName = arrowtest.ProjectByName
)

func writeFile(t testing.TB, path string, opts arrowio.WriterOptions, batches ...arrow.RecordBatch) {
	t.Helper()
	w, err := arrowio.Create(path, batches[0].Schema(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// readConcat reads the whole file and returns its batches' row count and
// the batches (the caller releases them).
func readAllFile(t testing.TB, path string, opts arrowio.Options) (*arrow.Schema, []arrow.RecordBatch) {
	t.Helper()
	r, err := arrowio.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	bs, err := arrowio.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return r.Schema(), bs
}
