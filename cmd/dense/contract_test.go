package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 13: a model trained by the CLI from a CSV file with zero-padded
// codes and headers that differ only in case records each input's source
// type, and dense models show lists it.
func TestModelsShowListsFeatureContract(t *testing.T) {
	dir := t.TempDir()
	models := filepath.Join(dir, "models")
	data := writeCSV(t, filepath.Join(dir, "t.csv"), "zip,Max.Axis,max.axis,y", 200, func(i int) string {
		return fmt.Sprintf("%05d,%d,%d.5,%d", 1000+i%3, i%7, i%5, i%2)
	})
	r := runIn(t, "", "train", "--data", data, "--target", "y", "--hidden", "4", "--epochs", "1",
		"--no-plot", "--quiet", "--models", models, "--name", "m")
	if r.code != 0 {
		t.Fatalf("train: %s", r.stderr)
	}
	r = runIn(t, "", "models", "show", "m", "--models", models)
	if r.code != 0 {
		t.Fatalf("models show: %s", r.stderr)
	}
	for _, want := range []string{"categorical, from VARCHAR", "Max.Axis", "numeric, from BIGINT", "max.axis_1", "numeric, from DOUBLE"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("models show does not list %q:\n%s", want, r.stdout)
		}
	}
}
