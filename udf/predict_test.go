//go:build !dense_extension

package udf

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
)

// A conformance case: a SQL call and, for the reference, the SQL expressions
// that give each model input's raw value.
type predictCase struct {
	name   string
	model  string
	call   string   // the SQL call, over table t
	inputs []string // one SQL expression per model input, for the reference
	kind   funcKind
}

var predictCases = []predictCase{
	{"lin3/columns", "lin3", "dense_predict('lin3', a, b, c)", []string{"a", "b", "c"}, kindPredict},
	{"lin3/list", "lin3", "dense_predict('lin3', [a, b, c])", []string{"a", "b", "c"}, kindPredict},
	{"lin3/array", "lin3", "dense_predict('lin3', [a, b, c]::DOUBLE[3])", []string{"a", "b", "c"}, kindPredict},
	{"lin3/struct", "lin3", "dense_predict('lin3', {'c': c, 'b': b, 'a': a, 'extra': s})", []string{"a", "b", "c"}, kindPredict},
	{"lin3/mixed-types", "lin3", "dense_predict('lin3', k::INTEGER, b::FLOAT, d)", []string{"k::INTEGER", "b::FLOAT", "d"}, kindPredict},
	{"mlp20/columns", "mlp20", "dense_predict('mlp20', " + fcols("") + ")", strings.Split(fcols(""), ", "), kindPredict},
	{"mlp20/float-columns", "mlp20", "dense_predict('mlp20', " + fcols("::FLOAT") + ")", strings.Split(fcols("::FLOAT"), ", "), kindPredict},
	{"mlp20/list", "mlp20", "dense_predict('mlp20', [" + fcols("") + "])", strings.Split(fcols(""), ", "), kindPredict},
	{"mlp20/float-array", "mlp20", "dense_predict('mlp20', [" + fcols("") + "]::FLOAT[20])", strings.Split(fcols("::FLOAT"), ", "), kindPredict},
	{"churn/columns", "churn", "dense_predict('churn', age, income, plan, region)", []string{"age", "income", "plan", "region"}, kindPredict},
	{"churn/struct-row", "churn", "dense_predict_label('churn', t)", []string{"age", "income", "plan", "region"}, kindLabel},
	{"churn/proba", "churn", "dense_predict_proba('churn', {'region': region, 'plan': plan, 'income': income, 'age': age})",
		[]string{"age", "income", "plan", "region"}, kindProba},
	{"digits/array-label", "digits", "dense_predict_label('digits', px)", []string{"px"}, kindLabel},
	{"digits/list-proba", "digits", "dense_predict_proba('digits', px::FLOAT[])", []string{"px"}, kindProba},
	{"digits/struct", "digits", "dense_predict_proba('digits', {'pixels': px})", []string{"px"}, kindProba},
	{"multi/proba", "multi", "dense_predict_proba('multi', a, b)", []string{"a", "b"}, kindProba},
}

func fcols(cast string) string {
	var s []string
	for i := range 20 {
		s = append(s, "f"+string(rune('a'+i))+cast)
	}
	return strings.Join(s, ", ")
}

