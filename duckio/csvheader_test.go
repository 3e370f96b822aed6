package duckio

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// A CSV header that names a column twice is an error (DuckDB would rename
// the twin to y_1 and a model would train on the target's copy); headers
// that differ in case, and files without a header, read as before.
func TestCSVDuplicateHeader(t *testing.T) {
	dir := t.TempDir()
	dup := filepath.Join(dir, "dup.csv")
	writeFile(t, dup, "a,y,y\n1,0,1\n2,1,0\n")
	if _, err := Open(context.Background(), dup, Options{}); err == nil ||
		!strings.Contains(err.Error(), `header names column "y" twice (columns 2 and 3 of: a, y, y)`) || !strings.Contains(err.Error(), dup) {
		t.Fatalf("duplicate header: %v", err)
	}
	for name, text := range map[string]string{
		"case.csv":     "Max.Axis,max.axis\n1,2\n3,4\n",
		"noheader.csv": "1,1,0\n2,2,1\n3,3,1\n",
	} {
		p := filepath.Join(dir, name)
		writeFile(t, p, text)
		r, err := Open(context.Background(), p, Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		r.Close()
	}
}
