package udf

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/dense-ml/dense/nn"
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
	spec := func(task string, inputs []nn.Input, layers ...nn.LayerSpec) nn.Spec {
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

// brokenSource is a Memory plus listed models whose Load fails, the way a
// registry fails on a corrupt model file.
type brokenSource struct {
	*Memory
	broken map[string]error // name@version → load error
}

func (b *brokenSource) List() ([]ModelInfo, error) {
	infos, err := b.Memory.List()
	for ref := range b.broken {
		name, version, _ := ParseRef(ref)
		infos = append(infos, ModelInfo{Name: name, Version: version, Path: "/models/" + name + "/1/model.safetensors",
			SHA256: "00ff", Task: nn.TaskRegression, Inputs: []string{"x"}, Params: 2,
			Metrics: map[string]float64{"r2": 0.5, "mse": 0.25}})
	}
	sortInfos(infos)
	return infos, err
}

func (b *brokenSource) Load(ref string) (*nn.Model, ModelInfo, error) {
	name, version, err := ParseRef(ref)
	if err != nil {
		return nil, ModelInfo{}, err
	}
	if version == 0 {
		version = 1
	}
	if err := b.broken[fmt.Sprintf("%s@%d", name, version)]; err != nil {
		return nil, ModelInfo{}, err
	}
	return b.Memory.Load(ref)
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

// sqlFixture is the model set of the SQL test suite (sql/test/*.test); its
// weights are set by hand so the expected results can be checked by hand.
//
//	lin3@1     a, b, c → a + 2b + 3c + 0.5
//	lin3@2     a, b, c → a + b + c            (the newest lin3)
//	gate       binary: x (numeric), color (categorical red|green) → sigmoid(x + 2·[green] − 1); labels no|yes
//	imputed    regression: income (NULL → 10, with a missing indicator) → income + 100·missing;
//	           region (categorical north|south, unknown bucket, NULL → north) → +1000 south, +2000 unknown
//	scaled     regression: v (standard scaled, mean 10, std 2) → (v − 10)/2
//	pick3      multiclass: a, b, c → softmax(a, b, c); labels a_big|b_big|c_big
//	vec4       regression: one vector input v of 4 → sum
//	twoout     regression: a, b → [a, b]
//	bn         regression: x, batch norm (running mean 1, var 4), dense → (x − 1)/2 (approx., ε = 1e-5), with a dropout layer
//	broken@1   listed, but loading fails like a corrupt file
func sqlFixture(t testing.TB) ModelSource {
	t.Helper()
	src := NewMemory()
	num := nn.NumericInput
	reg := func(inputs []nn.Input, layers ...nn.LayerSpec) nn.Spec {
		return nn.Spec{Task: nn.TaskRegression, Inputs: inputs, Layers: layers}
	}
	abc := []nn.Input{num("a"), num("b"), num("c")}
	src.Add("lin3", handModel(t, reg(abc, nn.Dense(1, nn.Linear)), []float32{1, 2, 3}, []float32{0.5}))
	src.Add("lin3", handModel(t, reg(abc, nn.Dense(1, nn.Linear)), []float32{1, 1, 1}, []float32{0}))

	gate := nn.Spec{Task: nn.TaskBinary, Labels: []string{"no", "yes"},
		Inputs: []nn.Input{num("x"), {Name: "color", Kind: nn.KindCategorical, Vocabulary: []string{"red", "green"}}},
		Layers: []nn.LayerSpec{nn.Dense(1, nn.Sigmoid)}}
	src.Add("gate", handModel(t, gate, []float32{1, 0, 2}, []float32{-1}))

	imputed := reg([]nn.Input{
		{Name: "income", Kind: nn.KindNumeric, Impute: &nn.Impute{Strategy: nn.ImputeConstant, Value: 10, Indicator: true}},
		{Name: "region", Kind: nn.KindCategorical, Vocabulary: []string{"north", "south"}, UnknownBucket: true,
			Impute: &nn.Impute{Strategy: nn.ImputeMostFrequent, Category: "north"}},
	}, nn.Dense(1, nn.Linear))
	src.Add("imputed", handModel(t, imputed, []float32{1, 100, 0, 1000, 2000}, []float32{0}))

	scaled := reg([]nn.Input{{Name: "v", Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 10, Std: 2}}},
		nn.Dense(1, nn.Linear))
	src.Add("scaled", handModel(t, scaled, []float32{1}, []float32{0}))

	pick3 := nn.Spec{Task: nn.TaskMulticlass, Labels: []string{"a_big", "b_big", "c_big"}, Inputs: abc,
		Layers: []nn.LayerSpec{nn.Dense(3, nn.Softmax)}}
	src.Add("pick3", handModel(t, pick3, []float32{1, 0, 0, 0, 1, 0, 0, 0, 1}, []float32{0, 0, 0}))

	src.Add("vec4", handModel(t, reg([]nn.Input{nn.VectorInput("v", 4)}, nn.Dense(1, nn.Linear)),
		[]float32{1, 1, 1, 1}, []float32{0}))
	src.Add("twoout", handModel(t, reg([]nn.Input{num("a"), num("b")}, nn.Dense(2, nn.Linear)),
		[]float32{1, 0, 0, 1}, []float32{0, 0}))
	src.Add("bn", handModel(t, reg([]nn.Input{num("x")}, nn.BatchNorm(), nn.Dropout(0.5), nn.Dense(1, nn.Linear)),
		[]float32{1}, []float32{0}, []float32{1}, []float32{4}, []float32{1}, []float32{0}))
	return &brokenSource{Memory: src, broken: map[string]error{
		"broken@1": errors.New("registry: load broken@1: /models/broken/1/model.safetensors has SHA-256 1234, 00ff when registered: the file was changed or damaged"),
	}}
}
