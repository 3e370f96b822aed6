package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestSegmentationExample(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	agree, err := run(context.Background(), &out, dir, 4000)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if agree < 0.85 {
		t.Errorf("segments agree for %.3f of customers, want ≥ 0.85", agree)
	}
	if _, err := os.Stat(filepath.Join(dir, "segment_review.parquet")); err != nil {
		t.Errorf("no export: %v", err)
	}
}
