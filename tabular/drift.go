package tabular

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dense-ml/dense/nn"
)

// maxTrackedUnseen bounds the distinct unseen categories a DriftChecker
// counts one by one (for the examples), so that its memory stays flat
// however many rows it sees; beyond it, unseen values are only counted.
const maxTrackedUnseen = 1000

// driftExamples is how many unseen categories a report names.
const driftExamples = 3

// InputDrift compares the scored values of one input with its training
// statistics (nn.Stats). Values counts the non-NULL values looked at: rows
// for numeric and categorical inputs, elements for vectors.
type InputDrift struct {
	Name, Kind string
	Stats      *nn.Stats // the training statistics; nil: the model has none
	Rows       int64     // rows scored
	Nulls      int64     // NULL (or NaN) values among them
	Values     int64     // non-NULL values (vector: elements)
	Below      int64     // numeric/vector: values under the training minimum
	Above      int64     // numeric/vector: values over the training maximum
	Unseen     int64     // categorical: values outside the model's vocabulary
	// UnseenExamples are the most frequent unseen categories (at most a
	// few), most frequent first.
	UnseenExamples []string

	unseen map[string]int64
}

// value counts one non-NULL value against the training range [lo, hi].
func (d *InputDrift) value(v, lo, hi float64) {
	d.Values++
	if v < lo {
		d.Below++
	} else if v > hi {
		d.Above++
	}
}

// NullShare is the share of NULL values among the scored rows.
func (d *InputDrift) NullShare() float64 { return share(d.Nulls, d.Rows) }

// OutOfRange is the number of values outside the training [min, max].
func (d *InputDrift) OutOfRange() int64 { return d.Below + d.Above }

