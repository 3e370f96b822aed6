// Customer segmentation, a multi-class classifier, the DuckDB way: the data
// lives in a DuckDB database, the model trains from a query, is registered
// in a models folder, and scoring, profiling and export are SQL.
//
//	go run ./examples/segmentation
//
// It shows how to embed dense in a Go program that owns its DuckDB
// database: udf.Register over the registry, then plain SQL.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dense-ml/dense/duckio"
	"github.com/dense-ml/dense/internal/demodata"
	"github.com/dense-ml/dense/pipeline"
	"github.com/dense-ml/dense/registry"
	"github.com/dense-ml/dense/udf"
)

func main() {
	customers := flag.Int("customers", 20000, "customers to generate")
	dir := flag.String("dir", "", "folder for the database, the models and the export (default: a temporary one)")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "dense-segmentation-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	if _, err := run(context.Background(), os.Stdout, *dir, *customers); err != nil {
		log.Fatal(err)
	}
}

// run returns the share of customers whose predicted segment agrees with
// the recorded one.
func run(ctx context.Context, w io.Writer, dir string, n int) (float64, error) {
	// 1. Data: a CSV export from "the CRM", loaded into DuckDB.
	csvPath := filepath.Join(dir, "crm_export.csv")
	if err := demodata.WriteCustomersCSV(csvPath, n, 11); err != nil {
		return 0, err
	}
	db, err := sql.Open("duckdb", filepath.Join(dir, "shop.duckdb"))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE OR REPLACE TABLE customers AS SELECT * FROM read_csv(?)", csvPath); err != nil {
		return 0, err
	}

	// 2. Train from a query and register the model.
	models := filepath.Join(dir, "models")
	r, err := duckio.Query(ctx, db, "SELECT * EXCLUDE (customer_id, churned) FROM customers", duckio.Options{})
	if err != nil {
		return 0, err
	}
	res, err := pipeline.Train(ctx, r, pipeline.TrainConfig{
		Source: "shop.duckdb: customers", Target: "segment",
		Hidden: []int{32, 16}, Epochs: 30, Patience: 4, LR: 0.003, BatchSize: 64, Seed: 1,
		Name: "segment", Models: models,
	})
	r.Close()
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "registered %s (labels %s): validation accuracy %.3f, macro F1 %.3f\n",
		res.Entry.Ref(), strings.Join(res.Model.Spec().Labels, ", "), res.Metrics["accuracy"], res.Metrics["f1"])

	// 3. The SQL functions, backed by the registry.
	reg, err := registry.Open(models)
	if err != nil {
		return 0, err
	}
	if err := udf.Register(db, udf.FromRegistry(reg)); err != nil {
		return 0, err
	}

	// 4. Score once into a table, then profile the segments in SQL.
	if _, err := db.ExecContext(ctx, `
		CREATE OR REPLACE TABLE customer_segments AS
		SELECT customer_id, segment AS recorded_segment,
		       dense_predict_label('segment', c) AS predicted_segment,
		       list_max(dense_predict_proba('segment', c)) AS confidence
		FROM customers c`); err != nil {
		return 0, err
	}
	rows, err := db.QueryContext(ctx, `
		SELECT s.predicted_segment,
		       count(*)                          AS customers,
		       round(avg(c.age), 1)              AS age,
		       round(avg(c.income), -2)          AS income,
		       round(avg(c.online_share), 2)     AS online,
		       mode(c.region)                    AS top_region,
		       round(avg(s.confidence), 3)       AS confidence
		FROM customer_segments s JOIN customers c USING (customer_id)
		GROUP BY ALL ORDER BY customers DESC`)
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "%-10s %9s %6s %9s %7s %-10s %10s\n", "segment", "customers", "age", "income", "online", "top region", "confidence")
	for rows.Next() {
		var seg, region string
		var count int
		var age, income, online, conf float64
		if err := rows.Scan(&seg, &count, &age, &income, &online, &region, &conf); err != nil {
			rows.Close()
			return 0, err
		}
		fmt.Fprintf(w, "%-10s %9d %6.1f %9.0f %7.2f %-10s %10.3f\n", seg, count, age, income, online, region, conf)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}

	// 5. Customers the model would move to another segment, for review,
	// exported to Parquet.
	var agree float64
	var moved int
	if err := db.QueryRowContext(ctx, `
		SELECT avg((predicted_segment = recorded_segment)::INT), count(*) FILTER (WHERE predicted_segment <> recorded_segment)
		FROM customer_segments`).Scan(&agree, &moved); err != nil {
		return 0, err
	}
	export := filepath.Join(dir, "segment_review.parquet")
	if _, err := db.ExecContext(ctx, fmt.Sprintf(`
		COPY (SELECT * FROM customer_segments WHERE predicted_segment <> recorded_segment ORDER BY confidence DESC)
		TO '%s' (FORMAT parquet)`, strings.ReplaceAll(export, "'", "''"))); err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "predicted and recorded segments agree for %.1f%% of customers; %d to review in %s\n",
		100*agree, moved, filepath.Base(export))
	return agree, nil
}
