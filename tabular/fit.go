package tabular

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dense-ml/dense/nn"
)

var nan = math.NaN()

// Feature kinds accepted in FeatureOptions.Kind ("" or KindAuto: from the
// column type).
const (
	KindAuto        = "auto"
	KindNumeric     = nn.KindNumeric
	KindCategorical = nn.KindCategorical
	KindVector      = nn.KindVector
	KindDate        = nn.KindDate
)

// Transform names beyond nn's: "none" switches scaling or imputation off.
const (
	ScaleStandard      = nn.ScaleStandard
	ScaleMinMax        = nn.ScaleMinMax
	ScaleNone          = "none"
	ImputeMean         = nn.ImputeMean
	ImputeMedian       = nn.ImputeMedian
	ImputeMostFrequent = nn.ImputeMostFrequent
	ImputeConstant     = nn.ImputeConstant
	ImputeNone         = "none"
)

// DefaultMaxCategories is the vocabulary size kept for a categorical feature
// when none is configured: the most frequent values, the rest go to the
// unknown bucket.
const DefaultMaxCategories = 100

// Rare categories: with an unknown bucket, a category seen in fewer than
// max(DefaultMinCategoryCount, DefaultMinCategoryShare × the column's
// non-NULL rows) training rows is left out of the vocabulary and scored as
// unknown, like a new value. A one-hot weight learnt from a handful of rows
// is mostly noise, and the unknown bucket then learns from all the rare
// rows together (scikit-learn's OneHotEncoder calls this min_frequency).
// FeatureOptions.MinCategoryCount overrides the rule (1 keeps every value).
const (
	DefaultMinCategoryCount = 5
	DefaultMinCategoryShare = 0.001
)

// An automatically categorical text column whose distinct values are at
// least IDLikeShare of its non-NULL values, over at least IDLikeMinRows of
// them, is refused: it is an id, free text or a timestamp written as text,
// and one-hot encoding it learns nothing that carries over to new rows. An
// explicit kind categorical (--categorical, YAML kind: categorical) fits it
// anyway (its rare values then share the unknown bucket).
const (
	IDLikeShare   = 0.9
	IDLikeMinRows = 20
)

// FeatureOptions are the transforms of one feature. The zero value means
// "the defaults": kind from the column type; numeric → mean imputation and
// standard scaling; categorical → most-frequent imputation, at most
// DefaultMaxCategories categories, none rarer than the rare-category rule
// (DefaultMinCategoryCount) and an unknown bucket; vector → standard
// scaling (one mean and std over all elements); date → mean imputation,
// standard scaling of the days and the cycles that vary (see Fitter).
//
// Kind categorical on an integer column one-hot encodes its codes (store
// ids, zip codes) instead of treating them as numbers; kind date on a text
// column parses its values (nn.ParseDays).
type FeatureOptions struct {
	Kind          string   // "" | auto | numeric | categorical | vector | date
	Scale         string   // "" (standard) | standard | minmax | none
	Impute        string   // "" (mean / most_frequent) | mean | median | most_frequent | constant | none
	FillValue     float64  // numeric fill value for Impute constant
	FillCategory  string   // categorical fill value for Impute constant
	Indicator     bool     // add a 0/1 "was missing" feature
	Log1p         bool     // numeric: log(1+x) after clipping
	Clip          *nn.Clip // numeric: bound the value before log1p and scaling
	MaxCategories int      // categorical: vocabulary size (0 = DefaultMaxCategories)
	UnknownBucket *bool    // categorical: a slot for unseen values (nil = true)
	// MinCategoryCount: categorical, with an unknown bucket: the fewest rows a
	// category needs to enter the vocabulary (0 = the rare-category rule, 1 = keep all).
	MinCategoryCount int
}

// Feature names an input column and its transforms.
type Feature struct {
	Name string
	FeatureOptions
	// Inherited marks the options that came from defaults for all features
	// rather than from this column's own settings: those that do not apply
	// to the column's kind (scaling a categorical, say) are dropped instead
	// of being errors.
	Inherited Inherited
}

// Inherited flags FeatureOptions fields taken from defaults.
type Inherited uint16