func share(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// DriftChecker compares scored data with the training statistics a model
// stores (nn.Input.Stats): per input, the share of NULLs, the values outside
// the training range and the categories outside the vocabulary. Feed it
// every batch with Observe, in one streaming pass: its memory does not grow
// with the rows (at most maxTrackedUnseen distinct unseen categories are
// remembered per input for the examples). Unseen categories are those the
// model maps to its unknown bucket: new values, and training values too rare
// to be kept in the vocabulary.
type DriftChecker struct {
	inputs  []nn.Input
	drift   []InputDrift
	vocab   []map[string]bool
	scratch []float64
}

// NewDriftChecker checks the columns of schema against the model's inputs
// (by name, with the types a Featurizer accepts).
func NewDriftChecker(inputs []nn.Input, schema *arrow.Schema) (*DriftChecker, error) {
	if _, err := NewFeaturizer(inputs, schema); err != nil {
		return nil, err
	}
	d := &DriftChecker{inputs: inputs, drift: make([]InputDrift, len(inputs)), vocab: make([]map[string]bool, len(inputs))}
	for i := range inputs {
		in := &inputs[i]
		d.drift[i] = InputDrift{Name: in.Name, Kind: in.Kind, Stats: in.Stats}
		if in.Kind == nn.KindCategorical {
			d.vocab[i] = make(map[string]bool, len(in.Vocabulary))
			for _, v := range in.Vocabulary {
				d.vocab[i][v] = true
			}
			d.drift[i].unseen = map[string]int64{}
		}
	}
	return d, nil
}

// Observe adds one batch to the counts.
func (d *DriftChecker) Observe(b arrow.RecordBatch) error {
	for i := range d.inputs {
		in, dr := &d.inputs[i], &d.drift[i]
		col, err := batchColumn(b, in.Name)
		if err != nil {
			return fmt.Errorf("tabular: drift: %w", err)
		}
		n := col.Len()
		dr.Rows += int64(n)
		lo, hi := math.Inf(-1), math.Inf(1)
		if st := in.Stats; st != nil && st.Min != nil {
			lo, hi = *st.Min, *st.Max
		}
		switch in.Kind {
		case nn.KindNumeric:
			at, err := NumberGetter(col)
			if err != nil {
				return fmt.Errorf("tabular: drift: input %q: %w", in.Name, err)
			}
			for j := range n {
				v, ok := at(j)
				if !ok || math.IsNaN(v) {
					dr.Nulls++
					continue
				}
				dr.value(v, lo, hi)
			}
		case nn.KindDate:
			at, err := DaysGetter(col)
			if err != nil {
				return fmt.Errorf("tabular: drift: input %q: %w", in.Name, err)
			}
			for j := range n {
				v, ok, err := at(j)
				if err != nil {
					return fmt.Errorf("tabular: drift: input %q row %d: %w", in.Name, j, err)
				}
				if !ok || math.IsNaN(v) {
					dr.Nulls++
					continue
				}
				dr.value(v, lo, hi)
			}
		case nn.KindVector:
			at, err := listAt(col)
			if err != nil {
				return fmt.Errorf("tabular: drift: input %q: %w", in.Name, err)
			}
			for j := range n {
				var ok bool
				d.scratch, ok = at(j, d.scratch[:0])
				if !ok {
					dr.Nulls++
					continue
				}
				for _, v := range d.scratch {
					dr.value(v, lo, hi)
				}
			}
		case nn.KindCategorical:
			at, err := CategoryGetter(col)
			if err != nil {
				return fmt.Errorf("tabular: drift: input %q: %w", in.Name, err)
			}
			for j := range n {
				s, ok := at(j)
				if !ok {
					dr.Nulls++
					continue
				}
				dr.Values++
				if d.vocab[i][s] {
					continue
				}
				dr.Unseen++
				if _, ok := dr.unseen[s]; ok {
					dr.unseen[s]++
				} else if len(dr.unseen) < maxTrackedUnseen {
					dr.unseen[strings.Clone(s)] = 1 // s may be a view of the batch
				}
			}
		}
	}
	return nil
}

// Report returns the counts so far, one InputDrift per model input in the
// model's order.
func (d *DriftChecker) Report() []InputDrift {
	out := make([]InputDrift, len(d.drift))
	for i, dr := range d.drift {
		type kv struct {
			k string
			n int64
		}
		var all []kv
		for k, n := range dr.unseen {
			all = append(all, kv{k, n})
		}
		slices.SortFunc(all, func(a, b kv) int {
			if c := cmp.Compare(b.n, a.n); c != 0 {
				return c
			}
			return cmp.Compare(a.k, b.k)
		})
		dr.UnseenExamples = nil
		for _, e := range all[:min(len(all), driftExamples)] {
			dr.UnseenExamples = append(dr.UnseenExamples, e.k)
		}
		dr.unseen = nil
		out[i] = dr
	}
	return out
}

// WriteDriftReport prints a short report, one line per input: the NULL
// share against training's, the values outside the training range, the
// unseen categories with a few examples. A model trained before inputs kept
// their statistics gets one line saying so.
func WriteDriftReport(w io.Writer, report []InputDrift) error {
	var b strings.Builder
	b.WriteString("Drift against the training data:\n")
	if len(report) > 0 && !slices.ContainsFunc(report, func(d InputDrift) bool { return d.Stats != nil }) {
		b.WriteString("  no training statistics in this model (trained before dense kept them, in nn.Input.Stats); retrain it to get a drift check\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	width := 0
	for _, d := range report {
		width = max(width, len(d.Name))
	}
	pct := func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }
	for _, d := range report {
		fmt.Fprintf(&b, "  %-*s  ", width, d.Name)
		if d.Stats == nil {
			b.WriteString("no training statistics\n")
			continue
		}
		fmt.Fprintf(&b, "NULL %s (training %s)", pct(d.NullShare()), pct(d.Stats.NullShare()))
		switch d.Kind {
		case nn.KindNumeric, nn.KindVector, nn.KindDate:
			if d.Stats.Min != nil {
				what := "values"
				if d.Kind == nn.KindVector {
					what = "elements"
				}
				lo, hi := fmt.Sprintf("%g", *d.Stats.Min), fmt.Sprintf("%g", *d.Stats.Max)
				if d.Kind == nn.KindDate {
					lo, hi = formatDays(*d.Stats.Min), formatDays(*d.Stats.Max)
				}
				fmt.Fprintf(&b, "; outside training range [%s, %s]: %d %s (%s; %d below, %d above)",
					lo, hi, d.OutOfRange(), what, pct(share(d.OutOfRange(), d.Values)), d.Below, d.Above)
			}
		case nn.KindCategorical:
			fmt.Fprintf(&b, "; unseen categories: %d (%s)", d.Unseen, pct(share(d.Unseen, d.Values)))
			if len(d.UnseenExamples) > 0 {
				q := make([]string, len(d.UnseenExamples))
				for i, e := range d.UnseenExamples {
					q[i] = fmt.Sprintf("%q", e)
				}
				fmt.Fprintf(&b, ", e.g. %s", strings.Join(q, ", "))
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// formatDays writes a date input's raw value (days since 1970-01-01 UTC) as
// a date, with the time when it has one.
func formatDays(days float64) string {
	t := time.UnixMicro(int64(math.Round(days * 86_400_000_000))).UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05")
}
