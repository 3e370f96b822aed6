package main

import (
	"bytes"
	"context"
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
