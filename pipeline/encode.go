package pipeline

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/nn"
)

// batchEncoder encodes the training batches with arrowio.Featurizer, the
// encoder the score stage uses, so the training and the scoring matrices
// come from one code path.
type batchEncoder struct {
	inputs []nn.Input
	feat   *arrowio.Featurizer
	x      []float32
}

func newBatchEncoder(inputs []nn.Input, schema *arrow.Schema) (*batchEncoder, error) {
	f, err := arrowio.NewFeaturizer(inputs, schema)
	if err != nil {
		return nil, err
	}
	return &batchEncoder{inputs: inputs, feat: f}, nil
}

// Width is the number of features per row.
func (e *batchEncoder) Width() int { return e.feat.Width() }

// encode returns b's rows×Width row-major features, valid until the next
// call. offset is the row number of the batch's first row, for errors.
func (e *batchEncoder) encode(b arrow.RecordBatch, offset int64) ([]float32, error) {
	x, err := e.feat.Encode(b, e.x)
	if errors.Is(err, arrowio.ErrSchema) {
		// A batch whose columns have other types than the first batch's.
		f, ferr := arrowio.NewFeaturizer(e.inputs, b.Schema())
		if ferr != nil {
			return nil, ferr
		}
		e.feat = f
		x, err = f.Encode(b, e.x)
	}
	if x != nil {
		e.x = x
	}
	var re *arrowio.RowError
	if errors.As(err, &re) {
		return nil, fmt.Errorf("column %q row %d: %w", re.Column, offset+int64(re.Row), re.Err)
	}
	return x, err
}
