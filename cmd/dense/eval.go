package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/pipeline"
	"github.com/dense-ml/dense/registry"
	"github.com/dense-ml/dense/tabular"
)

func (e *env) evalCommand() *cli.Command {
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "model", Usage: "model to evaluate: NAME or NAME@VERSION (required)"},
	}, dataFlags()...)
	flags = append(flags,
		&cli.StringFlag{Name: "target", Usage: "the column with the true values (default: the model's training target)"},
		&cli.StringFlag{Name: "plot", Usage: "draw the evaluation into this PNG (or .svg) file: the confusion matrix, with ROC and precision-recall curves for a binary model; predicted vs actual and the residuals for regression"},
		&cli.BoolFlag{Name: "thresholds", Usage: "binary models: print precision, recall and F1 at thresholds 0.1 … 0.9"},
		&cli.BoolFlag{Name: "holdout", Usage: "score only the rows training held out for validation (give the training data: same rows, same order)"},
		modelsFlag(),
		quietFlag(),
	)
	return &cli.Command{
		Name:      "eval",
		Usage:     "measure a model on labelled data: metrics, confusion matrix, scoring latency",
		UsageText: "dense eval --model NAME[@V] (--data FILE | [--db FILE] --query SQL) [--target COL] [--plot FILE.png] [--thresholds] [--holdout]",
		Description: "Scores the rows with the model and compares with the target column. Classifiers get\n" +
			"accuracy, precision, recall and F1 (of the positive class for binary models, macro\n" +
			"averages for multiclass ones), log loss, ROC AUC (one-vs-rest macro average for multiclass)\n" +
			"and the confusion matrix;\n" +
			"regression models get MSE, RMSE, MAE and R². Then the scoring latency: the model's\n" +
			"forward pass timed on batches of 1,000 rows (median and 95th percentile), and the time\n" +
			"to encode the features. Last, a drift report: for each input, the share of NULLs against\n" +
			"training's, the values outside the training [min, max] and the categories the model has\n" +
			"not seen (with examples), from the statistics of the raw training values stored in the\n" +
			"model (models trained before dense kept them say so).\n\n" +
			"Rows whose target is NULL are left out and counted, as training leaves them out.\n" +
			"Class labels match by text, then by value where that is unambiguous (a model trained\n" +
			"on a CSV's yes/no column, read as BOOLEAN, evaluates on a JSON copy where it is text).\n\n" +
			"--holdout evaluates on exactly the rows the model never trained on: give it the\n" +
			"training data, and it finds the validation rows again from the split stored in the\n" +
			"model (rule, fraction, seed). Rows are identified by their position, so the data must\n" +
			"be the same rows in the same order: the number of rows with a target and digests of\n" +
			"the targets and of the encoded features, in order, are checked, and any difference\n" +
			"is an error, never other rows. The drift report still covers every row read (it\n" +
			"compares the data with training's statistics, held-out rows or not).\n\n" +
			"Examples:\n" +
			"   dense eval --model churn --data holdout.parquet --target churned\n" +
			"   dense eval --model segment@2 --data customers.csv --target segment --plot confusion.png\n" +
			"   dense eval --model churn --data holdout.parquet --plot churn_eval.png --thresholds\n" +
			"   dense eval --model churn --data customers.csv --holdout\n" +
			"   dense eval --model spend --db shop.duckdb --query \"SELECT * FROM customers WHERE tenure_months > 12\"",
		Flags: flags,
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 0, "model"); err != nil {
				return err
			}
			return e.eval(c)
		},
	}
}

