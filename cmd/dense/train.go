package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/pipeline"
	"github.com/dense-ml/dense/tabular"
	"github.com/urfave/cli/v2"
)

func quietFlag() cli.Flag {
	return &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bars (they are off anyway when stderr is not a terminal)"}
}

func (e *env) trainCommand() *cli.Command {
	flags := append(dataFlags(),
		&cli.StringFlag{Name: "target", Usage: "the column to predict (required)"},
		&cli.StringFlag{Name: "features", Usage: "comma-separated input columns, in order (default: every other column)"},
		&cli.StringFlag{Name: "exclude", Usage: "comma-separated columns to leave out of the default features (ids, leaks)"},
		&cli.StringFlag{Name: "categorical", Usage: "comma-separated columns to one-hot encode whatever their type (integer codes: store ids, zip codes)"},
		&cli.IntFlag{Name: "max-categories", Usage: "most categories kept per categorical column, the most frequent; the others share the unknown bucket", Value: tabular.DefaultMaxCategories},
		&cli.IntFlag{Name: "min-category-count", Usage: "fewest rows a category needs for its own slot (1 keeps every value)", DefaultText: "max(5, 0.1% of the rows)"},
		&cli.StringFlag{Name: "task", Usage: pipeline.TaskAuto + ", " + nn.List(nn.Tasks()), Value: pipeline.TaskAuto},
		&cli.StringFlag{Name: "hidden", Usage: "comma-separated hidden layer widths, or none", Value: "64,32"},
		&cli.StringFlag{Name: "activation", Usage: "hidden activation: " + nn.List(nn.HiddenActivations()), Value: string(pipeline.DefaultActivation)},
		&cli.Float64Flag{Name: "dropout", Usage: "dropout rate after each hidden layer (0 = none)"},
		&cli.BoolFlag{Name: "batchnorm", Usage: "batch normalisation after each hidden layer"},
		&cli.IntFlag{Name: "epochs", Usage: "the most training epochs (early stopping usually ends training before)", DefaultText: "chosen from the rows"},
		&cli.IntFlag{Name: "batch-size", Usage: "mini-batch size", DefaultText: "chosen from the rows"},
		&cli.StringFlag{Name: "optimizer", Usage: nn.List(nn.Optimizers()), Value: string(pipeline.DefaultOptimizer)},
		&cli.Float64Flag{Name: "lr", Usage: "learning rate", DefaultText: "adam and adamw: 0.003 to classify, 0.01 for regression; the optimizer's own for the others: 0.01 for sgd, 0.001 for rmsprop"},
		&cli.Float64Flag{Name: "val-split", Usage: "fraction of rows held out for validation", DefaultText: "chosen from the rows: 0.2, or 1,000 rows where that is less, at least 0.1"},
		&cli.IntFlag{Name: "patience", Usage: "stop after this many epochs without val_loss improvement and keep the best weights (0 = off)", DefaultText: "chosen from the rows"},
		&cli.StringFlag{Name: "lr-schedule", Usage: "plateau (halve the rate when val_loss stops improving) or constant", DefaultText: pipeline.SchedulePlateau},
		&cli.Float64Flag{Name: "weight-decay", Usage: "weight decay (L2; decoupled for adamw; 0 = none)", DefaultText: strconv.FormatFloat(pipeline.DefaultWeightDecay, 'g', -1, 64)},
		&cli.Int64Flag{Name: "seed", Usage: "seed for the split, the initial weights and the shuffling", Value: pipeline.DefaultSeed},
		&cli.StringFlag{Name: "positive-label", Usage: "binary targets: the class the score is the probability of", DefaultText: "true, yes, 1, … if one label reads so, else the larger or later one"},
		&cli.StringFlag{Name: "class-weights", Usage: "classification: " + pipeline.ClassWeightsBalanced + " (weigh each class by rows / (classes × its rows)) or " + pipeline.ClassWeightsNone, Value: pipeline.ClassWeightsNone},
		&cli.Float64Flag{Name: "threshold", Usage: "binary targets: predict the positive label when its probability is ≥ this (stored in the model)", DefaultText: "0.5"},
		&cli.IntFlag{Name: "cv", Usage: "also cross-validate: K more trainings, each scored on the fold it left out; prints and stores mean ± std (the model is trained as usual)", DefaultText: "off"},
		&cli.StringFlag{Name: "name", Usage: "register the model under this name (default: the target column)"},
		modelsFlag(),
		&cli.BoolFlag{Name: "no-plot", Usage: "do not draw history.png next to the model"},
		quietFlag(),
	)
	return &cli.Command{
		Name:      "train",
		Usage:     "train a model on a table and register it",
		UsageText: "dense train (--data FILE | [--db FILE] --query SQL) --target COL [options]",
		Description: "Reads the rows, fits the preprocessing (numbers standardised with mean imputation,\n" +
			"strings one-hot encoded with an unknown bucket for new and rare values, dates as days\n" +
			"since 1970 plus weekday/month cycles) into the model, trains a dense network\n" +
			"with the given architecture on a seeded training/validation split (stratified for\n" +
			"classifiers), prints the model summary and the validation metrics, and registers the\n" +
			"model as NAME@VERSION in the models folder, with a picture of the training history\n" +
			"(history.png) next to it. The task follows the target: bools and two-valued\n" +
			"numbers → binary, strings → binary or multiclass, other numbers → regression (an\n" +
			"integer target with a few values says how to classify it: --task multiclass).\n" +
			"Rows whose target is NULL are left out and counted. The validation split is stored\n" +
			"in the model, so that dense eval --holdout scores exactly the rows it never trained on.\n\n" +
			"Examples:\n" +
			"   dense train --data customers.csv --target churned --exclude customer_id,segment --name churn\n" +
			"   dense train --data customers.parquet --target segment --hidden 64,32 --epochs 30 --patience 5\n" + "   dense train --data claims.csv --target fraud --class-weights balanced --threshold 0.3 --cv 5\n" +
			"   dense train --db shop.duckdb --query \"SELECT * FROM customers WHERE region <> 'test'\" \\\n" +
			"               --target monthly_spend --task regression --name spend",
		Flags: flags,
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 0, "target"); err != nil {
				return err
			}
			return e.train(c)
		},
	}
}

