package nn

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseDays(t *testing.T) {
	ref := func(s string) float64 { // Go's time package as the reference
		t.Helper()
		for _, l := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02"} {
			if tm, err := time.Parse(l, s); err == nil {
				return float64(tm.UnixMicro()) / 86_400_000_000
			}
		}
		t.Fatalf("reference cannot parse %q", s)
		return 0
	}
	for _, c := range []struct{ in, same string }{
		{"2024-01-05", "2024-01-05"},
		{" 2024-01-05 ", "2024-01-05"},
		{"2024-01-05 10:30:00", "2024-01-05 10:30:00"},
		{"2024-01-05T10:30:00", "2024-01-05 10:30:00"},
		{"2024-01-05 10:30", "2024-01-05 10:30:00"},
		{"2024-01-05 10:30:00.25", "2024-01-05 10:30:00.25"},
		{"2024-01-05T10:30:00Z", "2024-01-05 10:30:00"},
		{"2024-01-05T12:30:00+02:00", "2024-01-05 10:30:00"},
		{"2024-01-05 12:30:00+0200", "2024-01-05 10:30:00"},
		{"1969-12-31 23:59:59.999999", "1969-12-31 23:59:59.999999"},
	} {
		got, err := ParseDays(c.in)
		if err != nil {
			t.Fatalf("ParseDays(%q): %v", c.in, err)
		}
		if want := ref(c.same); got != want {
			t.Errorf("ParseDays(%q) = %v, want %v", c.in, got, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2024-13-01", "2024-02-30", "05/01/2024", "2024-01-05 25:00:00", "20240105"} {
		if _, err := ParseDays(bad); !errors.Is(err, ErrBadDate) {
			t.Errorf("ParseDays(%q) = %v, want ErrBadDate", bad, err)
		}
	}
}

func TestDaysFromTimestampUnits(t *testing.T) {
	// One instant in every unit gives the same bits, and a midnight the DATE's days.
	us := int64(1704450600_123456) // 2024-01-05 10:30:00.123456 UTC
	want := DaysFromTimestamp(us, 1e6)
	if got := DaysFromTimestamp(us*1000+789, 1e9); got != want {
		t.Errorf("ns: %v, want %v", got, want)
	}
	sec := us / 1e6
	if DaysFromTimestamp(sec, 1) != DaysFromTimestamp(sec*1000, 1e3) || DaysFromTimestamp(sec, 1) != DaysFromTimestamp(sec*1e6, 1e6) {
		t.Error("s, ms and µs of one instant differ")
	}
	if got := DaysFromTimestamp(19727*86400, 1); got != DaysFromDate(19727) || got != 19727 {
		t.Errorf("midnight = %v, want 19727", got)
	}
	// Before 1970, nanoseconds floor to the microsecond below.
	if got, want := DaysFromTimestamp(-1, 1e9), DaysFromTimestamp(-1, 1e6); got != want {
		t.Errorf("-1 ns = %v, want %v (-1 µs)", got, want)
	}
	if !math.IsInf(DaysFromDate(math.MaxInt32), 1) || !math.IsInf(DaysFromDate(-math.MaxInt32), -1) ||
		!math.IsInf(DaysFromTimestamp(math.MaxInt64, 1e6), 1) || !math.IsInf(DaysFromTimestamp(math.MinInt64/2, 1), -1) {
		t.Error("DuckDB's infinities (and an overflowing unit) must be ±Inf")
	}
}

func TestWeekdayMonthMatchesTime(t *testing.T) {
	for d := int64(-800_000); d < 800_000; d += 997 {
		tm := time.Unix(d*86400, 0).UTC()
		w, m := WeekdayMonth(float64(d) + 0.75)
		if want := (int(tm.Weekday()) + 6) % 7; w != want || m != int(tm.Month()) {
			t.Fatalf("day %d (%s): weekday %d month %d, want %d %d", d, tm.Format("2006-01-02"), w, m, want, tm.Month())
		}
	}
}

func TestEncoderDate(t *testing.T) {
	in := Input{Name: "when", Kind: KindDate, Cycles: []string{CycleWeek, CycleYear, CycleDay},
		Impute: &Impute{Strategy: ImputeMean, Value: 19000, Indicator: true},
		Scale:  &Scale{Method: ScaleStandard, Mean: 19500, Std: 100}}
	enc, err := NewEncoder([]Input{NumericInput("x"), in})
	if err != nil {
		t.Fatal(err)
	}
	if enc.Width() != 1+1+6+1 || enc.Passthrough(1) {
		t.Fatalf("width %d passthrough %v", enc.Width(), enc.Passthrough(1))
	}
	row := make([]float32, enc.Width())
	// 2024-03-06 18:00 UTC: a Wednesday (2 days after Monday), March, 3/4 of the day.
	days, err := ParseDays("2024-03-06 18:00:00")
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Date(1, days, true, row); err != nil {
		t.Fatal(err)
	}
	week := 2 * math.Pi * (2 + 0.75) / 7
	year := 2 * math.Pi * 2 / 12
	day := 2 * math.Pi * 0.75
	want := []float32{0, float32((days - 19500) / 100),
		float32(math.Sin(week)), float32(math.Cos(week)), float32(math.Sin(year)), float32(math.Cos(year)),
		float32(math.Sin(day)), float32(math.Cos(day)), 0}
	for j := range want {
		if math.Abs(float64(row[j]-want[j])) > 1e-6 {
			t.Fatalf("feature %d = %v, want %v (row %v)", j, row[j], want[j], row)
		}
	}
	// NULL: the imputed day's features and the indicator.
	if err := enc.Date(1, 0, false, row); err != nil {
		t.Fatal(err)
	}
	w2, m2 := WeekdayMonth(19000)
	if row[1] != -5 || row[8] != 1 || math.Abs(float64(row[2])-math.Sin(2*math.Pi*float64(w2)/7)) > 1e-6 ||
		math.Abs(float64(row[5])-math.Cos(2*math.Pi*float64(m2-1)/12)) > 1e-6 {
		t.Errorf("imputed row %v", row)
	}
	plain, _ := NewEncoder([]Input{{Name: "d", Kind: KindDate}})
	if err := plain.Date(0, math.NaN(), true, row); !errors.Is(err, ErrMissing) {
		t.Errorf("NaN without imputation: %v", err)
	}
	if err := plain.Date(0, math.Inf(1), true, row); !errors.Is(err, ErrNotFinite) {
		t.Errorf("+Inf: %v", err)
	}
}

func TestDateInputValidation(t *testing.T) {
	for _, c := range []struct {
		in   Input
		want string
	}{
		{Input{Name: "d", Kind: KindDate, Cycles: []string{"hour"}}, "unknown cycle"},
		{Input{Name: "d", Kind: KindDate, Cycles: []string{CycleWeek, CycleWeek}}, "twice"},
		{Input{Name: "d", Kind: KindDate, Log1p: true}, "no clip or log1p"},
		{Input{Name: "x", Kind: KindNumeric, Cycles: []string{CycleWeek}}, "only a date input"},
	} {
		if _, err := NewEncoder([]Input{c.in}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.in, err, c.want)
		}
	}
}

