package tabular

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dense-ml/dense/nn"
)

// BatchEncoder encodes training batches with Featurizer, the encoder the
// score stage uses, so that the training and the scoring matrices come from
// one code path. A batch whose columns have other types than the first
// batch's (a stream may widen int32 to int64, say) gets a Featurizer of its
// own.
type BatchEncoder struct {
	inputs []nn.Input
	feat   *Featurizer
}

// NewBatchEncoder binds inputs to the columns of schema.
func NewBatchEncoder(inputs []nn.Input, schema *arrow.Schema) (*BatchEncoder, error) {
	f, err := NewFeaturizer(inputs, schema)
	if err != nil {
		return nil, err
	}
	return &BatchEncoder{inputs: inputs, feat: f}, nil
}

// Width is the number of features per row.
func (e *BatchEncoder) Width() int { return e.feat.Width() }

// Encode writes b's rows×Width row-major features into dst, which must hold
// exactly that many values: a batch's rows go straight to their place in the
// training matrix. offset is the row number of the batch's first row, for
// errors ("column "x" row 1234: …").
func (e *BatchEncoder) Encode(b arrow.RecordBatch, offset int64, dst []float32) error {
	if need := int(b.NumRows()) * e.Width(); len(dst) != need {
		panic(fmt.Sprintf("tabular: BatchEncoder.Encode: dst has %d values, the batch needs %d", len(dst), need))
	}
	_, err := e.feat.Encode(b, dst[:0:len(dst)])
	if errors.Is(err, ErrSchema) {
		f, ferr := NewFeaturizer(e.inputs, b.Schema())
		if ferr != nil {
			return ferr
		}
		e.feat = f
		_, err = f.Encode(b, dst[:0:len(dst)])
	}
	var re *RowError
	if errors.As(err, &re) {
		return fmt.Errorf("column %q row %d: %w", re.Column, offset+int64(re.Row), re.Err)
	}
	return err
}