const (
	InheritScale Inherited = 1 << iota
	InheritImpute
	InheritIndicator
	InheritLog1p
	InheritClip
	InheritAll Inherited = 1<<iota - 1
)

// dropInapplicable removes Inherited options that do not fit kind.
func (o *FeatureOptions) dropInapplicable(kind string, inh Inherited) {
	switch kind {
	case KindCategorical:
		if inh&InheritScale != 0 {
			o.Scale = ""
		}
		if inh&InheritImpute != 0 && (o.Impute == ImputeMean || o.Impute == ImputeMedian) {
			o.Impute = ""
		}
		if inh&InheritLog1p != 0 {
			o.Log1p = false
		}
		if inh&InheritClip != 0 {
			o.Clip = nil
		}
	case KindDate:
		if inh&InheritImpute != 0 && (o.Impute == ImputeConstant || o.Impute == ImputeMostFrequent) {
			o.Impute = ""
		}
		if inh&InheritLog1p != 0 {
			o.Log1p = false
		}
		if inh&InheritClip != 0 {
			o.Clip = nil
		}
	case KindVector:
		if inh&InheritImpute != 0 {
			o.Impute = ImputeNone
		}
		if inh&InheritIndicator != 0 {
			o.Indicator = false
		}
		if inh&InheritLog1p != 0 {
			o.Log1p = false
		}
		if inh&InheritClip != 0 {
			o.Clip = nil
		}
	}
	if inh&InheritIndicator != 0 && o.Impute == ImputeNone {
		o.Indicator = false
	}
}

// checkFloat32 is the fit's side of nn.ErrFloat32Range: a value that
// reaches the scaling (p, after clip and log1p, from the raw value v) must
// fit float32, in which the network computes. Refusing it here names the
// row and the value, where the statistics would otherwise overflow and fail
// later without either.
func checkFloat32(p, v float64) error {
	if f := float32(p); f-f == 0 {
		return nil
	}
	return fmt.Errorf("%w: %v (±3.4e38 at most); clip or rescale the column, or use log1p", nn.ErrFloat32Range, v)
}

// welford accumulates a mean and a population variance in one pass.
type welford struct {
	n        int64
	mean, m2 float64
}

func (w *welford) add(x float64) {
	w.n++
	d := x - w.mean
	w.mean += d / float64(w.n)
	w.m2 += d * (x - w.mean)
}

// MeanStd is the mean and the population standard deviation of v,
// accumulated in float64 (Welford's algorithm): what training standardises a
// regression target with.
func MeanStd(v []float32) (mean, std float64) {
	var w welford
	for _, x := range v {
		w.add(float64(x))
	}
	return w.mean, w.std()
}

func (w *welford) std() float64 {
	if w.n == 0 {
		return 0
	}
	return math.Sqrt(w.m2 / float64(w.n))
}

// featureFit is the running state of one feature's fit.
type featureFit struct {
	Feature
	colKind  int
	source   string  // the column's SQL type, nn.Input.Source
	observed int64   // non-missing values (vector: elements)
	missing  int64   // NULL or NaN values
	raw      welford // raw observed values: the mean imputation value
	pre      welford // observed values after clip and log1p: the scaling statistics
	min, max float64 // of the values after clip and log1p
	rawMin   float64 // of the raw observed values (nn.Stats)
	rawMax   float64
	counts   map[string]*int64
	length   int // vector length
	scratch  []float64
	autoKind bool // the kind came from the column type, not from the options
	// date: which weekdays and months occur, and the range of the time of day
	weekdays       uint8
	months         uint16
	dayMin, dayMax float64
}

// Fitter fits the preprocessing of a set of features. Feed it every training
// batch with Observe (one streaming pass), then call Finish. Median and
// most-frequent imputation of numeric features need the whole column: for
// those, Finish takes a second pass over the batches passed to it (see
// NeedsValues).
type Fitter struct {
	features []*featureFit
	rows     int64
}

