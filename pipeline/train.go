package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// The names the configuration takes for tasks and feature transforms: those
// of the tabular layer, which does the work.
const (
	TaskAuto       = tabular.TaskAuto
	TaskRegression = tabular.TaskRegression
	TaskBinary     = tabular.TaskBinary
	TaskMulticlass = tabular.TaskMulticlass

	KindAuto        = tabular.KindAuto
	KindNumeric     = tabular.KindNumeric
	KindCategorical = tabular.KindCategorical
	KindVector      = tabular.KindVector
	KindDate        = tabular.KindDate

	ScaleStandard      = tabular.ScaleStandard
	ScaleMinMax        = tabular.ScaleMinMax
	ScaleNone          = tabular.ScaleNone
	ImputeMean         = tabular.ImputeMean
	ImputeMedian       = tabular.ImputeMedian
	ImputeMostFrequent = tabular.ImputeMostFrequent
	ImputeConstant     = tabular.ImputeConstant
	ImputeNone         = tabular.ImputeNone

	MaxAutoClasses = tabular.MaxAutoClasses
)

// Training defaults, used where a TrainConfig field is zero.
var (
	DefaultHidden = []int{64, 32}
)

// The validation split, epochs, batch size, early stopping, learning-rate
// schedule and weight decay are chosen from the data: see defaults.go.
const (
	DefaultActivation = nn.ReLU
	DefaultOptimizer  = nn.OptAdam
	// DefaultSeed is the seed of dense train and SQL's dense_train when
	// none is given (TrainConfig's zero Seed is seed 0).
	DefaultSeed int64 = 1
)

// TrainConfig configures Train. Zero values take the defaults noted.
type TrainConfig struct {
	// Source describes where the data came from, for the model's provenance
	// (a path, or "duckdb:FILE: QUERY").
	Source string
	// Target is the column to predict (required).
	Target string
	// Features are the input columns in model order. Empty means every
	// column except Target and Exclude, in schema order.
	Features []string
	Exclude  []string
	// Defaults are the transforms of every feature not in Transforms;
	// Transforms[name] replaces them for one column. Zero fields take the
	// package defaults (see FeatureOptions). A default that does not fit a
	// column's kind is skipped for it (Defaults.Scale does not apply to a
	// categorical column); in Transforms it is an error.
	Transforms map[string]tabular.FeatureOptions
	Defaults   tabular.FeatureOptions
	// Categorical are feature columns one-hot encoded whatever their type
	// (integer codes such as store ids or zip codes; text that looks like
	// an id): kind categorical, the other options as above.
	Categorical []string

	// Task is auto (default), regression, binary or multiclass.
	Task string
	// PositiveLabel picks Labels[1] of a binary target (default: see doc.go).
	PositiveLabel string
	// ClassWeights weights the classes in the loss: ClassWeightsNone (the
	// default, "" too) or ClassWeightsBalanced (n / (classes × count),
	// counted over the training rows, as scikit-learn's "balanced").
	ClassWeights string
	// Threshold is a binary model's decision threshold, stored in the
	// model (nn.Spec.Threshold; 0 → 0.5).
	Threshold float64
	// CV > 0 cross-validates with CV folds before the final training and
	// stores each metric's mean and standard deviation in the provenance
	// (see cv.go); the model itself is trained as without it.
	CV int

	// Network: hidden layer widths (nil → DefaultHidden; an empty non-nil
	// slice → no hidden layer), their activation (default relu), a dropout
	// rate after each hidden layer (0 = none) and batch normalisation after
	// each hidden layer.
	Hidden     []int
	Activation nn.Activation
	Dropout    float64
	BatchNorm  bool

	// Training: the most epochs (0: chosen from the rows; with early
	// stopping training usually stops before), batch size (0: chosen from
	// the rows), optimiser (adam; also sgd, adamw, rmsprop), learning rate
	// (0 → the optimiser's default), validation fraction (0.2),
	// early-stopping patience in epochs (0: chosen from the rows, negative: no
	// early stopping; the best epoch's weights are restored), the
	// learning-rate schedule (ScheduleAuto: plateau), weight decay (0:
	// DefaultWeightDecay, negative: none), and the seed for the split, the
	// weights and the shuffling. Zero means the default for these Go
	// fields; defaults.go says how they are chosen. dense train's flags and
	// the YAML spec refuse an explicit 0 where it would read as a default.
	Epochs      int
	BatchSize   int
	Optimizer   nn.Optimizer
	LR          float64
	ValSplit    float64
	Patience    int
	LRSchedule  string
	WeightDecay float64
	Seed        int64
	// Threads for the nn package (0 = GOMAXPROCS).
	Threads int

	// Name registers the trained model under this name in the registry at
	// Models (empty: the registry's default folder). An empty Name skips
	// registration.
	Name   string
	Models string

	// OnEvent, when set, receives progress events. It runs on the training
	// goroutine: keep it quick.
	OnEvent func(Event)

	// inherited marks, per column of Transforms, the options a spec took
	// from its defaults (see Feature).
	inherited map[string]tabular.Inherited
}

