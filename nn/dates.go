package nn

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// KindDate is a DATE or TIMESTAMP input. Its raw value is the time since
// 1970-01-01 00:00 UTC in days (fractional for a timestamp): DaysFromDate,
// DaysFromTimestamp and ParseDays compute it, one formula for every caller.
//
// It encodes to, in order:
//   - the days, imputed (Impute.Value, in days) and scaled like a numeric
//     value (standardised by default: the fitted mean and std in days);
//   - a sin/cos pair per entry of Cycles, computed from the imputed days:
//     CycleWeek, the day of the week (with the time of day for a timestamp:
//     Monday 00:00 is angle 0, a week is 2π); CycleYear, the month (January
//     is angle 0, a month 2π/12); CycleDay, the time of day (midnight is 0);
//   - the missing indicator when Impute.Indicator is set.
//
// Cycles are computed in UTC: a TIMESTAMPTZ is an instant, and its weekday
// and month are those of UTC.
const KindDate = "date"

// The cycles a date input can encode.
const (
	CycleWeek = "day_of_week"
	CycleYear = "month"
	CycleDay  = "time_of_day"
)

// Cycles lists the cycle names a date input accepts.
func Cycles() []string { return []string{CycleWeek, CycleYear, CycleDay} }

// ErrBadDate is a text value that does not parse as a date or timestamp.
var ErrBadDate = errors.New("not a date or timestamp (want YYYY-MM-DD, YYYY-MM-DD HH:MM:SS[.ffffff], optionally with T and a zone such as Z or +02:00)")

// DuckDB's infinite DATE and TIMESTAMP values, which become ±Inf (refused
// with ErrNotFinite when encoded).
const (
	dateInfinity      = math.MaxInt32
	timestampInfinity = math.MaxInt64
)

const microsPerDay = 86_400_000_000

// DaysFromDate is the raw value of a DATE: days since 1970-01-01 (DuckDB's
// and Arrow date32's storage). DuckDB's 'infinity' and '-infinity' become
// ±Inf.
func DaysFromDate(d int32) float64 {
	switch d {
	case dateInfinity:
		return math.Inf(1)
	case -dateInfinity:
		return math.Inf(-1)
	}
	return float64(d)
}

// DaysFromTimestamp is the raw value of a timestamp of v units since
// 1970-01-01 00:00 UTC, unitsPerSecond being 1, 1e3, 1e6 or 1e9 (TIMESTAMP_S,
// _MS, TIMESTAMP and TIMESTAMPTZ, _NS). Every unit is brought to whole
// microseconds first (nanoseconds are floored), so the same instant gives
// the same bits whatever its type; a midnight gives exactly the DATE's days.
// DuckDB's 'infinity' and '-infinity' become ±Inf. It panics on another
// unit (a programmer error).
func DaysFromTimestamp(v int64, unitsPerSecond int64) float64 {
	switch v {
	case timestampInfinity:
		return math.Inf(1)
	case -timestampInfinity:
		return math.Inf(-1)
	}
	var us int64
	switch unitsPerSecond {
	case 1:
		us = v * 1_000_000
		if us/1_000_000 != v {
			return math.Inf(int(v>>63) | 1)
		}
	case 1_000:
		us = v * 1_000
		if us/1_000 != v {
			return math.Inf(int(v>>63) | 1)
		}
	case 1_000_000:
		us = v
	case 1_000_000_000:
		us = v / 1_000
		if v%1_000 < 0 {
			us--
		}
	default:
		panic(fmt.Sprintf("nn: DaysFromTimestamp: unit %d per second", unitsPerSecond))
	}
	return float64(us) / microsPerDay
}

var dateLayouts = []string{
	"2006-01-02",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02 15:04:05Z07",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
}

// ParseDays parses a date or timestamp written as text, ISO 8601 style:
// 2024-01-05, 2024-01-05 10:30:00, with fractional seconds, a T instead of
// the space, and a zone (Z, +02:00, +0200, +02), and returns its raw value
// (DaysFromTimestamp of its microseconds; a zone converts to UTC). Leading
// and trailing spaces are ignored. Anything else is ErrBadDate.
func ParseDays(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if us, ok := parseISOMicros(s); ok {
		return DaysFromTimestamp(us, 1_000_000), nil
	}
	return parseDaysLayouts(s)
}