// NewFitter checks the features against the schema and resolves their
// kinds. Feature names that differ only in case are refused (SQL's STRUCT
// form matches fields ignoring case, so such a model would be ambiguous). Feature options must already have their defaults merged in.
func NewFitter(schema *arrow.Schema, features []Feature) (*Fitter, error) {
	if len(features) == 0 {
		return nil, errors.New("no features")
	}
	f := &Fitter{}
	seen := map[string]string{} // lower-cased name → the feature's name
	for _, ft := range features {
		if prev, ok := seen[strings.ToLower(ft.Name)]; ok {
			if prev == ft.Name {
				return nil, fmt.Errorf("feature %q is listed twice", ft.Name)
			}
			return nil, fmt.Errorf("features %q and %q differ only in case: SQL names ignore case, so the model "+
				"could not be scored from SQL reliably; rename one of the columns (DuckDB's read_csv renames the "+
				"second to %s_1)", prev, ft.Name, ft.Name)
		}
		seen[strings.ToLower(ft.Name)] = ft.Name
		idx := schema.FieldIndices(ft.Name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("feature %q: no such column (columns: %s)", ft.Name, ColumnList(schema))
		}
		typ := schema.Field(idx[0]).Type
		ff := &featureFit{Feature: ft, colKind: columnKind(typ), source: SQLTypeName(typ),
			min: math.Inf(1), max: math.Inf(-1), rawMin: math.Inf(1), rawMax: math.Inf(-1),
			dayMin: math.Inf(1), dayMax: math.Inf(-1)}
		if err := ff.resolve(typ); err != nil {
			return nil, fmt.Errorf("feature %q: %w", ft.Name, err)
		}
		f.features = append(f.features, ff)
	}
	return f, nil
}

// resolve decides the kind and checks the options against it.
func (ff *featureFit) resolve(typ arrow.DataType) error {
	o := &ff.FeatureOptions
	auto := map[int]string{colNumeric: KindNumeric, colString: KindCategorical, colList: KindVector, colDate: KindDate}[ff.colKind]
	if ff.colKind == 0 {
		return fmt.Errorf("column type %s can't be a feature (numbers, bools, strings, dates, timestamps and lists of numbers can); exclude the column or convert it", typ)
	}
	switch o.Kind {
	case "", KindAuto:
		o.Kind = auto
		ff.autoKind = true
	case KindCategorical:
		if auto != KindCategorical && !isIntegerType(typ) {
			return fmt.Errorf("kind categorical does not fit column type %s (it is %s; categories come from text or integer columns)", typ, auto)
		}
	case KindDate:
		if auto != KindDate && auto != KindCategorical {
			return fmt.Errorf("kind date does not fit column type %s (it is %s; dates come from date, timestamp or text columns)", typ, auto)
		}
	case KindNumeric, KindVector:
		if o.Kind != auto {
			return fmt.Errorf("kind %s does not fit column type %s (it is %s)", o.Kind, typ, auto)
		}
	default:
		return fmt.Errorf("unknown kind %q (want auto, numeric, categorical, vector or date)", o.Kind)
	}
	o.dropInapplicable(o.Kind, ff.Inherited)
	switch o.Scale {
	case "":
		if o.Kind != KindCategorical {
			o.Scale = ScaleStandard
		}
	case ScaleStandard, ScaleMinMax, ScaleNone:
		if o.Kind == KindCategorical && o.Scale != ScaleNone {
			return fmt.Errorf("a categorical feature takes no scaling (scale %s)", o.Scale)
		}
	default:
		return fmt.Errorf("unknown scale %q (want standard, minmax or none)", o.Scale)
	}
	switch o.Impute {
	case "":
		switch o.Kind {
		case KindNumeric, KindDate:
			o.Impute = ImputeMean
		case KindCategorical:
			o.Impute = ImputeMostFrequent
		default:
			o.Impute = ImputeNone
		}
	case ImputeMean, ImputeMedian:
		if o.Kind == KindCategorical {
			return fmt.Errorf("impute %s needs numbers; a categorical feature takes most_frequent, constant or none", o.Impute)
		}
	case ImputeMostFrequent, ImputeConstant, ImputeNone:
	default:
		return fmt.Errorf("unknown impute %q (want mean, median, most_frequent, constant or none)", o.Impute)
	}
	if o.Kind == KindVector && (o.Impute != ImputeNone || o.Indicator || o.Log1p || o.Clip != nil) {
		return errors.New("a vector feature takes only scaling (no impute, indicator, log1p or clip)")
	}
	if o.Kind == KindCategorical && (o.Log1p || o.Clip != nil) {
		return errors.New("a categorical feature takes no log1p or clip")
	}
	if o.Kind == KindDate && (o.Log1p || o.Clip != nil) {
		return errors.New("a date feature takes no log1p or clip")
	}
	if o.Kind == KindDate && (o.Impute == ImputeConstant || o.Impute == ImputeMostFrequent) {
		return fmt.Errorf("impute %s does not apply to a date feature; use mean, median or none", o.Impute)
	}
	if o.Indicator && o.Impute == ImputeNone {
		return errors.New("a missing indicator needs an imputation strategy")
	}
	if c := o.Clip; c != nil && !(c.Min <= c.Max) {
		return fmt.Errorf("clip min %v is greater than max %v", c.Min, c.Max)
	}
	if o.Impute == ImputeConstant && o.Kind == KindNumeric && (math.IsNaN(o.FillValue) || math.IsInf(o.FillValue, 0)) {
		return fmt.Errorf("fill value %v is not finite", o.FillValue)
	}
	if o.MaxCategories < 0 {
		return fmt.Errorf("max categories must be ≥ 1, got %d", o.MaxCategories)
	}
	if o.MaxCategories == 0 {
		o.MaxCategories = DefaultMaxCategories
	}
	if o.MinCategoryCount < 0 {
		return fmt.Errorf("min category count must be ≥ 1, got %d", o.MinCategoryCount)
	}
	if o.Kind == KindCategorical {
		ff.counts = map[string]*int64{}
	}
	ff.length = fixedListLen(typ)
	return nil
}