// Event kinds.
const (
	EventRead       = "read"       // a training batch was read: Rows so far
	EventStart      = "start"      // the model is built and training starts: Model, Rows (training rows), ValRows
	EventBatch      = "batch"      // a mini-batch was trained: Epoch, Batch, Batches, Loss
	EventEpoch      = "epoch"      // an epoch ended: Epoch, Epochs, Metrics ("loss", "val_loss", …)
	EventEvaluated  = "evaluated"  // validation metrics of the final model: Metrics
	EventRegistered = "registered" // the model was registered: Ref
	EventScored     = "scored"     // a batch was scored: Rows so far
	EventFold       = "fold"       // a cross-validation fold ended: Batch (1-based fold), Batches (folds), Metrics
)

// Event is a progress report. Which fields are set depends on Kind.
type Event struct {
	Kind           string
	Rows           int64
	Epoch, Epochs  int
	Batch, Batches int
	Loss           float64
	Metrics        map[string]float64
	Ref            string // "name@version"
	Model          *nn.Model
	ValRows        int
	Settings       *nn.TrainingSettings // EventStart: the training settings, chosen or given
}

// TrainResult is what Train returns.
type TrainResult struct {
	Model *nn.Model
	// Entry is the registry entry (zero when the model was not registered).
	Entry Entry
	// Metrics are the final model's metrics on the validation rows
	// (nn.Evaluate's names: accuracy, f1, log_loss, roc_auc, …; mse, mae, r2, …).
	Metrics map[string]float64
	History *nn.History
	// Rows read, and how they were split.
	Rows, TrainRows, ValRows int
	// Dropped counts the rows left out because their target was NULL.
	Dropped int
	// Note is a remark about the detected task for the user ("" if none).
	Note string
	// CV holds the cross-validated metrics when TrainConfig.CV was set.
	CV *nn.CrossValidation
	// Settings are the training settings used, chosen or given (also in
	// the model's provenance).
	Settings nn.TrainingSettings
}

func (c TrainConfig) withDefaults() TrainConfig {
	if c.Task == "" {
		c.Task = TaskAuto
	}
	if c.Hidden == nil {
		c.Hidden = DefaultHidden
	}
	if c.Activation == "" {
		c.Activation = DefaultActivation
	}
	if c.Optimizer == "" {
		c.Optimizer = DefaultOptimizer
	}
	return c
}

// Validate checks the configuration (after defaults) without looking at data.
func (c TrainConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Target == "":
		return errors.New("no target column")
	case tabular.ValidTask(c.Task) != nil:
		return tabular.ValidTask(c.Task)
	case !c.Activation.Hidden():
		_, err := nn.ParseHiddenActivation(string(c.Activation))
		return err
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return fmt.Errorf("dropout must be in [0, 1), got %v", c.Dropout)
	case c.Epochs < 0:
		return fmt.Errorf("epochs must be ≥ 1, got %d (0: chosen from the data)", c.Epochs)
	case c.BatchSize < 0:
		return fmt.Errorf("batch size must be ≥ 1, got %d (0: chosen from the data)", c.BatchSize)
	case !validOptimizer(c.Optimizer):
		_, err := nn.ParseOptimizer(string(c.Optimizer))
		return err
	case !(c.LR >= 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("learning rate must be > 0, got %v", c.LR)
	case !(c.ValSplit >= 0 && c.ValSplit < 1):
		return fmt.Errorf("validation split must be in (0, 1), got %v (0: chosen from the rows)", c.ValSplit)
	case math.IsNaN(c.WeightDecay) || math.IsInf(c.WeightDecay, 0):
		return fmt.Errorf("weight decay must be a finite number, got %v", c.WeightDecay)
	case c.LRSchedule != ScheduleAuto && c.LRSchedule != SchedulePlateau && c.LRSchedule != ScheduleConstant:
		return fmt.Errorf("learning-rate schedule %q: want %s or %s", c.LRSchedule, SchedulePlateau, ScheduleConstant)
	}
	if err := c.validateTargets(); err != nil {
		return err
	}
	for i, h := range c.Hidden {
		if h < 1 {
			return fmt.Errorf("hidden layer %d has %d units; must be ≥ 1", i, h)
		}
	}
	if slices.Contains(c.Features, c.Target) {
		return fmt.Errorf("the target %q is also listed as a feature", c.Target)
	}
	for _, f := range c.Features {
		if slices.Contains(c.Exclude, f) {
			return fmt.Errorf("column %q is both a feature and excluded", f)
		}
	}
	return nil
}

