package nn

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Input kinds.
const (
	KindNumeric     = "numeric"     // one number → one feature (two with a missing indicator)
	KindVector      = "vector"      // a fixed-length list of numbers → Length consecutive features
	KindCategorical = "categorical" // a string → one-hot over Vocabulary (+ an unknown slot)
	// KindDate (dates.go): a DATE or TIMESTAMP → days since the epoch, scaled, plus sin/cos cycles
)

// Imputation strategies (the fitted fill value is stored, not recomputed).
const (
	ImputeMean         = "mean"
	ImputeMedian       = "median"
	ImputeMostFrequent = "most_frequent"
	ImputeConstant     = "constant"
)

// Scaling methods.
const (
	ScaleStandard = "standard" // (x - Mean) / Std
	ScaleMinMax   = "minmax"   // (x - Min) / (Max - Min)
)

// Input is one named input of a model and the fitted preprocessing that turns
// its raw value into features. The same arithmetic runs when training, when
// scoring in Go and when scoring in SQL, so there is no training/serving skew.
//
// A numeric value goes through, in order: imputation (a NULL or NaN becomes
// Impute.Value, and the optional indicator feature becomes 1), Clip, Log1p,
// then Scale. A categorical value becomes a one-hot block over Vocabulary,
// with one extra slot for values outside it when UnknownBucket is set. A
// vector is copied element by element, with Scale applied to each element.
// A date (KindDate) is days since 1970-01-01, imputed and scaled like a
// numeric value, followed by a sin/cos pair per entry of Cycles.
//
// Source is the feature contract: the SQL type (DuckDB's spelling: BIGINT,
// DOUBLE, DECIMAL(9,2), VARCHAR, FLOAT[], FLOAT[784] …) of the column the
// input was fitted from. Scorers check what they are given against it
// (TextSource). It is optional: files written before it existed have none,
// and are checked by Kind alone.
//
// Stats are the statistics of the raw training values, kept for the drift
// check at scoring (tabular.DriftChecker). They are optional too: files
// written before they existed have none, and nothing else reads them.
type Input struct {
	Name          string   `json:"name"`
	Kind          string   `json:"kind"`
	Length        int      `json:"length,omitempty"` // vector: number of elements
	Impute        *Impute  `json:"impute,omitempty"`
	Clip          *Clip    `json:"clip,omitempty"`
	Log1p         bool     `json:"log1p,omitempty"`
	Scale         *Scale   `json:"scale,omitempty"`
	Vocabulary    []string `json:"vocabulary,omitempty"`
	Cycles        []string `json:"cycles,omitempty"` // date: CycleWeek, CycleYear, CycleDay
	UnknownBucket bool     `json:"unknown_bucket,omitempty"`
	Source        string   `json:"source,omitempty"`
	Stats         *Stats   `json:"stats,omitempty"`
}

// Stats describes an input's raw training values, before imputation,
// clipping, log1p and scaling: how many rows were seen, how many of them
// were NULL (or NaN), and for numeric and vector inputs the smallest and
// largest value (over every element of a vector). Min and Max are absent for
// a categorical input, whose vocabulary says which values it knows.
type Stats struct {
	Rows  int64    `json:"rows"`
	Nulls int64    `json:"nulls"`
	Min   *float64 `json:"min,omitempty"`
	Max   *float64 `json:"max,omitempty"`
}

// NullShare is Nulls / Rows (0 for no rows).
func (s *Stats) NullShare() float64 {
	if s.Rows == 0 {
		return 0
	}
	return float64(s.Nulls) / float64(s.Rows)
}

func (s *Stats) validate(kind string) error {
	if s.Rows < 0 || s.Nulls < 0 || s.Nulls > s.Rows {
		return fmt.Errorf("stats: nulls %d and rows %d must satisfy 0 ≤ nulls ≤ rows", s.Nulls, s.Rows)
	}
	if (s.Min == nil) != (s.Max == nil) {
		return errors.New("stats: min and max go together")
	}
	if s.Min == nil {
		return nil
	}
	if kind == KindCategorical {
		return errors.New("stats: a categorical input has no min or max")
	}
	lo, hi := *s.Min, *s.Max
	if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) || lo > hi {
		return fmt.Errorf("stats: min %v and max %v must be finite with min ≤ max", lo, hi)
	}
	return nil
}