// NeedsValues reports whether Finish needs the training batches again
// (median or most-frequent imputation of a numeric feature).
func (f *Fitter) NeedsValues() bool {
	for _, ff := range f.features {
		if (ff.Kind == KindNumeric || ff.Kind == KindDate) && (ff.Impute == ImputeMedian || ff.Impute == ImputeMostFrequent) {
			return true
		}
	}
	return false
}

// Rows is the number of rows observed so far.
func (f *Fitter) Rows() int64 { return f.rows }

// Observe updates the statistics with one batch. Errors name the feature
// and the row (0-based, counted over all observed batches).
func (f *Fitter) Observe(b arrow.RecordBatch) error {
	for _, ff := range f.features {
		col, err := batchColumn(b, ff.Name)
		if err != nil {
			return err
		}
		if err := ff.observe(col, f.rows); err != nil {
			return fmt.Errorf("feature %q: %w", ff.Name, err)
		}
	}
	f.rows += b.NumRows()
	return nil
}

// batchColumn finds a column by name in a batch.
func batchColumn(b arrow.RecordBatch, name string) (arrow.Array, error) {
	idx := b.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil, fmt.Errorf("column %q is missing from a batch (columns: %s)", name, ColumnList(b.Schema()))
	}
	return b.Column(idx[0]), nil
}

// ColumnList renders a schema's column names for error messages.
func ColumnList(s *arrow.Schema) string {
	out := ""
	for i, f := range s.Fields() {
		if i > 0 {
			out += ", "
		}
		if i == 20 {
			return out + fmt.Sprintf("… %d more", s.NumFields()-20)
		}
		out += f.Name
	}
	return out
}

// preTransform applies clip then log1p, like nn's encoder does before scaling.
func (ff *featureFit) preTransform(v float64) (float64, error) {
	if c := ff.Clip; c != nil {
		v = min(max(v, c.Min), c.Max)
	}
	if ff.Log1p {
		if !(v > -1) {
			return 0, fmt.Errorf("value %v is outside log1p's domain (must be > -1 after clipping)", v)
		}
		v = math.Log1p(v)
	}
	return v, nil
}

func (ff *featureFit) addPre(v float64) {
	ff.pre.add(v)
	ff.min = min(ff.min, v)
	ff.max = max(ff.max, v)
}

