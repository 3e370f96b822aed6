//go:build !dense_extension

package udf

import (
	"database/sql"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
)

// trainedModels are models like the ones `dense train` writes: standardised
// and min-max scaled inputs (folded into the first layer when scoring), one
// with shifts too large to fold into the bias, imputation with an
// indicator, clipping, categorical inputs, a scaled vector.
//
//	std20   f0…f19 standardised (mean ≈ 0, std ≈ 6) → 16 relu → 1
//	shifted a (mean 1000, std 3: the shift stays in the encoding), b (min-max), k (BIGINT, std 0.1) → 4 tanh → 1
//	mixed   age (standardised, mean-imputed, indicator), income (clip, standardised), plan, region → 6 relu → 1 sigmoid
//	pxstd   pixels (FLOAT[784], standardised with std 0.3: a limit below float32's range) → 16 relu → 10 softmax
//	wide    v (std 1e10: a DOUBLE beyond float32's range scales back into it) → 1
func trainedModels(t testing.TB) *Memory {
	t.Helper()
	src := NewMemory()
	add := func(name string, task nn.Task, inputs []nn.Input, labels []string, layers ...nn.LayerSpec) {
		spec := nn.Spec{Format: nn.FormatName, Version: nn.FormatVersion, Task: task, Inputs: inputs, Layers: layers, Labels: labels}
		m, err := nn.NewModel(spec, 11)
		if err != nil {
			t.Fatal(err)
		}
		for _, ts := range m.Tensors() { // biases that are not 0
			if strings.HasSuffix(ts.Name, "bias") {
				for j := range ts.Data {
					ts.Data[j] = 0.1 * float32(j%5-2)
				}
			}
		}
		src.Add(name, m)
	}
	std := func(name string, mean, sd float64) nn.Input {
		return nn.Input{Name: name, Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: mean, Std: sd}}
	}
	var in20 []nn.Input
	for i := range 20 {
		in20 = append(in20, std("f"+string(rune('a'+i)), 0.1*float64(i%3), 5.5+0.1*float64(i)))
	}
	add("std20", nn.TaskRegression, in20, nil, nn.Dense(16, nn.ReLU), nn.Dense(1, nn.Linear))

	add("shifted", nn.TaskRegression, []nn.Input{
		std("a", 1000, 3),
		{Name: "b", Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleMinMax, Min: -10, Max: 20}},
		std("k", 3, 0.1),
	}, nil, nn.Dense(4, nn.Tanh), nn.Dense(1, nn.Linear))

	age := std("age", 45, 17)
	age.Impute = &nn.Impute{Strategy: nn.ImputeMean, Value: 45, Indicator: true}
	income := std("income", 90000, 60000)
	income.Clip = &nn.Clip{Min: 0, Max: 150000}
	add("mixed", nn.TaskBinary, []nn.Input{age, income,
		{Name: "plan", Kind: nn.KindCategorical, Vocabulary: []string{"basic", "pro", "enterprise-unlimited"}},
		{Name: "region", Kind: nn.KindCategorical, Vocabulary: []string{"north", "south"}, UnknownBucket: true,
			Impute: &nn.Impute{Strategy: nn.ImputeMostFrequent, Category: "north", Indicator: true}},
	}, []string{"stay", "churn"}, nn.Dense(6, nn.ReLU), nn.Dense(1, nn.Sigmoid))

	px := nn.VectorInput("pixels", 784)
	px.Scale = &nn.Scale{Method: nn.ScaleStandard, Mean: 0.4, Std: 0.3}
	add("pxstd", nn.TaskMulticlass, []nn.Input{px}, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
		nn.Dense(16, nn.ReLU), nn.Dense(10, nn.Softmax))

	add("wide", nn.TaskRegression, []nn.Input{std("v", 0, 1e10)}, nil, nn.Dense(1, nn.Linear))

	// As `dense train` writes them: every numeric input mean-imputed (no
	// indicator) and standardised, with shifts too large to fold (they stay
	// in the encoding: v − mean; std20 has the shifts folded into the bias).
	var trained []nn.Input
	for i := range 20 {
		in := std("f"+string(rune('a'+i)), float64(10*i+100), 0.5+0.5*float64(i))
		in.Impute = &nn.Impute{Strategy: nn.ImputeMean, Value: float64(10*i + 100)}
		trained = append(trained, in)
	}
	add("trained20", nn.TaskRegression, trained, nil, nn.Dense(16, nn.ReLU), nn.Dense(8, nn.ReLU), nn.Dense(1, nn.Linear))

	// Numbers and categories as `dense train` writes them: the numbers'
	// columns and the categories' one-hot columns are read by the network
	// as columns.
	imputed := func(name string, mean, sd float64) nn.Input {
		in := std(name, mean, sd)
		in.Impute = &nn.Impute{Strategy: nn.ImputeMean, Value: mean}
		return in
	}
	add("trainedcat", nn.TaskBinary, []nn.Input{imputed("a", 0.5, 3), imputed("b", 40, 2),
		{Name: "plan", Kind: nn.KindCategorical, Vocabulary: []string{"basic", "pro", "enterprise-unlimited"}},
		imputed("c", 10, 6),
		{Name: "region", Kind: nn.KindCategorical, Vocabulary: []string{"north", "south"}, UnknownBucket: true,
			Impute: &nn.Impute{Strategy: nn.ImputeMostFrequent, Category: "north", Indicator: true}},
	}, []string{"no", "yes"}, nn.Dense(12, nn.ReLU), nn.Dense(1, nn.Sigmoid))
	return src
}

