//go:build !dense_extension

package udf

import (
	"context"
	"database/sql"
	"testing"

	"github.com/dense-ml/dense/internal/sqllogic"
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
	_ "github.com/duckdb/duckdb-go/v2"
)

// The test models.
//
//	lin3     regression a, b, c → 1·a + 2·b + 3·c + 0.5 (hand-set weights)
//	churn    binary: age (standard scaled), income (mean-imputed with indicator, log1p), plan (categorical,
//	         no unknown bucket), region (categorical, unknown bucket, imputed) → 8 relu → 1 sigmoid; labels stay/churn
//	digits   multiclass 784 → 128 relu → 10 softmax on one vector input "pixels"
//	mlp20    regression f0…f19 → 64 relu → 32 relu → 1
//	multi    regression a, b → 2 outputs
func testModels(t testing.TB) *Memory {
	t.Helper()
	src := NewMemory()
	must := func(m *nn.Model, err error) *nn.Model {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	spec := func(task nn.Task, inputs []nn.Input, layers ...nn.LayerSpec) nn.Spec {
		return nn.Spec{Format: nn.FormatName, Version: nn.FormatVersion, Task: task, Inputs: inputs, Layers: layers}
	}

	lin := must(nn.NewModel(spec(nn.TaskRegression,
		[]nn.Input{nn.NumericInput("a"), nn.NumericInput("b"), nn.NumericInput("c")},
		nn.Dense(1, nn.Linear)), 1))
	ts := lin.Tensors()
	copy(ts[0].Data, []float32{1, 2, 3})
	ts[1].Data[0] = 0.5
	src.Add("lin3", lin)

	churnSpec := spec(nn.TaskBinary, []nn.Input{
		{Name: "age", Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 40, Std: 10}},
		{Name: "income", Kind: nn.KindNumeric, Impute: &nn.Impute{Strategy: nn.ImputeMean, Value: 50000, Indicator: true},
			Log1p: true, Clip: &nn.Clip{Min: 0, Max: 1e7}},
		{Name: "plan", Kind: nn.KindCategorical, Vocabulary: []string{"basic", "pro", "enterprise-unlimited"}},
		{Name: "region", Kind: nn.KindCategorical, Vocabulary: []string{"north", "south"}, UnknownBucket: true,
			Impute: &nn.Impute{Strategy: nn.ImputeMostFrequent, Category: "north"}},
	}, nn.Dense(8, nn.ReLU), nn.Dense(1, nn.Sigmoid))
	churnSpec.Labels = []string{"stay", "churn"}
	src.Add("churn", must(nn.NewModel(churnSpec, 7)))

	digits := spec(nn.TaskMulticlass, []nn.Input{nn.VectorInput("pixels", 784)},
		nn.Dense(128, nn.ReLU), nn.Dense(10, nn.Softmax))
	digits.Labels = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	src.Add("digits", must(nn.NewModel(digits, 3)))

	var in20 []nn.Input
	for i := range 20 {
		in20 = append(in20, nn.NumericInput("f"+string(rune('a'+i))))
	}
	src.Add("mlp20", must(nn.NewModel(spec(nn.TaskRegression, in20,
		nn.Dense(64, nn.ReLU), nn.Dense(32, nn.ReLU), nn.Dense(1, nn.Linear)), 5)))

	src.Add("multi", must(nn.NewModel(spec(nn.TaskRegression,
		[]nn.Input{nn.NumericInput("a"), nn.NumericInput("b")}, nn.Dense(2, nn.Linear)), 9)))
	return src
}

// openDB opens an in-memory DuckDB with the functions registered.
func openDB(t testing.TB, src ModelSource) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := Register(db, src); err != nil {
		t.Fatal(err)
	}
	return db
}

func exec(t testing.TB, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// handModel builds a model and sets its tensors to the given values, in
// Tensors order, so that SQL test expectations can be worked out by hand.
func handModel(t testing.TB, spec nn.Spec, values ...[]float32) *nn.Model {
	t.Helper()
	spec.Format, spec.Version = nn.FormatName, nn.FormatVersion
	m, err := nn.NewModel(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	ts := m.Tensors()
	if len(ts) != len(values) {
		t.Fatalf("handModel: %d tensors, %d values", len(ts), len(values))
	}
	for i, v := range values {
		if len(v) != len(ts[i].Data) {
			t.Fatalf("handModel: tensor %s has %d values, got %d", ts[i].Name, len(ts[i].Data), len(v))
		}
		copy(ts[i].Data, v)
	}
	return m
}

// sqlFixtureDir writes the SQL test suite's models (sqllogic.WriteModels:
// hand-set weights, and a damaged "broken") into a new registry folder.
func sqlFixtureDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := sqllogic.WriteModels(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sqlFixtureSource serves the registry folder dir.
func sqlFixtureSource(t testing.TB, dir string) ModelSource {
	t.Helper()
	reg, err := registry.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return FromRegistry(reg)
}

// sqlFixture is the SQL test suite's model set, in a registry folder.
func sqlFixture(t testing.TB) ModelSource {
	t.Helper()
	return sqlFixtureSource(t, sqlFixtureDir(t))
}
