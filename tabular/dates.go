package tabular

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dense-ml/dense/nn"
)

// IsDateType reports whether t is a date or timestamp type: date32, date64,
// timestamp of any unit, with or without a zone. These are the columns a
// date feature (nn.KindDate) is fitted from.
func IsDateType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP:
		return true
	}
	return false
}

// isDaysType reports whether DaysGetter reads columns of type t: dates,
// timestamps, and text that parses as one.
func isDaysType(t arrow.DataType) bool { return IsDateType(t) || IsTextType(t) }

// DaysGetter returns a function reading element i of a date column as the
// raw value of a date input: days since 1970-01-01 UTC (nn.DaysFromDate,
// nn.DaysFromTimestamp), false for NULL. Text columns are parsed with
// nn.ParseDays; a value that does not parse is an error wrapping
// nn.ErrBadDate and quoting the value (the caller adds the row).
func DaysGetter(col arrow.Array) (func(i int) (float64, bool, error), error) {
	valid := func(i int) bool { return col.IsValid(i) }
	if col.NullN() == 0 {
		valid = func(int) bool { return true }
	}
	switch a := col.(type) {
	case *array.Date32:
		return func(i int) (float64, bool, error) { return nn.DaysFromDate(int32(a.Value(i))), valid(i), nil }, nil
	case *array.Date64: // milliseconds
		return func(i int) (float64, bool, error) {
			return nn.DaysFromTimestamp(int64(a.Value(i)), 1_000), valid(i), nil
		}, nil
	case *array.Timestamp:
		per := [...]int64{arrow.Second: 1, arrow.Millisecond: 1_000, arrow.Microsecond: 1_000_000,
			arrow.Nanosecond: 1_000_000_000}[a.DataType().(*arrow.TimestampType).Unit]
		return func(i int) (float64, bool, error) {
			return nn.DaysFromTimestamp(int64(a.Value(i)), per), valid(i), nil
		}, nil
	}
	if IsTextType(col.DataType()) {
		text, err := CategoryGetter(col)
		if err != nil {
			return nil, err
		}
		return func(i int) (float64, bool, error) {
			s, ok := text(i)
			if !ok {
				return 0, false, nil
			}
			d, err := nn.ParseDays(s)
			if err != nil {
				return 0, true, fmt.Errorf("%q: %w", s, err)
			}
			return d, true, nil
		}, nil
	}
	return nil, fmt.Errorf("%w: %s is not a date, timestamp or text column", ErrColumnType, col.DataType())
}

// integerCodeGetter reads a text column for a categorical input fitted from
// integers: each value is the category of the integer it holds
// (nn.IntegerCode: "01067" is the code 1067). Text that is not an integer
// is an error quoting it.
func integerCodeGetter(col arrow.Array) (func(i int) (string, bool, error), error) {
	text, err := CategoryGetter(col)
	if err != nil {
		return nil, err
	}
	return func(i int) (string, bool, error) {
		s, ok := text(i)
		if !ok {
			return "", false, nil
		}
		c, err := nn.IntegerCode(s)
		return c, true, err
	}, nil
}

// date encodes a date input column through nn.Encoder.Date.
func (e *encodeRun) date(p *inputPlan, col arrow.Array) error {
	get, err := DaysGetter(col)
	if err != nil {
		return fmt.Errorf("tabular: column %q: %w", p.name, err)
	}
	return encodeRows(e, p, get, e.f.enc.Date)
}

// integerCodes encodes a text column for a categorical input fitted from
// integers (see integerCodeGetter).
func (e *encodeRun) integerCodes(p *inputPlan, col arrow.Array) error {
	get, err := integerCodeGetter(col)
	if err != nil {
		return fmt.Errorf("tabular: column %q: %w", p.name, err)
	}
	return encodeRows(e, p, get, e.f.enc.Category)
}

// encodeRows encodes rows [e.lo, e.hi) of one input, one value at a time:
// get reads row r, put encodes it into the row's slice of e.x.
func encodeRows[T any](e *encodeRun, p *inputPlan, get func(int) (T, bool, error),
	put func(input int, v T, valid bool, row []float32) error) error {
	for r := e.lo; r < e.hi; r++ {
		if e.valid != nil && !e.valid[r] {
			continue
		}
		v, ok, err := get(r)
		if err == nil {
			err = put(p.input, v, ok, e.x[r*e.width:(r+1)*e.width])
		}
		if err != nil {
			if err := e.fail(p, r, err); err != nil {
				return err
			}
		}
	}
	return nil
}