// TestFoldedMatchesModel: the folded scoring path gives the unfolded
// model's predictions (nn's Encoder and Model.Predict on the raw values) in
// every feature form, with NULLs, imputation, ENUMs and chunk edges.
func TestFoldedMatchesModel(t *testing.T) {
	src := trainedModels(t)
	db := openDB(t, src)
	for name := range map[string]bool{"std20": true, "shifted": true, "mixed": true, "pxstd": true, "trained20": true, "trainedcat": true} {
		m, _, err := src.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		s, err := nn.NewScorer(m)
		if err != nil || s.Model() == m {
			t.Fatalf("%s: nothing folded (%v)", name, err)
		}
	}
	enum := "::ENUM('basic', 'pro', 'enterprise-unlimited')"
	var fields []string // std20's inputs as STRUCT fields, FLOAT (read in place)
	for _, c := range strings.Split(fcols(""), ", ") {
		fields = append(fields, fmt.Sprintf("'%s': %s::FLOAT", c, c))
	}
	regions := "::ENUM('north', 'south', 'east')"
	cases := []predictCase{
		{"std20/columns", "std20", "dense_predict('std20', " + fcols("") + ")", strings.Split(fcols(""), ", "), kindPredict},
		{"std20/float-columns", "std20", "dense_predict('std20', " + fcols("::FLOAT") + ")", strings.Split(fcols("::FLOAT"), ", "), kindPredict},
		{"std20/double-columns", "std20", "dense_predict('std20', " + fcols("::DOUBLE") + ")", strings.Split(fcols("::DOUBLE"), ", "), kindPredict},
		{"std20/int-columns", "std20", "dense_predict('std20', " + fcols("::INTEGER") + ")", strings.Split(fcols("::INTEGER"), ", "), kindPredict},
		{"std20/struct", "std20", "dense_predict('std20', {" + strings.Join(fields, ", ") + "})", strings.Split(fcols("::FLOAT"), ", "), kindPredict},
		{"trained20/float-columns", "trained20", "dense_predict('trained20', " + fcols("::FLOAT") + ")", strings.Split(fcols("::FLOAT"), ", "), kindPredict},
		{"trained20/double-columns", "trained20", "dense_predict('trained20', " + fcols("::DOUBLE") + ")", strings.Split(fcols("::DOUBLE"), ", "), kindPredict},
		{"trained20/bigint-columns", "trained20", "dense_predict('trained20', " + fcols("::BIGINT") + ")", strings.Split(fcols("::BIGINT"), ", "), kindPredict},
		{"trained20/struct", "trained20", "dense_predict('trained20', {" + strings.Join(fields, ", ") + "})", strings.Split(fcols("::FLOAT"), ", "), kindPredict},
		{"trainedcat/columns", "trainedcat", "dense_predict('trainedcat', a, b, plan, c, region)", []string{"a", "b", "plan", "c", "region"}, kindPredict},
		{"trainedcat/enum", "trainedcat", "dense_predict_proba('trainedcat', a::FLOAT, b::INTEGER, plan" + enum + ", c, region" + regions + ")",
			[]string{"a::FLOAT", "b::INTEGER", "plan", "c", "region"}, kindProba},
		{"trainedcat/struct", "trainedcat", "dense_predict_label('trainedcat', {'region': region, 'c': c, 'plan': plan, 'b': b, 'a': a})",
			[]string{"a", "b", "plan", "c", "region"}, kindLabel},
		{"trainedcat/null-number", "trainedcat", "dense_predict('trainedcat', a, b, plan, CASE WHEN i % 9 = 2 THEN NULL ELSE c END, region)",
			[]string{"a", "b", "plan", "CASE WHEN i % 9 = 2 THEN NULL ELSE c END", "region"}, kindPredict},
		{"std20/list", "std20", "dense_predict('std20', [" + fcols("") + "])", strings.Split(fcols(""), ", "), kindPredict},
		{"std20/float-array", "std20", "dense_predict('std20', [" + fcols("") + "]::FLOAT[20])", strings.Split(fcols("::FLOAT"), ", "), kindPredict},
		{"shifted/columns", "shifted", "dense_predict('shifted', a * 10 + 1000, b, k)", []string{"a * 10 + 1000", "b", "k"}, kindPredict},
		{"shifted/struct", "shifted", "dense_predict('shifted', {'k': k::INTEGER, 'b': b::FLOAT, 'a': 1000 + a})",
			[]string{"1000 + a", "b::FLOAT", "k::INTEGER"}, kindPredict},
		{"mixed/columns", "mixed", "dense_predict('mixed', age, income, plan, region)", []string{"age", "income", "plan", "region"}, kindPredict},
		{"mixed/enum", "mixed", "dense_predict_label('mixed', age::DOUBLE, income, plan" + enum + ", region" + regions + ")",
			[]string{"age::DOUBLE", "income", "plan", "region"}, kindLabel},
		{"mixed/struct", "mixed", "dense_predict_proba('mixed', {'region': region, 'plan': plan, 'income': income::FLOAT, 'age': age})",
			[]string{"age", "income::FLOAT", "plan", "region"}, kindProba},
		{"pxstd/array", "pxstd", "dense_predict_proba('pxstd', px)", []string{"px"}, kindProba},
		{"pxstd/list", "pxstd", "dense_predict_label('pxstd', px::FLOAT[])", []string{"px"}, kindLabel},
		{"pxstd/struct", "pxstd", "dense_predict_proba('pxstd', {'pixels': px::DOUBLE[]})", []string{"px"}, kindProba},
		{"pxstd/struct-array", "pxstd", "dense_predict_proba('pxstd', {'pixels': px})", []string{"px"}, kindProba},
		{"pxstd/struct-list", "pxstd", "dense_predict_label('pxstd', {'pixels': px::FLOAT[]})", []string{"px"}, kindLabel},
	}
	for _, n := range []int{1, 2049} {
		makeTable(t, db, n)
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/rows=%d", c.name, n), func(t *testing.T) { checkCase(t, db, src, c, n) })
		}
	}
}

