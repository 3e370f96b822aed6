package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/urfave/cli/v2"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
)

func (e *env) evalCommand() *cli.Command {
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "model", Usage: "model to evaluate: NAME or NAME@VERSION (required)"},
	}, dataFlags()...)
	flags = append(flags,
		&cli.StringFlag{Name: "target", Usage: "the column with the true values (default: the model's training target)"},
		&cli.StringFlag{Name: "plot", Usage: "draw the evaluation into this PNG (or .svg) file: the confusion matrix, with ROC and precision-recall curves for a binary model; predicted vs actual and the residuals for regression"},
		&cli.BoolFlag{Name: "thresholds", Usage: "binary models: print precision, recall and F1 at thresholds 0.1 … 0.9"},
		modelsFlag(),
		quietFlag(),
	)
	return &cli.Command{
		Name:      "eval",
		Usage:     "measure a model on labelled data: metrics, confusion matrix, scoring latency",
		UsageText: "dense eval --model NAME[@V] (--data FILE | [--db FILE] --query SQL) [--target COL] [--plot FILE.png] [--thresholds]",
		Description: "Scores the rows with the model and compares with the target column. Classifiers get\n" +
			"accuracy, precision, recall and F1 (of the positive class for binary models, macro\n" +
			"averages for multiclass ones), log loss, ROC AUC (binary) and the confusion matrix;\n" +
			"regression models get MSE, RMSE, MAE and R². Then the scoring latency: the model's\n" +
			"forward pass timed on batches of 1,000 rows (median and 95th percentile), and the time\n" +
			"to encode the features.\n\n" +
			"Examples:\n" +
			"   dense eval --model churn --data holdout.parquet --target churned\n" +
			"   dense eval --model segment@2 --data customers.csv --target segment --plot confusion.png\n" +
			"   dense eval --model churn --data holdout.parquet --plot churn_eval.png --thresholds\n" +
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

	feat, err := arrowio.NewFeaturizer(spec.Inputs, src.Schema())
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if len(src.Schema().FieldIndices(target)) == 0 {
		return fmt.Errorf("eval: no target column %q in the data (columns: %s)", target, fieldNames(src.Schema()))
	}
	labels := arrowio.Labels(spec)
	bar := newProgress(e.stderr, !c.Bool("quiet") && isTerminal(e.stderr), "reading", 0)
	var x, y, buf []float32
	rows := 0
	var encode time.Duration
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := src.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("eval: reading: %w", err)
		}
		t0 := time.Now()
		buf, err = feat.Encode(b, buf)
		encode += time.Since(t0)
		if err != nil {
			b.Release()
			var re *arrowio.RowError
			if errors.As(err, &re) {
				return fmt.Errorf("eval: row %d: %w", rows+re.Row, re.Err)
			}
			return fmt.Errorf("eval: %w", err)
		}
		x = append(x, buf...)
		yt, err := targetValues(b, target, spec, labels, rows)
		b.Release()
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		y = append(y, yt...)
		rows += int(b.NumRows())
		bar.Update(int64(rows), "rows")
	}
	bar.Clear()
	if rows == 0 {
		return errors.New("eval: the data has no rows")
	}
	metrics, err := nn.Evaluate(model, x, y, rows)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	out := e.stdout
	fmt.Fprintf(out, "Evaluated %s (%s) on %s rows of %s, target %s\n", entry.Ref(), spec.Task, thousands(rows), src.desc, target)
	writeMetricTable(out, metrics)

	if spec.Task != nn.TaskRegression {
		cm, err := confusion(model, x, y, rows, labels)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		fmt.Fprintln(out, "\nConfusion matrix (rows: true class, columns: predicted):")
		for _, l := range strings.Split(strings.TrimRight(cm.String(), "\n"), "\n") {
			fmt.Fprintln(out, "  "+l)
		}
		binary := spec.Task == nn.TaskBinary && model.OutputWidth() == 1
		if binary && (plot != "" || c.Bool("thresholds")) {
			if err := e.binaryReport(model, x, y, rows, cm, plot, entry.Ref(), c.Bool("thresholds")); err != nil {
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
		pred, err := model.Predict(x, rows)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		if err := writeRegressionEvalPlot(plot, entry.Ref(), spec, pred, y); err != nil {
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
		formatDuration(time.Duration(float64(encode)*1000/float64(rows))))
	return nil
}

// targetValues turns a batch's target column into Evaluate's y: class
// indices into labels for classifiers, the values for regression.
func targetValues(b arrow.RecordBatch, target string, spec *nn.Spec, labels []string, offset int) ([]float32, error) {
	t, err := arrowio.TargetColumn(b, target)
	if err != nil {
		return nil, err
	}
	y := make([]float32, t.Len())
	if spec.Task == nn.TaskRegression {
		if t.Numbers == nil {
			return nil, fmt.Errorf("target column %q holds strings; a regression model needs numbers", target)
		}
		if spec.OutputWidth() != 1 {
			return nil, fmt.Errorf("the model has %d outputs; eval handles one-output regression", spec.OutputWidth())
		}
		for i, v := range t.Numbers {
			y[i] = float32(v)
		}
		return y, nil
	}
	isBool := b.Schema().Field(b.Schema().FieldIndices(target)[0]).Type.ID() == arrow.BOOL
	for i := range y {
		var s string
		if t.Strings != nil {
			s = t.Strings[i]
		} else if isBool {
			s = strconv.FormatBool(t.Numbers[i] != 0)
		} else {
			s = strconv.FormatFloat(t.Numbers[i], 'g', -1, 64)
		}
		k := slices.Index(labels, s)
		if k < 0 {
			return nil, fmt.Errorf("row %d: target %q is not one of the model's labels (%s)", offset+i, s, strings.Join(labels, ", "))
		}
		y[i] = float32(k)
	}
	return y, nil
}

// confusion predicts every row and tabulates true against predicted class.
func confusion(m *nn.Model, x, y []float32, rows int, labels []string) (*nn.ConfusionMatrix, error) {
	pred, err := m.Predict(x, rows)
	if err != nil {
		return nil, err
	}
	out := m.OutputWidth()
	truth := make([]int, rows)
	guess := make([]int, rows)
	for i := range rows {
		truth[i] = int(y[i])
		if out == 1 { // binary: P(Labels[1])
			if pred[i] >= 0.5 {
				guess[i] = 1
			}
			continue
		}
		row := pred[i*out : (i+1)*out]
		for j := range row {
			if row[j] > row[guess[i]] {
				guess[i] = j
			}
		}
	}
	cm, err := nn.NewConfusionMatrix(truth, guess, len(labels))
	if err != nil {
		return nil, err
	}
	cm.Labels = labels
	return cm, nil
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

func fieldNames(s *arrow.Schema) string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}
