package pipeline

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// Class weight settings (TrainConfig.ClassWeights).
const (
	ClassWeightsNone     = "none"
	ClassWeightsBalanced = "balanced"
)

// validateTargets checks the target settings of a TrainConfig that need no
// data: class weights, threshold and folds.
func (c *TrainConfig) validateTargets() error {
	switch {
	case c.ClassWeights != "" && c.ClassWeights != ClassWeightsNone && c.ClassWeights != ClassWeightsBalanced:
		return fmt.Errorf("class weights %q: want %s or %s", c.ClassWeights, ClassWeightsBalanced, ClassWeightsNone)
	case c.Threshold != 0 && !(c.Threshold > 0 && c.Threshold < 1):
		return fmt.Errorf("threshold must be in (0, 1), got %v", c.Threshold)
	case c.CV < 0 || c.CV == 1:
		return fmt.Errorf("cross-validation needs at least 2 folds, got %d", c.CV)
	}
	return nil
}

// checkTask checks the settings that depend on the detected task.
func (c *TrainConfig) checkTask(task nn.Task) error {
	if c.Threshold != 0 && task != nn.TaskBinary {
		return fmt.Errorf("a decision threshold is for binary targets; this one is %s", task)
	}
	if c.ClassWeights == ClassWeightsBalanced && !task.Classifier() {
		return fmt.Errorf("class weights are for classification; this target is %s", task)
	}
	return nil
}

// classWeights is the loss's class weights for training on rows: nil (every
// class weighs 1) unless the configuration asks for balanced weights.
func (c *TrainConfig) classWeights(t *tabular.Targets, rows []int) []float64 {
	if c.ClassWeights != ClassWeightsBalanced {
		return nil
	}
	return t.BalancedWeights(rows)
}

// dropNullTargets is tabular.DropNullTargets taking ownership of b: it
// releases b and returns the batch to use instead.
func dropNullTargets(b arrow.RecordBatch, target string) (arrow.RecordBatch, int, error) {
	kept, n, err := tabular.DropNullTargets(b, target)
	b.Release()
	return kept, n, err
}
