package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/dense-ml/dense/internal/safefile"
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
	"github.com/dense-ml/dense/tabular"
)

// Spec is a declarative pipeline: the YAML file `dense pipeline run` takes.
// See doc.go and testdata/churn.yaml for the full format. Relative paths in
// it are relative to the spec file's folder.
type Spec struct {
	Source        SourceSpec   `yaml:"source"`
	Target        string       `yaml:"target"`
	Task          string       `yaml:"task"`
	PositiveLabel string       `yaml:"positive_label"`
	ClassWeights  string       `yaml:"class_weights"`
	Threshold     *float64     `yaml:"threshold"`
	Features      FeaturesSpec `yaml:"features"`
	Architecture  ArchSpec     `yaml:"architecture"`
	Training      TrainingSpec `yaml:"training"`
	Registry      RegistrySpec `yaml:"registry"`
	Score         *ScoreSpec   `yaml:"score"`

	// OnEvent receives progress events from Run (not part of the YAML).
	OnEvent func(Event) `yaml:"-"`
	// Dir is the folder relative paths resolve against (LoadSpec sets it
	// to the spec file's folder; empty means the working directory).
	Dir string `yaml:"-"`
}

// SourceSpec names the data: a file (CSV, JSON lines, Parquet or Arrow IPC
// by extension; a glob or a hive-partitioned folder), read by duckio.Open
// as SQL's FROM 'path' reads it, or a DuckDB database and a query.
type SourceSpec struct {
	Path      string `yaml:"path"`
	DB        string `yaml:"db"`
	Query     string `yaml:"query"`
	BatchSize int    `yaml:"batch_size"`
}

// FeaturesSpec selects the feature columns and their transforms. Include
// (default: every column but the target and Exclude) fixes the model's
// input order. Defaults apply to every feature; Columns override them
// key by key for one column.
type FeaturesSpec struct {
	Include  []string                 `yaml:"include"`
	Exclude  []string                 `yaml:"exclude"`
	Defaults TransformSpec            `yaml:"defaults"`
	Columns  map[string]TransformSpec `yaml:"columns"`
}

// TransformSpec is FeatureOptions as YAML; unset keys inherit.
type TransformSpec struct {
	Kind          string    `yaml:"kind"`
	Scale         string    `yaml:"scale"`
	Impute        string    `yaml:"impute"`
	FillValue     *float64  `yaml:"fill_value"`
	FillCategory  *string   `yaml:"fill_category"`
	Indicator     *bool     `yaml:"indicator"`
	Log1p         *bool     `yaml:"log1p"`
	Clip          []float64 `yaml:"clip"` // [min, max]
	MaxCategories *int      `yaml:"max_categories"`
	UnknownBucket *bool     `yaml:"unknown_bucket"`
	// MinCategoryCount: the fewest rows a category needs for its own slot
	// (default: tabular's rare-category rule; 1 keeps every value).
	MinCategoryCount *int `yaml:"min_category_count"`
}

// ArchSpec is the network between the inputs and the task's output layer.
type ArchSpec struct {
	Hidden     []int         `yaml:"hidden"` // omitted: [64, 32]; []: no hidden layer
	Activation nn.Activation `yaml:"activation"`
	Dropout    *float64      `yaml:"dropout"`
	BatchNorm  bool          `yaml:"batch_norm"`
}

// TrainingSpec holds the training settings; omitted keys take TrainConfig's
// defaults.
type TrainingSpec struct {
	Epochs          *int         `yaml:"epochs"`
	BatchSize       *int         `yaml:"batch_size"`
	Optimizer       nn.Optimizer `yaml:"optimizer"`
	LearningRate    *float64     `yaml:"learning_rate"`
	ValidationSplit *float64     `yaml:"validation_split"`
	Patience        *int         `yaml:"patience"`     // early stopping; omitted: chosen from the rows, 0: off
	LRSchedule      string       `yaml:"lr_schedule"`  // plateau (the default) or constant
	WeightDecay     *float64     `yaml:"weight_decay"` // omitted: DefaultWeightDecay, 0: none
	CV              *int         `yaml:"cv"`           // k-fold cross-validation; omitted: off
	Seed            int64        `yaml:"seed"`
	Threads         int          `yaml:"threads"`
}