// parseDaysLayouts is ParseDays through time.Parse and dateLayouts.
func parseDaysLayouts(s string) (float64, error) {
	if len(s) >= 10 && s[4] == '-' {
		for _, layout := range dateLayouts {
			t, err := time.Parse(layout, s)
			if err != nil {
				continue
			}
			return DaysFromTimestamp(t.Unix()*1_000_000+int64(t.Nanosecond()/1_000), 1_000_000), nil
		}
	}
	return 0, ErrBadDate
}

// parseISOMicros is ParseDays's fast path for the spellings DuckDB and most
// files write, YYYY-MM-DD and YYYY-MM-DD[ T]HH:MM:SS[.f…] (1 to 9 digits,
// truncated to the microsecond) without a zone: the microseconds since the
// epoch, as time.Parse computes them through dateLayouts (which tries up to
// five layouts, allocating an error for each miss: ~10× slower). Anything
// else, and any field out of range, is left to the layouts (ok false), so
// the errors and the rarer forms stay time.Parse's. TestParseISOMatchesLayouts
// checks that both give the same.
func parseISOMicros(s string) (int64, bool) {
	if len(s) != 10 && (len(s) < 19 || len(s) == 20 || len(s) > 29) {
		return 0, false
	}
	num := func(i, n int) int64 {
		v := int64(0)
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int64(c-'0')
		}
		return v
	}
	y, m, d := num(0, 4), num(5, 2), num(8, 2)
	if s[4] != '-' || s[7] != '-' || y < 0 || m < 1 || m > 12 || d < 1 || d > int64(daysIn(int(m), y)) {
		return 0, false
	}
	us := daysFromCivil(y, int(m), int(d)) * microsPerDay
	if len(s) == 10 {
		return us, true
	}
	h, mi, sec := num(11, 2), num(14, 2), num(17, 2)
	if (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' ||
		h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return 0, false
	}
	us += ((h*60+mi)*60 + sec) * 1_000_000
	if len(s) > 19 {
		if s[19] != '.' {
			return 0, false
		}
		digits := len(s) - 20
		f := num(20, digits)
		if f < 0 {
			return 0, false
		}
		for range 6 - digits { // to microseconds: scale up, or truncate the nanoseconds
			f *= 10
		}
		for range digits - 6 {
			f /= 10
		}
		us += f
	}
	return us, true
}

// daysIn is the number of days of month m (1–12) of year y (proleptic
// Gregorian).
func daysIn(m int, y int64) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the days since 1970-01-01 of a proleptic Gregorian date
// (Howard Hinnant's days_from_civil; civil's inverse).
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := int64(m+9) % 12 // March is 0
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// cycleSinCos is the sin/cos pair of a cycle for a finite raw value in
// days, as float32 features: float32(math.Sin(a)), float32(math.Cos(a)) of
// a = cycleAngle(cycle, days), bit for bit, but without math.Mod, with the
// whole steps (a DATE's weekday, any month, a midnight) looked up in tables,
// and otherwise with math.Sincos (one argument reduction instead of two; the
// same polynomials as math.Sin and math.Cos where those have no assembly,
// as on amd64 and arm64): math.Mod and the trigonometry were most of a date
// input's encoding time. TestCycleSinCosMatchesCycleAngle checks the bits.
func cycleSinCos(cycle string, days float64) (float32, float32) {
	switch cycle {
	case CycleWeek:
		w := weekPosition(days)
		if k := int(w); float64(k) == w && k >= 0 && k < 7 {
			if math.Signbit(w) { // −0: sin(−0) is −0
				return float32(math.Copysign(0, -1)), 1
			}
			return cycleTables.week[k][0], cycleTables.week[k][1]
		}
		sin, cos := math.Sincos(2 * math.Pi * w / 7)
		return float32(sin), float32(cos)
	case CycleYear:
		_, m, _ := civil(int64(math.Floor(days)))
		return cycleTables.month[m-1][0], cycleTables.month[m-1][1]
	case CycleDay:
		f := days - math.Floor(days)
		if f == 0 {
			return 0, 1
		}
		sin, cos := math.Sincos(2 * math.Pi * f)
		return float32(sin), float32(cos)
	}
	return 0, 1
}

