package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestChurnExample(t *testing.T) {
	var out bytes.Buffer
	res, err := run(context.Background(), &out, t.TempDir(), 6000)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if res.Scored != 1500 {
		t.Errorf("scored %d rows, want 1500", res.Scored)
	}
	if res.AUC < 0.7 {
		t.Errorf("ROC AUC %.3f, want ≥ 0.7", res.AUC)
	}
	// The data churns most in the south and least in the north; the model
	// must have learnt that.
	if res.ChurnByRegion["south"] <= res.ChurnByRegion["north"]+0.05 {
		t.Errorf("churn by region %v: south should clearly exceed north", res.ChurnByRegion)
	}
}

// The CSV files in this folder, which churn.yaml names, are what the
// program generates: dense pipeline run examples/churn/churn.yaml works on a
// fresh clone and trains on the same data as go run ./examples/churn.
func TestCommittedData(t *testing.T) {
	dir := t.TempDir()
	if err := writeData(dir, 5000); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"customers.csv", "new_customers.csv"} {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is missing or differs from the generator's (%v): go run ./examples/churn -data-only -customers 5000 -dir examples/churn", name, err)
		}
	}
}
