package tabular

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/nn"
)

// dateCol is a date32 column; "" is NULL.
func dateCol(mem memory.Allocator, name string, days ...string) col {
	b := array.NewDate32Builder(mem)
	defer b.Release()
	for _, d := range days {
		if d == "" {
			b.AppendNull()
			continue
		}
		tm, err := time.Parse("2006-01-02", d)
		if err != nil {
			panic(err)
		}
		b.Append(arrow.Date32(tm.Unix() / 86400))
	}
	return col{Name: name, Arr: b.NewArray()}
}

// tsCol is a timestamp[us] column (zone as given); "" is NULL.
func tsCol(mem memory.Allocator, name, zone string, ts ...string) col {
	b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: zone})
	defer b.Release()
	for _, s := range ts {
		if s == "" {
			b.AppendNull()
			continue
		}
		tm, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			panic(err)
		}
		b.Append(arrow.Timestamp(tm.UnixMicro()))
	}
	return col{Name: name, Arr: b.NewArray()}
}

// refDays is the reference raw value: Go's time package, not nn's parser.
func refDays(t *testing.T, s string) float64 {
	t.Helper()
	for _, l := range []string{"2006-01-02 15:04:05", "2006-01-02"} {
		if tm, err := time.Parse(l, s); err == nil {
			return float64(tm.UnixMicro()) / 86_400_000_000
		}
	}
	t.Fatalf("bad test date %q", s)
	return 0
}

func TestFitDate(t *testing.T) {
	mem := checkedMem(t)
	dates := []string{"2024-01-01", "2024-02-14", "", "2024-03-09", "2023-12-25"}
	in, err := fitBatches(t, []Feature{{Name: "d", FeatureOptions: FeatureOptions{Indicator: true}}},
		mkBatch(dateCol(mem, "d", dates[:3]...)), mkBatch(dateCol(mem, "d", dates[3:]...)))
	if err != nil {
		t.Fatal(err)
	}
	d := in[0]
	var vals []float64
	for _, s := range dates {
		if s != "" {
			vals = append(vals, refDays(t, s))
		}
	}
	mean := (vals[0] + vals[1] + vals[2] + vals[3]) / 4
	var ss float64
	for _, v := range vals {
		ss += (v - mean) * (v - mean)
	}
	std := math.Sqrt(ss / 4)
	if d.Kind != nn.KindDate || d.Source != "DATE" || d.Impute == nil || !near(d.Impute.Value, mean) || !d.Impute.Indicator ||
		d.Scale == nil || !near(d.Scale.Mean, mean) || !near(d.Scale.Std, std) {
		t.Fatalf("fitted %+v impute %+v scale %+v; want mean %v std %v", d, d.Impute, d.Scale, mean, std)
	}
	// Four weekdays and four months vary; a DATE has no time of day.
	if !slices.Equal(d.Cycles, []string{nn.CycleWeek, nn.CycleYear}) {
		t.Errorf("cycles %v", d.Cycles)
	}
	if d.Stats == nil || *d.Stats.Min != refDays(t, "2023-12-25") || *d.Stats.Max != refDays(t, "2024-03-09") || d.Stats.Nulls != 1 {
		t.Errorf("stats %+v", d.Stats)
	}

	// Scoring: the same features from the DATE column, from a timestamp at
	// midnight and from text; Featurizer against nn.Encoder on the reference days.
	enc, err := nn.NewEncoder(in)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, 0, len(dates)*enc.Width())
	for _, s := range dates {
		row := make([]float32, enc.Width())
		v := 0.0
		if s != "" {
			v = refDays(t, s)
		}
		if err := enc.Date(0, v, s != "", row); err != nil {
			t.Fatal(err)
		}
		want = append(want, row...)
	}
	ts := make([]string, len(dates))
	for i, s := range dates {
		if s != "" {
			ts[i] = s + " 00:00:00"
		}
	}
	texts := make([]any, len(dates))
	for i, s := range dates {
		if s != "" {
			texts[i] = s
		}
	}
	for _, c := range []col{dateCol(mem, "d", dates...), tsCol(mem, "d", "", ts...), tsCol(mem, "d", "UTC", ts...), mkStr(mem, "d", texts...)} {
		b := mkBatch(c)
		f, err := NewFeaturizer(in, b.Schema())
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.Encode(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: features %v, want %v", c.Arr.DataType(), got, want)
		}
		b.Release()
	}
}

