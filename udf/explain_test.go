//go:build !dense_extension

package udf

import (
	"fmt"
	"math"
	"slices"
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
		if err := errorsJoin(enc.Number(0, float64(age), true, x), enc.Number(1, inc, income != nil, x),
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

func errorsJoin(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
