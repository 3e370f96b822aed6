package tabular

import (
	"fmt"
	"math"

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
	// Label is a string: the predicted label of a classifier
	// (nn.Spec.Classify: binary, Labels[1] when P ≥ its threshold; multiclass, the
	// argmax; NULL for a row with a NaN output). Regression models have no
	// label; the column is not added for them.
	Label string
	// Proba is a fixed_size_list<float32>: one probability per label, in
	// Labels order (binary: [1-p, p]; multiclass: the softmax outputs). For
	// regression it holds the whole output vector.
	Proba string
	// Allocator for the new columns (default memory.DefaultAllocator).
	Allocator memory.Allocator
}

// Labels returns the model's class labels (nn.Spec.ClassLabels).
func Labels(spec *nn.Spec) []string { return spec.ClassLabels() }

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
		return nil, fmt.Errorf("tabular: %d outputs for %d rows × %d outputs", len(outputs), rows, width)
	}
	if valid != nil && len(valid) != rows {
		return nil, fmt.Errorf("tabular: validity mask has %d entries for %d rows", len(valid), rows)
	}
	ok := func(r int) bool { return valid == nil || valid[r] }
	classifier := spec.Task.Classifier()
	labels := spec.ClassLabels()
	if spec.Task == nn.TaskMulticlass && len(labels) != width {
		return nil, fmt.Errorf("tabular: %d labels for %d outputs", len(labels), width)
	}
	if spec.Task == nn.TaskBinary && (width != 1 || len(labels) != 2) {
		return nil, fmt.Errorf("tabular: a binary model has 1 output and 2 labels, this one %d and %d", width, len(labels))
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
			return fmt.Errorf("tabular: prediction column %q already exists in the batch", name)
		}
		fields = append(fields, arrow.Field{Name: name, Type: a.DataType(), Nullable: true})
		arrays = append(arrays, a)
		return nil
	}
	// A classifier's predicted label of every valid row, found once for
	// the score and the label columns; -1 for a row with no class (NaN).
	var label []int
	if classifier && (cols.Score != "" || cols.Label != "") {
		label = make([]int, rows)
		for r := range label {
			if ok(r) {
				k, has := spec.Classify(outputs[r*width : (r+1)*width])
				if !has {
					k = -1
				}
				label[r] = k
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
			case spec.Task == nn.TaskMulticlass && label[r] < 0:
				b.UnsafeAppend(math.NaN()) // no class, no probability of it
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
			if !ok(r) || label[r] < 0 {
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
