package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The model header and summary print when training starts, before the
// epochs; Ctrl-C then says in one line that nothing was registered and how
// to get the best epoch so far.
func TestTrainInterruptSaysNothingRegistered(t *testing.T) {
	dir := t.TempDir()
	writeCustomersCSV(t, dir, 3000)
	models := filepath.Join(dir, "models")
	cmd := exec.Command(denseBin, "train", "--data", "customers.csv", "--target", "churned", "--exclude", "customer_id,segment",
		"--epochs", "100000", "--patience", "100000", "--models", models)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var header []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		header = append(header, sc.Text())
		if strings.HasPrefix(sc.Text(), "Settings: ") { // the last line before training
			break
		}
	}
	if len(header) < 3 || !strings.HasPrefix(header[0], "churned: binary on churned") || !strings.Contains(strings.Join(header, "\n"), "Total params") {
		t.Fatalf("no model header and summary before training:\n%s", strings.Join(header, "\n"))
	}
	time.Sleep(1500 * time.Millisecond) // a few epochs
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		t.Errorf("stdout after the interrupt: %s", sc.Text())
	}
	cmd.Wait()
	msg := strings.TrimSpace(stderr.String())
	if code := cmd.ProcessState.ExitCode(); code != 130 || strings.Contains(msg, "\n") ||
		!strings.HasPrefix(msg, "dense: interrupted in epoch ") || !strings.Contains(msg, "nothing was registered") ||
		!strings.Contains(msg, "the best epoch so far was ") || !strings.Contains(msg, "--epochs ") {
		t.Errorf("exit %d, stderr %q", cmd.ProcessState.ExitCode(), msg)
	}
	if entries, _ := os.ReadDir(filepath.Join(models, "churned")); len(entries) > 0 {
		t.Errorf("something was registered: %v", entries)
	}
}
