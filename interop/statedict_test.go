package interop

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
)

// TestImportStateDict imports the PyTorch state dicts of the fixture and
// matches PyTorch's outputs.
func TestImportStateDict(t *testing.T) {
	fx := readTorchFixture(t)
	n := 0
	for _, c := range fx.Models {
		if c.Layers == nil {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			m, err := ImportStateDict(filepath.Join("testdata/torch", c.Name+".safetensors"), strings.Split(*c.Layers, ","), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.InputWidth(); got != c.Inputs {
				t.Fatalf("%d inputs, want %d", got, c.Inputs)
			}
			rows := len(c.X) / c.Inputs
			y, err := m.Predict(c.X, rows)
			if err != nil {
				t.Fatal(err)
			}
			if len(y) != len(c.Y) {
				t.Fatalf("%d outputs, PyTorch %d", len(y), len(c.Y))
			}
			for i := range y {
				if !torchClose(y[i], c.Y[i]) {
					t.Errorf("output %d = %v, PyTorch %v", i, y[i], c.Y[i])
				}
			}
		})
	}
	if n < 3 {
		t.Fatalf("the fixture has %d state dicts, want at least 3", n)
	}
}

func TestImportStateDictOptions(t *testing.T) {
	path := "testdata/torch/multiclass.safetensors"
	m, err := ImportStateDict(path, []string{"relu", "tanh", "softmax"}, Options{
		Inputs: []string{"a", "b", "c", "d", "e"}, Labels: []string{"x", "y", "z"}})
	if err != nil {
		t.Fatal(err)
	}
	s := m.Spec()
	if s.Task != nn.TaskMulticlass || s.Inputs[4].Name != "e" || s.Labels[2] != "z" || s.Provenance.Source != "safetensors:"+path {
		t.Errorf("spec: task %q, inputs %v, labels %v, source %q", s.Task, s.Inputs, s.Labels, s.Provenance.Source)
	}
	m, err = ImportStateDict(path, []string{"relu", "tanh", "linear"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Spec(); s.Task != nn.TaskRegression || s.Inputs[0].Name != "x0" || s.Inputs[4].Name != "x4" {
		t.Errorf("implied: task %q, inputs %v", s.Task, s.Inputs)
	}
	for _, tc := range []struct {
		layers []string
		opts   Options
		want   string
	}{
		{[]string{"relu", "tanh"}, Options{}, "2 layers given for 3 modules with weights: 0 (Linear), 2 (Linear), 4 (Linear)"},
		{[]string{"relu", "swish", "softmax"}, Options{}, `layer 2: unknown activation "swish"`},
		{[]string{"batchnorm", "tanh", "softmax"}, Options{}, `module 0 is a Linear, layer 1 says "batchnorm"`},
		{[]string{"relu", "tanh", "softmax"}, Options{Inputs: []string{"a"}}, "1 input names for a network with 5 input features"},
		{[]string{"relu", "tanh", "softmax"}, Options{Labels: []string{"a", "b"}}, "2 labels for 3 outputs"},
		{[]string{"relu", "tanh", "softmax"}, Options{Task: "binary"}, "a binary model has 1 output"},
	} {
		_, err := ImportStateDict(path, tc.layers, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "interop: ") {
			t.Errorf("layers %v, %+v: error %v, want one containing %q", tc.layers, tc.opts, err, tc.want)
		}
	}
	_, err = ImportStateDict("testdata/torch/regression.safetensors", []string{"leaky_relu", "elu", "relu", "linear"}, Options{})
	if err == nil || !strings.Contains(err.Error(), `module 5 is a BatchNorm1d, layer 3 says "relu"`) {
		t.Errorf("batch norm as relu: %v", err)
	}
}
