package udf

import (
	"fmt"
	"math"
	"time"
	"unsafe"

	"github.com/dense-ml/dense/nn"
)

// Date inputs (nn.KindDate) and categorical inputs fitted from integer
// codes, read from DuckDB vectors. The arithmetic is nn's (DaysFromDate,
// DaysFromTimestamp, ParseDays, IntegerCode), the same as dense score's
// (package tabular), so SQL and Go give the same features.

// DuckDB's timestamp types with another unit than the microsecond
// (duckdb.h's DUCKDB_TYPE_TIMESTAMP_S, _MS, _NS).
const (
	typeTimestampS  typeID = 20
	typeTimestampMS typeID = 21
	typeTimestampNS typeID = 22
)

// dateType reports whether t is a DATE or one of the TIMESTAMP types.
func (t *colType) dateType() bool {
	switch t.id {
	case typeDate, typeTimestamp, typeTimestampTZ, typeTimestampS, typeTimestampMS, typeTimestampNS:
		return true
	}
	return false
}

// days returns DATE, TIMESTAMP or VARCHAR row i as a date input's raw value
// (days since 1970-01-01 UTC), ignoring validity; text that does not parse
// is an error quoting it.
func (x *vec) days(i int) (float64, error) {
	switch x.typ.id {
	case typeDate:
		return nn.DaysFromDate(*(*int32)(unsafe.Add(x.data, i*4))), nil
	case typeTimestamp, typeTimestampTZ:
		return nn.DaysFromTimestamp(*(*int64)(unsafe.Add(x.data, i*8)), 1_000_000), nil
	case typeTimestampS:
		return nn.DaysFromTimestamp(*(*int64)(unsafe.Add(x.data, i*8)), 1), nil
	case typeTimestampMS:
		return nn.DaysFromTimestamp(*(*int64)(unsafe.Add(x.data, i*8)), 1_000), nil
	case typeTimestampNS:
		return nn.DaysFromTimestamp(*(*int64)(unsafe.Add(x.data, i*8)), 1_000_000_000), nil
	}
	s := x.category(i) // VARCHAR (checked at bind)
	d, err := nn.ParseDays(s)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	return d, nil
}

// acceptsDate says which SQL types feed a date input.
const acceptsDate = "DATE, TIMESTAMP (any precision, or WITH TIME ZONE) or VARCHAR holding one, e.g. '2024-01-05 10:30:00'"

// checkDateType is checkType's case for a date input.
func checkDateType(t *colType) bool {
	return t.dateType() || t.id == typeVarchar || t.id == typeSQLNull
}

// encodeDates encodes a date input's column through the encoding's
// nn.Encoder.Date (a date's scaling is never folded: nn.Scorer).
func (p *plan) encodeDates(e *encoding, f *feed, src *vec, s *scratch) error {
	w := p.inW
	for r := range s.null {
		if s.null[r] {
			continue
		}
		i := s.base[r] + f.pos // formList is refused for dates at bind: i == r
		valid := src.valid(i)
		d := 0.0
		if valid {
			var err error
			if d, err = src.days(i); err != nil {
				p.rowErr(s, r, &nn.InputError{Input: f.name, Element: -1, Err: err})
				continue
			}
		}
		if err := e.enc.Date(f.input, d, valid, s.x[r*w:(r+1)*w]); err != nil {
			p.rowErr(s, r, err)
		}
	}
	return nil
}

