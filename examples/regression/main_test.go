package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRegressionExample(t *testing.T) {
	var out bytes.Buffer
	r2, err := run(context.Background(), &out, t.TempDir(), 6000, 25)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if r2 < 0.9 {
		t.Errorf("test R² %.3f, want ≥ 0.9: the network did not learn the price", r2)
	}
	if !strings.Contains(out.String(), "house 3: predicted") {
		t.Errorf("the loaded model's predictions are missing:\n%s", out.String())
	}
}