func parseHidden(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "none") {
		return []int{}, nil
	}
	return parseInts("hidden", s)
}

func (e *env) train(c *cli.Context) error {
	if err := checkTrainFlags(c); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	hidden, err := parseHidden(c.String("hidden"))
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	name := c.String("name")
	if name == "" {
		name = c.String("target")
	}
	models := c.String("models")
	if c.IsSet("threshold") && !(c.Float64("threshold") > 0 && c.Float64("threshold") < 1) {
		return fmt.Errorf("train: --threshold must be in (0, 1), got %v", c.Float64("threshold"))
	}
	if c.IsSet("cv") && c.Int("cv") < 2 {
		return fmt.Errorf("train: --cv needs at least 2 folds, got %d", c.Int("cv"))
	}
	cfg := pipeline.TrainConfig{
		Target:     c.String("target"),
		Features:   splitList(c.String("features")),
		Exclude:    splitList(c.String("exclude")),
		Task:       c.String("task"),
		Hidden:     hidden,
		Activation: nn.Activation(c.String("activation")),
		Dropout:    c.Float64("dropout"),
		BatchNorm:  c.Bool("batchnorm"),
		Epochs:     c.Int("epochs"),
		BatchSize:  c.Int("batch-size"),
		Optimizer:  nn.Optimizer(c.String("optimizer")),
		LR:         c.Float64("lr"),
		ValSplit:   c.Float64("val-split"),
		Patience:   c.Int("patience"),
		LRSchedule: c.String("lr-schedule"),
		Seed:       c.Int64("seed"),
		Name:       name,
		Models:     models,

		PositiveLabel: c.String("positive-label"),
		ClassWeights:  c.String("class-weights"),
		Threshold:     c.Float64("threshold"),
		CV:            c.Int("cv"),

		Defaults:    tabular.FeatureOptions{MaxCategories: c.Int("max-categories"), MinCategoryCount: c.Int("min-category-count")},
		Categorical: splitList(c.String("categorical")),
	}
	if c.IsSet("patience") && cfg.Patience == 0 {
		cfg.Patience = -1 // off
	}
	if c.IsSet("weight-decay") {
		cfg.WeightDecay = c.Float64("weight-decay")
		if cfg.WeightDecay == 0 {
			cfg.WeightDecay = -1 // none
		}
	}
	// Check the flags before reading any data.
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	src, err := openSource(c.Context, c, models, 0)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	defer src.Close()
	cfg.Source = src.desc
	_, err = e.runTraining(c.Context, src, cfg, !c.Bool("quiet"), !c.Bool("no-plot"))
	return err
}

