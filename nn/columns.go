package nn

// Column-at-a-time encoding: the Encoder's methods for scorers that hold a
// whole column of an input's values (a DuckDB vector, an Arrow array). They
// do Number's and Category's arithmetic in one loop over the column, with
// the input's preprocessing looked up once, and leave every value they do
// not encode in the common way to Number or Category, so that errors and
// rare cases are exactly the row methods'.

// Numbers encodes numeric input i for len(vals) rows: vals[r] (NaN for a
// NULL or NaN value: missing) goes to row r of the row-major matrix x, whose
// rows are stride features wide. A value that cannot be encoded calls
// fail(r, err) with Number's error (for a missing value, one error shared by
// the rows) and leaves row r's features unspecified.
// The features are those Number writes, bit for bit.
func (e *Encoder) Numbers(i int, vals []float64, x []float32, stride int, fail func(row int, err error)) {
	in := &e.inputs[i]
	off := e.offsets[i]
	plain := in.Clip == nil && !in.Log1p && (in.Impute == nil || !in.Impute.Indicator)
	sk, sub, div := scaleOf(in.Scale)
	var errMissing error // Number's error for a missing value, made once
	for r := 0; r < len(vals); r++ {
		if plain {
			// The common case in a tight loop, up to the first value it
			// leaves to the general one.
			r += numbersPlain(vals[r:], x[r*stride+off:], stride, sk, sub, div)
			if r == len(vals) {
				return
			}
		}
		v := vals[r]
		missing := v != v
		if missing {
			if in.Impute == nil {
				if errMissing == nil {
					errMissing = inputErr(in, ErrMissing)
				}
				fail(r, errMissing)
				continue
			}
			v = in.Impute.Value
		}
		t, err := in.transform(v)
		f := float32(t)
		if err != nil || v-v != 0 || f-f != 0 { // ±Inf, log1p's domain, beyond float32's range
			// Number for the exact error (or the rare value it encodes).
			if err := e.Number(i, vals[r], true, x[r*stride:(r+1)*stride]); err != nil {
				fail(r, err)
			}
			continue
		}
		j := r*stride + off
		x[j] = f
		if in.Impute != nil && in.Impute.Indicator {
			x[j+1] = 0
			if missing {
				x[j+1] = 1
			}
		}
	}
}

// numbersPlain encodes vals into x[0], x[stride], … with scaling only,
// transform's arithmetic with the method looked up once, and returns how
// many it encoded: it stops at the first NaN, ±Inf or feature beyond
// float32's range.
func numbersPlain(vals []float64, x []float32, stride, sk int, sub, div float64) int {
	for r, v := range vals {
		var t float64
		switch sk {
		case scaleNone:
			t = v
		case scaleDivide:
			t = (v - sub) / div
		case scaleShift:
			t = v - sub
		default:
			t = 0
			if v-v != 0 {
				return r
			}
		}
		f := float32(t)
		if f-f != 0 { // v NaN or ±Inf, or t beyond float32's range
			return r
		}
		x[r*stride] = f
	}
	return len(vals)
}

// How transform scales a value: not, (v − sub)/div, v − sub, or to 0.
const (
	scaleNone = iota
	scaleDivide
	scaleShift
	scaleZero
)

// scaleOf is s as Numbers' loop applies it (s may be nil).
func scaleOf(s *Scale) (kind int, sub, div float64) {
	if s == nil {
		return scaleNone, 0, 1
	}
	switch s.Method {
	case ScaleStandard:
		if s.Std > 0 {
			return scaleDivide, s.Mean, s.Std
		}
		return scaleShift, s.Mean, 1
	case ScaleMinMax:
		if r := s.Max - s.Min; r > 0 {
			return scaleDivide, s.Min, r
		}
		return scaleZero, 0, 1
	}
	return scaleNone, 0, 1
}

// CategoryCode is where a categorical value puts its ones in its input's
// one-hot block, as OneHots writes them. Look a value up once with
// CategoryCode, then write any number of rows holding it.
type CategoryCode int32

// SkipRow is the code of a row OneHots leaves alone.
const SkipRow CategoryCode = -1

const codeIndicator = 1 << 30 // the missing indicator is set too

// CategoryCode returns the code of value s of categorical input i (valid
// false: NULL), or Category's error for a value it cannot encode.
func (e *Encoder) CategoryCode(i int, s string, valid bool) (CategoryCode, error) {
	in := &e.inputs[i]
	code := CategoryCode(0)
	if !valid {
		if in.Impute == nil {
			return SkipRow, inputErr(in, ErrMissing)
		}
		s = in.Impute.Category
		if in.Impute.Indicator {
			code = codeIndicator
		}
	}
	slot, ok := e.index[i][s]
	if !ok {
		if !in.UnknownBucket {
			return SkipRow, &InputError{Input: in.Name, Element: -1, Value: s, Err: ErrUnknownCategory}
		}
		slot = len(in.Vocabulary)
	}
	return code | CategoryCode(slot), nil
}

// OneHots writes categorical input i's one-hot blocks for len(codes) rows
// of the row-major matrix x (rows stride features wide): row r gets the
// block of codes[r], the block Category writes for the value, unless
// codes[r] is SkipRow.
func (e *Encoder) OneHots(i int, codes []CategoryCode, x []float32, stride int) {
	in := &e.inputs[i]
	w := in.Width()
	off := e.offsets[i]
	for r, c := range codes {
		if c < 0 {
			continue
		}
		j := r*stride + off
		dst := x[j : j+w : j+w]
		clear(dst)
		dst[c&^codeIndicator] = 1
		if c&codeIndicator != 0 {
			dst[w-1] = 1
		}
	}
}