// RegistrySpec says where the trained model is registered.
type RegistrySpec struct {
	Name string `yaml:"name"`
	Dir  string `yaml:"dir"` // default: the registry's default folder
}

// ScoreSpec optionally scores a source with the freshly trained model and
// writes the result to a sink.
type ScoreSpec struct {
	Source  SourceSpec      `yaml:"source"`
	Sink    SinkSpec        `yaml:"sink"`
	Columns PredictionNames `yaml:"columns"`
}

// SinkSpec is a file (format by extension) or a DuckDB table.
type SinkSpec struct {
	Path  string `yaml:"path"`
	DB    string `yaml:"db"`
	Table string `yaml:"table"`
	Mode  string `yaml:"mode"` // DuckDB: create (default), replace or append
}

// PredictionNames name the appended prediction columns; empty names take
// the defaults (prediction, predicted_label, probabilities).
type PredictionNames struct {
	Score string `yaml:"score"`
	Label string `yaml:"label"`
	Proba string `yaml:"proba"`
}

// MaxSpecBytes caps the size of a spec file LoadSpec reads: a spec is a
// page of YAML, and a path to /dev/zero or a huge file must not fill memory.
const MaxSpecBytes = 1 << 20

// LoadSpec reads, strictly decodes and validates a spec file. It reads only
// a regular file of at most MaxSpecBytes (a FIFO or a device is refused by
// name).
func LoadSpec(path string) (*Spec, error) {
	data, err := safefile.ReadFile(path, MaxSpecBytes)
	if err != nil {
		return nil, fmt.Errorf("pipeline: spec: %w", err)
	}
	s, err := ParseSpec(data)
	if err != nil {
		return nil, fmt.Errorf("pipeline: spec %s: %w", path, errors.Unwrap(err))
	}
	s.Dir = filepath.Dir(path)
	return s, nil
}

// ParseSpec strictly decodes (unknown keys are errors) and validates a spec.
// Errors name the key: "training.epochs: must be ≥ 1, got 0".
func ParseSpec(data []byte) (*Spec, error) {
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict())
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("pipeline: spec: the spec is empty")
		}
		return nil, fmt.Errorf("pipeline: spec: %w", yamlError(data, err))
	}
	var more any
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, errors.New("pipeline: spec: more than one YAML document (---); a spec is one document")
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("pipeline: spec: %w", err)
	}
	return &s, nil
}

// yamlError rewrites a decoding error as "key.path: problem (line N)".
func yamlError(data []byte, err error) error {
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		return err
	}
	tok := ye.GetToken()
	key := keyAt(data, tok)
	msg := ye.GetMessage()
	var uf *yaml.UnknownFieldError
	var te *yaml.TypeError
	switch {
	case errors.As(err, &uf):
		parent := key
		if i := strings.LastIndexByte(key, '.'); i >= 0 {
			parent = key[:i]
		} else {
			parent = ""
		}
		msg = "unknown key"
		if known := knownKeys(parent); len(known) > 0 {
			msg += " (known keys: " + strings.Join(known, ", ") + ")"
		}
	case errors.As(err, &te):
		msg = fmt.Sprintf("want %s, got %q", kindName(te.DstType), tok.Value)
	}
	if key == "" {
		return fmt.Errorf("line %d: %s", tok.Position.Line, msg)
	}
	return fmt.Errorf("%s: %s (line %d)", key, msg, tok.Position.Line)
}

type tokenFinder struct {
	tok  *token.Token
	path string
}

func (v *tokenFinder) Visit(n ast.Node) ast.Visitor {
	if t := n.GetToken(); v.path == "" && t != nil && t.Position.Line == v.tok.Position.Line && t.Position.Column == v.tok.Position.Column {
		v.path = n.GetPath()
	}
	return v
}

