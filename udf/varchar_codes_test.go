//go:build !dense_extension

package udf

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
)

// TestVarcharCodes: VARCHAR categories score as their vocabulary slot in
// runs and in shuffled order, for short strings (in the cache, and beyond
// its cap: 300 distinct short values against a cap of shortCodesSize/2),
// long strings (not cached; a row equal to the row before reuses its
// code) and unseen values of both kinds (the unknown bucket). The model's
// output is slot+1, so every row is checked exactly.
func TestVarcharCodes(t *testing.T) {
	var vocab []string
	for i := range 300 {
		vocab = append(vocab, fmt.Sprintf("s%03d", i))
	}
	for i := range 60 {
		vocab = append(vocab, fmt.Sprintf("a-long-category-name-%02d", i))
	}
	w := make([]float32, len(vocab)+1)
	for j := range w {
		w[j] = float32(j + 1)
	}
	src := NewMemory()
	src.Add("cats", handModel(t, nn.Spec{Task: nn.TaskRegression,
		Inputs: []nn.Input{{Name: "c", Kind: nn.KindCategorical, Vocabulary: vocab, UnknownBucket: true}},
		Layers: []nn.LayerSpec{nn.Dense(1, nn.Linear)}}, w, []float32{0}))
	db := openDB(t, src)
	quoted := make([]string, len(vocab))
	for i, v := range vocab {
		quoted[i] = "'" + v + "'"
	}
	const n = 6000
	// Rows below n/2 in runs of 7, the others shuffled; every 97th row an
	// unseen short value, every 89th an unseen long one.
	exec(t, db, fmt.Sprintf(`CREATE TABLE t AS SELECT i,
		CASE WHEN i %% 97 = 0 THEN 'zz' || i
		     WHEN i %% 89 = 0 THEN 'an-unseen-long-value-' || i
		     ELSE (`+"["+strings.Join(quoted, ", ")+"]"+`)[1 + (CASE WHEN i < %d THEN i // 7 ELSE i * 7919 END) %% %d] END AS c
		FROM range(%d) r(i)`, n/2, len(vocab), n))
	for _, threads := range []int{1, 4} {
		exec(t, db, fmt.Sprintf("SET threads=%d", threads))
		rows, err := db.Query("SELECT i, c, dense_predict('cats', c) FROM t ORDER BY i")
		if err != nil {
			t.Fatal(err)
		}
		slot := map[string]int{}
		for j, v := range vocab {
			slot[v] = j
		}
		count := 0
		for rows.Next() {
			var i int
			var c string
			var got float64
			if err := rows.Scan(&i, &c, &got); err != nil {
				t.Fatal(err)
			}
			want, ok := slot[c]
			if !ok {
				want = len(vocab) // the unknown bucket
			}
			if got != float64(want+1) {
				t.Fatalf("threads %d row %d (%q): %v, want slot %d + 1", threads, i, c, got, want)
			}
			count++
		}
		if err := rows.Err(); err != nil || count != n {
			t.Fatalf("threads %d: %d rows, %v", threads, count, err)
		}
		rows.Close()
	}
}
