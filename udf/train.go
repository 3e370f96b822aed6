package udf

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/pipeline"
	"github.com/dense-ml/dense/registry"
)

// dense_train(name, query, target := …, options…): trains a model on the
// rows of query with pipeline.Train — the code, and the defaults, of dense
// train — and registers it in the model source as the next version of
// name. It returns one row: name, version, task, target, rows, epochs,
// seconds, metrics (the validation metrics). Like dense_evaluate it runs
// when the query executes, and its query runs on a connection of its own.
//
// Every option is a named parameter with dense train's flag's meaning; one
// left out takes pipeline's default (as the flag does), one given must say
// what it means: epochs := 0 is an error, not "the default"; patience := 0
// and weight_decay := 0 turn early stopping and weight decay off, as
// --patience 0 and --weight-decay 0 do. Left out, epochs (the cap),
// batch_size and patience are chosen from the rows (pipeline's defaults).

// trainParams are dense_train's parameters, positional first.
var trainParams = []tableParam{
	{name: "name", typ: paramVarchar, hint: "give the name to register the model under, such as 'churn'"},
	queryParam,
	{name: "target", typ: paramVarchar, named: true, hint: "name the column to predict"},
	{name: "features", typ: paramVarcharList, named: true, hint: "give the input columns as a list such as ['age', 'plan'] (default: every other column)"},
	{name: "exclude", typ: paramVarcharList, named: true, hint: "give the columns to leave out as a list such as ['id']"},
	{name: "task", typ: paramVarchar, named: true, hint: "give auto, " + nn.List(nn.Tasks())},
	{name: "hidden", typ: paramBigIntList, named: true, hint: "give the hidden layer widths as a list such as [64, 32], or [] for none"},
	{name: "activation", typ: paramVarchar, named: true, hint: "give " + nn.List(nn.HiddenActivations())},
	{name: "dropout", typ: paramDouble, named: true, hint: "give a rate in [0, 1)"},
	{name: "batchnorm", typ: paramBoolean, named: true, hint: "give true or false"},
	{name: "epochs", typ: paramBigInt, named: true, hint: "give the number of epochs"},
	{name: "batch_size", typ: paramBigInt, named: true, hint: "give the mini-batch size"},
	{name: "optimizer", typ: paramVarchar, named: true, hint: "give " + nn.List(nn.Optimizers())},
	{name: "lr", typ: paramDouble, named: true, hint: "give a learning rate > 0 (leave it out for the optimizer's)"},
	{name: "val_split", typ: paramDouble, named: true, hint: "give the validation fraction in (0, 1)"},
	{name: "patience", typ: paramBigInt, named: true, hint: "give the early-stopping patience in epochs (0 = off)"},
	{name: "lr_schedule", typ: paramVarchar, named: true, hint: "give " + pipeline.SchedulePlateau + " or " + pipeline.ScheduleConstant},
	{name: "weight_decay", typ: paramDouble, named: true, hint: "give a weight decay ≥ 0 (0 = none)"},
	{name: "seed", typ: paramBigInt, named: true, hint: "give an integer seed"},
	{name: "positive_label", typ: paramVarchar, named: true, hint: "give the label of the positive class"},
	{name: "class_weights", typ: paramVarchar, named: true, hint: "give " + pipeline.ClassWeightsBalanced + " or " + pipeline.ClassWeightsNone},
	{name: "categorical", typ: paramVarcharList, named: true, hint: "give the columns to one-hot encode whatever their type as a list such as ['store_id']"},
}

func trainTable(m *models) *tableFunc {
	return &tableFunc{
		name: "dense_train", models: m,
		params: trainParams,
		columns: []tableColumn{
			{"name", colVarchar}, {"version", colInteger}, {"task", colVarchar}, {"target", colVarchar},
			{"rows", colBigInt}, {"epochs", colInteger}, {"seconds", colDouble}, {"metrics", colMetrics},
		},
		check: func(src ModelSource, args map[string]any) error {
			if _, ok := src.(registrar); !ok {
				return fmt.Errorf("dense_train: the model source (%T) cannot register models", src)
			}
			_, err := trainConfig(args)
			return err
		},
		run: runTrain,
	}
}

