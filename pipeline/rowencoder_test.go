package pipeline

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// rowEncoder is the tests' reference encoder: this package's column readers
// and nn.Encoder, value by value, independent of tabular.Featurizer (which
// training and scoring both use).
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
		idx := b.Schema().FieldIndices(in.Name)
		if len(idx) == 0 {
			return fmt.Errorf("no column %q", in.Name)
		}
		col := b.Column(idx[0])
		fail := func(i int, err error) error {
			return fmt.Errorf("column %q row %d: %w", in.Name, offset+int64(i), err)
		}
		switch in.Kind {
		case nn.KindNumeric:
			at, err := tabular.NumberGetter(col)
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
			at, err := tabular.CategoryGetter(col)
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

// listAt returns an accessor for a list of numbers: it appends row i's
// elements to dst (a NULL element becomes NaN) and reports the row's validity.
func listAt(a arrow.Array) (func(i int, dst []float64) ([]float64, bool), error) {
	l, ok := a.(array.ListLike)
	if !ok {
		return nil, fmt.Errorf("type %s is not a list", a.DataType())
	}
	elem, err := tabular.NumberGetter(l.ListValues())
	if err != nil {
		return nil, fmt.Errorf("list elements: %w", err)
	}
	return func(i int, dst []float64) ([]float64, bool) {
		if l.IsNull(i) {
			return dst, false
		}
		start, end := l.ValueOffsets(i)
		for j := start; j < end; j++ {
			v, ok := elem(int(j))
			if !ok {
				v = math.NaN()
			}
			dst = append(dst, v)
		}
		return dst, true
	}, nil
}
