package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// settingsLine is the "Settings: …" line of dense train's output.
func settingsLine(t *testing.T, out string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if s, ok := strings.CutPrefix(l, "Settings: "); ok {
			return s
		}
	}
	t.Fatalf("no Settings line in:\n%s", out)
	return ""
}

// With no flag, dense train chooses every setting from the rows and says so
// in one line; each flag given wins over its default, and the line shows
// the given value without "(auto".
func TestTrainDefaultsAndEachFlagWins(t *testing.T) {
	dir := t.TempDir()
	models := filepath.Join(dir, "models")
	data := writeCSV(t, filepath.Join(dir, "d.csv"), "a,b,y", 300, func(i int) string {
		return fmt.Sprintf("%d,%d,%s", i%17, i%5, []string{"no", "yes"}[(i%17+i%5)%2])
	})
	train := func(flags ...string) string {
		args := append([]string{"train", "--data", data, "--target", "y", "--models", models, "--no-plot", "--quiet", "--hidden", "4", "--epochs", "3"}, flags...)
		r := runIn(t, "", args...)
		if r.code != 0 {
			t.Fatalf("dense %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
		}
		return settingsLine(t, r.stdout)
	}
	// --epochs 3 keeps the test fast; the rest is chosen: 240 training rows.
	got := train()
	// The provenance keeps the line: dense models show prints it.
	show := runIn(t, "", "models", "show", "y", "--models", models)
	if show.code != 0 || !strings.Contains(show.stdout, "  settings    "+got+"\n") {
		t.Errorf("models show (exit %d) lacks the settings line %q:\n%s%s", show.code, got, show.stdout, show.stderr)
	}
	for _, want := range []string{"validation 20% (auto: 300 rows)", "batch 32 (auto: 240 training rows)", "up to 3 epochs,", "early stopping after 50 epochs without a better val_loss, best epoch kept (auto)",
		"adam lr 0.003 (auto: classification)", "halved after 25 epochs without a better val_loss (auto)", "weight decay 0.0001 (auto)"} {
		if !strings.Contains(got, want) {
			t.Errorf("defaults: %q lacks %q", got, want)
		}
	}
	for _, c := range []struct {
		flags []string
		want  string // in the line, not followed by "(auto"
	}{
		{[]string{"--val-split", "0.1"}, "validation 10%"},
		{[]string{"--batch-size", "16"}, "batch 16"},
		{[]string{"--epochs", "2"}, "up to 2 epochs"},
		{[]string{"--patience", "4"}, "early stopping after 4 epochs without a better val_loss, best epoch kept"},
		{[]string{"--patience", "0"}, "3 epochs, no early stopping"},
		{[]string{"--lr", "0.02"}, "adam lr 0.02"},
		{[]string{"--optimizer", "sgd", "--lr", "0.05"}, "sgd lr 0.05"},
		{[]string{"--lr-schedule", "constant"}, "constant rate"},
		{[]string{"--lr-schedule", "plateau"}, "halved after 25 epochs without a better val_loss"},
		{[]string{"--weight-decay", "0.01"}, "weight decay 0.01"},
		{[]string{"--weight-decay", "0"}, "no weight decay"},
	} {
		got := train(c.flags...)
		i := strings.Index(got, c.want)
		if i < 0 || strings.HasPrefix(got[i+len(c.want):], " (auto") {
			t.Errorf("%s: %q, want %q given, not chosen", strings.Join(c.flags, " "), got, c.want)
		}
	}
}

// The same data, seed and flags give a bit-identical model file on 1, 2
// and 4 threads (GOMAXPROCS), with SOURCE_DATE_EPOCH fixing the time the
// provenance records.
func TestTrainSameModelFileOnAnyThreads(t *testing.T) {
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "d.csv"), "a,b,c,y", 2000, func(i int) string {
		return fmt.Sprintf("%d,%g,%s,%s", i%23, float64(i%7)*0.3, []string{"p", "q", "r"}[i%3], []string{"lo", "mid", "hi"}[(i%23+i%7)%3])
	})
	var files [][]byte
	for _, threads := range []string{"1", "2", "4"} {
		models := "models" + threads
		mustRun(t, dir, []string{"GOMAXPROCS=" + threads, "SOURCE_DATE_EPOCH=1700000000"},
			"train", "--data", "d.csv", "--target", "y", "--models", models, "--no-plot", "--quiet", "--hidden", "128,64", "--epochs", "4", "--batch-size", "256")
		b, err := os.ReadFile(filepath.Join(dir, models, "y", "1", "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	for i, n := range []string{"2", "4"} {
		if !bytes.Equal(files[0], files[i+1]) {
			t.Errorf("the model file trained on %s threads differs from the one on 1 thread", n)
		}
	}
}