// TestFoldedEdges: where the folded encoding cannot represent a value the
// model's encoding can (a DOUBLE beyond float32's range, scaled back into
// it), or would accept a value the model refuses (its scaled feature beyond
// float32's range), the chunk is encoded the model's way: same result, same
// error.
func TestFoldedEdges(t *testing.T) {
	src := trainedModels(t)
	db := openDB(t, src)
	m, _, err := src.Load("wide")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := reference(t, m, kindPredict, []any{1e39})
	var got float64
	if err := db.QueryRow("SELECT dense_predict('wide', x) FROM (VALUES (1.0), (1e39), (-2.0)) t(x) WHERE x > 100").Scan(&got); err != nil {
		t.Error(err)
	}
	if w := want.(float64); math.IsInf(w, 0) || math.Abs(got-w) > 1e-6*math.Abs(w) {
		t.Errorf("1e39 through std 1e10: got %v, want %v", got, want)
	}

	// pixels/0.3 beyond float32's range: 2e38 fits FLOAT, (2e38 − 0.4)/0.3 does not.
	q := "SELECT dense_predict_label('pxstd', list_transform(range(784), j -> CASE WHEN j = 5 AND i = 3000 THEN 2e38 ELSE 0.5 END)::FLOAT[784]) FROM range(4000) r(i)"
	_, err = db.Exec(q)
	if err == nil || !strings.Contains(err.Error(), `input "pixels" element 5: value is outside float32's range`) {
		t.Errorf("got %v, want the model's float32 range error for element 5", err)
	}
	q = "SELECT dense_predict('std20', " + strings.Replace(fcols(""), "fa", "CASE WHEN i = 7 THEN 'inf'::DOUBLE ELSE i END", 1) + ") FROM (SELECT i, " +
		strings.Replace(fcols(""), "fa, ", "", 1) + " FROM t)"
	makeTable(t, db, 10)
	_, err = db.Exec(strings.ReplaceAll(q, "ELSE i END", "ELSE i::DOUBLE END"))
	if err == nil || !strings.HasSuffix(err.Error(), `input "fa": value is ±Inf`) {
		t.Errorf("got %v, want the model's ±Inf error", err)
	}
}

