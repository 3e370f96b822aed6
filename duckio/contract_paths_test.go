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
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/pipeline"
	"github.com/dense-ml/dense/registry"
	"github.com/dense-ml/dense/udf"
)

// TestEveryTrainingSourceEveryScoringPath is issue 13's "done when": the
// same table as CSV and as Parquet (zero-padded codes, a date-like text
// column, headers Max.Axis and max.axis), a model trained on each, and each
// scored on each by Go scoring (dense score), evaluation (dense eval) and
// SQL's STRUCT form: every path gives every row the same prediction.
func TestEveryTrainingSourceEveryScoringPath(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "t.csv")
	var sb strings.Builder
	sb.WriteString("id,zip,day,Max.Axis,max.axis,y\n")
	rng := rand.New(rand.NewPCG(3, 4))
	zips := []string{"01067", "01069", "00501"}
	for i := range 300 {
		z := rng.IntN(len(zips))
		a, b := rng.NormFloat64(), rng.NormFloat64()
		y := "no"
		if a-b+float64(z)*0.5 > 0.4 {
			y = "yes"
		}
		fmt.Fprintf(&sb, "%d,%s,2024-%02d-%02d,%.3f,%.3f,%s\n", i, zips[z], 1+i%12, 1+i%28, a, b, y)
	}
	if err := os.WriteFile(csvPath, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pqPath := filepath.Join(dir, "t.parquet")
	csvExpr, err := duckio.FileSQL(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("COPY (SELECT * FROM %s) TO '%s' (FORMAT parquet)", csvExpr, pqPath)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	models := filepath.Join(dir, "models")
	files := map[string]string{"csv": csvPath, "parquet": pqPath}
	for _, trainOn := range []string{"csv", "parquet"} {
		src, err := duckio.Open(ctx, files[trainOn], duckio.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := pipeline.Train(ctx, src, pipeline.TrainConfig{
			Target: "y", Exclude: []string{"id", "day"}, Hidden: []int{6}, Epochs: 3, Seed: 1,
			Name: "m_" + trainOn, Models: models,
		})
		src.Close()
		if err != nil {
			t.Fatalf("train on %s: %v", trainOn, err)
		}
		var contract []string
		for _, in := range res.Model.Spec().Inputs {
			contract = append(contract, in.Name+":"+in.Kind+":"+in.Source)
		}
		if got, want := strings.Join(contract, " "), "zip:categorical:VARCHAR Max.Axis:numeric:DOUBLE max.axis_1:numeric:DOUBLE"; got != want {
			t.Fatalf("trained on %s: inputs %s, want %s", trainOn, got, want)
		}
		var ref []float64 // the Go scores of the training file
		for _, scoreOn := range []string{trainOn, map[string]string{"csv": "parquet", "parquet": "csv"}[trainOn]} {
			path := files[scoreOn]
			what := fmt.Sprintf("trained on %s, scored on %s", trainOn, scoreOn)
			goScores := scoreGo(t, res.Model, path)
			if ref == nil {
				ref = goScores
			}
			evalOut := evalGo(t, res.Model, path)
			sqlScores := scoreSQL(t, models, "m_"+trainOn, path)
			if len(goScores) != 300 || len(evalOut) != 300 || len(sqlScores) != 300 {
				t.Fatalf("%s: rows: score %d, eval %d, SQL %d", what, len(goScores), len(evalOut), len(sqlScores))
			}
			for i := range ref {
				if math.Abs(goScores[i]-ref[i]) > 1e-6 || math.Abs(evalOut[i]-ref[i]) > 1e-6 || math.Abs(sqlScores[i]-ref[i]) > 1e-6 {
					t.Fatalf("%s: row %d: score %v, eval %v, SQL %v, training file %v", what, i, goScores[i], evalOut[i], sqlScores[i], ref[i])
				}
			}
		}
	}
}

func scoreGo(t *testing.T, m *nn.Model, path string) []float64 {
	t.Helper()
	src, err := duckio.Open(context.Background(), path, duckio.Options{BatchSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []float64
	_, err = pipeline.Score(context.Background(), m, src, writerFunc(func(b arrow.RecordBatch) error {
		out = append(out, b.Column(b.Schema().FieldIndices("prediction")[0]).(*array.Float64).Float64Values()...)
		return nil
	}), pipeline.PredictionColumns{Score: "prediction"})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func evalGo(t *testing.T, m *nn.Model, path string) []float64 {
	t.Helper()
	src, err := duckio.Open(context.Background(), path, duckio.Options{BatchSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	res, err := pipeline.Evaluate(context.Background(), m, src, pipeline.EvalConfig{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(res.Outputs))
	for i, v := range res.Outputs {
		out[i] = float64(v)
	}
	return out
}

func scoreSQL(t *testing.T, models, name, path string) []float64 {
	t.Helper()
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
	rows, err := db.Query(fmt.Sprintf("SELECT dense_predict('%s', t) FROM %s t ORDER BY id", name, expr))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []float64
	for rows.Next() {
		var p float64
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