// encodeCodes encodes VARCHAR (or ENUM) values for a categorical input
// fitted from integers: each is the category of the integer it holds
// (nn.IntegerCode, so '01067' is the code 1067); text that is no integer is
// an error quoting it. As in encodeCategories, a short VARCHAR is looked up
// in the scratch's cache of short strings first, and a row the cache does
// not hold equal to the row before it (the same 16 bytes of
// duckdb_string_t) reuses its code: the text → code mapping is fixed for
// the plan, whatever the spelling.
func (p *plan) encodeCodes(e *encoding, f *feed, src *vec, s *scratch) error {
	n := len(s.null)
	s.codes = growSlice(s.codes, n)
	codes := s.codes
	cache := p.shortCache(f, src, s)
	varchar := src.typ.id == typeVarchar
	var last [2]uint64
	lastCode, haveLast := nn.SkipRow, false
	useCache, lookups, hits := varchar, 0, 0
	for r := range n {
		codes[r] = nn.SkipRow
		if s.null[r] {
			continue
		}
		if !src.valid(r) {
			if f.nullErr != nil {
				p.rowErr(s, r, f.nullErr)
			} else {
				codes[r] = f.nullCode
			}
			continue
		}
		var raw [2]uint64
		short := false
		if varchar {
			raw = *(*[2]uint64)(unsafe.Add(src.data, r*16))
			if short = uint32(raw[0]) <= 12; short && useCache { // the length, then the inlined bytes
				if code, ok := cache.get(raw); ok {
					codes[r] = code
					hits++
					continue
				}
				// A full cache that rarely hits (many distinct codes) costs
				// more than it saves: the chunk's other rows go without.
				if lookups++; lookups == 256 && 4*hits < lookups && cache.n >= shortCodesSize/2 {
					useCache = false
				}
			}
			// As varcharCodes: the row before is compared with only for
			// rows the cache does not hold.
			if haveLast && raw == last {
				codes[r] = lastCode
				continue
			}
		}
		haveLast = false
		c, err := nn.IntegerCode(src.category(r))
		if err != nil {
			p.rowErr(s, r, &nn.InputError{Input: f.name, Element: -1, Err: err})
			continue
		}
		code, err := e.enc.CategoryCode(f.input, c, true)
		if err != nil {
			p.rowErr(s, r, err)
			continue
		}
		codes[r] = code
		if varchar {
			if short {
				cache.put(raw, code)
			}
			last, lastCode, haveLast = raw, code, true
		}
	}
	e.enc.OneHots(f.input, codes, s.x, p.inW)
	return nil
}

// dateText is a date input's value in row i as text, for dense_explain:
// the text given, or the DATE or TIMESTAMP as DuckDB writes it (a
// TIMESTAMPTZ in UTC, with +00; fractions of a second to the microsecond).
// It formats the stored integer, not the days, so far dates keep their
// microseconds.
func (x *vec) dateText(dst []byte, i int) []byte {
	var v, unit int64 // units since the epoch, units per second
	switch x.typ.id {
	case typeVarchar:
		return append(dst, x.str(i)...)
	case typeDate:
		d := int64(*(*int32)(unsafe.Add(x.data, i*4)))
		switch d {
		case math.MaxInt32:
			return append(dst, "infinity"...)
		case -math.MaxInt32:
			return append(dst, "-infinity"...)
		}
		return time.Unix(d*86_400, 0).UTC().AppendFormat(dst, "2006-01-02")
	case typeTimestampS:
		v, unit = *(*int64)(unsafe.Add(x.data, i*8)), 1
	case typeTimestampMS:
		v, unit = *(*int64)(unsafe.Add(x.data, i*8)), 1_000
	case typeTimestampNS:
		v, unit = *(*int64)(unsafe.Add(x.data, i*8)), 1_000_000_000
	default: // TIMESTAMP, TIMESTAMPTZ
		v, unit = *(*int64)(unsafe.Add(x.data, i*8)), 1_000_000
	}
	switch v {
	case math.MaxInt64:
		return append(dst, "infinity"...)
	case -math.MaxInt64:
		return append(dst, "-infinity"...)
	}
	sec, frac := v/unit, v%unit
	if frac < 0 {
		sec, frac = sec-1, frac+unit
	}
	t := time.Unix(sec, frac*(1_000_000_000/unit)).UTC().Truncate(time.Microsecond)
	dst = t.AppendFormat(dst, "2006-01-02 15:04:05.999999")
	if x.typ.id == typeTimestampTZ {
		dst = append(dst, "+00"...)
	}
	return dst
}
