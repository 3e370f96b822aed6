package nn

import (
	"fmt"
	"math"
	"strconv"
)

// This file owns the meaning of a model's output: the class labels and the
// class an output row predicts. Every consumer (metrics, Arrow prediction
// columns, the SQL functions, the CLI) calls ClassLabels and Classify
// rather than deciding for itself.

// BinaryThreshold is the default probability from which a binary model
// predicts its positive label, Labels[1]: P(Labels[1]) ≥ BinaryThreshold,
// unless the spec sets its own Threshold.
const BinaryThreshold = 0.5

// DecisionThreshold is the probability from which a binary model predicts
// its positive label: Spec.Threshold, or BinaryThreshold when that is 0.
func (s *Spec) DecisionThreshold() float64 {
	if s.Threshold != 0 {
		return s.Threshold
	}
	return BinaryThreshold
}

// ClassLabels returns a classifier's class names in output order: Labels,
// or "0", "1", … when the spec has none (binary: 2, multiclass: one per
// output). A regression model has none: nil. When the spec has labels the
// slice is Labels itself; do not modify it.
func (s *Spec) ClassLabels() []string {
	if !s.Task.Classifier() {
		return nil
	}
	if len(s.Labels) > 0 {
		return s.Labels
	}
	n := 2
	if s.Task == TaskMulticlass {
		n = s.OutputWidth()
	}
	labels := make([]string, n)
	for i := range labels {
		labels[i] = strconv.Itoa(i)
	}
	return labels
}

// PositiveLabel is a binary model's positive label, ClassLabels()[1] (the
// one its output is the probability of); "" for other tasks.
func (s *Spec) PositiveLabel() string {
	if s.Task != TaskBinary {
		return ""
	}
	return s.ClassLabels()[1]
}

// Classify returns the index into ClassLabels of the class that out, one
// row of a classifier's outputs (OutputWidth values), predicts:
//
//   - binary: 1, the positive label, when out[0] ≥ DecisionThreshold()
//     (Spec.Threshold, by default 0.5), else 0;
//   - multiclass: the largest output, the first one on ties.
//
// The one rule for NaN: a row with a NaN output predicts no class, and
// Classify returns ok = false (the SQL functions and the Arrow label column
// give NULL, metrics refuse the row). A regression model has no classes:
// ok is false too. Classify panics if out is shorter than the output.
func (s *Spec) Classify(out []float32) (class int, ok bool) {
	switch s.Task {
	case TaskBinary:
		return classAt(out[0], s.DecisionThreshold())
	case TaskMulticlass:
		return argmaxClass(out[:s.OutputWidth()])
	}
	return 0, false
}

// thresholdClass is Classify's rule for one probability (binary models,
// and each output of a binary cross-entropy fit).
func thresholdClass(p float32) (int, bool) { return classAt(p, BinaryThreshold) }

// classAt is 1 when p ≥ threshold, 0 below it, and no class for a NaN p.
// The comparison is in float32, the network's precision, with the threshold
// rounded to the nearest float32 (as an exported ONNX graph compares).
func classAt(p float32, threshold float64) (int, bool) {
	switch {
	case p != p: // NaN
		return 0, false
	case p >= float32(threshold):
		return 1, true
	}
	return 0, true
}

// argmaxClass is Classify's rule for a row of class scores.
func argmaxClass(out []float32) (int, bool) {
	best := 0
	for j, v := range out {
		if v != v {
			return 0, false
		}
		if v > out[best] {
			best = j
		}
	}
	return best, true
}

// ScaleOutputs makes the model predict std·y + mean where it predicted y,
// by rescaling its output layer's weights and bias in place: the way to
// turn a model trained on standardised targets back into one that predicts
// raw units. The last layer must be dense with a linear activation (a
// regression output); std and mean must be finite.
func (m *Model) ScaleOutputs(mean, std float64) error {
	last := len(m.layers) - 1
	if last < 0 || m.layers[last].kind != kindDense || m.layers[last].act != actLinear {
		return fmt.Errorf("nn: scale outputs: the last layer must be dense with linear activation, this model's is %s", m.describeLayer(last))
	}
	if math.IsNaN(mean) || math.IsInf(mean, 0) || math.IsNaN(std) || math.IsInf(std, 0) {
		return fmt.Errorf("nn: scale outputs: mean %v and std %v must be finite", mean, std)
	}
	l := &m.layers[last]
	for i := range l.w {
		l.w[i] = float32(float64(l.w[i]) * std)
	}
	if l.b == nil {
		if mean != 0 {
			return fmt.Errorf("nn: scale outputs: the output layer has no bias to add the mean %v to", mean)
		}
		return nil
	}
	for i := range l.b {
		l.b[i] = float32(float64(l.b[i])*std + mean)
	}
	return nil
}
