package arrowio

import (
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Target is a batch's target column: Numbers for numeric and bool columns
// (bool as 0/1), Strings for string and dictionary columns; the other is nil.
type Target struct {
	Name    string
	Numbers []float64
	Strings []string
}

// Len is the number of values.
func (t *Target) Len() int { return max(len(t.Numbers), len(t.Strings)) }

// TargetColumn reads the target column name of batch for building labels.
// A NULL (or NaN) target is an error naming the row; a missing column lists
// the columns there are.
func TargetColumn(batch arrow.RecordBatch, name string) (*Target, error) {
	idx := batch.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil, fmt.Errorf("arrowio: target %w %q (columns: %s)", ErrNoColumn, name, columnList(batch.Schema()))
	}
	col := batch.Column(idx[0])
	rows := int(batch.NumRows())
	t := &Target{Name: name}
	switch {
	case IsNumericType(col.DataType()):
		get, _ := NumberGetter(col)
		t.Numbers = make([]float64, rows)
		for r := range t.Numbers {
			v, ok := get(r)
			if !ok || math.IsNaN(v) {
				return nil, fmt.Errorf("arrowio: target column %q row %d: %w", name, r, ErrNullTarget)
			}
			if math.IsInf(v, 0) {
				return nil, fmt.Errorf("arrowio: target column %q row %d: value is ±Inf", name, r)
			}
			t.Numbers[r] = v
		}
	case IsTextType(col.DataType()):
		get, _ := CategoryGetter(col)
		t.Strings = make([]string, rows)
		for r := range t.Strings {
			s, ok := get(r)
			if !ok {
				return nil, fmt.Errorf("arrowio: target column %q row %d: %w", name, r, ErrNullTarget)
			}
			t.Strings[r] = strings.Clone(s) // Value aliases the batch's memory
		}
	default:
		return nil, fmt.Errorf("arrowio: target column %q: %w: %s (want numbers, bools or strings)", name, ErrColumnType, col.DataType())
	}
	return t, nil
}

// ErrNullTarget is wrapped when a target value is NULL or NaN.
var ErrNullTarget = fmt.Errorf("target is NULL")