// runTraining trains with progress bars on stderr (on a terminal, unless
// bars is false), then reports like reportTraining.
func (e *env) runTraining(ctx context.Context, src pipeline.Reader, cfg pipeline.TrainConfig, bars, plot bool) (*pipeline.TrainResult, error) {
	prog := e.newTrainProgress(bars, cfg.Name)
	cfg.OnEvent = prog.event
	start := time.Now()
	res, err := pipeline.Train(ctx, src, cfg)
	prog.clear()
	if err != nil {
		return nil, prog.interrupted(ctx, err)
	}
	return res, e.reportTraining(res, time.Since(start), plot, prog.started)
}

// interruptedError is a Ctrl-C that the command explains in its one line.
type interruptedError struct{ msg string }

func (e *interruptedError) Error() string { return e.msg }

// interrupted explains an interrupted training: nothing was registered,
// and how to get the best epoch so far (training is deterministic for a
// seed, so the same run stopped at that epoch gives it).
func (p *trainProgress) interrupted(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	msg := "interrupted before training started: nothing was registered"
	if p.started {
		msg = fmt.Sprintf("interrupted in epoch %d of %d: nothing was registered", p.lastEpoch+1, p.epochs)
		if p.bestEpoch > 0 {
			msg += fmt.Sprintf(" (the best epoch so far was %d, val_loss %s: train again with --epochs %d and the same seed to get it)",
				p.bestEpoch, formatMetric(p.bestLoss), p.bestEpoch)
		}
	}
	return &interruptedError{msg}
}

// printHeader describes the model about to be trained: what it predicts
// from what, its layers, and the rows.
func printHeader(out io.Writer, name string, m *nn.Model, trainRows, valRows int, set *nn.TrainingSettings) {
	spec := m.Spec()
	if name == "" {
		name = "the model"
	}
	fmt.Fprintf(out, "%s: %s", name, spec.Task)
	if spec.Target != "" {
		fmt.Fprintf(out, " on %s", spec.Target)
	}
	fmt.Fprintf(out, ", %d inputs → %d features", len(spec.Inputs), spec.InputWidth())
	if len(spec.Labels) > 0 {
		fmt.Fprintf(out, ", labels %s", strings.Join(spec.Labels, ", "))
	}
	fmt.Fprintln(out)
	fmt.Fprint(out, m.Summary())
	fmt.Fprintf(out, "Training on %s rows, validating on %s\n", thousands(trainRows), thousands(valRows))
	if set != nil && set.Summary != "" {
		fmt.Fprintf(out, "Settings: %s\n", set.Summary)
	}
}