func (ff *featureFit) observe(col arrow.Array, offset int64) error {
	if k := columnKind(col.DataType()); k != ff.colKind {
		return fmt.Errorf("column type changed to %s between batches", col.DataType())
	}
	n := col.Len()
	switch ff.Kind {
	case KindNumeric:
		at, err := NumberGetter(col)
		if err != nil {
			return err
		}
		for i := range n {
			v, ok := at(i)
			if !ok || math.IsNaN(v) {
				ff.missing++
				continue
			}
			if math.IsInf(v, 0) {
				return fmt.Errorf("row %d: value is %v", offset+int64(i), v)
			}
			ff.observed++
			ff.raw.add(v)
			ff.rawMin, ff.rawMax = min(ff.rawMin, v), max(ff.rawMax, v)
			p, err := ff.preTransform(v)
			if err != nil {
				return fmt.Errorf("row %d: %w", offset+int64(i), err)
			}
			if err := checkFloat32(p, v); err != nil {
				return fmt.Errorf("row %d: %w", offset+int64(i), err)
			}
			ff.addPre(p)
		}
	case KindCategorical:
		at, err := CategoryGetter(col)
		if err != nil {
			return err
		}
		for i := range n {
			s, ok := at(i)
			if !ok {
				ff.missing++
				continue
			}
			ff.observed++
			if c := ff.counts[s]; c != nil {
				*c++
			} else {
				// The key must not be a view of the batch, which is
				// released before the model is built (an assignment to
				// an existing key would store s again, hence pointers).
				ff.counts[strings.Clone(s)] = new(int64(1))
			}
		}
	case KindDate:
		at, err := DaysGetter(col)
		if err != nil {
			return err
		}
		for i := range n {
			v, ok, err := at(i)
			if err != nil {
				return fmt.Errorf("row %d: %w", offset+int64(i), err)
			}
			if !ok || math.IsNaN(v) {
				ff.missing++
				continue
			}
			if math.IsInf(v, 0) {
				return fmt.Errorf("row %d: the date is infinite", offset+int64(i))
			}
			ff.observed++
			ff.raw.add(v)
			ff.rawMin, ff.rawMax = min(ff.rawMin, v), max(ff.rawMax, v)
			ff.addPre(v)
			w, m := nn.WeekdayMonth(v)
			ff.weekdays |= 1 << w
			ff.months |= 1 << m
			t := v - math.Floor(v)
			ff.dayMin, ff.dayMax = min(ff.dayMin, t), max(ff.dayMax, t)
		}
	case KindVector:
		at, err := listAt(col)
		if err != nil {
			return err
		}
		for i := range n {
			var ok bool
			ff.scratch, ok = at(i, ff.scratch[:0])
			row := offset + int64(i)
			if !ok {
				return fmt.Errorf("row %d: the list is NULL (vectors have no imputation)", row)
			}
			if ff.length == 0 {
				ff.length = len(ff.scratch)
				if ff.length == 0 {
					return fmt.Errorf("row %d: empty list; a vector feature needs a fixed length ≥ 1", row)
				}
			}
			if len(ff.scratch) != ff.length {
				return fmt.Errorf("row %d: list has %d elements, want %d", row, len(ff.scratch), ff.length)
			}
			for j, v := range ff.scratch {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("row %d element %d: value is %v (vectors have no imputation)", row, j, v)
				}
				if err := checkFloat32(v, v); err != nil {
					return fmt.Errorf("row %d element %d: %w", row, j, err)
				}
				ff.observed++
				ff.addPre(v)
				ff.rawMin, ff.rawMax = min(ff.rawMin, v), max(ff.rawMax, v)
			}
		}
	}
	return nil
}

// Finish turns the statistics into fitted nn.Inputs, in feature order.
// held are the same batches that were observed; it may be nil unless
// NeedsValues.
func (f *Fitter) Finish(held []arrow.RecordBatch) ([]nn.Input, error) {
	inputs := make([]nn.Input, 0, len(f.features))
	for _, ff := range f.features {
		in, err := ff.finish(held)
		if err != nil {
			return nil, fmt.Errorf("feature %q: %w", ff.Name, err)
		}
		inputs = append(inputs, in)
	}
	return inputs, nil
}

