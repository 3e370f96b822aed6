package duckio_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dense-ml/dense/duckio"
	"github.com/dense-ml/dense/pipeline"
	"github.com/dense-ml/dense/registry"
	"github.com/dense-ml/dense/udf"
)

// TestTrainOnCSVScoreInSQL is issue 13's contract for a CSV file: a model
// trained through the CLI's reader (duckio.Open) scores the same file in
// SQL's STRUCT form (FROM read_csv(…) and FROM 'file.csv') with the
// predictions Go scoring gives. The file has the traps: zero-padded codes
// (VARCHAR for every reader, so a categorical input), a date column (DATE,
// excluded: not a feature type), headers that differ only in case
// (Max.Axis, max.axis → max.axis_1 everywhere) and a yes/no target
// (BOOLEAN).
func TestTrainOnCSVScoreInSQL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "orders.csv")
	var sb strings.Builder
	sb.WriteString("id,zip,day,Max.Axis,max.axis,amount,churned\n")
	rng := rand.New(rand.NewPCG(1, 2))
	zips := []string{"01067", "01069", "10115", "00501"}
	for i := range 600 {
		z := rng.IntN(len(zips))
		a, b := rng.NormFloat64(), rng.NormFloat64()
		amount := fmt.Sprintf("%.2f", 50+20*rng.NormFloat64())
		if i%17 == 0 {
			amount = ""
		}
		churned := "no"
		if a+0.5*b+float64(z)*0.4 > 0.6 {
			churned = "yes"
		}
		fmt.Fprintf(&sb, "%d,%s,2024-%02d-%02d,%.3f,%.3f,%s,%s\n", i, zips[z], 1+i%12, 1+i%28, a, b, amount, churned)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	models := filepath.Join(dir, "models")

	// Train the way `dense train --data orders.csv` reads the file.
	src, err := duckio.Open(ctx, path, duckio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := pipeline.Train(ctx, src, pipeline.TrainConfig{
		Target: "churned", Exclude: []string{"id", "day"}, Hidden: []int{8}, Epochs: 5, Seed: 1,
		Name: "orders", Models: models,
	})
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	spec := res.Model.Spec()
	var inputs []string
	for _, in := range spec.Inputs {
		inputs = append(inputs, fmt.Sprintf("%s:%s", in.Name, in.Kind))
	}
	if got := strings.Join(inputs, " "); got != "zip:categorical Max.Axis:numeric max.axis_1:numeric amount:numeric" {
		t.Errorf("inputs %s", got)
	}
	if fmt.Sprint(spec.Labels) != "[false true]" {
		t.Errorf("labels %v", spec.Labels)
	}

	// Go scoring, as `dense score --data orders.csv` does.
	src, err = duckio.Open(ctx, path, duckio.Options{BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	var goScores []float64
	_, err = pipeline.Score(ctx, res.Model, src, writerFunc(func(b arrow.RecordBatch) error {
		col := b.Column(b.Schema().FieldIndices("prediction")[0]).(*array.Float64)
		goScores = append(goScores, col.Float64Values()...)
		return nil
	}), pipeline.PredictionColumns{Score: "prediction"})
	src.Close()
	if err != nil {
		t.Fatal(err)
	}

	// SQL scoring of the same file, the STRUCT form.
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg, err := registry.Open(models)
	if err != nil {
		t.Fatal(err)
	}
	if err := udf.Register(db, udf.FromRegistry(reg)); err != nil {
		t.Fatal(err)
	}
	expr, err := duckio.FileSQL(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{expr, "'" + path + "'"} {
		rows, err := db.Query("SELECT id, dense_predict('orders', t) FROM " + from + " t ORDER BY id")
		if err != nil {
			t.Fatalf("FROM %s: %v", from, err)
		}
		n := 0
		for rows.Next() {
			var id int
			var p float64
			if err := rows.Scan(&id, &p); err != nil {
				t.Fatal(err)
			}
			if math.Abs(p-goScores[id]) > 1e-6 {
				t.Fatalf("FROM %s: row %d: SQL %v, Go %v", from, id, p, goScores[id])
			}
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if n != 600 || len(goScores) != 600 {
			t.Errorf("FROM %s: %d SQL rows, %d Go rows", from, n, len(goScores))
		}
	}
}

type writerFunc func(arrow.RecordBatch) error

func (f writerFunc) Write(b arrow.RecordBatch) error { return f(b) }
func (f writerFunc) Close() error                    { return nil }