// reportTraining prints the validation metrics and where the model was
// registered to stdout (after the model header and summary, unless
// headerShown says they were printed when training started), and draws
// history.png next to the model.
func (e *env) reportTraining(res *pipeline.TrainResult, elapsed time.Duration, plot, headerShown bool) error {
	out := e.stdout
	if !headerShown {
		printHeader(out, res.Entry.Name, res.Model, res.TrainRows, res.ValRows, &res.Settings)
	}
	epochs := 0
	if res.History != nil {
		epochs = len(res.History.Epochs)
	}
	fmt.Fprintf(out, "Trained %d epochs in %.1fs", epochs, elapsed.Seconds())
	if res.History != nil && res.History.Stopped {
		fmt.Fprintf(out, " (early stopping: kept epoch %d)", res.History.BestEpoch)
	}
	fmt.Fprintln(out)
	writeTargetNotes(out, res)
	fmt.Fprintln(out, "Validation metrics:")
	writeMetricTable(out, res.Metrics)
	if res.CV != nil {
		fmt.Fprintf(out, "Cross-validated metrics (%d folds, mean ± std):\n", res.CV.Folds)
		writeCVTable(out, res.CV)
	}
	if res.Entry.Name == "" {
		return nil
	}
	where := res.Entry.Ref()
	if dir := res.Entry.Dir(); dir != "" {
		where += " in " + dir
		if plot && res.History != nil && len(res.History.Epochs) > 0 {
			// The version is published already: a plot that cannot be
			// drawn (a full disk) is a warning, never a failed command
			// that leaves a registered model behind.
			png := filepath.Join(dir, "history.png")
			if err := writeHistoryPlot(png, res.Entry.Ref(), res.History, res.Model.Spec()); err != nil {
				defer fmt.Fprintf(e.stderr, "warning: %s is registered, but its training history could not be drawn: %v\n", res.Entry.Ref(), err)
			} else {
				where += " (training history: " + png + ")"
			}
		}
	}
	fmt.Fprintln(out, "Registered "+where)
	return nil
}

// writeTargetNotes says what happened to the target: rows left out for a
// NULL target, and a note on the detected task.
func writeTargetNotes(out io.Writer, res *pipeline.TrainResult) {
	if res.Dropped > 0 {
		fmt.Fprintf(out, "Left out %s rows whose target is NULL (recorded in the model)\n", thousands(res.Dropped))
	}
	if res.Note != "" {
		fmt.Fprintln(out, "Note: "+res.Note)
	}
}

// writeTargetProvenance adds to dense models show what training did about
// the target: the decision threshold, the rows left out, the class weights
// and the validation split.
func writeTargetProvenance(w io.Writer, spec *nn.Spec) {
	p := spec.Provenance
	if spec.Threshold != 0 {
		fmt.Fprintf(w, "  threshold   %g: %s when P(%s) ≥ %g\n", spec.Threshold, spec.PositiveLabel(), spec.PositiveLabel(), spec.Threshold)
	}
	if p.DroppedRows > 0 {
		fmt.Fprintf(w, "  left out    %s rows whose target was NULL\n", thousands(int(p.DroppedRows)))
	}
	if len(p.ClassWeights) > 0 {
		labels := spec.ClassLabels()
		parts := make([]string, len(p.ClassWeights))
		for i, v := range p.ClassWeights {
			parts[i] = fmt.Sprintf("%s %s", labels[min(i, len(labels)-1)], formatMetric(v))
		}
		fmt.Fprintf(w, "  weights     %s\n", strings.Join(parts, ", "))
	}
	if s := p.Split; s != nil {
		fmt.Fprintf(w, "  validation  %s of %s rows (%s split %g, seed %d; dense eval --holdout scores them)\n",
			thousands(int(s.ValRows)), thousands(int(s.Rows)), s.Rule, s.Fraction, s.Seed)
	}
}