func validOptimizer(o nn.Optimizer) bool {
	_, err := nn.ParseOptimizer(string(o))
	return err == nil
}

func (c *TrainConfig) emit(e Event) {
	if c.OnEvent != nil {
		c.OnEvent(e)
	}
}

// Train reads r to the end, fits the preprocessing, trains a network with
// early stopping on a seeded (for classification stratified) validation
// split, evaluates it on that split and, when cfg.Name is set, registers it.
// It does not close r. Errors start with "pipeline: train:".
func Train(ctx context.Context, r Reader, cfg TrainConfig) (*TrainResult, error) {
	res, err := train(ctx, r, cfg)
	if err != nil {
		return nil, fmt.Errorf("pipeline: train: %w", err)
	}
	return res, nil
}

func train(ctx context.Context, r Reader, cfg TrainConfig) (*TrainResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	when, err := created()
	if err != nil {
		return nil, err
	}
	schema := r.Schema()
	if err := uniqueColumns(schema); err != nil {
		return nil, err
	}
	features, err := cfg.features(schema)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(features)+1)
	for _, f := range features {
		names = append(names, f.Name)
	}
	fitter, err := tabular.NewFitter(schema, features)
	if err != nil {
		return nil, err
	}
	target, err := tabular.NewTargetFit(schema, cfg.Target)
	if err != nil {
		return nil, err
	}
	names = append(names, cfg.Target)

	// The streaming pass: fit statistics, collect targets, hold the batches
	// (projected to the columns we use) for encoding.
	var held []arrow.RecordBatch
	dropped := 0
	defer func() {
		for _, b := range held {
			if b != nil {
				b.Release()
			}
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading: %w", err)
		}
		p, err := project(b, names)
		b.Release()
		if err != nil {
			return nil, err
		}
		p, n, err := dropNullTargets(p, cfg.Target)
		if err != nil {
			return nil, err
		}
		dropped += n
		held = append(held, p)
		if err := target.Observe(p, fitter.Rows()); err != nil {
			return nil, err
		}
		if err := fitter.Observe(p); err != nil {
			return nil, err
		}
		cfg.emit(Event{Kind: EventRead, Rows: fitter.Rows()})
	}
	rows := int(fitter.Rows())
	if rows == 0 && dropped > 0 {
		return nil, fmt.Errorf("the target %q is NULL in every one of the %d rows", cfg.Target, dropped)
	}
	if rows == 0 {
		return nil, errors.New("the source has no rows")
	}
	inputs, err := fitter.Finish(held)
	if err != nil {
		return nil, err
	}
	tgt, err := target.Resolve(cfg.Task, cfg.PositiveLabel)
	if err != nil {
		return nil, err
	}
	if err := cfg.checkTask(tgt.Task); err != nil {
		return nil, err
	}
	var cv *nn.CrossValidation
	if cfg.CV > 0 { // on the held batches, before encoding releases them
		if cv, err = crossValidate(ctx, cfg, held, tgt); err != nil {
			return nil, err
		}
	}
	valAuto := cfg.ValSplit == 0
	if valAuto {
		cfg.ValSplit = DefaultValSplit(rows)
	}
	trainIdx, valIdx, err := SplitRows(rows, tgt.Classes, cfg.ValSplit, cfg.Seed)
	if err != nil {
		return nil, err
	}

	// Encode every batch straight into its rows of one matrix, in the
	// order read; Fit trains on the training rows by index, and only the
	// validation rows are copied out (for Evaluate and early stopping).
	enc, err := tabular.NewBatchEncoder(inputs, held[0].Schema())
	if err != nil {
		return nil, err
	}
	width := enc.Width()
	x := make([]float32, rows*width)
	var offset int
	for k, b := range held {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := int(b.NumRows())
		if err := enc.Encode(b, int64(offset), x[offset*width:(offset+n)*width]); err != nil {
			return nil, err
		}
		offset += n
		b.Release() // the matrix has it now
		held[k] = nil
	}
	y := tgt.Y
	nTrain := len(trainIdx)
	valX, valY := gather(x, valIdx, width), gather(y, valIdx, 1)

	spec := nn.Spec{
		Format:  nn.FormatName,
		Version: nn.FormatVersion,
		Task:    tgt.Task,
		Inputs:  inputs,
		Layers:  cfg.layers(tgt),
		Loss:    tgt.Task.DefaultLoss(),
		Target:  cfg.Target,
		Labels:  tgt.Labels,
	}
	spec.Threshold = cfg.Threshold // 0: the default, 0.5
	model, err := nn.NewModel(spec, cfg.Seed)
	if err != nil {
		return nil, err
	}

	// Regression trains on standardised targets; the scaling is folded
	// into the output layer afterwards, so the model predicts raw units.
	yMean, yStd := 0.0, 1.0
	fitY, fitValY := y, valY
	if tgt.Task == nn.TaskRegression {
		var s float64
		yMean, s = tabular.MeanStd(gather(y, trainIdx, 1))
		if s > 0 {
			yStd = s
		}
		fitY, fitValY = standardise(y, yMean, yStd), standardise(valY, yMean, yStd)
	}

	set := chooseSettings(cfg, tgt.Task, rows, nTrain, valAuto)
	fc := nn.FitConfig{
		Loss:          spec.Loss,
		Optimizer:     set.fit.Optimizer,
		BatchSize:     set.fit.BatchSize,
		Epochs:        set.fit.Epochs,
		EarlyStopping: set.fit.EarlyStopping,
		ReduceLR:      set.fit.ReduceLR,
		Seed:          cfg.Seed,
		Rows:          trainIdx,
		ValX:          valX,
		ValY:          fitValY,
		ValRows:       len(valIdx),
		Threads:       cfg.Threads,
		// nil unless cfg.ClassWeights is balanced
		ClassWeights: cfg.classWeights(tgt, trainIdx),
		OnEpoch: func(l nn.EpochLog) error {
			cfg.emit(Event{Kind: EventEpoch, Epoch: l.Epoch, Epochs: l.Epochs, Metrics: targetUnits(l.Values, spec.Loss, yStd)})
			return nil
		},
		OnBatch: func(l nn.BatchLog) {
			cfg.emit(Event{Kind: EventBatch, Epoch: l.Epoch, Epochs: set.fit.Epochs, Batch: l.Batch, Batches: l.Batches, Loss: l.Loss})
		},
	}
	cfg.emit(Event{Kind: EventStart, Model: model, Rows: int64(nTrain), ValRows: len(valIdx), Settings: &set.TrainingSettings})
	hist, err := model.Fit(ctx, x, fitY, rows, fc)
	if err != nil {
		return nil, err
	}
	for i := range hist.Epochs {
		hist.Epochs[i].Values = targetUnits(hist.Epochs[i].Values, spec.Loss, yStd)
	}
	if tgt.Task == nn.TaskRegression {
		// The model predicts raw units from here on.
		if err := model.ScaleOutputs(yMean, yStd); err != nil {
			return nil, err
		}
	}

	metrics, err := nn.Evaluate(model, valX, valY, len(valIdx))
	if err != nil {
		return nil, err
	}
	cfg.emit(Event{Kind: EventEvaluated, Metrics: metrics})
	if err := recordExplain(model, x, trainIdx, valX, valY, len(valIdx), cfg.Seed); err != nil {
		return nil, err
	}
	s := model.Spec()
	s.Provenance = nn.Provenance{
		Seed:              cfg.Seed,
		Epochs:            len(hist.Epochs),
		Rows:              int64(rows),
		Metrics:           metrics,
		Created:           when,
		Source:            cfg.Source,
		SchemaFingerprint: SchemaFingerprint(schema),
		DroppedRows:       int64(dropped),
		ClassWeights:      fc.ClassWeights,
		Split:             splitRecord(tgt, x, cfg.ValSplit, cfg.Seed, len(valIdx)),
		CV:                cv,
		Training:          &set.TrainingSettings,
	}
	res := &TrainResult{Model: model, Metrics: metrics, History: hist, Rows: rows, TrainRows: nTrain, ValRows: len(valIdx),
		Dropped: dropped, Note: tgt.Note, CV: cv, Settings: set.TrainingSettings}
	if cfg.Name != "" {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		entry, err := register(cfg.Models, cfg.Name, model)
		if err != nil {
			return nil, err
		}
		res.Entry = entry
		cfg.emit(Event{Kind: EventRegistered, Ref: entry.Ref()})
	}
	return res, nil
}

