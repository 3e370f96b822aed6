package interop

import (
	"encoding/json"
	"math"
	"os"
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