// TestColumnsEdges: the columns path (every input a NULL-free FLOAT,
// DOUBLE, INTEGER or BIGINT column, read by the network in place) leaves
// NaN (a NULL row), ±Inf (the input's error), a value beyond float32's
// range and a value beyond an input's limit to the general path, in the
// STRUCT form too; and a NULL STRUCT row is NULL.
func TestColumnsEdges(t *testing.T) {
	src := trainedModels(t)
	db := openDB(t, src)
	m, _, err := src.Load("std20")
	if err != nil {
		t.Fatal(err)
	}
	cols := strings.Split(fcols(""), ", ")
	row := func(i int) []any {
		v := make([]any, 20)
		for j := range v {
			v[j] = float64(float32(float64((i*(31+j*17)+7)%201)/10 - 10))
		}
		return v
	}
	sel := func(fa string) string {
		var s []string
		for j, c := range cols {
			e := fmt.Sprintf("(((i * %d + 7) %% 201) / 10.0 - 10)::FLOAT", 31+j*17)
			if j == 0 {
				e = fa
			}
			s = append(s, e+" AS "+c)
		}
		return "SELECT i, " + strings.Join(s, ", ") + " FROM range(3000) r(i)"
	}
	for _, form := range []string{"columns", "struct"} {
		call := "dense_predict('std20', " + fcols("") + ")"
		if form == "struct" {
			call = "dense_predict('std20', CASE WHEN i = 11 THEN NULL ELSE {" + strings.Join(func() []string {
				var f []string
				for _, c := range cols {
					f = append(f, fmt.Sprintf("'%s': %s", c, c))
				}
				return f
			}(), ", ") + "} END)"
		}
		// NaN in row 2500: that row is NULL, the others are the model's.
		q := "SELECT i, " + call + " FROM (" + sel("CASE WHEN i = 2500 THEN 'nan'::FLOAT ELSE (((i * 31 + 7) % 201) / 10.0 - 10)::FLOAT END") + ") ORDER BY i"
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var i int
			var got sql.NullFloat64
			if err := rows.Scan(&i, &got); err != nil {
				t.Fatal(err)
			}
			if i == 2500 || form == "struct" && i == 11 {
				if got.Valid {
					t.Fatalf("%s: row %d is %v, want NULL", form, i, got.Float64)
				}
				continue
			}
			want, _ := reference(t, m, kindPredict, row(i))
			if !got.Valid || !sameResult(got.Float64, want) {
				t.Fatalf("%s: row %d is %v, want %v", form, i, got, want)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		// ±Inf and a DOUBLE beyond float32's range in row 2100: the model's error.
		for _, v := range []string{"'-inf'::FLOAT", "1e300::DOUBLE"} {
			q = "SELECT sum(" + call + ") FROM (" + sel("CASE WHEN i = 2100 THEN "+v+" ELSE (((i * 31 + 7) % 201) / 10.0 - 10)::FLOAT END") + ")"
			_, err = db.Exec(q)
			if err == nil || !strings.Contains(err.Error(), `dense_predict(std20@1): input "fa": value is `) {
				t.Errorf("%s, %s: got %v, want the model's error", form, v, err)
			}
		}
	}

	// A FLOAT[784] STRUCT field read in place: NULL STRUCT rows, NULL
	// fields, a NaN element (a NULL row) give what the one-argument form
	// gives, as does the list form of the field; an infinite element is
	// the model's error.
	makeTable(t, db, 2100)
	for _, cast := range []string{"", "::FLOAT[]"} {
		q := `SELECT t.i, dense_predict_proba('pxstd', st)::VARCHAR, dense_predict_proba('pxstd', px2)::VARCHAR
			FROM (SELECT i, px` + cast + ` AS px2 FROM t) t
			LEFT JOIN (SELECT i, {'pixels': px2} AS st FROM (SELECT i, CASE WHEN i = 1500 THEN list_transform(px, v -> CASE WHEN v > 0.5 THEN 'nan'::FLOAT ELSE v END) ELSE px END` + cast + ` AS px2
				FROM t WHERE i % 11 <> 4) WHERE i % 13 <> 2 UNION ALL SELECT i, {'pixels': NULL} FROM t WHERE i % 11 = 4) u ON t.i = u.i
			ORDER BY t.i`
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var i int
			var got, want sql.NullString
			if err := rows.Scan(&i, &got, &want); err != nil {
				t.Fatal(err)
			}
			n++
			switch {
			case i%13 == 2 && i%11 != 4, i%11 == 4, i == 1500:
				if got.Valid {
					t.Fatalf("struct%s row %d: %v, want NULL", cast, i, got.String)
				}
			case got != want:
				t.Fatalf("struct%s row %d: %v, the one-argument form %v", cast, i, got, want)
			}
		}
		if err := rows.Err(); err != nil || n != 2100 {
			t.Fatalf("%d rows, %v", n, err)
		}
		rows.Close()
		_, err = db.Exec(`SELECT dense_predict_proba('pxstd', {'pixels': (CASE WHEN i = 2000 THEN list_transform(px::FLOAT[], v -> 'inf'::FLOAT) ELSE px::FLOAT[] END)` + map[string]string{"": "::FLOAT[784]"}[cast] + `}) FROM t`)
		if err == nil || !strings.Contains(err.Error(), `input "pixels"`) {
			t.Errorf("struct%s: got %v, want the model's error for the infinite element", cast, err)
		}
	}
}

// TestShortCodes: the short-string cache returns what was put, tells
// absent keys (the empty string's all-zero key included) from present ones,
// and stops taking keys when half full.
func TestShortCodes(t *testing.T) {
	var c shortCodes
	if _, ok := c.get([2]uint64{}); ok {
		t.Fatal("empty cache has the empty string")
	}
	c.put([2]uint64{}, 3)
	if code, ok := c.get([2]uint64{}); !ok || code != 3 {
		t.Fatalf("empty string: %v %v", code, ok)
	}
	for i := range shortCodesSize {
		c.put([2]uint64{uint64(i + 1), 7}, nn.CategoryCode(i))
	}
	if c.n != shortCodesSize/2 {
		t.Fatalf("%d keys, want the cap %d", c.n, shortCodesSize/2)
	}
	for i := range shortCodesSize {
		code, ok := c.get([2]uint64{uint64(i + 1), 7})
		if i+1 < shortCodesSize/2 && (!ok || code != nn.CategoryCode(i)) {
			t.Fatalf("key %d: %v %v", i, code, ok)
		}
		if i+1 >= shortCodesSize/2 && ok {
			t.Fatalf("key %d beyond the cap is present", i)
		}
	}
}
