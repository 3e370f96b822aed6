package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/pipeline"
	"github.com/dense-ml/dense/registry"
)

func (e *env) scoreCommand() *cli.Command {
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "model", Usage: "model to score with: NAME (newest version) or NAME@VERSION (required)"},
	}, dataFlags()...)
	flags = append(flags,
		&cli.StringFlag{Name: "out", Usage: "output file: .parquet, .csv/.tsv or .arrow/.arrows, by extension (required)"},
		&cli.StringFlag{Name: "prediction", Usage: "name of the score column (regression value, P(positive), or P(predicted label))", Value: "prediction"},
		&cli.StringFlag{Name: "label", Usage: "name of the predicted-label column of a classifier (empty: leave it out)", Value: "predicted_label"},
		&cli.StringFlag{Name: "proba", Usage: "name of the probabilities column of a classifier (empty: leave it out)", Value: "probabilities"},
		&cli.BoolFlag{Name: "null-on-error", Usage: "give rows that cannot be encoded NULL predictions instead of failing"},
		modelsFlag(),
		quietFlag(),
	)
	return &cli.Command{
		Name:      "score",
		Usage:     "append a model's predictions to a table and write it out",
		UsageText: "dense score --model NAME[@V] (--data FILE | [--db FILE] --query SQL) --out FILE",
		Description: "Streams the rows through the model batch by batch (memory stays flat however many rows\n" +
			"there are), applies the preprocessing stored in the model, and writes every input column\n" +
			"plus the predictions: prediction (the regression value, the positive class's probability,\n" +
			"or the predicted class's), predicted_label and probabilities for classifiers. A row that\n" +
			"cannot be encoded (NULL without imputation, a list of the wrong length) is an error\n" +
			"naming the column and row, unless --null-on-error.\n\n" +
			"Examples:\n" +
			"   dense score --model churn --data customers.parquet --out scored.parquet\n" +
			"   dense score --model segment@2 --data new_customers.csv --out segments.csv --proba ''\n" +
			"   dense score --model churn --db shop.duckdb --query \"SELECT * FROM customers\" --out churn.arrow",
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
	if _, err := os.Stat(filepath.Dir(out)); err != nil {
		return fmt.Errorf("score: output folder %s does not exist", filepath.Dir(out))
	}
	reg, err := registry.Open(c.String("models"))
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	model, entry, err := reg.Load(c.String("model"))
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	src, err := openSource(ctx, c, c.String("models"), 0)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	defer src.Close()

	bar := newProgress(e.stderr, !c.Bool("quiet") && isTerminal(e.stderr), "scoring", 0)
	stage := pipeline.ScoreStage{
		Model:       model,
		Columns:     pipeline.PredictionColumns{Score: c.String("prediction"), Label: c.String("label"), Proba: c.String("proba")},
		NullOnError: c.Bool("null-on-error"),
		OnEvent: func(ev pipeline.Event) {
			if ev.Kind == pipeline.EventScored {
				bar.Update(ev.Rows, "rows  "+rate(ev.Rows, bar.Elapsed(), "rows"))
			}
		},
	}
	if stage.Columns.Score == "" && stage.Columns.Label == "" && stage.Columns.Proba == "" {
		return errors.New("score: --prediction, --label and --proba are all empty: nothing to append")
	}
	scored, err := stage.Apply(ctx, noCloseReader{src})
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	defer scored.Close()
	w, err := arrowio.Create(out, scored.Schema(), arrowio.WriterOptions{})
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	start := time.Now()
	n, err := pipeline.Drain(ctx, scored, w)
	bar.Clear()
	if err != nil {
		w.Close()
		os.Remove(out) // never leave a partial output that looks complete
		return fmt.Errorf("score: %w", err)
	}
	if err := w.Close(); err != nil {
		os.Remove(out)
		return fmt.Errorf("score: writing %s: %w", out, err)
	}
	d := time.Since(start)
	fmt.Fprintf(e.stdout, "Scored %s rows with %s in %.2fs (%s) → %s\n",
		thousands(int(n)), entry.Ref(), d.Seconds(), rate(n, d, "rows"), out)
	return nil
}

// noCloseReader keeps the score stage from closing the source, which the
// command closes itself (with its database).
type noCloseReader struct{ pipeline.Reader }

func (noCloseReader) Close() error { return nil }
