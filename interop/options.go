package interop

import (
	"fmt"
	"time"

	"github.com/dense-ml/dense/nn"
)

// Options describes what a network file does not: its inputs, its task and
// its labels (see the package doc).
type Options struct {
	Inputs []string // one name per feature; empty: x0, x1, …
	Task   nn.Task  // empty: implied by the last dense layer
	Labels []string // class labels; empty: "0", "1", …
	Source string   // recorded as Provenance.Source, e.g. "onnx:model.onnx"
}

// Spec is the spec of a network of layers on width features, with the
// inputs, task and labels opts gives or implies. It is validated.
func Spec(width int, layers []nn.LayerSpec, opts Options) (nn.Spec, error) {
	if width <= 0 {
		return nn.Spec{}, fmt.Errorf("interop: the network has %d input features", width)
	}
	names := opts.Inputs
	if len(names) == 0 {
		names = make([]string, width)
		for i := range names {
			names[i] = fmt.Sprintf("x%d", i)
		}
	}
	if len(names) != width {
		return nn.Spec{}, fmt.Errorf("interop: %d input names for a network with %d input features", len(names), width)
	}
	spec := nn.Spec{
		Format:  nn.FormatName,
		Version: nn.FormatVersion,
		Task:    opts.Task,
		Layers:  layers,
		Labels:  opts.Labels,
		Provenance: nn.Provenance{
			Created: time.Now().UTC(),
			Source:  opts.Source,
		},
	}
	for _, n := range names {
		spec.Inputs = append(spec.Inputs, nn.NumericInput(n))
	}
	if spec.Task == "" {
		spec.Task = impliedTask(layers)
	}
	if err := spec.Validate(); err != nil {
		return nn.Spec{}, fmt.Errorf("interop: %w", err)
	}
	return spec, nil
}

// impliedTask is the task the last dense layer implies, as nn.NewSequential
// decides it.
func impliedTask(layers []nn.LayerSpec) nn.Task {
	for i := len(layers) - 1; i >= 0; i-- {
		l := layers[i]
		if l.Type != nn.LayerDense {
			continue
		}
		switch {
		case l.Activation == nn.Softmax:
			return nn.TaskMulticlass
		case l.Activation == nn.Sigmoid && l.Units == 1:
			return nn.TaskBinary
		}
		break
	}
	return nn.TaskRegression
}