// writeCVTable prints cross-validated metrics as "name  mean ± std".
func writeCVTable(w io.Writer, cv *nn.CrossValidation) {
	keys := make([]string, 0, len(cv.Mean))
	width := 0
	for k := range cv.Mean {
		keys = append(keys, k)
		width = max(width, len(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-*s  %s ± %s\n", width, k, formatMetric(cv.Mean[k]), formatMetric(cv.Std[k]))
	}
}

// writeMetricTable prints metrics one per line, aligned, in a stable order.
func writeMetricTable(w io.Writer, m map[string]float64) {
	keys := make([]string, 0, len(m))
	width := 0
	for k := range m {
		keys = append(keys, k)
		width = max(width, len(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-*s  %s\n", width, k, formatMetric(m[k]))
	}
}

// thousands formats n with comma separators.
func thousands(n int) string { return nn.Thousands(n) }

// trainProgress turns pipeline events into progress bars on stderr, prints
// the model's header on stdout when training starts, and remembers the
// epochs for an interrupted run's message.
type trainProgress struct {
	w       io.Writer
	out     io.Writer
	name    string
	enabled bool
	read    *progress
	epoch   *progress

	started           bool
	epochs, lastEpoch int
	bestEpoch         int
	bestLoss          float64
}

func (e *env) newTrainProgress(bars bool, name string) *trainProgress {
	return &trainProgress{w: e.stderr, out: e.stdout, name: name, enabled: bars && isTerminal(e.stderr)}
}

func (p *trainProgress) clear() {
	if p.read != nil {
		p.read.Clear()
	}
	if p.epoch != nil {
		p.epoch.Clear()
	}
}

func (p *trainProgress) event(ev pipeline.Event) {
	switch ev.Kind {
	case pipeline.EventStart:
		if p.read != nil {
			p.read.Clear()
			p.read = nil
		}
		p.started = true
		printHeader(p.out, p.name, ev.Model, int(ev.Rows), ev.ValRows, ev.Settings)
	case pipeline.EventRead:
		if p.read == nil {
			p.read = newProgress(p.w, p.enabled, "reading", 0)
		}
		p.read.Update(ev.Rows, "rows")
	case pipeline.EventBatch:
		p.epochs = ev.Epochs
		if p.read != nil {
			p.read.Clear()
			p.read = nil
		}
		if p.epoch == nil {
			p.epoch = newProgress(p.w, p.enabled, fmt.Sprintf("epoch %*d/%d", digits(ev.Epochs), ev.Epoch, ev.Epochs), int64(ev.Batches))
		}
		p.epoch.Update(int64(ev.Batch), "loss "+formatMetric(ev.Loss))
	case pipeline.EventFold:
		if p.epoch != nil {
			p.epoch.Clear()
			p.epoch = nil
		}
		bar := newProgress(p.w, p.enabled, fmt.Sprintf("cross-validation fold %d/%d", ev.Batch, ev.Batches), 1)
		bar.Finish(1, formatMetrics(ev.Metrics))
	case pipeline.EventScored:
		if p.read == nil {
			p.read = newProgress(p.w, p.enabled, "scoring", 0)
		}
		p.read.Update(ev.Rows, "rows")
	case pipeline.EventEpoch:
		bar := p.epoch
		if bar == nil {
			bar = newProgress(p.w, p.enabled, fmt.Sprintf("epoch %*d/%d", digits(ev.Epochs), ev.Epoch, ev.Epochs), 1)
		}
		bar.Finish(bar.total, formatMetrics(ev.Metrics)+fmt.Sprintf("  %.1fs", bar.Elapsed().Seconds()))
		p.epoch = nil
		p.epochs, p.lastEpoch = ev.Epochs, ev.Epoch
		if v, ok := ev.Metrics["val_loss"]; ok && (p.bestEpoch == 0 || v < p.bestLoss) {
			p.bestEpoch, p.bestLoss = ev.Epoch, v
		}
	}
}

func digits(n int) int { return len(strconv.Itoa(n)) }

// formatMetrics renders metrics as "loss 0.4123  accuracy 0.91  val_loss
// 0.4410 …": loss, the training metrics, val_loss, the validation metrics.
func formatMetrics(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		switch k {
		case "loss":
			return 0
		case "val_loss":
			return 2
		}
		if strings.HasPrefix(k, "val_") {
			return 3
		}
		return 1
	}
	sort.Slice(keys, func(i, j int) bool {
		if ri, rj := rank(keys[i]), rank(keys[j]); ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+" "+formatMetric(m[k]))
	}
	return strings.Join(parts, "  ")
}

func formatMetric(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	a := math.Abs(v)
	if a != 0 && (a >= 1e5 || a < 1e-3) {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}