// registrar is a model source that can register a model: a registry
// folder's (FromRegistry) or a Memory.
type registrar interface {
	register(name string, m *nn.Model) (registry.Entry, error)
}

func (s *registrySource) register(name string, m *nn.Model) (registry.Entry, error) {
	return s.reg.Register(name, m)
}

func (m *Memory) register(name string, model *nn.Model) (registry.Entry, error) {
	return m.Add(name, model), nil
}

// trainConfig turns dense_train's arguments into a pipeline.TrainConfig,
// leaving out (zero) what was not given, so that pipeline's defaults apply
// as they do to dense train. Errors name the parameter.
func trainConfig(args map[string]any) (pipeline.TrainConfig, error) {
	fail := func(param, format string, a ...any) (pipeline.TrainConfig, error) {
		return pipeline.TrainConfig{}, fmt.Errorf("dense_train: %s: %s", param, fmt.Sprintf(format, a...))
	}
	name := args["name"].(string)
	if err := registry.ValidName(name); err != nil {
		return fail("name", "%s", registry.Problem(err))
	}
	target, ok := args["target"].(string)
	if !ok || target == "" {
		return pipeline.TrainConfig{}, errors.New("dense_train: give the column to predict: target := 'column'")
	}
	cfg := pipeline.TrainConfig{Target: target, Seed: pipeline.DefaultSeed}
	str := func(k string) string { s, _ := args[k].(string); return s }
	cfg.Features, _ = args["features"].([]string)
	if f, ok := args["features"].([]string); ok && len(f) == 0 {
		return fail("features", "give at least one column (leave features out for every column but the target)")
	}
	cfg.Exclude, _ = args["exclude"].([]string)
	cfg.Categorical, _ = args["categorical"].([]string)
	cfg.PositiveLabel = str("positive_label")
	if w, ok := args["class_weights"].(string); ok {
		if w != pipeline.ClassWeightsBalanced && w != pipeline.ClassWeightsNone {
			return fail("class_weights", "got %q: want %s or %s", w, pipeline.ClassWeightsBalanced, pipeline.ClassWeightsNone)
		}
		cfg.ClassWeights = w
	}
	if t, ok := args["task"].(string); ok {
		if t != pipeline.TaskAuto {
			if _, err := nn.ParseTask(t); err != nil {
				return fail("task", "%v", err)
			}
		}
		cfg.Task = t
	}
	if h, ok := args["hidden"].([]int64); ok {
		cfg.Hidden = make([]int, len(h))
		for i, w := range h {
			if w < 1 || w > 1<<20 {
				return fail("hidden", "layer %d has %d units; a hidden layer needs 1 to %d (for no hidden layer, give [])", i+1, w, 1<<20)
			}
			cfg.Hidden[i] = int(w)
		}
	}
	if a, ok := args["activation"].(string); ok {
		act, err := nn.ParseHiddenActivation(a)
		if err != nil {
			return fail("activation", "%v", err)
		}
		cfg.Activation = act
	}
	if o, ok := args["optimizer"].(string); ok {
		opt, err := nn.ParseOptimizer(o)
		if err != nil {
			return fail("optimizer", "%v", err)
		}
		cfg.Optimizer = opt
	}
	if d, ok := args["dropout"].(float64); ok {
		if !(d >= 0 && d < 1) {
			return fail("dropout", "must be in [0, 1), got %v", d)
		}
		cfg.Dropout = d
	}
	cfg.BatchNorm, _ = args["batchnorm"].(bool)
	positive := func(k string, dst *int) error {
		v, ok := args[k].(int64)
		if !ok {
			return nil
		}
		if v < 1 || v > 1<<31-1 {
			return fmt.Errorf("dense_train: %s: must be ≥ 1, got %d", k, v)
		}
		*dst = int(v)
		return nil
	}
	if err := positive("epochs", &cfg.Epochs); err != nil {
		return pipeline.TrainConfig{}, err
	}
	if err := positive("batch_size", &cfg.BatchSize); err != nil {
		return pipeline.TrainConfig{}, err
	}
	if p, ok := args["patience"].(int64); ok {
		if p < 0 || p > 1<<31-1 {
			return fail("patience", "must be ≥ 0, got %d", p)
		}
		cfg.Patience = int(p)
		if p == 0 {
			cfg.Patience = -1 // off, as --patience 0
		}
	}
	if s, ok := args["lr_schedule"].(string); ok {
		if s != pipeline.SchedulePlateau && s != pipeline.ScheduleConstant {
			return fail("lr_schedule", "got %q: want %s or %s", s, pipeline.SchedulePlateau, pipeline.ScheduleConstant)
		}
		cfg.LRSchedule = s
	}
	if wd, ok := args["weight_decay"].(float64); ok {
		if !(wd >= 0) || math.IsInf(wd, 1) {
			return fail("weight_decay", "must be ≥ 0, got %v (0 = none)", wd)
		}
		cfg.WeightDecay = wd
		if wd == 0 {
			cfg.WeightDecay = -1 // none, as --weight-decay 0
		}
	}
	if lr, ok := args["lr"].(float64); ok {
		if !(lr > 0) || lr > 1e6 {
			return fail("lr", "must be > 0, got %v (leave it out for the optimizer's default)", lr)
		}
		cfg.LR = lr
	}
	if v, ok := args["val_split"].(float64); ok {
		if !(v > 0 && v < 1) {
			return fail("val_split", "must be in (0, 1), got %v: dense always holds out rows, for the validation metrics and early stopping", v)
		}
		cfg.ValSplit = v
	}
	if s, ok := args["seed"].(int64); ok {
		cfg.Seed = s
	}
	if err := cfg.Validate(); err != nil {
		return pipeline.TrainConfig{}, fmt.Errorf("dense_train: %w", err)
	}
	return cfg, nil
}