// TextSource reports, for a categorical input, whether it was fitted from
// text (VARCHAR) rather than from integers or booleans, whose categories are
// their decimal or true/false text; known is false when the model does not
// record its source. A scorer must not feed numbers to an input fitted from
// text: "01067" and 1067 are different categories, and the mismatch would
// score silently wrong. Text for an input fitted from integers is read as
// an integer (IntegerCode), so '01067' is the code 1067 there.
func (in *Input) TextSource() (text, known bool) {
	if in.Kind != KindCategorical || in.Source == "" {
		return false, false
	}
	return in.Source == "VARCHAR", true
}

// IntegerSource reports whether a categorical input was fitted from an
// integer column (its categories are decimal integers).
func (in *Input) IntegerSource() bool {
	if in.Kind != KindCategorical {
		return false
	}
	switch in.Source {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
		"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT":
		return true
	}
	return false
}

// ErrNotInteger is text given for an input fitted from integer codes that
// is not an integer.
var ErrNotInteger = errors.New("not an integer code")

// IntegerCode is the category of an integer code written as text: the
// decimal form of the integer it holds, so "01067", " 1067" and "+1067" are
// the category "1067" of an input fitted from integers. Text that is not
// an integer is ErrNotInteger.
func IntegerCode(s string) (string, error) {
	t := strings.TrimSpace(s)
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return strconv.FormatInt(n, 10), nil
	}
	if n, err := strconv.ParseUint(t, 10, 64); err == nil {
		return strconv.FormatUint(n, 10), nil
	}
	return "", fmt.Errorf("%w: %q", ErrNotInteger, s)
}

// Impute says what replaces a missing value.
type Impute struct {
	Strategy  string  `json:"strategy"`
	Value     float64 `json:"value"`              // numeric fill value
	Category  string  `json:"category,omitempty"` // categorical fill value
	Indicator bool    `json:"indicator,omitempty"`
}

// Clip bounds a numeric value before Log1p and Scale.
type Clip struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// Scale is a fitted affine scaling.
type Scale struct {
	Method string  `json:"method"`
	Mean   float64 `json:"mean,omitempty"`
	Std    float64 `json:"std,omitempty"`
	Min    float64 `json:"min,omitempty"`
	Max    float64 `json:"max,omitempty"`
}

// NumericInput is a plain numeric input with no preprocessing.
func NumericInput(name string) Input { return Input{Name: name, Kind: KindNumeric} }

// VectorInput is a plain fixed-length list input with no preprocessing.
func VectorInput(name string, length int) Input {
	return Input{Name: name, Kind: KindVector, Length: length}
}

// Width is the number of features the input encodes to.
func (in *Input) Width() int {
	switch in.Kind {
	case KindNumeric:
		if in.Impute != nil && in.Impute.Indicator {
			return 2
		}
		return 1
	case KindVector:
		return in.Length
	case KindDate:
		w := 1 + 2*len(in.Cycles)
		if in.Impute != nil && in.Impute.Indicator {
			w++
		}
		return w
	case KindCategorical:
		w := len(in.Vocabulary)
		if in.UnknownBucket {
			w++
		}
		if in.Impute != nil && in.Impute.Indicator {
			w++
		}
		return w
	}
	return 0
}

