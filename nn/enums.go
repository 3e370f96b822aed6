package nn

import (
	"fmt"
	"strings"
)

// This file holds the named choices of a model and of its training: the
// task, the activation functions and the optimisers. Each is a string type
// with its constants, a list in a fixed order (for help texts and error
// messages) and a parser, so that pipeline, the CLI and the YAML spec check
// names against one list. The functions behind the activation names live in
// activations.go, which is the one file to edit to add one.

// Task is what a model is trained for. It decides the output layer, the
// default loss and what an output means (see Spec.Classify).
type Task string

// Tasks.
const (
	TaskRegression Task = "regression" // outputs are real values (one or more)
	TaskBinary     Task = "binary"     // one sigmoid output: P(Labels[1])
	TaskMulticlass Task = "multiclass" // one softmax output per label
)

// Tasks lists the tasks.
func Tasks() []Task { return []Task{TaskRegression, TaskBinary, TaskMulticlass} }

// ParseTask returns the task named s (exactly, lower case).
func ParseTask(s string) (Task, error) {
	for _, t := range Tasks() {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown task %q (want %s)", s, orList(Tasks()))
}

// Classifier reports whether the task predicts classes (binary, multiclass).
func (t Task) Classifier() bool { return t == TaskBinary || t == TaskMulticlass }

// DefaultLoss is the loss a model of this task trains with when neither
// FitConfig.Loss nor Spec.Loss names one: binary_crossentropy for binary,
// sparse_categorical_crossentropy (class indices as targets) for
// multiclass, mse otherwise.
func (t Task) DefaultLoss() string {
	switch t {
	case TaskBinary:
		return LossBinaryCrossentropy
	case TaskMulticlass:
		return LossSparseCategoricalCrossentropy
	}
	return LossMSE
}

// Optimizer names an optimiser (the update formulas are PyTorch's).
type Optimizer string

// Optimisers.
const (
	OptSGD     Optimizer = "sgd"
	OptAdam    Optimizer = "adam"
	OptAdamW   Optimizer = "adamw"
	OptRMSprop Optimizer = "rmsprop"
)

// Optimizers lists the optimisers.
func Optimizers() []Optimizer { return []Optimizer{OptSGD, OptAdam, OptAdamW, OptRMSprop} }

// ParseOptimizer returns the optimiser named s (case-insensitive).
func ParseOptimizer(s string) (Optimizer, error) {
	for _, o := range Optimizers() {
		if strings.EqualFold(string(o), s) {
			return o, nil
		}
	}
	return "", fmt.Errorf("unknown optimizer %q (want %s)", s, orList(Optimizers()))
}

// ParseActivation returns the activation named s (exactly, lower case).
func ParseActivation(s string) (Activation, error) {
	for _, a := range Activations() {
		if string(a) == s {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown activation %q (want %s)", s, orList(Activations()))
}

// ParseHiddenActivation is ParseActivation for a hidden layer: every
// activation but softmax, which only makes sense on a multiclass output.
func ParseHiddenActivation(s string) (Activation, error) {
	for _, a := range HiddenActivations() {
		if string(a) == s {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown hidden activation %q (want %s)", s, orList(HiddenActivations()))
}

// HiddenActivations lists the activations a hidden layer may have.
func HiddenActivations() []Activation {
	var out []Activation
	for _, a := range Activations() {
		if a.Hidden() {
			out = append(out, a)
		}
	}
	return out
}

// Valid reports whether a is one of Activations.
func (a Activation) Valid() bool {
	_, ok := activationByName(a)
	return ok
}

// Hidden reports whether a may be a hidden layer's activation (all but softmax).
func (a Activation) Hidden() bool {
	d, ok := activationByName(a)
	return ok && !d.outputOnly
}

// Init is the weight initialiser that suits a layer with this activation:
// he_normal for the rectifier family, glorot_uniform otherwise.
func (a Activation) Init() string {
	if d, ok := activationByName(a); ok && d.rectifier {
		return InitHeNormal
	}
	return InitGlorotUniform
}

// List joins the names of a list "a, b or c", for help texts and errors.
func List[T ~string](names []T) string { return orList(names) }

func orList[T ~string](names []T) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