// runTrain reads the call's query, trains and registers.
func runTrain(call *tableCall) ([][]any, error) {
	cfg, err := trainConfig(call.args)
	if err != nil {
		return nil, err
	}
	query := call.args["query"].(string)
	cfg.Source = "sql: " + query
	ctx, done := runningCall()
	defer done()
	start := time.Now()
	r, err := call.models.query(ctx, call.caller, query)
	if err != nil {
		return nil, fmt.Errorf("dense_train: query: %w", interruptedTraining(ctx, err))
	}
	if err := checkColumns(r.Schema(), call.args); err != nil {
		r.Close()
		return nil, err
	}
	res, err := pipeline.Train(ctx, r, cfg)
	r.Close()
	if _, ok := call.args["positive_label"]; ok && err != nil && strings.Contains(err.Error(), "positive label") {
		err = fmt.Errorf("positive_label: %w", err)
	}
	if err == nil {
		err = ctx.Err() // an Interrupt after the last epoch still registers nothing
	}
	if err != nil {
		return nil, fmt.Errorf("dense_train: %w", interruptedTraining(ctx, err))
	}
	e, err := call.src.(registrar).register(call.args["name"].(string), res.Model)
	if err != nil {
		return nil, fmt.Errorf("dense_train: %w", err)
	}
	spec := res.Model.Spec()
	epochs := 0
	if res.History != nil {
		epochs = len(res.History.Epochs)
	}
	metrics := res.Metrics
	if metrics == nil {
		metrics = map[string]float64{}
	}
	return [][]any{{e.Name, int32(e.Version), string(spec.Task), spec.Target, int64(res.Rows), int32(epochs),
		time.Since(start).Seconds(), metrics}}, nil
}

// interruptedTraining says that an interrupted training registered nothing.
func interruptedTraining(ctx interface{ Err() error }, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: nothing was registered", ErrInterrupted)
	}
	return err
}

// checkColumns checks that the columns dense_train's parameters name are
// in the query's result, naming the parameter.
func checkColumns(schema *arrow.Schema, args map[string]any) error {
	var names []string
	for _, f := range schema.Fields() {
		names = append(names, f.Name)
	}
	missing := func(param, col string) error {
		return fmt.Errorf("dense_train: %s: no column %q in the query's result (columns: %s)", param, col, strings.Join(names, ", "))
	}
	if t := args["target"].(string); !slices.Contains(names, t) {
		return missing("target", t)
	}
	for _, param := range []string{"features", "exclude", "categorical"} {
		cols, _ := args[param].([]string)
		for _, c := range cols {
			if !slices.Contains(names, c) {
				return missing(param, c)
			}
		}
	}
	return nil
}
