package sqllogic

import (
	"fmt"
	"os"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
)

// WriteModels registers the suite's models in the registry folder dir (a
// new, empty folder). Their weights are set by hand so that the expected
// results can be worked out by hand:
//
//	lin3@1     a, b, c → a + 2b + 3c + 0.5
//	lin3@2     a, b, c → a + b + c            (the newest lin3)
//	lin3@prod  an alias of lin3@1
//	gate       binary: x (numeric), color (categorical red|green) → sigmoid(x + 2·[green] − 1); labels no|yes
//	imputed    regression: income (NULL → 10, with a missing indicator) → income + 100·missing;
//	           region (categorical north|south, unknown bucket, NULL → north) → +1000 south, +2000 unknown
//	scaled     regression: v (standard scaled, mean 10, std 2) → (v − 10)/2
//	pick3      multiclass: a, b, c → softmax(a, b, c); labels a_big|b_big|c_big
//	vec4       regression: one vector input v of 4 → sum
//	twoout     regression: a, b → [a, b]
//	bn         regression: x, batch norm (running mean 1, var 4), dense → (x − 1)/2 (approx., ε = 1e-5), with a dropout layer
//	sgate      binary: income (standard scaled, mean 0, std 0.5) → sigmoid(2·income); labels no|yes
//	svec       regression: one vector input v of 2, each element standard scaled (mean 0, std 0.5) → 2·(v1 + v2)
//	when       regression: d (date from TIMESTAMP; days scaled with mean 19723 = 2024-01-01, std 10; NULL → 19723
//	           with a missing indicator; cycles day_of_week, month, time_of_day) →
//	           days' + 2 sin_w + 3 cos_w + 4 sin_m + 5 cos_m + 6 sin_t + 7 cos_t + 100·missing
//	codes      regression: store (categorical fitted from BIGINT codes 3|7|1067, unknown bucket) → 1, 10, 100; unknown 1000
//	broken@1   regression x → x with validation metrics mse 0.25, r2 0.5, whose model file was damaged
//	           after registration: listed, and loading it fails with the registry's SHA-256 error
func WriteModels(dir string) error {
	if names, err := os.ReadDir(dir); err == nil && len(names) > 0 {
		return fmt.Errorf("sqllogic: the models folder %s is not empty", dir)
	}
	reg, err := registry.Open(dir)
	if err != nil {
		return fmt.Errorf("sqllogic: %w", err)
	}
	num := nn.NumericInput
	regression := func(inputs []nn.Input, layers ...nn.LayerSpec) nn.Spec {
		return nn.Spec{Task: nn.TaskRegression, Inputs: inputs, Layers: layers}
	}
	abc := []nn.Input{num("a"), num("b"), num("c")}
	models := []struct {
		name   string
		spec   nn.Spec
		values [][]float32
	}{
		{"lin3", regression(abc, nn.Dense(1, nn.Linear)), [][]float32{{1, 2, 3}, {0.5}}},
		{"lin3", regression(abc, nn.Dense(1, nn.Linear)), [][]float32{{1, 1, 1}, {0}}},
		{"gate", nn.Spec{Task: nn.TaskBinary, Labels: []string{"no", "yes"},
			Inputs: []nn.Input{num("x"), {Name: "color", Kind: nn.KindCategorical, Vocabulary: []string{"red", "green"}}},
			Layers: []nn.LayerSpec{nn.Dense(1, nn.Sigmoid)}},
			[][]float32{{1, 0, 2}, {-1}}},
		{"imputed", regression([]nn.Input{
			{Name: "income", Kind: nn.KindNumeric, Impute: &nn.Impute{Strategy: nn.ImputeConstant, Value: 10, Indicator: true}},
			{Name: "region", Kind: nn.KindCategorical, Vocabulary: []string{"north", "south"}, UnknownBucket: true,
				Impute: &nn.Impute{Strategy: nn.ImputeMostFrequent, Category: "north"}},
		}, nn.Dense(1, nn.Linear)), [][]float32{{1, 100, 0, 1000, 2000}, {0}}},
		{"scaled", regression([]nn.Input{{Name: "v", Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 10, Std: 2}}},
			nn.Dense(1, nn.Linear)), [][]float32{{1}, {0}}},
		{"pick3", nn.Spec{Task: nn.TaskMulticlass, Labels: []string{"a_big", "b_big", "c_big"}, Inputs: abc,
			Layers: []nn.LayerSpec{nn.Dense(3, nn.Softmax)}},
			[][]float32{{1, 0, 0, 0, 1, 0, 0, 0, 1}, {0, 0, 0}}},
		{"vec4", regression([]nn.Input{nn.VectorInput("v", 4)}, nn.Dense(1, nn.Linear)), [][]float32{{1, 1, 1, 1}, {0}}},
		{"twoout", regression([]nn.Input{num("a"), num("b")}, nn.Dense(2, nn.Linear)), [][]float32{{1, 0, 0, 1}, {0, 0}}},
		{"bn", regression([]nn.Input{num("x")}, nn.BatchNorm(), nn.Dropout(0.5), nn.Dense(1, nn.Linear)),
			[][]float32{{1}, {0}, {1}, {4}, {1}, {0}}},
		{"sgate", nn.Spec{Task: nn.TaskBinary, Labels: []string{"no", "yes"},
			Inputs: []nn.Input{{Name: "income", Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleStandard, Std: 0.5}}},
			Layers: []nn.LayerSpec{nn.Dense(1, nn.Sigmoid)}},
			[][]float32{{1}, {0}}},
		{"svec", regression([]nn.Input{{Name: "v", Kind: nn.KindVector, Length: 2, Scale: &nn.Scale{Method: nn.ScaleStandard, Std: 0.5}}},
			nn.Dense(1, nn.Linear)), [][]float32{{1, 1}, {0}}},
		{"when", regression([]nn.Input{{Name: "d", Kind: nn.KindDate, Source: "TIMESTAMP",
			Cycles: []string{nn.CycleWeek, nn.CycleYear, nn.CycleDay},
			Impute: &nn.Impute{Strategy: nn.ImputeMean, Value: 19723, Indicator: true},
			Scale:  &nn.Scale{Method: nn.ScaleStandard, Mean: 19723, Std: 10}}},
			nn.Dense(1, nn.Linear)), [][]float32{{1, 2, 3, 4, 5, 6, 7, 100}, {0}}},
		{"codes", regression([]nn.Input{{Name: "store", Kind: nn.KindCategorical, Source: "BIGINT",
			Vocabulary: []string{"3", "7", "1067"}, UnknownBucket: true}},
			nn.Dense(1, nn.Linear)), [][]float32{{1, 10, 100, 1000}, {0}}},
		{"broken", func() nn.Spec {
			s := regression([]nn.Input{num("x")}, nn.Dense(1, nn.Linear))
			s.Provenance.Metrics = map[string]float64{"mse": 0.25, "r2": 0.5}
			return s
		}(), [][]float32{{1}, {0}}},
	}
	versions := map[string]int{}
	for _, m := range models {
		model, err := handModel(m.spec, m.values)
		if err != nil {
			return fmt.Errorf("sqllogic: model %s: %w", m.name, err)
		}
		versions[m.name]++
		model.Spec().Explain = explainFixture(m.name, versions[m.name])
		e, err := reg.Register(m.name, model)
		if err != nil {
			return fmt.Errorf("sqllogic: %w", err)
		}
		if m.name == "broken" {
			if err := damage(e.Path); err != nil {
				return fmt.Errorf("sqllogic: damage %s: %w", e.Path, err)
			}
		}
	}
	if _, err := reg.SetAlias("lin3@1", "prod"); err != nil {
		return fmt.Errorf("sqllogic: %w", err)
	}
	return nil
}

// handModel builds a model from spec with the given tensor values.
func handModel(spec nn.Spec, values [][]float32) (*nn.Model, error) {
	spec.Format, spec.Version = nn.FormatName, nn.FormatVersion
	m, err := nn.NewModel(spec, 1)
	if err != nil {
		return nil, err
	}
	ts := m.Tensors()
	if len(ts) != len(values) {
		return nil, fmt.Errorf("%d tensors, %d values given", len(ts), len(values))
	}
	for i, v := range values {
		if len(v) != len(ts[i].Data) {
			return nil, fmt.Errorf("tensor %s has %d values, %d given", ts[i].Name, len(ts[i].Data), len(v))
		}
		copy(ts[i].Data, v)
	}
	return m, nil
}

// damage flips the last byte of a model file (inside its last tensor), the
// way a bad disk or a stray write would: the file still decodes, its
// SHA-256 no longer matches the registered one.
func damage(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err == nil {
		b := make([]byte, 1)
		if _, err = f.ReadAt(b, st.Size()-1); err == nil {
			b[0] ^= 0x40
			_, err = f.WriteAt(b, st.Size()-1)
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
