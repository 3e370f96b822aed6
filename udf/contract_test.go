//go:build !dense_extension

package udf

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
)

// caseModel is a regression model y = 1·"Max.Axis" + 10·"max.axis": inputs
// whose names differ only in case, as a model trained on an Arrow or Parquet
// file with such columns has them.
func caseModel(t *testing.T) *Memory {
	src := NewMemory()
	src.Add("axes", handModel(t, nn.Spec{Task: nn.TaskRegression,
		Inputs: []nn.Input{nn.NumericInput("Max.Axis"), nn.NumericInput("max.axis")},
		Layers: []nn.LayerSpec{nn.Dense(1, nn.Linear)}}, []float32{1, 10}, []float32{0}))
	src.Add("age", handModel(t, nn.Spec{Task: nn.TaskRegression,
		Inputs: []nn.Input{nn.NumericInput("age"), nn.NumericInput("Income")},
		Layers: []nn.LayerSpec{nn.Dense(1, nn.Linear)}}, []float32{1, 10}, []float32{0}))
	return src
}

// TestStructNamesStrict: an input takes the STRUCT field of its exact name;
// a field matching only ignoring case is used when nothing else could take
// it; every doubt is an error at bind naming the input and the fields —
// never a column fed twice (issue 13: DuckDB reads headers Max.Axis,
// max.axis as Max.Axis, max.axis_1, and the old rule fed Max.Axis to both).
func TestStructNamesStrict(t *testing.T) {
	db := openDB(t, caseModel(t))
	ctx := context.Background()
	csv := filepath.Join(t.TempDir(), "axes.csv")
	if err := os.WriteFile(csv, []byte("Max.Axis,max.axis\n1,2\n3,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ok := []struct {
		q    string
		want float64
	}{
		{`SELECT dense_predict('axes', "Max.Axis", "max.axis_1") FROM read_csv('` + csv + `') LIMIT 1`, 21},
		{`SELECT dense_predict('age', {'AGE': 1, 'income': 2})`, 21},
		{`SELECT dense_predict('age', {'income': 2, 'age': 1})`, 21},
	}
	for _, c := range ok {
		var got float64
		if err := db.QueryRowContext(ctx, c.q).Scan(&got); err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		if got != c.want {
			t.Errorf("%s = %v, want %v", c.q, got, c.want)
		}
	}
	bad := []struct {
		q    string
		want []string
	}{
		// The case: read_csv renames max.axis to max.axis_1; the
		// input max.axis must not take Max.Axis, which feeds Max.Axis.
		{`SELECT dense_predict('axes', t) FROM read_csv('` + csv + `') t`,
			[]string{`input "max.axis"`, `field "Max.Axis"`, `feeds input "Max.Axis"`}},
		{`SELECT dense_predict('axes', {'Max.Axis': 1, 'other': 2})`,
			[]string{`input "max.axis"`, `field "Max.Axis"`, `feeds input "Max.Axis"`}},
		// Neither input has its exact field; one field would feed both.
		{`SELECT dense_predict('axes', {'MAX.AXIS': 1, 'x': 2})`,
			[]string{`field "MAX.AXIS" matches both input "Max.Axis" and input "max.axis"`}},
	}
	for _, c := range bad {
		var got float64
		err := db.QueryRowContext(ctx, c.q).Scan(&got)
		if err == nil {
			t.Errorf("%s = %v, want an error", c.q, got)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %s", c.q, err, w)
			}
		}
	}
}

// TestPreparedFeatures: ? parameters as features, bare or inside a STRUCT or
// LIST literal, take the values' types when the statement runs.
func TestPreparedFeatures(t *testing.T) {
	db := openDB(t, testModels(t))
	ctx := context.Background()
	for _, q := range []string{
		`SELECT dense_predict('lin3', ?, ?, ?)`,
		`SELECT dense_predict('lin3', {'a': ?, 'b': ?, 'c': ?})`,
		`SELECT dense_predict('lin3', [?, ?, ?])`,
		`SELECT dense_predict('lin3', ?::DOUBLE, ?::DOUBLE, ?::DOUBLE)`,
	} {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			t.Fatalf("PREPARE %s: %v", q, err)
		}
		for _, row := range [][3]any{{int64(1), int64(2), int64(3)}, {1.5, 0.0, -1.0}} {
			var got float64
			if err := st.QueryRowContext(ctx, row[0], row[1], row[2]).Scan(&got); err != nil {
				t.Fatalf("%s with %v: %v", q, row, err)
			}
			want := 0.5
			for i, w := range []float64{1, 2, 3} {
				v, _ := toFloat(row[i])
				want += w * v
			}
			if got != want {
				t.Errorf("%s with %v = %v, want %v", q, row, got, want)
			}
		}
		st.Close()
	}
}

// contractModel: y = zip one-hot·[1, 2] + code one-hot·[10, 20] + 100·n, with
// zip fitted from BIGINT values (categories "1067", "501"), code from
// VARCHAR ("01067", "00501") and n from INTEGER. withSource false drops the
// recorded sources, as in files written before the contract existed.
func contractModel(t *testing.T, withSource bool) *nn.Model {
	inputs := []nn.Input{
		{Name: "zip", Kind: nn.KindCategorical, Vocabulary: []string{"1067", "501"}, Source: "BIGINT"},
		{Name: "code", Kind: nn.KindCategorical, Vocabulary: []string{"01067", "00501"}, Source: "VARCHAR"},
		{Name: "n", Kind: nn.KindNumeric, Source: "INTEGER"},
	}
	if !withSource {
		for i := range inputs {
			inputs[i].Source = ""
		}
	}
	return handModel(t, nn.Spec{Task: nn.TaskRegression, Inputs: inputs, Layers: []nn.LayerSpec{nn.Dense(1, nn.Linear)}},
		[]float32{1, 2, 10, 20, 100}, []float32{0})
}

