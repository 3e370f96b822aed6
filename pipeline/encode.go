package pipeline

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dense-ml/dense/nn"
)

// rowEncoder encodes the training batches with the fitted inputs through
// nn.Encoder, the arithmetic every scoring path shares.
type rowEncoder struct {
	enc    *nn.Encoder
	inputs []nn.Input
	elems  []float64
}

func newRowEncoder(inputs []nn.Input) (*rowEncoder, error) {
	enc, err := nn.NewEncoder(inputs)
	if err != nil {
		return nil, err
	}
	return &rowEncoder{enc: enc, inputs: inputs}, nil
}

// encode writes batch row i's features into rowOf(i). offset is the row
// number of the batch's first row, for error messages.
func (e *rowEncoder) encode(b arrow.RecordBatch, offset int64, rowOf func(i int) []float32) error {
	n := int(b.NumRows())
	for k := range e.inputs {
		in := &e.inputs[k]
		col, err := batchColumn(b, in.Name)
		if err != nil {
			return err
		}
		fail := func(i int, err error) error {
			return fmt.Errorf("column %q row %d: %w", in.Name, offset+int64(i), err)
		}
		switch in.Kind {
		case nn.KindNumeric:
			at, err := numberAt(col)
			if err != nil {
				return fmt.Errorf("column %q: %w", in.Name, err)
			}
			for i := range n {
				v, ok := at(i)
				if err := e.enc.Number(k, v, ok, rowOf(i)); err != nil {
					return fail(i, err)
				}
			}
		case nn.KindCategorical:
			at, err := stringAt(col)
			if err != nil {
				return fmt.Errorf("column %q: %w", in.Name, err)
			}
			for i := range n {
				s, ok := at(i)
				if err := e.enc.Category(k, s, ok, rowOf(i)); err != nil {
					return fail(i, err)
				}
			}
		case nn.KindVector:
			at, err := listAt(col)
			if err != nil {
				return fmt.Errorf("column %q: %w", in.Name, err)
			}
			for i := range n {
				var ok bool
				e.elems, ok = at(i, e.elems[:0])
				if !ok {
					return fail(i, nn.ErrMissing)
				}
				if err := e.enc.Vector(k, e.elems, rowOf(i)); err != nil {
					return fail(i, err)
				}
			}
		}
	}
	return nil
}