func (ff *featureFit) finish(held []arrow.RecordBatch) (nn.Input, error) {
	in := nn.Input{Name: ff.Name, Kind: ff.Kind, Source: ff.source}
	if ff.observed == 0 {
		return in, fmt.Errorf("all %d values are missing; nothing to fit", ff.missing)
	}
	in.Stats = ff.stats()
	switch ff.Kind {
	case KindVector:
		in.Length = ff.length
		in.Scale = ff.scale()
	case KindNumeric, KindDate: // a date has no clip or log1p, nor constant or most-frequent imputation (resolve)
		in.Clip, in.Log1p = ff.Clip, ff.Log1p
		if ff.Impute != ImputeNone {
			imp := &nn.Impute{Strategy: ff.Impute, Indicator: ff.Indicator}
			switch ff.Impute {
			case ImputeMean:
				imp.Value = ff.raw.mean
			case ImputeConstant:
				imp.Value = ff.FillValue
			case ImputeMedian, ImputeMostFrequent:
				vals, err := ff.values(held)
				if err != nil {
					return in, err
				}
				if ff.Impute == ImputeMedian {
					imp.Value = median(vals)
				} else {
					imp.Value = mostFrequent(vals)
				}
			}
			if _, err := ff.preTransform(imp.Value); err != nil {
				return in, fmt.Errorf("fill value: %w", err)
			}
			in.Impute = imp
		}
		in.Scale = ff.scale()
		if ff.Kind == KindDate {
			in.Cycles = ff.cycles()
		}
	case KindCategorical:
		type kv struct {
			k string
			n int64
		}
		all := make([]kv, 0, len(ff.counts))
		for k, n := range ff.counts {
			all = append(all, kv{k, *n})
		}
		// Most frequent first; ties in string order, so the fit is deterministic.
		slices.SortFunc(all, func(a, b kv) int {
			if c := cmp.Compare(b.n, a.n); c != 0 {
				return c
			}
			return cmp.Compare(a.k, b.k)
		})
		if err := ff.checkIDLike(len(all)); err != nil {
			return in, err
		}
		in.UnknownBucket = ff.UnknownBucket == nil || *ff.UnknownBucket
		if !in.UnknownBucket && len(all) > ff.MaxCategories {
			return in, fmt.Errorf("%d distinct values, more than max categories %d, and no unknown bucket for the others: "+
				"raise max categories or keep the unknown bucket", len(all), ff.MaxCategories)
		}
		keep := all[:min(len(all), ff.MaxCategories)]
		minCount := ff.minCategoryCount()
		for _, e := range keep {
			if in.UnknownBucket && e.n < minCount {
				break // sorted by count: every later one is rarer
			}
			in.Vocabulary = append(in.Vocabulary, e.k)
		}
		if ff.Impute != ImputeNone {
			imp := &nn.Impute{Strategy: ff.Impute, Indicator: ff.Indicator}
			if ff.Impute == ImputeMostFrequent {
				imp.Category = all[0].k
			} else {
				imp.Category = ff.FillCategory
				if !in.UnknownBucket && !slices.Contains(in.Vocabulary, imp.Category) {
					return in, fmt.Errorf("fill category %q is not in the fitted vocabulary and there is no unknown bucket", imp.Category)
				}
			}
			in.Impute = imp
		}
	}
	return in, nil
}

// stats are the raw training statistics kept in the model for the drift
// check: rows and NULLs (a vector's rows are its lists, which are never
// NULL), and the raw min and max of numeric and vector values.
func (ff *featureFit) stats() *nn.Stats {
	st := &nn.Stats{Nulls: ff.missing}
	switch ff.Kind {
	case KindVector:
		st.Rows = ff.observed / int64(ff.length)
	default:
		st.Rows = ff.observed + ff.missing
	}
	if ff.Kind != KindCategorical {
		lo, hi := ff.rawMin, ff.rawMax // a date's in days
		st.Min, st.Max = &lo, &hi
	}
	return st
}

