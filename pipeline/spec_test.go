package pipeline

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
)

func TestLoadExampleSpec(t *testing.T) {
	s, err := LoadSpec(filepath.Join("testdata", "churn.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := s.TrainConfig()
	if c.Target != "churned" || c.Task != TaskAuto || c.PositiveLabel != "true" || c.Name != "churn" {
		t.Errorf("config %+v", c)
	}
	if c.Source != filepath.Join("testdata", "customers.csv") || c.Models != filepath.Join("testdata", "models") {
		t.Errorf("paths not resolved against the spec folder: source %q models %q", c.Source, c.Models)
	}
	if !slices.Equal(c.Hidden, []int{32, 16}) || c.Activation != "relu" || c.Dropout != 0.1 || c.BatchNorm {
		t.Errorf("architecture %v %s %v %v", c.Hidden, c.Activation, c.Dropout, c.BatchNorm)
	}
	if c.Epochs != 30 || c.BatchSize != 64 || c.Optimizer != "adam" || c.LR != 0.003 || c.ValSplit != 0.2 || c.Patience != 5 || c.Seed != 42 {
		t.Errorf("training %+v", c)
	}
	if !slices.Equal(c.Exclude, []string{"customer_id"}) || c.Defaults.MaxCategories != 50 || c.Defaults.Impute != ImputeMean {
		t.Errorf("features: exclude %v defaults %+v", c.Exclude, c.Defaults)
	}
	// Column options override the defaults key by key.
	inc := c.Transforms["income"]
	if inc.Impute != ImputeMedian || !inc.Indicator || !inc.Log1p || inc.Clip == nil || *inc.Clip != (nn.Clip{Min: 0, Max: 500000}) ||
		inc.Scale != ScaleStandard || inc.MaxCategories != 50 {
		t.Errorf("income options %+v", inc)
	}
	if v := c.Transforms["visits"]; v.Scale != ScaleMinMax || v.Impute != ImputeMean {
		t.Errorf("visits options %+v", v)
	}
	if s.Score == nil || s.Score.Sink.Path != "churn_scores.parquet" || s.Score.Columns.withDefaults() != (PredictionNames{"churn_probability", "churn_predicted", "probabilities"}) {
		t.Errorf("score %+v", s.Score)
	}
}

const validSpec = `
source: {path: data.csv}
target: y
registry: {name: m}
`

func TestSpecErrors(t *testing.T) {
	if _, err := ParseSpec([]byte(validSpec)); err != nil {
		t.Fatalf("minimal spec: %v", err)
	}
	for _, tc := range []struct {
		yaml string
		want []string
	}{
		// Decoding: unknown keys, wrong types, wrong shapes.
		{validSpec + "training:\n  epoch: 3\n", []string{"training.epoch: unknown key", "known keys: epochs, batch_size", "line 6"}},
		{validSpec + "featurs: {}\n", []string{"featurs: unknown key", "known keys: source, target"}},
		{validSpec + "features:\n  columns:\n    x: {logp: true}\n", []string{"features.columns.x.logp: unknown key", "log1p"}},
		{validSpec + "training:\n  epochs: many\n", []string{"training.epochs: want a whole number", `"many"`}},
		{validSpec + "architecture:\n  hidden: [8, wide]\n", []string{"architecture.hidden[1]: want a whole number"}},
		{validSpec + "training: [1]\n", []string{"training:", "mapping"}},
		{"", []string{"the spec is empty"}},
		{"# only a comment\n", []string{"the spec is empty"}},
		{validSpec + "---\ntarget: z\n", []string{"more than one YAML document"}},
		{"target: [1\n", []string{"line 1"}},
		// Validation: every kind of value mistake names its key.
		{validSpec + "training:\n  epochs: 0\n", []string{"training.epochs: must be ≥ 1, got 0"}},
		{validSpec + "training:\n  batch_size: -1\n", []string{"training.batch_size: must be ≥ 1, got -1"}},
		{validSpec + "training:\n  optimizer: adagrad\n", []string{`training.optimizer: must be sgd, adam, adamw or rmsprop, got "adagrad"`}},
		{validSpec + "training:\n  learning_rate: 0\n", []string{"training.learning_rate: must be > 0, got 0"}},
		{validSpec + "training:\n  validation_split: 1\n", []string{"training.validation_split: must be in (0, 1), got 1"}},
		{validSpec + "training:\n  patience: -2\n", []string{"training.patience: must be ≥ 0"}},
		{validSpec + "task: ranking\n", []string{`task: must be auto, regression, binary or multiclass, got "ranking"`}},
		{validSpec + "task: regression\npositive_label: a\n", []string{"positive_label: only for a binary task"}},
		{validSpec + "architecture:\n  hidden: [8, 0]\n", []string{"architecture.hidden[1]: must be ≥ 1 unit, got 0"}},
		{validSpec + "architecture:\n  activation: softmax\n", []string{"architecture.activation: must be relu", `got "softmax"`}},
		{validSpec + "architecture:\n  dropout: 1.5\n", []string{"architecture.dropout: must be in [0, 1), got 1.5"}},
		{validSpec + "features:\n  defaults: {scale: robust}\n", []string{`features.defaults.scale: must be standard, minmax or none, got "robust"`}},
		{validSpec + "features:\n  columns:\n    x: {impute: zero}\n", []string{`features.columns.x.impute: must be mean, median`}},
		{validSpec + "features:\n  columns:\n    x: {kind: text}\n", []string{`features.columns.x.kind: must be auto, numeric`}},
		{validSpec + "features:\n  columns:\n    x: {clip: [5, 1]}\n", []string{"features.columns.x.clip: min 5 is greater than max 1"}},
		{validSpec + "features:\n  columns:\n    x: {clip: [5]}\n", []string{"features.columns.x.clip: must be [min, max], got 1 values"}},
		{validSpec + "features:\n  columns:\n    x: {impute: none, indicator: true}\n", []string{"features.columns.x.indicator: needs an imputation (impute is none)"}},
		{validSpec + "features:\n  columns:\n    x: {max_categories: 0}\n", []string{"features.columns.x.max_categories: must be ≥ 1, got 0"}},
		{validSpec + "features:\n  columns:\n    x: {fill_value: 3}\n", []string{"features.columns.x: fill_value and fill_category go with impute: constant"}},
		{validSpec + "features:\n  columns:\n    x: {impute: constant}\n", []string{"features.columns.x.impute: constant needs fill_value"}},
		{validSpec + "features:\n  columns:\n    y: {scale: none}\n", []string{"features.columns.y: is the target"}},
		{validSpec + "features:\n  include: [a]\n  columns:\n    b: {scale: none}\n", []string{"features.columns.b: has transforms but is not in features.include"}},
		{validSpec + "features:\n  exclude: [b]\n  columns:\n    b: {scale: none}\n", []string{"features.columns.b: has transforms but is excluded"}},
		{validSpec + "features:\n  include: [a, y, a]\n", []string{`features.include: lists the target "y"`, `features.include[2]: "a" is listed twice`}},
		{"source: {path: a.csv, db: x.duckdb}\ntarget: y\nregistry: {name: m}\n", []string{"source: give either path, or db and query, not both"}},
		{"source: {db: x.duckdb}\ntarget: y\nregistry: {name: m}\n", []string{"source.query: required with source.db"}},
		{"target: y\nregistry: {name: m}\n", []string{"source: required"}},
		{"source: {path: a.csv}\nregistry: {name: m}\n", []string{"target: required"}},
		{"source: {path: a.csv}\ntarget: y\n", []string{"registry.name: required"}},
		{"source: {path: a.csv}\ntarget: y\nregistry: {name: 'a/b'}\n", []string{`registry.name: invalid model reference: model name "a/b": character '/' at 1`}},
		{validSpec + "score:\n  source: {path: b.csv}\n", []string{"score.sink: required"}},
		{validSpec + "score:\n  source: {path: b.csv}\n  sink: {db: x.duckdb}\n", []string{"score.sink.table: required with score.sink.db"}},
		{validSpec + "score:\n  source: {path: b.csv}\n  sink: {db: x.duckdb, table: t, mode: upsert}\n", []string{`score.sink.mode: must be create, replace or append, got "upsert"`}},
		{validSpec + "score:\n  source: {query: select 1}\n  sink: {path: o.csv, mode: replace}\n", []string{"score.source.db: required with score.source.query", "score.sink.mode: only for a DuckDB table"}},
		{validSpec + "score:\n  source: {path: b.csv}\n  sink: {path: o.csv}\n  columns: {score: p, label: p}\n", []string{"score.columns: score, label and proba need distinct names"}},
	} {
		_, err := ParseSpec([]byte(tc.yaml))
		if err == nil {
			t.Errorf("no error for\n%s", tc.yaml)
			continue
		}
		if !strings.HasPrefix(err.Error(), "pipeline: spec: ") {
			t.Errorf("error %q lacks the stage prefix", err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q\ndoes not mention %q; spec:\n%s", err, w, tc.yaml)
			}
		}
	}
}

func TestSpecHiddenDefaults(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		nilH bool
		want []int
	}{
		{validSpec, true, nil},
		{validSpec + "architecture: {hidden: []}\n", false, []int{}},
		{validSpec + "architecture: {hidden: [4]}\n", false, []int{4}},
	} {
		s, err := ParseSpec([]byte(tc.yaml))
		if err != nil {
			t.Fatal(err)
		}
		h := s.TrainConfig().Hidden
		if (h == nil) != tc.nilH || !slices.Equal(h, tc.want) {
			t.Errorf("%q: hidden %#v, want %#v (nil: %v)", tc.yaml, h, tc.want, tc.nilH)
		}
	}
}

func TestSpecReportsEveryProblem(t *testing.T) {
	_, err := ParseSpec([]byte("source: {path: a.csv}\ntraining: {epochs: 0, batch_size: 0}\n"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"target: required", "training.epochs", "training.batch_size", "registry.name"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q misses %q", err, w)
		}
	}
}
