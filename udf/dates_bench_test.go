//go:build !dense_extension

package udf

import (
	"fmt"
	"testing"
)

// BenchmarkDates scores the suite's `when` (a date input with three cycles)
// and `codes` (a category fitted from integer codes) models over a million
// rows from each type that can feed them, with one thread: the cost of the
// conversion (a DATE's days, a timestamp's unit, text parsed as a date or as
// an integer code) next to the typed path. Metrics: cpu-ns/row (the steady
// one on a shared machine) and rows/s.
func BenchmarkDates(b *testing.B) {
	const rows = 1_000_000
	db := openDB(b, sqlFixtureSource(b, sqlFixtureDir(b)))
	if _, err := db.Exec(fmt.Sprintf(`CREATE TABLE d AS SELECT
		TIMESTAMP '2022-01-01 00:17:00' + INTERVAL (i * 7) MINUTE AS ts,
		(TIMESTAMP '2022-01-01 00:17:00' + INTERVAL (i * 7) MINUTE)::DATE AS dt,
		(TIMESTAMP '2022-01-01 00:17:00' + INTERVAL (i * 7) MINUTE)::VARCHAR AS ts_text,
		(TIMESTAMP '2022-01-01 00:17:00' + INTERVAL (i * 7) MINUTE)::DATE::VARCHAR AS dt_text,
		[3, 7, 1067, 42][i %% 4 + 1]::BIGINT AS code,
		lpad([3, 7, 1067, 42][i %% 4 + 1]::VARCHAR, 5, '0') AS code_text,
		(i %% 100000)::BIGINT AS many,
		(i %% 100000)::VARCHAR AS many_text
		FROM range(%d) r(i)`, rows)); err != nil {
		b.Fatal(err)
	}
	setThreads(b, db, 1)
	for _, c := range []struct{ name, model, col string }{
		{"date", "when", "dt"},
		{"date-text", "when", "dt_text"},
		{"timestamp", "when", "ts"},
		{"timestamp-text", "when", "ts_text"},
		{"codes", "codes", "code"},
		{"codes-text", "codes", "code_text"},
		{"codes-100k", "codes", "many"},
		{"codes-100k-text", "codes", "many_text"},
	} {
		b.Run(c.name, func(b *testing.B) {
			benchQuery(b, db, fmt.Sprintf("SELECT sum(dense_predict('%s', %s)) FROM d", c.model, c.col), rows)
		})
	}
	b.Run("scan", func(b *testing.B) { // what the query costs without the function
		benchQuery(b, db, "SELECT sum(length(ts_text) + length(code_text) + epoch(ts) + code) FROM d", rows)
	})
}
