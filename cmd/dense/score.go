package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/urfave/cli/v2"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/duckio"
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/pipeline"
	"github.com/dense-ml/dense/registry"
	"github.com/dense-ml/dense/tabular"
)

func (e *env) scoreCommand() *cli.Command {
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "model", Usage: "model to score with: NAME (newest version) or NAME@VERSION (required)"},
	}, dataFlags()...)
	flags = append(flags,
		&cli.StringFlag{Name: "out", Usage: "output: a .parquet, .csv/.tsv or .arrow/.arrows file (by extension), or duckdb:FILE.duckdb:TABLE (required)"},
		&cli.StringFlag{Name: "table-mode", Usage: "with --out duckdb:…: create (fails if the table exists), replace or append", Value: "create"},
		&cli.StringFlag{Name: "prediction", Usage: "name of the score column (regression value, P(positive), or P(predicted label))", Value: "prediction"},
		&cli.StringFlag{Name: "label", Usage: "name of the predicted-label column of a classifier (empty: leave it out)", Value: "predicted_label"},
		&cli.StringFlag{Name: "proba", Usage: "name of the probabilities column of a classifier (empty: leave it out)", Value: "probabilities"},
		&cli.BoolFlag{Name: "null-on-error", Usage: "give rows that cannot be encoded NULL predictions instead of failing"},
		&cli.BoolFlag{Name: "check", Usage: "print a drift report to stderr: per input, NULLs, values outside the training range and unseen categories against the training data"},
		modelsFlag(),
		quietFlag(),
	)
	return &cli.Command{
		Name:      "score",
		Usage:     "append a model's predictions to a table and write it out",
		UsageText: "dense score --model NAME[@V] (--data FILE | [--db FILE] --query SQL) --out (FILE | duckdb:FILE.duckdb:TABLE)",
		Description: "Streams the rows through the model batch by batch (memory stays flat however many rows\n" +
			"there are), applies the preprocessing stored in the model, and writes every input column\n" +
			"plus the predictions: prediction (the regression value, the positive class's probability,\n" +
			"or the predicted class's), predicted_label and probabilities for classifiers (a regression\n" +
			"model gets only prediction). Columns of the input with those names (a file scored before)\n" +
			"are replaced, with a warning. A row that cannot be encoded (NULL without imputation, a list\n" +
			"of the wrong length) is an error naming the column and row, unless --null-on-error.\n" +
			"--out duckdb:FILE.duckdb:TABLE writes a DuckDB table (the database is created if missing;\n" +
			"--table-mode says what to do with an existing table); the table appears only once every\n" +
			"row is scored. For dense sql, prefer .parquet or a DuckDB table to .arrow: DuckDB has no\n" +
			"Arrow IPC reader. --check compares the scored data with the training statistics stored in\n" +
			"the model and prints a drift report to stderr (see dense eval).\n\n" +
			"Examples:\n" +
			"   dense score --model churn --data customers.parquet --out scored.parquet\n" +
			"   dense score --model segment@2 --data new_customers.csv --out segments.csv --proba ''\n" +
			"   dense score --model churn --db shop.duckdb --query \"SELECT * FROM customers\" --out churn.arrow\n" +
			"   dense score --model churn --data customers.parquet --out duckdb:shop.duckdb:churn_scores --table-mode replace",
		Flags: flags,
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 0, "model", "out"); err != nil {
				return err
			}
			return e.score(c)
		},
	}
}