// TestFeatureContract: a model records each input's source type; at bind a
// value that cannot carry it is an error naming input, expected and given
// types (zero-padded text for a category fitted from integers would silently
// be an unknown category), and safe widenings are accepted.
func TestFeatureContract(t *testing.T) {
	src := NewMemory()
	src.Add("z", contractModel(t, true))
	src.Add("old", contractModel(t, false))
	src.Add("big", handModel(t, nn.Spec{Task: nn.TaskRegression, Inputs: []nn.Input{{Name: "id", Kind: nn.KindCategorical,
		Vocabulary: []string{"9007199254740993", "9007199254740992"}, Source: "BIGINT"}},
		Layers: []nn.LayerSpec{nn.Dense(1, nn.Linear)}}, []float32{1, 0}, []float32{0}))
	db := openDB(t, src)
	ctx := context.Background()
	for _, c := range []struct {
		q    string
		want float64
	}{
		{`SELECT dense_predict('z', {'zip': 1067::BIGINT, 'code': '00501', 'n': 3})`, 321},
		{`SELECT dense_predict('z', 501::SMALLINT, '01067', 2.5::DOUBLE)`, 262},
		{`SELECT dense_predict('z', {'zip': 501, 'code': '01067'::ENUM('01067', '00501'), 'n': 1::TINYINT})`, 112},
		{`SELECT dense_predict('old', '1067', '00501', 3)`, 321}, // no contract: checked by kind alone
		// Text for a category fitted from integers is the integer it holds
		// (nn.IntegerCode): '01067' is the code 1067.
		{`SELECT dense_predict('z', {'zip': '01067', 'code': '00501', 'n': 3})`, 321},
		{`SELECT dense_predict('z', ' +1067', '00501', 3)`, 321},
		// 9007199254740993 (2^53+1) is not a float64: its text must not become "…992".
		{`SELECT dense_predict('big', 9007199254740993::BIGINT)`, 1},
		{`SELECT dense_predict('big', 9007199254740992::UBIGINT)`, 0},
	} {
		var got float64
		if err := db.QueryRowContext(ctx, c.q).Scan(&got); err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		if got != c.want {
			t.Errorf("%s = %v, want %v", c.q, got, c.want)
		}
	}
	for _, c := range []struct {
		q    string
		want []string
	}{
		{`SELECT dense_predict('z', {'zip': '1067.0', 'code': '00501', 'n': 3})`,
			[]string{`input "zip"`, "not an integer code", `"1067.0"`}},
		{`SELECT dense_predict('z', {'zip': 1067.0, 'code': '00501', 'n': 3})`,
			[]string{`input "zip"`, "fitted from BIGINT", "is DECIMAL", "want BIGINT, another integer type, or VARCHAR"}},
		{`SELECT dense_predict('z', 1067, 1067, 3)`,
			[]string{`input "code"`, "fitted from VARCHAR", "is INTEGER", "want VARCHAR or ENUM"}},
		{`SELECT dense_predict('z', 1067, '00501', DATE '2024-01-02')`,
			[]string{`input "n"`, "fitted from INTEGER", "is DATE", "want a number"}},
	} {
		var got float64
		err := db.QueryRowContext(ctx, c.q).Scan(&got)
		if err == nil {
			t.Errorf("%s = %v, want an error", c.q, got)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %s", c.q, err, w)
			}
		}
	}
}

// TestInputsTable: dense_inputs lists the feature contract.
func TestInputsTable(t *testing.T) {
	src := testModels(t)
	src.Add("z", contractModel(t, true))
	db := openDB(t, src)
	var got []string
	for _, m := range []string{"z", "digits"} {
		rows, err := db.Query("SELECT input, name, kind, coalesce(source, 'NULL'), accepts, coalesce(length::VARCHAR, 'NULL') FROM dense_inputs('" + m + "')")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var i int
			var name, kind, source, acc, length string
			if err := rows.Scan(&i, &name, &kind, &source, &acc, &length); err != nil {
				t.Fatal(err)
			}
			got = append(got, strings.Join([]string{fmt.Sprint(i), name, kind, source, acc, length}, "|"))
		}
		rows.Close()
	}
	want := []string{
		"1|zip|categorical|BIGINT|BIGINT, another integer type, or VARCHAR holding the integer code|NULL",
		"2|code|categorical|VARCHAR|VARCHAR or ENUM (cast other types with ::VARCHAR)|NULL",
		"3|n|numeric|INTEGER|a number (INTEGER, BIGINT, FLOAT, DOUBLE, DECIMAL …)|NULL",
		"1|pixels|vector|NULL|a LIST or ARRAY of 784 numbers|784",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("dense_inputs:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := db.Exec("SELECT * FROM dense_inputs('nope')"); err == nil || !strings.Contains(err.Error(), "dense_inputs") {
		t.Errorf("unknown model: %v", err)
	}
}