func (e *env) eval(c *cli.Context) error {
	ctx := c.Context
	reg, err := registry.Open(c.String("models"))
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	model, entry, err := reg.Load(c.String("model"))
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	spec := model.Spec()
	target := c.String("target")
	if target == "" {
		target = spec.Target
	}
	if target == "" {
		return errors.New("eval: the model does not record its target column: give --target COL")
	}
	plot := c.String("plot")
	if c.Bool("thresholds") && (spec.Task != nn.TaskBinary || spec.OutputWidth() != 1) {
		return fmt.Errorf("eval: --thresholds is for binary models; %s is %s", entry.Ref(), spec.Task)
	}
	if plot != "" {
		if _, err := os.Stat(filepath.Dir(plot)); err != nil {
			return fmt.Errorf("eval: plot folder %s does not exist", filepath.Dir(plot))
		}
	}
	src, err := openSource(ctx, c, c.String("models"), 0)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer src.Close()

	// The drift check binds the inputs as the scoring does: when it cannot,
	// the evaluation fails with the clearer error (a missing target, say).
	var in pipeline.Reader = src
	drift, driftErr := withDriftCheck(src, spec)
	if driftErr == nil {
		in = drift
	}
	bar := newProgress(e.stderr, !c.Bool("quiet") && isTerminal(e.stderr), "reading", 0)
	res, err := pipeline.Evaluate(ctx, model, in, pipeline.EvalConfig{Target: target, Holdout: c.Bool("holdout"),
		OnEvent: func(ev pipeline.Event) { bar.Update(ev.Rows, "rows") }})
	bar.Clear()
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if driftErr != nil {
		return fmt.Errorf("eval: %w", driftErr)
	}
	rows, x, y := res.Rows, res.X, res.Y
	out := e.stdout
	what := "rows"
	if c.Bool("holdout") {
		what = "held-out validation rows"
	}
	fmt.Fprintf(out, "Evaluated %s (%s) on %s %s of %s, target %s\n", entry.Ref(), spec.Task, thousands(rows), what, src.desc, target)
	if res.Dropped > 0 {
		fmt.Fprintf(out, "Left out %s rows whose target is NULL\n", thousands(res.Dropped))
	}
	if spec.Task == nn.TaskBinary && spec.Threshold != 0 {
		fmt.Fprintf(out, "Decision threshold %g (the model's): %s when P(%s) ≥ %g\n", spec.Threshold, spec.PositiveLabel(), spec.PositiveLabel(), spec.Threshold)
	}
	writeMetricTable(out, res.Metrics)

	if cm := res.Confusion; cm != nil {
		fmt.Fprintln(out, "\nConfusion matrix (rows: true class, columns: predicted):")
		for _, l := range strings.Split(strings.TrimRight(cm.String(), "\n"), "\n") {
			fmt.Fprintln(out, "  "+l)
		}
		binary := spec.Task == nn.TaskBinary && model.OutputWidth() == 1
		if binary && (plot != "" || c.Bool("thresholds")) {
			if err := e.binaryReport(res.Outputs, y, cm, plot, entry.Ref(), c.Bool("thresholds"), spec.DecisionThreshold()); err != nil {
				return fmt.Errorf("eval: %w", err)
			}
		} else if plot != "" {
			if err := writeConfusionPlot(plot, entry.Ref(), cm); err != nil {
				return fmt.Errorf("eval: %w", err)
			}
		}
		if plot != "" {
			defer fmt.Fprintf(out, "Evaluation plot: %s\n", plot)
		}
	} else if plot != "" {
		if err := writeRegressionEvalPlot(plot, entry.Ref(), spec, res.Outputs, y); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		defer fmt.Fprintf(out, "Evaluation plot: %s\n", plot)
	}

	lat, err := predictLatency(model, x, rows, 1000)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	fmt.Fprintf(out, "\nScoring latency per 1,000 rows: forward pass median %s, p95 %s (%s); encoding the features %s\n",
		formatDuration(lat.median), formatDuration(lat.p95), rate(1000, lat.median, "rows"),
		formatDuration(time.Duration(float64(res.Encode)*1000/float64(rows))))
	fmt.Fprintln(out)
	if err := tabular.WriteDriftReport(out, drift.check.Report()); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	return nil
}

type latency struct{ median, p95 time.Duration }

// predictLatency times the forward pass on batches of batch rows (the last
// partial batch is left out), after one warm-up call.
func predictLatency(m *nn.Model, x []float32, rows, batch int) (latency, error) {
	w := m.InputWidth()
	n := min(batch, rows)
	out := make([]float32, n*m.OutputWidth())
	ws := m.NewWorkspace()
	if err := m.PredictInto(out, x[:n*w], n, ws); err != nil {
		return latency{}, err
	}
	var times []time.Duration
	for start := 0; start+n <= rows && len(times) < 1000; start += n {
		t0 := time.Now()
		if err := m.PredictInto(out, x[start*w:(start+n)*w], n, ws); err != nil {
			return latency{}, err
		}
		times = append(times, time.Since(t0))
	}
	// Too few rows for a stable figure: repeat the first batch.
	for len(times) < 20 {
		t0 := time.Now()
		if err := m.PredictInto(out, x[:n*w], n, ws); err != nil {
			return latency{}, err
		}
		times = append(times, time.Since(t0))
	}
	slices.Sort(times)
	scale := float64(batch) / float64(n) // fewer than 1,000 rows: scale up
	at := func(q float64) time.Duration {
		return time.Duration(float64(times[int(math.Min(q*float64(len(times)), float64(len(times)-1)))]) * scale)
	}
	return latency{median: at(0.5), p95: at(0.95)}, nil
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}