func (e *env) score(c *cli.Context) error {
	ctx := c.Context
	out := c.String("out")
	dbOut, table, isDB := strings.Cut(strings.TrimPrefix(out, "duckdb:"), ":")
	if isDB = strings.HasPrefix(out, "duckdb:"); isDB {
		// duckdb:FILE:TABLE; the table is after the last colon.
		rest := strings.TrimPrefix(out, "duckdb:")
		i := strings.LastIndexByte(rest, ':')
		if i <= 0 || i == len(rest)-1 {
			return fmt.Errorf("score: --out %q: want duckdb:FILE.duckdb:TABLE", out)
		}
		dbOut, table = rest[:i], rest[i+1:]
	}
	mode, err := duckio.ParseTableMode(c.String("table-mode"))
	if err != nil {
		return fmt.Errorf("score: --table-mode: %w", err)
	}
	if c.IsSet("table-mode") && !isDB {
		return errors.New("score: --table-mode is for --out duckdb:FILE:TABLE")
	}
	outFile := out
	if isDB {
		outFile = dbOut
	}
	if _, err := os.Stat(filepath.Dir(outFile)); err != nil {
		return fmt.Errorf("score: output folder %s does not exist", filepath.Dir(outFile))
	}
	reg, err := registry.Open(c.String("models"))
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	model, entry, err := reg.Load(c.String("model"))
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	cols := pipeline.PredictionColumns{Score: c.String("prediction"), Label: c.String("label"), Proba: c.String("proba")}
	if model.Spec().Task == nn.TaskRegression {
		cols.Label, cols.Proba = "", "" // a regression model predicts one number
	}
	if cols.Score == "" && cols.Label == "" && cols.Proba == "" {
		return errors.New("score: --prediction, --label and --proba are all empty: nothing to append")
	}
	src, err := openSource(ctx, c, c.String("models"), 0)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	defer src.Close()
	var in pipeline.Reader = noCloseReader{src}
	if again := existing(src.Schema(), cols); len(again) > 0 {
		fmt.Fprintf(e.stderr, "dense: score: warning: the input already has %s: replacing %s with the new predictions\n",
			quoteList(again), map[bool]string{true: "it", false: "them"}[len(again) == 1])
		in = dropColumns(in, again)
	}
	var drift *driftReader
	if c.Bool("check") {
		if drift, err = withDriftCheck(in, model.Spec()); err != nil {
			return fmt.Errorf("score: %w", err)
		}
		in = drift
	}

	bar := newProgress(e.stderr, !c.Bool("quiet") && isTerminal(e.stderr), "scoring", 0)
	stage := pipeline.ScoreStage{
		Model:       model,
		Columns:     cols,
		NullOnError: c.Bool("null-on-error"),
		OnEvent: func(ev pipeline.Event) {
			if ev.Kind == pipeline.EventScored {
				bar.Update(ev.Rows, "rows  "+rate(ev.Rows, bar.Elapsed(), "rows"))
			}
		},
	}
	scored, err := stage.Apply(ctx, in)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	defer scored.Close()
	var w arrowio.Writer
	// A failed run cancels the table writer's context before closing it:
	// its COMMIT cannot run, so it rolls back and no partial table appears.
	wctx, abort := context.WithCancel(ctx)
	defer abort()
	if isDB {
		tw, err := duckio.OpenTableWriter(wctx, dbOut, table, mode)
		if err != nil {
			return fmt.Errorf("score: %w", err)
		}
		tw.SetSchema(scored.Schema())
		w = tw
	} else if w, err = arrowio.Create(out, scored.Schema(), arrowio.WriterOptions{}); err != nil {
		return fmt.Errorf("score: %w", err)
	}
	start := time.Now()
	n, err := pipeline.Drain(ctx, scored, w)
	bar.Clear()
	if err != nil {
		abort()
		w.Close()
		if !isDB {
			os.Remove(out) // never leave a partial output that looks complete
		}
		return fmt.Errorf("score: %w", err)
	}
	if err := w.Close(); err != nil {
		if !isDB {
			os.Remove(out)
		}
		return fmt.Errorf("score: writing %s: %w", out, err)
	}
	d := time.Since(start)
	where := out
	if isDB {
		where = fmt.Sprintf("table %s in %s", table, dbOut)
	}
	fmt.Fprintf(e.stdout, "Scored %s rows with %s in %.2fs (%s) → %s\n",
		thousands(int(n)), entry.Ref(), d.Seconds(), rate(n, d, "rows"), where)
	if drift != nil {
		if err := tabular.WriteDriftReport(e.stderr, drift.check.Report()); err != nil {
			return fmt.Errorf("score: %w", err)
		}
	}
	return nil
}

// existing lists the prediction columns that the schema already has.
func existing(schema *arrow.Schema, cols pipeline.PredictionColumns) []string {
	var out []string
	for _, name := range []string{cols.Score, cols.Label, cols.Proba} {
		if name != "" && len(schema.FieldIndices(name)) > 0 {
			out = append(out, name)
		}
	}
	return out
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return "a column " + q[0]
	}
	return "columns " + strings.Join(q, ", ")
}

// dropColumns is in without the named columns.
func dropColumns(in pipeline.Reader, names []string) pipeline.Reader {
	var keep []int
	var fields []arrow.Field
	for i, f := range in.Schema().Fields() {
		if !slices.Contains(names, f.Name) {
			keep = append(keep, i)
			fields = append(fields, f)
		}
	}
	md := in.Schema().Metadata()
	return &projected{Reader: in, keep: keep, schema: arrow.NewSchema(fields, &md)}
}

type projected struct {
	pipeline.Reader
	keep   []int
	schema *arrow.Schema
}

func (p *projected) Schema() *arrow.Schema { return p.schema }

func (p *projected) Read() (arrow.RecordBatch, error) {
	b, err := p.Reader.Read()
	if err != nil {
		return nil, err
	}
	defer b.Release()
	cols := make([]arrow.Array, len(p.keep))
	for i, j := range p.keep {
		cols[i] = b.Column(j)
	}
	return array.NewRecordBatch(p.schema, cols, b.NumRows()), nil
}

// noCloseReader keeps the score stage from closing the source, which the
// command closes itself (with its database).
type noCloseReader struct{ pipeline.Reader }

func (noCloseReader) Close() error { return nil }
