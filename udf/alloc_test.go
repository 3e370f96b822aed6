// The race detector makes sync.Pool drop items at random, so the scratch is
// rebuilt now and then and the count below means nothing under -race.

//go:build !race && !dense_extension

package udf

import (
	"fmt"
	"runtime"
	"testing"
)

// A long query stops allocating once the per-call buffers have grown (the
// doc's claim): scoring 10× more chunks costs no more Go allocations than
// a bit of noise. One DuckDB thread, so one scratch serves every chunk.
func TestNoAllocationsPerChunk(t *testing.T) {
	db := openDB(t, testModels(t))
	db.SetMaxOpenConns(1)
	exec(t, db, "SET threads=1")
	mallocs := func(q string) uint64 {
		t.Helper()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.Mallocs
		var v float64
		if err := db.QueryRow(q).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		runtime.ReadMemStats(&ms)
		return ms.Mallocs - before
	}
	for _, call := range []string{
		"dense_predict('lin3', a, b, c)",                      // columns: copied block by block
		"dense_predict('lin3', [a, b, c])",                    // a list: gathered row by row
		"dense_predict('lin3', a::DECIMAL(9,3), b, c)",        // read through the general path
		"dense_predict_proba('lin3', [a, b, c]::FLOAT[3])[1]", // in place
	} {
		q := func(rows int) string {
			return "SELECT sum(" + call + ") FROM (SELECT (i % 101) / 7.0 - 5 AS a, (i % 89) / 3.0 - 10 AS b, (i % 97) / 5.0 AS c " +
				fmt.Sprintf("FROM range(%d) t(i))", rows)
		}
		mallocs(q(4096)) // grow the buffers
		small, large := mallocs(q(4096)), mallocs(q(100*2048))
		if large > small+50 { // 98 more chunks
			t.Errorf("%s: %d allocations for 2 chunks, %d for 100", call, small, large)
		}
	}
}
