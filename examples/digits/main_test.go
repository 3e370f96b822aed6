package main

import (
	"bytes"
	"context"
	"testing"
)

func TestDigitsExample(t *testing.T) {
	var out bytes.Buffer
	acc, err := run(context.Background(), &out, 3000, 500, 4)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.9 {
		t.Errorf("test accuracy %.3f, want ≥ 0.9", acc)
	}
}