// features resolves the feature list and merges each one's options.
func (c *TrainConfig) features(schema *arrow.Schema) ([]tabular.Feature, error) {
	names := c.Features
	for _, n := range c.Exclude {
		if len(schema.FieldIndices(n)) == 0 {
			return nil, fmt.Errorf("excluded column %q: no such column (columns: %s)", n, tabular.ColumnList(schema))
		}
	}
	if len(names) == 0 {
		for _, f := range schema.Fields() {
			if f.Name != c.Target && !slices.Contains(c.Exclude, f.Name) {
				names = append(names, f.Name)
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("no feature columns left (columns: %s)", tabular.ColumnList(schema))
		}
	}
	for n := range c.Transforms {
		if !slices.Contains(names, n) {
			return nil, fmt.Errorf("transforms for %q, which is not a feature", n)
		}
	}
	for _, n := range c.Categorical {
		if !slices.Contains(names, n) {
			return nil, fmt.Errorf("categorical column %q is not a feature (features: %s)", n, strings.Join(names, ", "))
		}
	}
	out := make([]tabular.Feature, len(names))
	for i, n := range names {
		o, ok := c.Transforms[n]
		inh := c.inherited[n]
		if !ok {
			o, inh = c.Defaults, tabular.InheritAll
		}
		if slices.Contains(c.Categorical, n) {
			if o.Kind != "" && o.Kind != KindAuto && o.Kind != KindCategorical {
				return nil, fmt.Errorf("column %q is listed as categorical and has kind %s", n, o.Kind)
			}
			o.Kind = KindCategorical
		}
		out[i] = tabular.Feature{Name: n, FeatureOptions: o, Inherited: inh}
	}
	return out, nil
}

// layers builds the hidden stack and the task's output layer.
func (c *TrainConfig) layers(t *tabular.Targets) []nn.LayerSpec {
	var ls []nn.LayerSpec
	for _, h := range c.Hidden {
		d := nn.Dense(h, c.Activation).WithInit(c.Activation.Init())
		ls = append(ls, d)
		if c.BatchNorm {
			ls = append(ls, nn.BatchNorm())
		}
		if c.Dropout > 0 {
			ls = append(ls, nn.Dropout(c.Dropout))
		}
	}
	switch t.Task {
	case nn.TaskBinary:
		ls = append(ls, nn.Dense(1, nn.Sigmoid))
	case nn.TaskMulticlass:
		ls = append(ls, nn.Dense(len(t.Labels), nn.Softmax))
	default:
		ls = append(ls, nn.Dense(1, nn.Linear))
	}
	return ls
}

// gather copies rows idx of the row-major v (of the given width).
func gather(v []float32, idx []int, width int) []float32 {
	out := make([]float32, len(idx)*width)
	for i, r := range idx {
		copy(out[i*width:(i+1)*width], v[r*width:(r+1)*width])
	}
	return out
}

func standardise(y []float32, mean, std float64) []float32 {
	out := make([]float32, len(y))
	for i, v := range y {
		out[i] = float32((float64(v) - mean) / std)
	}
	return out
}

// SchemaFingerprint is a short hash of a schema's column names and types,
// stored in the model's provenance to recognise the data it was trained on.
func SchemaFingerprint(s *arrow.Schema) string {
	var sb strings.Builder
	for _, f := range s.Fields() {
		fmt.Fprintf(&sb, "%s\x00%s\n", f.Name, f.Type)
	}
	sum := sha256.Sum256([]byte(sb.String()))
	return hex.EncodeToString(sum[:16])
}

// targetUnits converts a regression's epoch metrics, computed on the
// standardised target, to the target's units (MAE and RMSE times its
// standard deviation, MSE and an MSE loss times its square), so that the
// progress lines and the history agree with the final metrics. Other values
// (r2, a Huber loss) stay as they are; std 1 changes nothing.
func targetUnits(values map[string]float64, loss string, std float64) map[string]float64 {
	if std == 1 {
		return values
	}
	out := make(map[string]float64, len(values))
	for k, v := range values {
		switch strings.TrimPrefix(k, "val_") {
		case "mae", "rmse":
			v *= std
		case "mse":
			v *= std * std
		case "loss":
			switch loss {
			case nn.LossMSE:
				v *= std * std
			case nn.LossMAE:
				v *= std
			}
		}
		out[k] = v
	}
	return out
}