// makeTable creates table t with n rows of features for every test model,
// with NULLs and a few special values sprinkled in.
func makeTable(t testing.TB, db *sql.DB, n int) {
	t.Helper()
	var f []string
	for i := range 20 {
		// Mixed storage types, all numeric.
		types := []string{"DOUBLE", "FLOAT", "INTEGER", "BIGINT", "DECIMAL(10,3)", "SMALLINT"}
		f = append(f, fmt.Sprintf("(((i * %d + 7) %% 201) / 10.0 - 10)::%s AS f%c", 31+i*17, types[i%len(types)], 'a'+i))
	}
	exec(t, db, "DROP TABLE IF EXISTS t")
	exec(t, db, fmt.Sprintf(`CREATE TABLE t AS SELECT
		i,
		((i * 37) %% 101) / 7.0 - 5 AS a,
		((i * 53) %% 89) / 3.0 - 10 AS b,
		((i * 11) %% 97) / 5.0 AS c,
		((i * 13) %% 50)::DECIMAL(8,2) / 4 AS d,
		(i %% 1000 - 500)::BIGINT AS k,
		'x' || i AS s,
		CASE WHEN i %% 17 = 3 THEN NULL ELSE 18 + (i * 7) %% 60 END AS age,
		CASE WHEN i %% 5 = 1 THEN NULL ELSE ((i * 7919) %% 200000)::DOUBLE END AS income,
		['basic', 'pro', 'enterprise-unlimited'][1 + i %% 3] AS plan,
		CASE WHEN i %% 7 = 0 THEN NULL WHEN i %% 7 = 1 THEN 'east' WHEN i %% 2 = 0 THEN 'north' ELSE 'south' END AS region,
		list_transform(range(784), j -> (((i * 31 + j * 17) %% 255) / 255.0)::FLOAT)::FLOAT[784] AS px,
		%s
		FROM range(%d) r(i)`, strings.Join(f, ",\n"), n))
}

// reference computes what the SQL call must return for one row of raw
// input values: the encoded row through nn's Encoder and Model.Predict.
// null reports a row the functions must return NULL for.
func reference(t testing.TB, m *nn.Model, kind funcKind, raw []any) (want any, null bool) {
	t.Helper()
	spec := m.Spec()
	enc, err := nn.NewEncoder(spec.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, enc.Width())
	for i, in := range spec.Inputs {
		v := raw[i]
		switch in.Kind {
		case nn.KindNumeric:
			f, ok := toFloat(v)
			err = enc.Number(i, f, ok, x)
		case nn.KindCategorical:
			s, ok := v.(string)
			err = enc.Category(i, s, ok, x)
		case nn.KindVector:
			list, ok := v.([]any)
			if !ok {
				return nil, true
			}
			elems := make([]float64, len(list))
			for j, e := range list {
				elems[j], _ = toFloat(e)
			}
			err = enc.Vector(i, elems, x)
		}
		if errors.Is(err, nn.ErrMissing) {
			return nil, true
		}
		if err != nil {
			t.Fatalf("reference encoding of %v: %v", raw, err)
		}
	}
	y, err := m.Predict(x, 1)
	if err != nil {
		t.Fatal(err)
	}
	switch kind {
	case kindPredict:
		return float64(y[0]), false
	case kindLabel:
		c := 0
		if spec.Task == nn.TaskBinary {
			if y[0] >= 0.5 {
				c = 1
			}
		} else {
			for j := range y {
				if y[j] > y[c] {
					c = j
				}
			}
		}
		return spec.Labels[c], false
	}
	if spec.Task == nn.TaskBinary {
		y = []float32{1 - y[0], y[0]}
	}
	return y, false
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case nil:
		return math.NaN(), false
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int32:
		return float64(v), true
	case int64:
		return float64(v), true
	case int16:
		return float64(v), true
	case int8:
		return float64(v), true
	case interface{ Float64() float64 }: // duckdb.Decimal
		return v.Float64(), true
	}
	panic(fmt.Sprintf("toFloat: %T", v))
}

