package sgemm

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestAssemblyIsGenerated: kernel_amd64.s must be exactly what _asm/gen.go
// prints, so nobody edits the generated file by hand and the generator
// never drifts from what runs.
func TestAssemblyIsGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		t.Skipf("no go tool at %s", goTool)
	}
	cmd := exec.Command(goTool, "run", "gen.go")
	cmd.Dir = "_asm"
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run _asm/gen.go: %v\n%s", err, stderr.String())
	}
	want, err := os.ReadFile("kernel_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("kernel_amd64.s differs from the output of _asm/gen.go: run `cd nn/internal/sgemm/_asm && go run gen.go > ../kernel_amd64.s`")
	}
}