func TestIntegerCode(t *testing.T) {
	for in, want := range map[string]string{"1067": "1067", "01067": "1067", " +7 ": "7", "-3": "-3", "18446744073709551615": "18446744073709551615"} {
		if got, err := IntegerCode(in); err != nil || got != want {
			t.Errorf("IntegerCode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1.5", "abc", "1e3", "0x10"} {
		if _, err := IntegerCode(bad); !errors.Is(err, ErrNotInteger) {
			t.Errorf("IntegerCode(%q): %v, want ErrNotInteger", bad, err)
		}
	}
}

func TestDateInputSpecRoundTrip(t *testing.T) {
	lo, hi := 18000.0, 19000.5
	spec := Spec{Format: FormatName, Version: FormatVersion, Inputs: []Input{{Name: "d", Kind: KindDate, Source: "TIMESTAMP", Cycles: []string{CycleYear},
		Scale: &Scale{Method: ScaleStandard, Mean: 18500, Std: 200}, Stats: &Stats{Rows: 3, Min: &lo, Max: &hi}}},
		Layers: []LayerSpec{Dense(1, Linear)}, Task: TaskRegression}
	m, err := NewModel(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	back, err := Read(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	in := back.Spec().Inputs[0]
	if in.Kind != KindDate || in.Source != "TIMESTAMP" || len(in.Cycles) != 1 || in.Cycles[0] != CycleYear || back.InputWidth() != 3 {
		t.Errorf("read back %+v, width %d", in, back.InputWidth())
	}
}

// A Scorer leaves a date input's scaling in the encoding (its cycles need
// the raw days) and predicts what the model does.
func TestScorerKeepsDateInputs(t *testing.T) {
	spec := Spec{Format: FormatName, Version: FormatVersion, Task: TaskRegression,
		Inputs: []Input{{Name: "x", Kind: KindNumeric, Scale: &Scale{Method: ScaleStandard, Mean: 1, Std: 2}},
			{Name: "d", Kind: KindDate, Cycles: []string{CycleWeek, CycleDay}, Scale: &Scale{Method: ScaleStandard, Mean: 19723, Std: 300}}},
		Layers: []LayerSpec{Dense(3, ReLU), Dense(1, Linear)}}
	m, err := NewModel(spec, 7)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewScorer(m)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Folded(0) || s.Folded(1) {
		t.Fatalf("folded: x %v, d %v; want x only", s.Folded(0), s.Folded(1))
	}
	for _, days := range []float64{19000.25, 19723, 20111.9} {
		x1, x2 := make([]float32, m.InputWidth()), make([]float32, m.InputWidth())
		me, _ := NewEncoder(m.Spec().Inputs)
		for _, e := range []struct {
			enc *Encoder
			row []float32
		}{{me, x1}, {s.Encoder(), x2}} {
			if err := e.enc.Number(0, 3, true, e.row); err != nil {
				t.Fatal(err)
			}
			if err := e.enc.Date(1, days, true, e.row); err != nil {
				t.Fatal(err)
			}
		}
		want, got := make([]float32, 1), make([]float32, 1)
		if err := m.PredictInto(want, x1, 1, m.NewWorkspace()); err != nil {
			t.Fatal(err)
		}
		if err := s.PredictInto(got, x2, 1, s.NewWorkspace()); err != nil {
			t.Fatal(err)
		}
		if math.Abs(float64(got[0]-want[0])) > 1e-5*max(1, math.Abs(float64(want[0]))) {
			t.Errorf("days %v: scorer %v, model %v", days, got[0], want[0])
		}
	}
}

// TestCycleSinCosMatchesCycleAngle: the fast cycles give exactly the bits of
// the definition (float32 of math.Sin and math.Cos of cycleAngle), so
// models trained before the fast path encode as before: whole days (a
// DATE), timestamps to the microsecond and to the nanosecond, far and
// pre-epoch values, negative multiples of 7 (−0) and values just beside
// whole weeks and days.
func TestCycleSinCosMatchesCycleAngle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var values []float64
	for d := -3000.0; d <= 3000; d++ {
		values = append(values, d, d+0.5, math.Nextafter(d, math.Inf(1)), math.Nextafter(d, math.Inf(-1)))
	}
	for _, d := range []float64{4, -3, -10, 4 - 7e6, 1e-300, -1e-300, 2932896, -719528, 1e15, -1e15} {
		values = append(values, d, math.Nextafter(d, 0), math.Nextafter(d, math.Inf(1)))
	}
	for range 200_000 {
		us := rng.Int64N(2*400*365*microsPerDay) - 400*365*microsPerDay
		values = append(values, DaysFromTimestamp(us, 1_000_000), DaysFromTimestamp(us*1000+rng.Int64N(1000), 1_000_000_000),
			DaysFromTimestamp(us/1_000_000, 1), float64(rng.Int32()))
	}
	for _, d := range values {
		for _, c := range Cycles() {
			a := cycleAngle(c, d)
			ws, wc := float32(math.Sin(a)), float32(math.Cos(a))
			gs, gc := cycleSinCos(c, d)
			if math.Float32bits(gs) != math.Float32bits(ws) || math.Float32bits(gc) != math.Float32bits(wc) {
				t.Fatalf("%s of %v (%x): got (%v, %v), want (%v, %v)", c, d, math.Float64bits(d), gs, gc, ws, wc)
			}
		}
	}
}

// TestParseISOMatchesLayouts: ParseDays's fast path gives what time.Parse
// gives through the layouts for every string it accepts, and leaves to them
// every string it does not (out-of-range fields, other spellings).
func TestParseISOMatchesLayouts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	fields := func() string {
		y, m, d := rng.IntN(10000), rng.IntN(14), rng.IntN(33)
		h, mi, s := rng.IntN(26), rng.IntN(62), rng.IntN(62)
		sep := []string{" ", "T", "t", "_"}[rng.IntN(4)]
		str := fmt.Sprintf("%04d-%02d-%02d", y, m, d)
		switch rng.IntN(4) {
		case 0:
			return str
		case 1:
			return str + sep + fmt.Sprintf("%02d:%02d:%02d", h, mi, s)
		}
		frac := fmt.Sprintf("%012d", rng.Int64N(1e12))[:rng.IntN(12)+1]
		return str + sep + fmt.Sprintf("%02d:%02d:%02d.%s", h, mi, s, frac)
	}
	accepted := 0
	check := func(s string) {
		t.Helper()
		fast, ok := parseISOMicros(s)
		want, err := parseDaysLayouts(s)
		if !ok {
			return
		}
		accepted++
		if err != nil {
			t.Fatalf("%q: the fast path reads %d µs, the layouts refuse it: %v", s, fast, err)
		}
		if got := DaysFromTimestamp(fast, 1_000_000); got != want {
			t.Fatalf("%q: the fast path reads %v days, the layouts %v", s, got, want)
		}
	}
	for range 300_000 {
		check(fields())
	}
	for _, s := range []string{"0000-01-01", "0000-02-29", "1900-02-29", "2000-02-29", "2100-02-28", "9999-12-31 23:59:59.999999999",
		"1969-12-31 23:59:59.9999999", "1970-01-01T00:00:00.000001", "2024-01-05 10:30:00.", "2024-01-05 10:30:00,5", "2024-1-05",
		"2024-01-05 1:30:00", "+024-01-05", "2024-01-05 10:30:00Z", "2024-01-05 10:30"} {
		check(s)
	}
	if accepted < 50_000 {
		t.Errorf("the fast path took only %d strings", accepted)
	}
	for _, s := range []string{"2024-02-30", "2023-02-29", "2024-01-05 24:00:00", "2024-01-05 10:60:00", "2024-01-05 10:30:60"} {
		if _, err := ParseDays(s); !errors.Is(err, ErrBadDate) {
			t.Errorf("ParseDays(%q) = %v, want ErrBadDate", s, err)
		}
	}
}

func BenchmarkParseDays(b *testing.B) {
	for _, s := range []string{"2024-01-05", "2024-01-05 10:30:00", "2024-01-05T10:30:00.123456", "2024-01-05T10:30:00+02:00"} {
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				if _, err := ParseDays(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