func (ff *featureFit) scale() *nn.Scale {
	switch ff.Scale {
	case ScaleStandard:
		return &nn.Scale{Method: nn.ScaleStandard, Mean: ff.pre.mean, Std: ff.pre.std()}
	case ScaleMinMax:
		return &nn.Scale{Method: nn.ScaleMinMax, Min: ff.min, Max: ff.max}
	}
	return nil
}

// values gathers the observed raw values of a numeric feature from the held
// batches (the second pass).
func (ff *featureFit) values(held []arrow.RecordBatch) ([]float64, error) {
	vals := make([]float64, 0, ff.observed)
	for _, b := range held {
		col, err := batchColumn(b, ff.Name)
		if err != nil {
			return nil, err
		}
		var at func(int) (float64, bool)
		if ff.Kind == KindDate {
			var days func(int) (float64, bool, error)
			days, err = DaysGetter(col)
			at = func(i int) (float64, bool) { v, ok, err := days(i); return v, ok && err == nil }
		} else {
			at, err = NumberGetter(col)
		}
		if err != nil {
			return nil, err
		}
		for i := range col.Len() {
			if v, ok := at(i); ok && !math.IsNaN(v) {
				vals = append(vals, v)
			}
		}
	}
	if int64(len(vals)) != ff.observed {
		return nil, fmt.Errorf("%s imputation needs the training batches again: got %d values, observed %d", ff.Impute, len(vals), ff.observed)
	}
	return vals, nil
}

// median is the exact median (the mean of the two middle values for an even
// count). It sorts vals.
func median(vals []float64) float64 {
	slices.Sort(vals)
	n := len(vals)
	if n%2 == 1 {
		return vals[n/2]
	}
	return (vals[n/2-1] + vals[n/2]) / 2
}

// mostFrequent is the most frequent value, the smallest on ties. It sorts vals.
func mostFrequent(vals []float64) float64 {
	slices.Sort(vals)
	best, bestN := vals[0], 0
	for i := 0; i < len(vals); {
		j := i
		for j < len(vals) && vals[j] == vals[i] {
			j++
		}
		if j-i > bestN {
			best, bestN = vals[i], j-i
		}
		i = j
	}
	return best
}

// minCategoryCount is the fewest rows a category needs to be kept (see
// DefaultMinCategoryCount).
func (ff *featureFit) minCategoryCount() int64 {
	if ff.MinCategoryCount > 0 {
		return int64(ff.MinCategoryCount)
	}
	return max(DefaultMinCategoryCount, int64(math.Ceil(DefaultMinCategoryShare*float64(ff.observed))))
}

// checkIDLike refuses an automatically categorical column whose values are
// nearly all distinct (see IDLikeShare).
func (ff *featureFit) checkIDLike(distinct int) error {
	if !ff.autoKind || ff.observed < IDLikeMinRows || float64(distinct) < IDLikeShare*float64(ff.observed) {
		return nil
	}
	hint := "an id or free text"
	for k := range ff.counts {
		if _, err := nn.ParseDays(k); err == nil {
			hint = "dates or timestamps written as text (cast the column to DATE or TIMESTAMP, or give it kind date, to use it as a date)"
		}
		break
	}
	return fmt.Errorf("text column with %d distinct values in %d non-NULL rows looks like %s, not a category: "+
		"leave it out (--exclude %s, or exclude in a YAML spec), or one-hot encode it anyway "+
		"(--categorical %s, or kind: categorical), its rare values sharing the unknown bucket", distinct, ff.observed, hint, ff.Name, ff.Name)
}

// cycles are the date cycles that vary in the training data: the day of
// the week when the dates fall on at least two weekdays, the month when on
// at least two months, the time of day when the timestamps are not all at
// the same time (a DATE's is always midnight). A cycle that is constant in
// training is a constant feature: it cannot help the fit and is left out.
func (ff *featureFit) cycles() []string {
	var out []string
	if bits.OnesCount8(ff.weekdays) >= 2 {
		out = append(out, nn.CycleWeek)
	}
	if bits.OnesCount16(ff.months) >= 2 {
		out = append(out, nn.CycleYear)
	}
	if ff.dayMax > ff.dayMin {
		out = append(out, nn.CycleDay)
	}
	return out
}
