// Quickstart: train a churn model on a Parquet file, register it, and score a file with it.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/duckio"
	"github.com/dense-ml/dense/pipeline"
	"github.com/dense-ml/dense/registry"
)

func main() {
	ctx := context.Background()
	data, err := duckio.Open(ctx, "customers.parquet", duckio.Options{}) // or .csv, .jsonl, a folder, .arrow
	check(err)
	defer data.Close()
	res, err := pipeline.Train(ctx, data, pipeline.TrainConfig{
		Target: "churned", Exclude: []string{"customer_id", "segment"},
		Hidden: []int{32, 16}, Epochs: 30, Patience: 5, Seed: 1,
		Name: "churn", // registered as churn@N in $DENSE_MODELS or ./models
	})
	check(err)
	fmt.Printf("registered %s, validation ROC AUC %.3f\n", res.Entry.Ref(), res.Metrics["roc_auc"])

	reg, err := registry.Open("")
	check(err)
	model, _, err := reg.Load("churn") // the newest version; "churn@1" for a given one
	check(err)
	in, err := duckio.Open(ctx, "customers.parquet", duckio.Options{})
	check(err)
	scored, err := pipeline.ScoreStage{Model: model}.Apply(ctx, in) // + prediction, predicted_label, probabilities
	check(err)
	defer scored.Close()
	out, err := arrowio.Create("scored.parquet", scored.Schema(), arrowio.WriterOptions{})
	check(err)
	n, err := pipeline.Drain(ctx, scored, out)
	check(err)
	check(out.Close())
	fmt.Printf("scored %d rows into scored.parquet\n", n)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
