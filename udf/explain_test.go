//go:build !dense_extension

package udf

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
)

// explainedChurn is the churn model of testModels with a baseline, so that
// dense_explain can explain it.
func explainedChurn(t testing.TB) (*Memory, *nn.Model) {
	src := testModels(t)
	m, _, err := src.Load("churn")
	if err != nil {
		t.Fatal(err)
	}
	num := func(v float64) *float64 { return &v }
	cat := func(s string) *string { return &s }
	m.Spec().Explain = &nn.Explain{Baseline: []nn.Baseline{
		{Input: "age", Number: num(40)}, {Input: "income", Number: num(50000)},
		{Input: "plan", Category: cat("basic")}, {Input: "region", Category: cat("north")}}}
	src.Add("xchurn", m)
	return src, m
}

// TestExplainMatchesNN: dense_explain in SQL gives nn.Explainer's
// attributions for the same raw values (encoded in Go), in order of
// |attribution|, with the values' text, on four DuckDB threads; NULL rows
// give NULL, an imputed NULL a NULL value.
func TestExplainMatchesNN(t *testing.T) {
	src, m := explainedChurn(t)
	db := openDB(t, src)
	exec(t, db, "SET threads = 4")
	const rows = 5000
	exec(t, db, fmt.Sprintf(`CREATE TABLE c AS SELECT i, 20 + i %% 50 AS age,
		CASE WHEN i %% 11 = 0 THEN NULL ELSE 1000.0 * (i %% 97) END AS income,
		CASE WHEN i %% 13 = 0 THEN NULL ELSE ['basic', 'pro', 'enterprise-unlimited'][1 + i %% 3] END AS plan,
		['north', 'south', 'west'][1 + i %% 3] AS region FROM range(%d) r(i)`, rows))
	res, err := db.Query("SELECT i, age, income, plan, region, dense_explain('xchurn', age, income, plan, region) FROM c ORDER BY i")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	enc, err := nn.NewEncoder(m.Spec().Inputs)
	if err != nil {
		t.Fatal(err)
	}
	e, err := nn.NewExplainer(m)
	if err != nil {
		t.Fatal(err)
	}
	var a nn.Attributions
	ws := e.NewExplainWorkspace()
	seen, nulls := 0, 0
	for res.Next() {
		var i, age int64
		var income *float64
		var plan *string
		var region string
		var list any
		if err := res.Scan(&i, &age, &income, &plan, &region, &list); err != nil {
			t.Fatal(err)
		}
		seen++
		if plan == nil { // no imputation for plan: a NULL row
			if list != nil {
				t.Fatalf("row %d: plan NULL gives %v, want NULL", i, list)
			}
			nulls++
			continue
		}
		x := make([]float32, enc.Width())
		inc := 0.0
		if income != nil {
			inc = *income
		}
		if err := errors.Join(enc.Number(0, float64(age), true, x), enc.Number(1, inc, income != nil, x),
			enc.Category(2, *plan, true, x), enc.Category(3, region, true, x)); err != nil {
			t.Fatal(err)
		}
		if err := e.Explain(&a, x, 1, ws); err != nil {
			t.Fatal(err)
		}
		names := []string{"age", "income", "plan", "region"}
		values := []any{fmt.Sprint(age), nil, *plan, region}
		if income != nil {
			values[1] = fmt.Sprint(*income)
		}
		order := []int{0, 1, 2, 3}
		slices.SortStableFunc(order, func(p, q int) int {
			return -cmpFloat(math.Abs(a.Values[p]), math.Abs(a.Values[q]))
		})
		got := list.([]any)
		if len(got) != 4 {
			t.Fatalf("row %d: %d entries", i, len(got))
		}
		for k, j := range order {
			entry := got[k].(map[string]any)
			if entry["input"] != names[j] || entry["attribution"] != a.Values[j] || fmt.Sprint(entry["value"]) != fmt.Sprint(values[j]) {
				t.Fatalf("row %d entry %d: %v, want input %s value %v attribution %v", i, k, entry, names[j], values[j], a.Values[j])
			}
		}
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != rows || nulls == 0 {
		t.Fatalf("%d rows, %d NULL", seen, nulls)
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestExplainValueTexts: a FLOAT or DOUBLE value's text is its shortest
// form whether the writer formats it or finds it in its cache (values
// repeat; some collide in the cache's slots; a chunk boundary and another
// model's call in between), and a BIGINT's stays its integer text.
func TestExplainValueTexts(t *testing.T) {
	src, _ := explainedChurn(t)
	db := openDB(t, src)
	exec(t, db, `CREATE TABLE v AS SELECT i, (20 + i % 613 / 7.0)::FLOAT AS age, (i % 997 * 1234.5678)::DOUBLE AS income,
		['basic', 'pro'][1 + i % 2] AS plan, 'north' AS region, (i % 37)::BIGINT * 9007199254740993 AS big FROM range(6000) r(i)`)
	for _, q := range []string{
		"SELECT i, age::DOUBLE, income, dense_explain('xchurn', age, income, plan, region) FROM v ORDER BY i",
		"SELECT i, big::DOUBLE, income, dense_explain('xchurn', big, income, plan, region) FROM v ORDER BY i",
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var i int
			var x, income float64
			var list []any
			if err := rows.Scan(&i, &x, &income, &list); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"income": strconv.FormatFloat(income, 'g', -1, 64)}
			if strings.Contains(q, "big") {
				want["age"] = strconv.FormatInt(int64(i%37)*9007199254740993, 10)
			} else {
				want["age"] = strconv.FormatFloat(x, 'g', -1, 32)
			}
			for _, e := range list {
				m := e.(map[string]any)
				if w, ok := want[m["input"].(string)]; ok && m["value"] != w {
					t.Fatalf("row %d: %s's value %q, want %q", i, m["input"], m["value"], w)
				}
			}
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if n != 6000 {
			t.Fatalf("%d rows", n)
		}
	}
}