func (in *Input) validate() error {
	if in.Name == "" {
		return errors.New("empty name")
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch in.Kind {
	case KindNumeric:
	case KindVector:
		if in.Length <= 0 || in.Length > 1<<24 {
			return fmt.Errorf("vector length %d out of range", in.Length)
		}
		if in.Impute != nil || in.Clip != nil || in.Log1p {
			return errors.New("a vector input takes only scaling")
		}
	case KindCategorical:
		if len(in.Vocabulary) == 0 && !in.UnknownBucket {
			return errors.New("categorical input with an empty vocabulary")
		}
		seen := make(map[string]bool, len(in.Vocabulary))
		for _, v := range in.Vocabulary {
			if seen[v] {
				return fmt.Errorf("category %q appears twice in the vocabulary", v)
			}
			seen[v] = true
		}
		if in.Clip != nil || in.Log1p || in.Scale != nil {
			return errors.New("a categorical input takes no clip, log1p or scale")
		}
	case KindDate:
		if in.Clip != nil || in.Log1p {
			return errors.New("a date input takes no clip or log1p")
		}
		if err := validateCycles(in.Cycles); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown kind %q (want numeric, vector, categorical or date)", in.Kind)
	}
	if len(in.Cycles) > 0 && in.Kind != KindDate {
		return errors.New("only a date input has cycles")
	}
	if in.Impute != nil {
		switch in.Impute.Strategy {
		case ImputeMean, ImputeMedian, ImputeMostFrequent, ImputeConstant:
		default:
			return fmt.Errorf("unknown imputation strategy %q", in.Impute.Strategy)
		}
		if !finite(in.Impute.Value) {
			return errors.New("imputation value is not finite")
		}
	}
	if in.Clip != nil && !(in.Clip.Min <= in.Clip.Max) {
		return fmt.Errorf("clip min %v > max %v", in.Clip.Min, in.Clip.Max)
	}
	if s := in.Scale; s != nil {
		switch s.Method {
		case ScaleStandard:
			if !finite(s.Mean) || !finite(s.Std) || s.Std < 0 {
				return errors.New("standard scaling needs a finite mean and std ≥ 0")
			}
		case ScaleMinMax:
			if !finite(s.Min) || !finite(s.Max) || s.Min > s.Max {
				return errors.New("min-max scaling needs finite min ≤ max")
			}
		default:
			return fmt.Errorf("unknown scaling method %q", s.Method)
		}
	}
	if in.Stats != nil {
		return in.Stats.validate(in.Kind)
	}
	return nil
}

// Errors an Encoder returns for a value it cannot encode, wrapped in an
// *InputError that names the input; the caller adds the row.
var (
	ErrMissing         = errors.New("missing value and no imputation for it")
	ErrNotFinite       = errors.New("value is ±Inf")
	ErrUnknownCategory = errors.New("category not in the fitted vocabulary and no unknown bucket")
	ErrDomain          = errors.New("value outside log1p's domain (must be > -1 after clipping)")
	// ErrFloat32Range is the one rule for values too large for the network,
	// which computes in float32: a finite value whose encoded feature (after
	// clipping, log1p and scaling) is beyond ±3.4e38 is refused, never
	// turned into ±Inf or a silently wrong score. Training, Go scoring and
	// SQL scoring all encode through this Encoder, so all three refuse it.
	ErrFloat32Range = errors.New("value is outside float32's range")
)

// InputError is the error of an Encoder method: the input (and, for a
// vector, the element; -1 otherwise) whose value could not be encoded, and
// why (Err: ErrMissing, ErrNotFinite, ErrUnknownCategory, ErrDomain,
// ErrFloat32Range, or a wrong list length). Its message has no package prefix: the Encoder's
// methods are the innermost step of a caller's row loop, and the caller's
// message names the row and carries the prefix.
type InputError struct {
	Input   string
	Element int    // vector element, -1 for none
	Value   string // the refused category, for ErrUnknownCategory
	Err     error
}

func (e *InputError) Error() string {
	s := fmt.Sprintf("input %q", e.Input)
	if e.Element >= 0 {
		s += fmt.Sprintf(" element %d", e.Element)
	}
	if e.Value != "" {
		s += fmt.Sprintf(": category %q", e.Value)
	}
	return s + ": " + e.Err.Error()
}

func (e *InputError) Unwrap() error { return e.Err }

func inputErr(in *Input, err error) error { return &InputError{Input: in.Name, Element: -1, Err: err} }

// Encoder turns raw input values into a model's feature row. Build one with
// NewEncoder; it is immutable and safe for concurrent use.
type Encoder struct {
	inputs  []Input
	offsets []int
	width   int
	index   []map[string]int // categorical inputs: category → slot
}

// NewEncoder validates inputs and compiles them into an Encoder.
func NewEncoder(inputs []Input) (*Encoder, error) {
	e := &Encoder{inputs: inputs, offsets: make([]int, len(inputs)), index: make([]map[string]int, len(inputs))}
	for i := range inputs {
		in := &inputs[i]
		if err := in.validate(); err != nil {
			return nil, fmt.Errorf("nn: input %q: %w", in.Name, err)
		}
		e.offsets[i] = e.width
		e.width += in.Width()
		if in.Kind == KindCategorical {
			m := make(map[string]int, len(in.Vocabulary))
			for j, v := range in.Vocabulary {
				m[v] = j
			}
			e.index[i] = m
		}
	}
	return e, nil
}

// Width is the width of an encoded row.
func (e *Encoder) Width() int { return e.width }

// Inputs are the inputs the encoder was built from, in order.
func (e *Encoder) Inputs() []Input { return e.inputs }

// Offset is where input i's features start in the encoded row.
func (e *Encoder) Offset(i int) int { return e.offsets[i] }

// Passthrough reports whether input i is numeric or vector with no
// preprocessing, so a raw value can be copied straight into the row.
func (e *Encoder) Passthrough(i int) bool {
	in := &e.inputs[i]
	return (in.Kind == KindNumeric || in.Kind == KindVector) && in.Impute == nil && in.Clip == nil && !in.Log1p && in.Scale == nil
}

// Number encodes a numeric input's value into row (the whole encoded row).
// valid=false means NULL. NaN is treated as missing.
func (e *Encoder) Number(i int, v float64, valid bool, row []float32) error {
	in := &e.inputs[i]
	dst := row[e.offsets[i]:]
	missing := !valid || math.IsNaN(v)
	if missing {
		if in.Impute == nil {
			return inputErr(in, ErrMissing)
		}
		v = in.Impute.Value
	}
	if math.IsInf(v, 0) {
		return inputErr(in, ErrNotFinite)
	}
	t, err := in.transform(v)
	if err != nil {
		return err
	}
	f, ok := toFloat32(t)
	if !ok {
		return inputErr(in, rangeErr(v, t))
	}
	dst[0] = f
	if in.Impute != nil && in.Impute.Indicator {
		dst[1] = 0
		if missing {
			dst[1] = 1
		}
	}
	return nil
}

// transform applies clip, log1p and scale to a finite value.
func (in *Input) transform(v float64) (float64, error) {
	if in.Clip != nil {
		v = min(max(v, in.Clip.Min), in.Clip.Max)
	}
	if in.Log1p {
		if !(v > -1) {
			return 0, inputErr(in, ErrDomain)
		}
		v = math.Log1p(v)
	}
	if s := in.Scale; s != nil {
		switch s.Method {
		case ScaleStandard:
			if s.Std > 0 {
				v = (v - s.Mean) / s.Std
			} else {
				v -= s.Mean
			}
		case ScaleMinMax:
			if r := s.Max - s.Min; r > 0 {
				v = (v - s.Min) / r
			} else {
				v = 0
			}
		}
	}
	return v, nil
}

// Category encodes a categorical input's value into row as a one-hot block.
// valid=false means NULL.
func (e *Encoder) Category(i int, s string, valid bool, row []float32) error {
	in := &e.inputs[i]
	w := in.Width()
	dst := row[e.offsets[i] : e.offsets[i]+w]
	clear(dst)
	if !valid {
		if in.Impute == nil {
			return inputErr(in, ErrMissing)
		}
		s = in.Impute.Category
		if in.Impute.Indicator {
			dst[w-1] = 1
		}
	}
	slot, ok := e.index[i][s]
	if !ok {
		if !in.UnknownBucket {
			return &InputError{Input: in.Name, Element: -1, Value: s, Err: ErrUnknownCategory}
		}
		slot = len(in.Vocabulary)
	}
	dst[slot] = 1
	return nil
}

// Vector encodes a vector input from its elements (already converted to
// float64 by the caller). A NaN element is missing; vectors have no
// imputation, so it is an error (ErrMissing, reported before any other
// element's problem, so that a caller can make the row NULL).
func (e *Encoder) Vector(i int, elems []float64, row []float32) error {
	in := &e.inputs[i]
	if len(elems) != in.Length {
		return inputErr(in, fmt.Errorf("list has %d elements, want %d", len(elems), in.Length))
	}
	dst := row[e.offsets[i] : e.offsets[i]+in.Length]
	for j, v := range elems { // a missing element wins over any other problem
		if math.IsNaN(v) {
			return &InputError{Input: in.Name, Element: j, Err: ErrMissing}
		}
	}
	for j, v := range elems {
		if math.IsInf(v, 0) {
			return &InputError{Input: in.Name, Element: j, Err: ErrNotFinite}
		}
		t, _ := in.transform(v) // vectors have no log1p, so no domain error
		f, ok := toFloat32(t)
		if !ok {
			return &InputError{Input: in.Name, Element: j, Err: rangeErr(v, t)}
		}
		dst[j] = f
	}
	return nil
}

// toFloat32 converts an encoded feature to float32, reporting false when it
// is not finite as a float32 (beyond ±3.4e38, or ±Inf/NaN from the scaling
// arithmetic overflowing float64).
func toFloat32(t float64) (float32, bool) {
	f := float32(t)
	return f, f-f == 0
}

func rangeErr(raw, encoded float64) error {
	if raw == encoded {
		return fmt.Errorf("%w: %v", ErrFloat32Range, raw)
	}
	return fmt.Errorf("%w: %v encodes to %v", ErrFloat32Range, raw, encoded)
}