// cycleTables holds the week's and the months' sin/cos pairs, computed with
// cycleAngle's expressions.
var cycleTables = newCycleTables()

type sinCosTables struct {
	week  [7][2]float32  // by whole days since a Monday
	month [12][2]float32 // by month − 1
}

func newCycleTables() *sinCosTables {
	t := new(sinCosTables)
	for k := range t.week {
		w := float64(k)
		a := 2 * math.Pi * w / 7
		t.week[k] = [2]float32{float32(math.Sin(a)), float32(math.Cos(a))}
	}
	for m := range t.month {
		a := 2 * math.Pi * float64(m) / 12
		t.month[m] = [2]float32{float32(math.Sin(a)), float32(math.Cos(a))}
	}
	return t
}

// weekPosition is cycleAngle's math.Mod(days-4, 7), plus 7 when negative:
// the days since a Monday 00:00. x − 7·⌊x/7⌋ is computed exactly when
// ⌊x/7⌋ is right (Sterbenz's lemma; for −7 ≤ x < 0 it is x + 7 rounded
// once, as cycleAngle's sum), and x/7 can only round up to the next
// integer, giving a small negative remainder (exact) to which 7 is added,
// again one rounding of the same exact sum. A negative multiple of 7 gives
// −0, as math.Mod does.
func weekPosition(days float64) float64 {
	x := days - 4
	r := x - 7*math.Floor(x/7)
	if r < 0 {
		r += 7
	}
	if r == 0 && x < 0 {
		r = math.Copysign(0, -1)
	}
	return r
}

// cycleAngle is the angle of a cycle for a finite raw value in days: the
// definition that cycleSinCos computes faster.
func cycleAngle(cycle string, days float64) float64 {
	whole := math.Floor(days)
	switch cycle {
	case CycleWeek:
		w := math.Mod(days-4, 7) // 1970-01-01 was a Thursday, 1970-01-05 a Monday
		if w < 0 {
			w += 7
		}
		return 2 * math.Pi * w / 7
	case CycleYear:
		_, m, _ := civil(int64(whole))
		return 2 * math.Pi * float64(m-1) / 12
	case CycleDay:
		return 2 * math.Pi * (days - whole)
	}
	return 0
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's civil_from_days).
func civil(z int64) (year int64, month, day int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, int(m), int(d)
}

// WeekdayMonth returns the day of the week (0 = Monday) and the month
// (1–12) of a finite raw date value, in UTC: what the fit uses to decide
// which cycles vary in the training data.
func WeekdayMonth(days float64) (weekday, month int) {
	whole := int64(math.Floor(days))
	w := (whole - 4) % 7
	if w < 0 {
		w += 7
	}
	_, m, _ := civil(whole)
	return int(w), m
}

func validateCycles(cycles []string) error {
	for i, c := range cycles {
		if !slices.Contains(Cycles(), c) {
			return fmt.Errorf("unknown cycle %q (want %s)", c, strings.Join(Cycles(), ", "))
		}
		if slices.Contains(cycles[:i], c) {
			return fmt.Errorf("cycle %q appears twice", c)
		}
	}
	return nil
}

// Date encodes a date input's raw value (days since 1970-01-01, see
// KindDate) into row. valid=false means NULL; NaN is missing too.
func (e *Encoder) Date(i int, days float64, valid bool, row []float32) error {
	in := &e.inputs[i]
	dst := row[e.offsets[i] : e.offsets[i]+in.Width()]
	missing := !valid || math.IsNaN(days)
	if missing {
		if in.Impute == nil {
			return inputErr(in, ErrMissing)
		}
		days = in.Impute.Value
	}
	if math.IsInf(days, 0) {
		return inputErr(in, ErrNotFinite)
	}
	t, err := in.transform(days)
	if err != nil {
		return err
	}
	f, ok := toFloat32(t)
	if !ok {
		return inputErr(in, rangeErr(days, t))
	}
	dst[0] = f
	for j, c := range in.Cycles {
		dst[1+2*j], dst[2+2*j] = cycleSinCos(c, days)
	}
	if in.Impute != nil && in.Impute.Indicator {
		dst[len(dst)-1] = 0
		if missing {
			dst[len(dst)-1] = 1
		}
	}
	return nil
}
