package interop

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TorchFixture is testdata/torch/expected.json, written by
// testdata/torch/make_fixtures.py (see its doc for the command).
type TorchFixture struct {
	Torch  string `json:"torch"`
	Models []struct {
		Name    string    `json:"name"`
		ONNX    bool      `json:"onnx"`
		Layers  *string   `json:"layers"` // ImportStateDict's words; nil: no state dict
		Inputs  int       `json:"inputs"`
		Outputs int       `json:"outputs"`
		X       []float32 `json:"x"`
		Y       []float64 `json:"y"`
	} `json:"models"`
}

func readTorchFixture(t *testing.T) TorchFixture {
	t.Helper()
	raw, err := os.ReadFile("testdata/torch/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx TorchFixture
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	return fx
}

// torchClose is the fixtures' tolerance: 1e-5 relative, 1e-6 absolute.
func torchClose(got float32, want float64) bool {
	return math.Abs(float64(got)-want) <= 1e-5*math.Abs(want)+1e-6
}

// TestTorchFixturesReproduce runs make_fixtures.py into a temporary folder
// and checks that it writes the committed fixtures byte for byte, so they
// are what the committed script makes. It needs Debian's python3-torch
// (the version the fixtures were made with).
func TestTorchFixturesReproduce(t *testing.T) {
	const python = "/usr/bin/python3"
	out, err := exec.Command(python, "-c", "import torch; print(torch.__version__)").Output()
	if err != nil {
		t.Skipf("%s cannot import torch: install Debian's python3-torch to regenerate the PyTorch fixtures", python)
	}
	fx := readTorchFixture(t)
	if v := strings.TrimSpace(string(out)); v != fx.Torch {
		t.Skipf("torch %s is installed; the fixtures were made with %s", v, fx.Torch)
	}
	dir := t.TempDir()
	if out, err := exec.Command(python, "testdata/torch/make_fixtures.py", dir).CombinedOutput(); err != nil {
		t.Fatalf("make_fixtures.py: %v\n%s", err, out)
	}
	made, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(made) < 8 {
		t.Fatalf("make_fixtures.py wrote %d files", len(made))
	}
	for _, e := range made {
		want, err := os.ReadFile(filepath.Join("testdata/torch", e.Name()))
		if err != nil {
			t.Errorf("%s is made by the script but not committed: %v", e.Name(), err)
			continue
		}
		got, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("make_fixtures.py writes a different %s than the committed one: regenerate the fixtures", e.Name())
		}
	}
}
