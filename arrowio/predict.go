package arrowio

import (
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/nn"
)

// PredictionColumns names the columns AppendPredictions adds; an empty name
// leaves that column out.
type PredictionColumns struct {
	// Score is a float64: the value for regression (the first output when
	// there are several), P(Labels[1]) for binary, and the probability of
	// the predicted label for multiclass.
	Score string
	// Label is a string: the predicted label of a classifier (binary:
	// Labels[1] when P ≥ 0.5, else Labels[0]; multiclass: the argmax).
	// Regression models have no label; the column is not added for them.
	Label string
	// Proba is a fixed_size_list<float32>: one probability per label, in
	// Labels order (binary: [1-p, p]; multiclass: the softmax outputs). For
	// regression it holds the whole output vector.
	Proba string
	// Allocator for the new columns (default memory.DefaultAllocator).
	Allocator memory.Allocator
}

// Labels returns the model's class labels, or "0", "1", … when the spec has
// none (binary: 2 labels, multiclass: one per output).
func Labels(spec *nn.Spec) []string {
	if len(spec.Labels) > 0 {
		return spec.Labels
	}
	n := 0
	switch spec.Task {
	case nn.TaskBinary:
		n = 2
	case nn.TaskMulticlass:
		n = spec.OutputWidth()
	}
	labels := make([]string, n)
	for i := range labels {
		labels[i] = strconv.Itoa(i)
	}
	return labels
}

// AppendPredictions returns a new batch: batch's columns followed by the
// prediction columns named in cols. outputs is rows×spec.OutputWidth()
// row-major (what nn.Model.Predict returns). valid, when not nil, marks the
// rows that have a prediction; the others get NULL in every added column
// (see Featurizer.EncodeMasked). batch is not consumed: the caller releases
// both batches.
func AppendPredictions(batch arrow.RecordBatch, outputs []float32, spec *nn.Spec, cols PredictionColumns, valid []bool) (arrow.RecordBatch, error) {
	mem := cols.Allocator
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	rows := int(batch.NumRows())
	width := spec.OutputWidth()
	if len(outputs) != rows*width {
		return nil, fmt.Errorf("arrowio: %d outputs for %d rows × %d outputs", len(outputs), rows, width)
	}
	if valid != nil && len(valid) != rows {
		return nil, fmt.Errorf("arrowio: validity mask has %d entries for %d rows", len(valid), rows)
	}
	ok := func(r int) bool { return valid == nil || valid[r] }
	classifier := spec.Task == nn.TaskBinary || spec.Task == nn.TaskMulticlass
	labels := Labels(spec)
	if spec.Task == nn.TaskMulticlass && len(labels) != width {
		return nil, fmt.Errorf("arrowio: %d labels for %d outputs", len(labels), width)
	}
	if spec.Task == nn.TaskBinary && (width != 1 || len(labels) != 2) {
		return nil, fmt.Errorf("arrowio: a binary model has 1 output and 2 labels, this one %d and %d", width, len(labels))
	}

	fields := append([]arrow.Field(nil), batch.Schema().Fields()...)
	arrays := append([]arrow.Array(nil), batch.Columns()...)
	var added []arrow.Array
	defer func() {
		for _, a := range added {
			a.Release()
		}
	}()
	add := func(name string, a arrow.Array) error {
		added = append(added, a)
		if len(batch.Schema().FieldIndices(name)) > 0 {
			return fmt.Errorf("arrowio: prediction column %q already exists in the batch", name)
		}
		fields = append(fields, arrow.Field{Name: name, Type: a.DataType(), Nullable: true})
		arrays = append(arrays, a)
		return nil
	}
	// A classifier's predicted label of every valid row, found once for
	// the score and the label columns.
	var label []int
	if classifier && (cols.Score != "" || cols.Label != "") {
		label = make([]int, rows)
		for r := range label {
			if ok(r) {
				label[r] = predictedLabel(spec.Task, outputs[r*width:(r+1)*width])
			}
		}
	}

	if cols.Score != "" {
		b := array.NewFloat64Builder(mem)
		b.Reserve(rows)
		for r := 0; r < rows; r++ {
			switch {
			case !ok(r):
				b.AppendNull()
			case spec.Task == nn.TaskMulticlass:
				b.UnsafeAppend(float64(outputs[r*width+label[r]]))
			default: // regression: the first output; binary: P(Labels[1])
				b.UnsafeAppend(float64(outputs[r*width]))
			}
		}
		a := b.NewArray()
		b.Release()
		if err := add(cols.Score, a); err != nil {
			return nil, err
		}
	}
	if cols.Label != "" && classifier {
		b := array.NewStringBuilder(mem)
		b.Reserve(rows)
		for r := 0; r < rows; r++ {
			if !ok(r) {
				b.AppendNull()
				continue
			}
			b.Append(labels[label[r]])
		}
		a := b.NewArray()
		b.Release()
		if err := add(cols.Label, a); err != nil {
			return nil, err
		}
	}
	if cols.Proba != "" {
		n := width
		if spec.Task == nn.TaskBinary {
			n = 2
		}
		b := array.NewFixedSizeListBuilder(mem, int32(n), arrow.PrimitiveTypes.Float32)
		vb := b.ValueBuilder().(*array.Float32Builder)
		vb.Reserve(rows * n)
		for r := 0; r < rows; r++ {
			if !ok(r) {
				b.AppendNull() // appends n NULL child slots too
				continue
			}
			b.Append(true)
			out := outputs[r*width : (r+1)*width]
			if spec.Task == nn.TaskBinary {
				vb.UnsafeAppend(1 - out[0])
				vb.UnsafeAppend(out[0])
			} else {
				vb.AppendValues(out, nil)
			}
		}
		a := b.NewArray()
		b.Release()
		if err := add(cols.Proba, a); err != nil {
			return nil, err
		}
	}
	md := batch.Schema().Metadata()
	return array.NewRecordBatch(arrow.NewSchema(fields, &md), arrays, int64(rows)), nil
}

// predictedLabel is the index of the label a classifier's outputs for one
// row predict: binary, 1 when P ≥ 0.5; multiclass, the argmax (a NaN loses
// to any number).
func predictedLabel(task string, out []float32) int {
	if task == nn.TaskBinary {
		if out[0] >= 0.5 {
			return 1
		}
		return 0
	}
	best := 0
	for j, v := range out {
		if v > out[best] || (math.IsNaN(float64(out[best])) && !math.IsNaN(float64(v))) {
			best = j
		}
	}
	return best
}
