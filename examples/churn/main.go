// Churn, a binary classifier, as a data engineer would run it: a YAML
// pipeline spec trains on a CSV file, registers the model in a models
// folder and scores new customers into a Parquet file, all in Go, no
// database. The result is read back and summarised.
//
//	go run ./examples/churn                  # in a temporary folder
//	go run ./examples/churn -dir /tmp/churn  # keep the files, then:
//	dense pipeline run /tmp/churn/churn.yaml
//
// The folder holds the data the spec names (customers.csv, 5,000 rows, and
// new_customers.csv, 1,250 rows), so that on a fresh clone
//
//	dense pipeline run examples/churn/churn.yaml
//
// works as it is (it writes models/ and churn_scores.parquet here, which git
// ignores). The two files are what this program generates;
// TestCommittedData keeps them so. Regenerate them with
//
//	go run ./examples/churn -data-only -customers 5000 -dir examples/churn
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/internal/demodata"
	"github.com/dense-ml/dense/pipeline"
)

//go:embed churn.yaml
var specYAML []byte

func main() {
	dir := flag.String("dir", "", "folder for the data, the spec, the models and the scores (default: a temporary one)")
	customers := flag.Int("customers", 20000, "customers to train on (and a quarter as many new ones to score)")
	dataOnly := flag.Bool("data-only", false, "only write the two CSV files into -dir")
	flag.Parse()
	if *dataOnly {
		if *dir == "" {
			log.Fatal("-data-only needs -dir")
		}
		if err := writeData(*dir, *customers); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "dense-churn-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	} else if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	if _, err := run(context.Background(), os.Stdout, *dir, *customers); err != nil {
		log.Fatal(err)
	}
}

// writeData writes n customers to learn from (customers.csv) and a
// quarter as many new ones to score (new_customers.csv) into dir.
func writeData(dir string, n int) error {
	if err := demodata.WriteCustomersCSV(filepath.Join(dir, "customers.csv"), n, 1); err != nil {
		return err
	}
	return demodata.WriteCustomersCSV(filepath.Join(dir, "new_customers.csv"), max(n/4, 100), 2)
}

// result is what the example measured, for its test.
type result struct {
	AUC           float64
	ChurnByRegion map[string]float64 // mean churn_probability of the scored customers
	Scored        int64
}

func run(ctx context.Context, w io.Writer, dir string, n int) (*result, error) {
	// 1. The data: customers to learn from and new customers to score.
	if err := writeData(dir, n); err != nil {
		return nil, err
	}
	specPath := filepath.Join(dir, "churn.yaml")
	if err := os.WriteFile(specPath, specYAML, 0o644); err != nil {
		return nil, err
	}

	// 2. The pipeline: load and validate the spec, then run it.
	spec, err := pipeline.LoadSpec(specPath)
	if err != nil {
		return nil, err
	}
	res, err := pipeline.Run(ctx, spec)
	if err != nil {
		return nil, err
	}
	tr := res.Train
	fmt.Fprintf(w, "registered %s: validation accuracy %.3f, ROC AUC %.3f on %d rows\n",
		tr.Entry.Ref(), tr.Metrics["accuracy"], tr.Metrics["roc_auc"], tr.ValRows)
	fmt.Fprintf(w, "scored %d new customers into %s\n", res.Scored, res.Sink)

	// 3. Read the scores back: average churn probability by region.
	byRegion, err := churnByRegion(res.Sink)
	if err != nil {
		return nil, err
	}
	regions := make([]string, 0, len(byRegion))
	for r := range byRegion {
		regions = append(regions, r)
	}
	sort.Slice(regions, func(i, j int) bool { return byRegion[regions[i]] > byRegion[regions[j]] })
	fmt.Fprintln(w, "average churn probability of the new customers by region:")
	for _, r := range regions {
		fmt.Fprintf(w, "  %-8s %.3f\n", r, byRegion[r])
	}
	return &result{AUC: tr.Metrics["roc_auc"], ChurnByRegion: byRegion, Scored: res.Scored}, nil
}

// churnByRegion streams the scored Parquet file and averages
// churn_probability per region.
func churnByRegion(path string) (map[string]float64, error) {
	r, err := arrowio.Open(path, arrowio.Options{Columns: []string{"region", "churn_probability"}})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	sum, count := map[string]float64{}, map[string]float64{}
	for {
		b, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		region, ok1 := b.Column(0).(*array.String)
		prob, ok2 := b.Column(1).(*array.Float64)
		if !ok1 || !ok2 {
			b.Release()
			return nil, fmt.Errorf("unexpected column types %s, %s", b.Column(0).DataType(), b.Column(1).DataType())
		}
		for i := range int(b.NumRows()) {
			sum[region.Value(i)] += prob.Value(i)
			count[region.Value(i)]++
		}
		b.Release()
	}
	for k := range sum {
		sum[k] /= count[k]
	}
	return sum, nil
}
