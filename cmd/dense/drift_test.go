package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dense score --check prints the drift report to stderr, and dense eval
// after its metrics: on a hand-made table, the NULL share against
// training's, the values outside the training range and the unseen
// categories.
func TestScoreCheckPrintsDrift(t *testing.T) {
	dir := t.TempDir()
	// Training: x in [1, 20] with one NULL in 20 rows, c in {a, b}.
	var train strings.Builder
	train.WriteString("x,c,y\n")
	for i := 1; i <= 20; i++ {
		x := fmt.Sprint(i)
		if i == 7 {
			x = ""
		}
		fmt.Fprintf(&train, "%s,%s,%g\n", x, []string{"a", "b"}[i%2], float64(i)/2)
	}
	// Scored: 4 rows, one NULL x, 0 below and 25 above the range; c has
	// three unseen values (z twice).
	score := "x,c,y\n0,a,1\n25,z,2\n,z,3\n5,q,4\n"
	for name, data := range map[string]string{"train.csv": train.String(), "new.csv": score} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"DENSE_MODELS=" + filepath.Join(dir, "models")}
	mustRun(t, dir, env, "train", "--data", "train.csv", "--target", "y", "--name", "m", "--epochs", "1", "--no-plot")
	wants := []string{
		"Drift against the training data:",
		"x  NULL 25.0% (training 5.0%); outside training range [1, 20]: 2 values (66.7%; 1 below, 1 above)",
		`c  NULL 0.0% (training 0.0%); unseen categories: 3 (75.0%), e.g. "z", "q"`,
	}
	r := mustRun(t, dir, env, "score", "--model", "m", "--data", "new.csv", "--out", "scored.csv", "--check")
	for _, want := range wants {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("score --check stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "Drift") {
		t.Errorf("the drift report went to stdout:\n%s", r.stdout)
	}
	r = mustRun(t, dir, env, "score", "--model", "m", "--data", "new.csv", "--out", "scored2.csv")
	if strings.Contains(r.stderr, "Drift") {
		t.Errorf("score without --check printed a drift report:\n%s", r.stderr)
	}
	r = mustRun(t, dir, env, "eval", "--model", "m", "--data", "new.csv")
	for _, want := range wants {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("eval lacks %q:\n%s", want, r.stdout)
		}
	}
}