func TestFitTimestampCycles(t *testing.T) {
	mem := checkedMem(t)
	// One day, three times: only the time of day varies.
	in, err := fitBatches(t, []Feature{{Name: "t"}},
		mkBatch(tsCol(mem, "t", "", "2024-05-03 08:00:00", "2024-05-03 12:30:00", "2024-05-03 23:59:59")))
	if err != nil {
		t.Fatal(err)
	}
	if in[0].Source != "TIMESTAMP" || !slices.Equal(in[0].Cycles, []string{nn.CycleDay}) {
		t.Errorf("source %s cycles %v", in[0].Source, in[0].Cycles)
	}
	// Every Monday at noon over months: month varies, the weekday and the time do not.
	var ts []string
	for d := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC); d.Year() == 2024; d = d.AddDate(0, 0, 7) {
		ts = append(ts, d.Format("2006-01-02 15:04:05"))
	}
	in, err = fitBatches(t, []Feature{{Name: "t"}}, mkBatch(tsCol(mem, "t", "UTC", ts...)))
	if err != nil {
		t.Fatal(err)
	}
	if in[0].Source != "TIMESTAMPTZ" || !slices.Equal(in[0].Cycles, []string{nn.CycleYear}) {
		t.Errorf("weekly: source %s cycles %v", in[0].Source, in[0].Cycles)
	}
}

func TestFitDateFromText(t *testing.T) {
	mem := checkedMem(t)
	in, err := fitBatches(t, []Feature{{Name: "s", FeatureOptions: FeatureOptions{Kind: KindDate, Impute: ImputeMedian}}},
		mkBatch(mkStr(mem, "s", "2024-01-01", nil, "2024-01-03 12:00:00", "2024-01-10")))
	if err != nil {
		t.Fatal(err)
	}
	if in[0].Kind != nn.KindDate || in[0].Source != "VARCHAR" || in[0].Impute.Value != refDays(t, "2024-01-03 12:00:00") {
		t.Errorf("fitted %+v impute %+v", in[0], in[0].Impute)
	}
	_, err = fitBatches(t, []Feature{{Name: "s", FeatureOptions: FeatureOptions{Kind: KindDate}}},
		mkBatch(mkStr(mem, "s", "2024-01-01", "soon")))
	if err == nil || !strings.Contains(err.Error(), "row 1") || !strings.Contains(err.Error(), `"soon"`) {
		t.Errorf("unparsable text: %v", err)
	}
	// Scoring text that does not parse names the row and the value.
	b := mkBatch(mkStr(mem, "s", "2024-02-01", "31/12/2024"))
	defer b.Release()
	f, err := NewFeaturizer(in, b.Schema())
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Encode(b, nil)
	var re *RowError
	if !errors.As(err, &re) || re.Row != 1 || !errors.Is(err, nn.ErrBadDate) || !strings.Contains(err.Error(), "31/12/2024") {
		t.Errorf("bad text at scoring: %v", err)
	}
	// Options that do not apply to dates.
	for _, o := range []FeatureOptions{{Log1p: true}, {Impute: ImputeConstant}, {Clip: &nn.Clip{Min: 0, Max: 1}}} {
		if _, err := fitBatches(t, []Feature{{Name: "d", FeatureOptions: o}}, mkBatch(dateCol(mem, "d", "2024-01-01"))); err == nil {
			t.Errorf("%+v on a date: no error", o)
		}
	}
	if _, err := fitBatches(t, []Feature{{Name: "x", FeatureOptions: FeatureOptions{Kind: KindDate}}}, mkBatch(mkF64(mem, "x", 1))); err == nil ||
		!strings.Contains(err.Error(), "kind date does not fit") {
		t.Errorf("kind date on numbers: %v", err)
	}
}