// checkCase runs one case over table t and compares every row.
func checkCase(t *testing.T, db *sql.DB, src *Memory, c predictCase, wantRows int) {
	t.Helper()
	m, _, err := src.Load(c.model)
	if err != nil {
		t.Fatal(err)
	}
	q := fmt.Sprintf("SELECT %s, %s FROM t", c.call, strings.Join(c.inputs, ", "))
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	got := 0
	nulls := 0
	for rows.Next() {
		vals := make([]any, 1+len(c.inputs))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		got++
		want, wantNull := reference(t, m, c.kind, vals[1:])
		if wantNull {
			nulls++
			if vals[0] != nil {
				t.Fatalf("%s row %v: got %v, want NULL", c.name, vals[1:], vals[0])
			}
			continue
		}
		if !sameResult(vals[0], want) {
			t.Fatalf("%s row %v: got %v, want %v", c.name, vals[1:], vals[0], want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got != wantRows {
		t.Fatalf("%s: %d rows, want %d", c.name, got, wantRows)
	}
}

func sameResult(got, want any) bool {
	const tol = 1e-6
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		return ok && math.Abs(g-w) <= tol*max(1, math.Abs(w))
	case string:
		return got == w
	case []float32:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			f, ok := g[i].(float32)
			if !ok || math.Abs(float64(f)-float64(w[i])) > tol*max(1, math.Abs(float64(w[i]))) {
				return false
			}
		}
		return true
	}
	return false
}

// TestPredictMatchesNN checks every feature form against nn's own
// predictions at the chunk-size edges, single- and multi-threaded.
func TestPredictMatchesNN(t *testing.T) {
	src := testModels(t)
	db := openDB(t, src)
	for _, n := range []int{0, 1, 2047, 2048, 2049} {
		makeTable(t, db, n)
		for _, threads := range []int{1, 4} {
			exec(t, db, fmt.Sprintf("SET threads=%d", threads))
			for _, c := range predictCases {
				t.Run(fmt.Sprintf("%s/rows=%d/threads=%d", c.name, n, threads), func(t *testing.T) {
					checkCase(t, db, src, c, n)
				})
			}
		}
	}
}

// A value outside log1p's domain fails the query naming the input, unless
// another input makes the row NULL; inside the domain the model sees
// log1p(v).
func TestLog1pDomain(t *testing.T) {
	src := NewMemory()
	src.Add("logv", handModel(t, nn.Spec{Task: nn.TaskRegression,
		Inputs: []nn.Input{{Name: "v", Kind: nn.KindNumeric, Log1p: true}, nn.NumericInput("w")},
		Layers: []nn.LayerSpec{nn.Dense(1, nn.Linear)}}, []float32{1, 1}, []float32{0}))
	db := openDB(t, src)
	var got sql.NullFloat64
	if err := db.QueryRow("SELECT dense_predict('logv', 0, 2)").Scan(&got); err != nil || got.Float64 != 2 {
		t.Fatalf("log1p(0) + 2: %v, %v", got, err)
	}
	_, err := db.Exec("SELECT dense_predict('logv', -2, 1)")
	if err == nil || !strings.Contains(err.Error(), `dense_predict(logv@1): input "v": value outside log1p's domain`) {
		t.Fatalf("v = -2: %v", err)
	}
	if err := db.QueryRow("SELECT dense_predict('logv', -2, NULL::DOUBLE)").Scan(&got); err != nil || got.Valid {
		t.Fatalf("v = -2 with a NULL w: %v, %v (want NULL)", got, err)
	}
}

// A row whose output is NaN (here: logits +Inf and −Inf, from a product
// beyond float32's range inside the network) predicts no class: its label
// is NULL (nn.Spec.Classify's rule), while a finite row gets its label.
func TestLabelOfNaNOutputIsNull(t *testing.T) {
	src := NewMemory()
	src.Add("blowup", handModel(t, nn.Spec{Task: nn.TaskMulticlass, Labels: []string{"lo", "hi"},
		Inputs: []nn.Input{nn.NumericInput("x")},
		Layers: []nn.LayerSpec{nn.Dense(2, nn.Softmax)}}, []float32{-1e30, 1e30}, []float32{0, 0}))
	db := openDB(t, src)
	rows, err := db.Query("SELECT dense_predict_label('blowup', x) FROM (VALUES (1.0), (1e20)) v(x) ORDER BY x")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []sql.NullString
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if len(got) != 2 || got[0].String != "hi" || !got[0].Valid || got[1].Valid {
		t.Fatalf("labels %v, want [hi NULL]", got)
	}
}