// keyAt finds the key path ("training.epochs") of the node at tok.
func keyAt(data []byte, tok *token.Token) string {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return ""
	}
	v := &tokenFinder{tok: tok}
	for _, d := range f.Docs {
		ast.Walk(v, d)
	}
	return strings.TrimPrefix(strings.TrimPrefix(v.path, "$"), ".")
}

// knownKeys lists the YAML keys of the struct at a key path in Spec.
func knownKeys(path string) []string {
	t := reflect.TypeFor[Spec]()
	if path != "" {
		for _, seg := range strings.Split(path, ".") {
			if i := strings.IndexByte(seg, '['); i >= 0 {
				seg = seg[:i]
			}
			for t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			switch t.Kind() {
			case reflect.Map:
				t = t.Elem()
				continue
			case reflect.Struct:
			default:
				return nil
			}
			found := false
			for f := range t.Fields() {
				if yamlName(f) == seg {
					t, found = f.Type, true
					break
				}
			}
			if !found {
				return nil
			}
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Map {
		return nil // any key is a column name
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for f := range t.Fields() {
		if n := yamlName(f); n != "" && n != "-" {
			keys = append(keys, n)
		}
	}
	return keys
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

func kindName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

// specErrors collects "key: problem" errors.
type specErrors []error

func (e *specErrors) add(key, format string, args ...any) {
	*e = append(*e, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
}

// Validate checks the whole spec and reports every problem, one per line,
// each naming its key.
func (s *Spec) Validate() error {
	var errs specErrors
	s.Source.validate("source", &errs)
	if s.Target == "" {
		errs.add("target", "required: the column to predict")
	}
	if s.Task != "" && tabular.ValidTask(s.Task) != nil {
		errs.add("task", "must be %s, %s, got %q", TaskAuto, nn.List(nn.Tasks()), s.Task)
	}
	if s.PositiveLabel != "" && (s.Task == TaskRegression || s.Task == TaskMulticlass) {
		errs.add("positive_label", "only for a binary task (task is %s)", s.Task)
	}
	if w := s.ClassWeights; w != "" && w != ClassWeightsBalanced && w != ClassWeightsNone {
		errs.add("class_weights", "must be %s or %s, got %q", ClassWeightsBalanced, ClassWeightsNone, w)
	}
	if t := s.Threshold; t != nil && !(*t > 0 && *t < 1) {
		errs.add("threshold", "must be in (0, 1), got %v", *t)
	}
	if k := s.Training.CV; k != nil && *k < 2 {
		errs.add("training.cv", "needs at least 2 folds, got %d", *k)
	}
	f := &s.Features
	if slices.Contains(f.Include, s.Target) && s.Target != "" {
		errs.add("features.include", "lists the target %q", s.Target)
	}
	for i, n := range f.Include {
		if slices.Contains(f.Include[:i], n) {
			errs.add(fmt.Sprintf("features.include[%d]", i), "%q is listed twice", n)
		}
		if slices.Contains(f.Exclude, n) {
			errs.add(fmt.Sprintf("features.include[%d]", i), "%q is also excluded", n)
		}
	}
	f.Defaults.validate("features.defaults", &errs)
	for _, name := range sortedKeys(f.Columns) {
		key := "features.columns." + name
		t := f.Columns[name]
		t.validate(key, &errs)
		switch {
		case name == s.Target:
			errs.add(key, "is the target, not a feature")
		case slices.Contains(f.Exclude, name):
			errs.add(key, "has transforms but is excluded")
		case len(f.Include) > 0 && !slices.Contains(f.Include, name):
			errs.add(key, "has transforms but is not in features.include")
		}
	}
	a := &s.Architecture
	for i, h := range a.Hidden {
		if h < 1 {
			errs.add(fmt.Sprintf("architecture.hidden[%d]", i), "must be ≥ 1 unit, got %d", h)
		}
	}
	if a.Activation != "" && !a.Activation.Hidden() {
		errs.add("architecture.activation", "must be %s, got %q", nn.List(nn.HiddenActivations()), a.Activation)
	}
	if a.Dropout != nil && !(*a.Dropout >= 0 && *a.Dropout < 1) {
		errs.add("architecture.dropout", "must be in [0, 1), got %v", *a.Dropout)
	}
	t := &s.Training
	if t.Epochs != nil && *t.Epochs < 1 {
		errs.add("training.epochs", "must be ≥ 1, got %d", *t.Epochs)
	}
	if t.BatchSize != nil && *t.BatchSize < 1 {
		errs.add("training.batch_size", "must be ≥ 1, got %d", *t.BatchSize)
	}
	if _, err := nn.ParseOptimizer(string(t.Optimizer)); t.Optimizer != "" && err != nil {
		errs.add("training.optimizer", "must be %s, got %q", nn.List(nn.Optimizers()), t.Optimizer)
	}
	if t.LearningRate != nil && !(*t.LearningRate > 0 && *t.LearningRate < 1e6) {
		errs.add("training.learning_rate", "must be > 0, got %v", *t.LearningRate)
	}
	if t.ValidationSplit != nil && !(*t.ValidationSplit > 0 && *t.ValidationSplit < 1) {
		errs.add("training.validation_split", "must be in (0, 1), got %v", *t.ValidationSplit)
	}
	if t.Patience != nil && *t.Patience < 0 {
		errs.add("training.patience", "must be ≥ 0 epochs, got %d", *t.Patience)
	}
	if t.LRSchedule != "" && t.LRSchedule != SchedulePlateau && t.LRSchedule != ScheduleConstant {
		errs.add("training.lr_schedule", "must be %s or %s, got %q", SchedulePlateau, ScheduleConstant, t.LRSchedule)
	}
	if t.WeightDecay != nil && !(*t.WeightDecay >= 0 && *t.WeightDecay < 1e6) {
		errs.add("training.weight_decay", "must be ≥ 0 (0 = none), got %v", *t.WeightDecay)
	}
	if t.Threads < 0 {
		errs.add("training.threads", "must be ≥ 0, got %d", t.Threads)
	}
	switch {
	case s.Registry.Name == "":
		errs.add("registry.name", "required: the name to register the model under")
	default:
		if err := registry.ValidName(s.Registry.Name); err != nil {
			errs.add("registry.name", "%s", registry.Problem(err))
		}
	}
	if sc := s.Score; sc != nil {
		sc.Source.validate("score.source", &errs)
		k := &sc.Sink
		switch {
		case k.Path != "" && (k.DB != "" || k.Table != ""):
			errs.add("score.sink", "give either path, or db and table, not both")
		case k.Path == "" && k.DB == "" && k.Table == "":
			errs.add("score.sink", "required: a path, or db and table")
		case k.Path == "" && k.DB == "":
			errs.add("score.sink.db", "required with score.sink.table")
		case k.Path == "" && k.Table == "":
			errs.add("score.sink.table", "required with score.sink.db")
		}
		if k.Mode != "" {
			if k.Path != "" {
				errs.add("score.sink.mode", "only for a DuckDB table")
			} else if !slices.Contains([]string{"create", "replace", "append"}, k.Mode) {
				errs.add("score.sink.mode", "must be create, replace or append, got %q", k.Mode)
			}
		}
		c := sc.Columns.withDefaults()
		if c.Score == c.Label || c.Score == c.Proba || c.Label == c.Proba {
			errs.add("score.columns", "score, label and proba need distinct names (%q, %q, %q)", c.Score, c.Label, c.Proba)
		}
	}
	return errors.Join(errs...)
}

func (src *SourceSpec) validate(key string, errs *specErrors) {
	switch {
	case src.Path != "" && (src.DB != "" || src.Query != ""):
		errs.add(key, "give either path, or db and query, not both")
	case src.Path == "" && src.DB == "" && src.Query == "":
		errs.add(key, "required: a path, or db and query")
	case src.Path == "" && src.Query == "":
		errs.add(key+".query", "required with %s.db", key)
	case src.Path == "" && src.DB == "":
		errs.add(key+".db", "required with %s.query", key)
	}
	if src.BatchSize < 0 {
		errs.add(key+".batch_size", "must be ≥ 1, got %d", src.BatchSize)
	}
}

func (t *TransformSpec) validate(key string, errs *specErrors) {
	if t.Kind != "" && !slices.Contains([]string{KindAuto, KindNumeric, KindCategorical, KindVector, KindDate}, t.Kind) {
		errs.add(key+".kind", "must be auto, numeric, categorical, vector or date, got %q", t.Kind)
	}
	if t.Scale != "" && !slices.Contains([]string{ScaleStandard, ScaleMinMax, ScaleNone}, t.Scale) {
		errs.add(key+".scale", "must be standard, minmax or none, got %q", t.Scale)
	}
	if t.Impute != "" && !slices.Contains([]string{ImputeMean, ImputeMedian, ImputeMostFrequent, ImputeConstant, ImputeNone}, t.Impute) {
		errs.add(key+".impute", "must be mean, median, most_frequent, constant or none, got %q", t.Impute)
	}
	if (t.FillValue != nil || t.FillCategory != nil) && t.Impute != ImputeConstant {
		errs.add(key, "fill_value and fill_category go with impute: constant")
	}
	if t.Impute == ImputeConstant && t.FillValue == nil && t.FillCategory == nil {
		errs.add(key+".impute", "constant needs fill_value (numbers) or fill_category (strings)")
	}
	if t.Clip != nil {
		if len(t.Clip) != 2 {
			errs.add(key+".clip", "must be [min, max], got %d values", len(t.Clip))
		} else if !(t.Clip[0] <= t.Clip[1]) {
			errs.add(key+".clip", "min %v is greater than max %v", t.Clip[0], t.Clip[1])
		}
	}
	if t.Indicator != nil && *t.Indicator && t.Impute == ImputeNone {
		errs.add(key+".indicator", "needs an imputation (impute is none)")
	}
	if t.MaxCategories != nil && *t.MaxCategories < 1 {
		errs.add(key+".max_categories", "must be ≥ 1, got %d", *t.MaxCategories)
	}
	if t.MinCategoryCount != nil && *t.MinCategoryCount < 1 {
		errs.add(key+".min_category_count", "must be ≥ 1, got %d", *t.MinCategoryCount)
	}
}

// over fills the keys unset in t from d and reports which it filled.
func (t TransformSpec) over(d TransformSpec) (TransformSpec, tabular.Inherited) {
	var inh tabular.Inherited
	if t.Kind == "" {
		t.Kind = d.Kind
	}
	if t.Scale == "" {
		t.Scale, inh = d.Scale, inh|tabular.InheritScale
	}
	if t.Impute == "" {
		t.Impute, t.FillValue, t.FillCategory = d.Impute, d.FillValue, d.FillCategory
		inh |= tabular.InheritImpute
	}
	if t.Indicator == nil {
		t.Indicator, inh = d.Indicator, inh|tabular.InheritIndicator
	}
	if t.Log1p == nil {
		t.Log1p, inh = d.Log1p, inh|tabular.InheritLog1p
	}
	if t.Clip == nil {
		t.Clip, inh = d.Clip, inh|tabular.InheritClip
	}
	if t.MaxCategories == nil {
		t.MaxCategories = d.MaxCategories
	}
	if t.MinCategoryCount == nil {
		t.MinCategoryCount = d.MinCategoryCount
	}
	if t.UnknownBucket == nil {
		t.UnknownBucket = d.UnknownBucket
	}
	return t, inh
}

// options converts to FeatureOptions.
func (t TransformSpec) options() tabular.FeatureOptions {
	o := tabular.FeatureOptions{Kind: t.Kind, Scale: t.Scale, Impute: t.Impute, UnknownBucket: t.UnknownBucket}
	if t.FillValue != nil {
		o.FillValue = *t.FillValue
	}
	if t.FillCategory != nil {
		o.FillCategory = *t.FillCategory
	}
	o.Indicator = t.Indicator != nil && *t.Indicator
	o.Log1p = t.Log1p != nil && *t.Log1p
	if len(t.Clip) == 2 {
		o.Clip = &nn.Clip{Min: t.Clip[0], Max: t.Clip[1]}
	}
	if t.MaxCategories != nil {
		o.MaxCategories = *t.MaxCategories
	}
	if t.MinCategoryCount != nil {
		o.MinCategoryCount = *t.MinCategoryCount
	}
	return o
}

// TrainConfig converts the spec's training part into a TrainConfig (without
// OnEvent). Registry.Dir is resolved against Dir.
func (s *Spec) TrainConfig() TrainConfig {
	c := TrainConfig{
		Source:        s.Source.describe(s.Dir),
		Target:        s.Target,
		Features:      s.Features.Include,
		Exclude:       s.Features.Exclude,
		Defaults:      s.Features.Defaults.options(),
		Task:          s.Task,
		PositiveLabel: s.PositiveLabel,
		ClassWeights:  s.ClassWeights,
		Hidden:        s.Architecture.Hidden,
		Activation:    s.Architecture.Activation,
		BatchNorm:     s.Architecture.BatchNorm,
		Optimizer:     s.Training.Optimizer,
		Seed:          s.Training.Seed,
		Threads:       s.Training.Threads,
		Name:          s.Registry.Name,
		OnEvent:       s.OnEvent,
	}
	if s.Registry.Dir != "" {
		c.Models = s.resolve(s.Registry.Dir)
	}
	if len(s.Features.Columns) > 0 {
		c.Transforms = map[string]tabular.FeatureOptions{}
		c.inherited = map[string]tabular.Inherited{}
		for name, t := range s.Features.Columns {
			merged, inh := t.over(s.Features.Defaults)
			c.Transforms[name], c.inherited[name] = merged.options(), inh
		}
	}
	if v := s.Architecture.Dropout; v != nil {
		c.Dropout = *v
	}
	t := s.Training
	if t.Epochs != nil {
		c.Epochs = *t.Epochs
	}
	if t.BatchSize != nil {
		c.BatchSize = *t.BatchSize
	}
	if t.LearningRate != nil {
		c.LR = *t.LearningRate
	}
	if t.ValidationSplit != nil {
		c.ValSplit = *t.ValidationSplit
	}
	if t.Patience != nil {
		c.Patience = *t.Patience
		if c.Patience == 0 {
			c.Patience = -1 // off, as dense train's --patience 0
		}
	}
	c.LRSchedule = t.LRSchedule
	if t.WeightDecay != nil {
		c.WeightDecay = *t.WeightDecay
		if c.WeightDecay == 0 {
			c.WeightDecay = -1 // none, as dense train's --weight-decay 0
		}
	}
	if t.CV != nil {
		c.CV = *t.CV
	}
	if s.Threshold != nil {
		c.Threshold = *s.Threshold
	}
	return c
}

// resolve makes a relative path relative to the spec's folder.
func (s *Spec) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || s.Dir == "" {
		return p
	}
	return filepath.Join(s.Dir, p)
}

func (src SourceSpec) describe(dir string) string {
	if src.Path != "" {
		if dir != "" && !filepath.IsAbs(src.Path) {
			return filepath.Join(dir, src.Path)
		}
		return src.Path
	}
	db := src.DB
	if dir != "" && !filepath.IsAbs(db) {
		db = filepath.Join(dir, db)
	}
	return "duckdb:" + db + ": " + src.Query
}

func (p PredictionNames) withDefaults() PredictionNames {
	if p.Score == "" {
		p.Score = "prediction"
	}
	if p.Label == "" {
		p.Label = "predicted_label"
	}
	if p.Proba == "" {
		p.Proba = "probabilities"
	}
	return p
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