func TestFitIntegerCategorical(t *testing.T) {
	mem := checkedMem(t)
	codes := []any{3, 7, 3, nil, 1067, 7}
	in, err := fitBatches(t, []Feature{{Name: "store", FeatureOptions: FeatureOptions{Kind: KindCategorical, MinCategoryCount: 1}}},
		mkBatch(mkI64(mem, "store", codes...)))
	if err != nil {
		t.Fatal(err)
	}
	s := in[0]
	if s.Kind != nn.KindCategorical || s.Source != "BIGINT" || !s.IntegerSource() || !slices.Equal(s.Vocabulary, []string{"3", "7", "1067"}) {
		t.Fatalf("fitted %+v", s)
	}
	// Scored from the integers and from text holding the same codes: the same features.
	ints := mkBatch(mkI64(mem, "store", codes...))
	text := mkBatch(mkStr(mem, "store", "3", " 7", "+3", nil, "01067", "7"))
	defer ints.Release()
	defer text.Release()
	var got [][]float32
	for _, b := range []arrow.RecordBatch{ints, text} {
		f, err := NewFeaturizer(in, b.Schema())
		if err != nil {
			t.Fatal(err)
		}
		x, err := f.Encode(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, x)
	}
	if !slices.Equal(got[0], got[1]) {
		t.Errorf("integers %v, text %v", got[0], got[1])
	}
	bad := mkBatch(mkStr(mem, "store", "3", "3b"))
	defer bad.Release()
	f, err := NewFeaturizer(in, bad.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Encode(bad, nil); !errors.Is(err, nn.ErrNotInteger) || !strings.Contains(err.Error(), `row 1`) || !strings.Contains(err.Error(), `"3b"`) {
		t.Errorf("text that is no integer: %v", err)
	}
	// Floats stay refused as categories.
	if _, err := fitBatches(t, []Feature{{Name: "x", FeatureOptions: FeatureOptions{Kind: KindCategorical}}}, mkBatch(mkF64(mem, "x", 1.5))); err == nil {
		t.Error("kind categorical on float64: no error")
	}
}

func TestFitRareCategories(t *testing.T) {
	mem := checkedMem(t)
	var vals []any
	for range 10 {
		vals = append(vals, "a")
	}
	for range 5 {
		vals = append(vals, "b")
	}
	for range 4 {
		vals = append(vals, "c")
	}
	vals = append(vals, "d")
	in, err := fitBatches(t, []Feature{{Name: "s"}}, mkBatch(mkStr(mem, "s", vals...)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in[0].Vocabulary, []string{"a", "b"}) || !in[0].UnknownBucket {
		t.Errorf("default rule: vocabulary %v, want [a b] (c and d seen < 5 times)", in[0].Vocabulary)
	}
	in, err = fitBatches(t, []Feature{{Name: "s", FeatureOptions: FeatureOptions{MinCategoryCount: 1}}}, mkBatch(mkStr(mem, "s", vals...)))
	if err != nil || len(in[0].Vocabulary) != 4 {
		t.Errorf("min count 1: %v %v", in, err)
	}
	// Without an unknown bucket nothing is dropped as rare.
	in, err = fitBatches(t, []Feature{{Name: "s", FeatureOptions: FeatureOptions{UnknownBucket: new(false)}}}, mkBatch(mkStr(mem, "s", vals...)))
	if err != nil || len(in[0].Vocabulary) != 4 {
		t.Errorf("no unknown bucket: %v %v", in, err)
	}
	// ... and a vocabulary cut by max categories is an error.
	_, err = fitBatches(t, []Feature{{Name: "s", FeatureOptions: FeatureOptions{UnknownBucket: new(false), MaxCategories: 2}}}, mkBatch(mkStr(mem, "s", vals...)))
	if err == nil || !strings.Contains(err.Error(), "4 distinct values, more than max categories 2") {
		t.Errorf("max categories without a bucket: %v", err)
	}
	// The share: 0.1% of 20,000 rows is 20.
	vals = vals[:0]
	for i := range 20_000 {
		switch {
		case i < 19 && i%2 == 0:
			vals = append(vals, "rare") // 10 rows
		case i < 19:
			vals = append(vals, "x") // 9 rows
		case i < 19+25:
			vals = append(vals, "kept")
		default:
			vals = append(vals, "common")
		}
	}
	in, err = fitBatches(t, []Feature{{Name: "s"}}, mkBatch(mkStr(mem, "s", vals...)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in[0].Vocabulary, []string{"common", "kept"}) {
		t.Errorf("20,000 rows: vocabulary %v, want [common kept]", in[0].Vocabulary)
	}
}

func TestFitRefusesIDLikeText(t *testing.T) {
	mem := checkedMem(t)
	ids, stamps := make([]any, 40), make([]any, 40)
	for i := range ids {
		ids[i] = fmt.Sprintf("cust-%04d", i)
		stamps[i] = fmt.Sprintf("2024-01-01 10:%02d:00", i)
	}
	ids[3] = ids[4] // 39 distinct
	_, err := fitBatches(t, []Feature{{Name: "customer"}}, mkBatch(mkStr(mem, "customer", ids...)))
	for _, w := range []string{`feature "customer"`, "39 distinct values in 40", "--exclude customer", "--categorical customer"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("id column: error %v, want it to say %q", err, w)
		}
	}
	_, err = fitBatches(t, []Feature{{Name: "at"}}, mkBatch(mkStr(mem, "at", stamps...)))
	if err == nil || !strings.Contains(err.Error(), "dates or timestamps written as text") {
		t.Errorf("timestamps as text: %v", err)
	}
	// Forced categorical: fitted, every value rare, all in the unknown bucket.
	in, err := fitBatches(t, []Feature{{Name: "customer", FeatureOptions: FeatureOptions{Kind: KindCategorical}}}, mkBatch(mkStr(mem, "customer", ids...)))
	if err != nil || len(in[0].Vocabulary) != 0 || !in[0].UnknownBucket {
		t.Errorf("forced: %+v %v", in, err)
	}
	// Half distinct is a category.
	half := make([]any, 40)
	for i := range half {
		half[i] = fmt.Sprint(i % 20)
	}
	if _, err := fitBatches(t, []Feature{{Name: "s"}}, mkBatch(mkStr(mem, "s", half...))); err != nil {
		t.Errorf("20 distinct in 40: %v", err)
	}
}

func TestDriftOfDates(t *testing.T) {
	mem := checkedMem(t)
	in, err := fitBatches(t, []Feature{{Name: "d"}}, mkBatch(dateCol(mem, "d", "2024-01-01", "2024-03-09", "2024-02-01")))
	if err != nil {
		t.Fatal(err)
	}
	b := mkBatch(dateCol(mem, "d", "2023-06-01", "2024-02-02", "", "2025-01-01", "2026-01-01"))
	defer b.Release()
	d, err := NewDriftChecker(in, b.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Observe(b); err != nil {
		t.Fatal(err)
	}
	r := d.Report()[0]
	if r.Nulls != 1 || r.Below != 1 || r.Above != 2 {
		t.Errorf("drift %+v, want 1 NULL, 1 below, 2 above", r)
	}
	var w strings.Builder
	if err := WriteDriftReport(&w, d.Report()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.String(), "[2024-01-01, 2024-03-09]: 3 values") {
		t.Errorf("report: %s", w.String())
	}
}
