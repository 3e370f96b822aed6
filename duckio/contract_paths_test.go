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

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/duckio"
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/pipeline"
	"github.com/dense-ml/dense/registry"
	"github.com/dense-ml/dense/udf"
)

// TestEveryTrainingSourceEveryScoringPath is issue 13's "done when": the
// same table (zero-padded codes, a date-like text column, headers Max.Axis
// and max.axis) as CSV, Parquet, JSON lines and a table in a DuckDB file; a
// model trained on each source (files as `dense train --data FILE` reads
// them, the table as `dense train --db FILE --query SQL` does), and each
// model scored on each source by Go scoring (dense score), evaluation
// (dense eval) and SQL's STRUCT form, in SQL through every spelling of the
// table: DuckDB's reader expression (duckio.FileSQL), FROM 'file.csv' t,
// FROM read_parquet('file.parquet') t and FROM tbl t in the DuckDB file.
// Every pair gives every row the same prediction (1e-6). The target y
// (yes/no) is BOOLEAN to read_csv and VARCHAR to read_json, so the model's
// labels differ (false/true, no/yes): dense eval across the two must refuse
// the first row's target with a clear error, never score it.
func TestEveryTrainingSourceEveryScoringPath(t *testing.T) {
	const rows = 300
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "t.csv")
	jsonPath := filepath.Join(dir, "t.jsonl")
	var csvText, jsonText strings.Builder
	csvText.WriteString("id,zip,day,Max.Axis,max.axis,y\n")
	rng := rand.New(rand.NewPCG(3, 4))
	zips := []string{"01067", "01069", "00501"}
	for i := range rows {
		z := rng.IntN(len(zips))
		a, b := rng.NormFloat64(), rng.NormFloat64()
		y := "no"
		if a-b+float64(z)*0.5 > 0.4 {
			y = "yes"
		}
		day := fmt.Sprintf("2024-%02d-%02d", 1+i%12, 1+i%28)
		fmt.Fprintf(&csvText, "%d,%s,%s,%.3f,%.3f,%s\n", i, zips[z], day, a, b, y)
		fmt.Fprintf(&jsonText, `{"id":%d,"zip":"%s","day":"%s","Max.Axis":%.3f,"max.axis":%.3f,"y":"%s"}`+"\n", i, zips[z], day, a, b, y)
	}
	if err := os.WriteFile(csvPath, []byte(csvText.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jsonPath, []byte(jsonText.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	csvExpr, err := duckio.FileSQL(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	pqPath := filepath.Join(dir, "t.parquet")
	dbPath := filepath.Join(dir, "t.duckdb")
	writer, err := sql.Open("duckdb", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		fmt.Sprintf("COPY (SELECT * FROM %s) TO '%s' (FORMAT parquet)", csvExpr, pqPath),
		fmt.Sprintf("CREATE TABLE tbl AS SELECT * FROM %s", csvExpr),
	} {
		if _, err := writer.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}

	// The DuckDB file is opened read-only once, as the CLI opens --db; it
	// is both a training source and a scoring database.
	fileDB, err := sql.Open("duckdb", dbPath+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer fileDB.Close()
	ctx := context.Background()
	files := map[string]string{"csv": csvPath, "parquet": pqPath, "jsonl": jsonPath}
	sources := []string{"csv", "parquet", "jsonl", "duckdb"}
	open := func(name string) arrowio.Reader {
		t.Helper()
		var r arrowio.Reader
		var err error
		if name == "duckdb" {
			r, err = duckio.Query(ctx, fileDB, "SELECT * FROM tbl", duckio.Options{BatchSize: 64})
		} else {
			r, err = duckio.Open(ctx, files[name], duckio.Options{BatchSize: 64})
		}
		if err != nil {
			t.Fatalf("open %s: %v", name, err)
		}
		return r
	}

	targetType := map[string]string{} // the type each source reads y as
	for _, name := range sources {
		src := open(name)
		y := src.Schema().FieldIndices("y")
		if len(y) != 1 {
			t.Fatalf("%s: columns %v, want one y", name, src.Schema())
		}
		targetType[name] = src.Schema().Field(y[0]).Type.String()
		src.Close()
	}
	if targetType["csv"] != "bool" || targetType["jsonl"] != "utf8" {
		t.Fatalf("target types %v; the test expects read_csv to read yes/no as BOOLEAN and read_json as VARCHAR", targetType)
	}

	models := filepath.Join(dir, "models")
	trained := map[string]*nn.Model{}
	for _, trainOn := range sources {
		src := open(trainOn)
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
		trained[trainOn] = res.Model
	}

	// SQL spellings of the table, each in the database it is written for.
	memDB, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer memDB.Close()
	reg, err := registry.Open(models)
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range []*sql.DB{memDB, fileDB} {
		if err := udf.Register(db, udf.FromRegistry(reg)); err != nil {
			t.Fatal(err)
		}
	}
	type spelling struct {
		db   *sql.DB
		from string
	}
	spellings := []spelling{
		{memDB, fmt.Sprintf("'%s'", csvPath)},
		{memDB, fmt.Sprintf("read_parquet('%s')", pqPath)},
		{fileDB, "tbl"},
	}
	for _, p := range []string{csvPath, pqPath, jsonPath} {
		expr, err := duckio.FileSQL(p)
		if err != nil {
			t.Fatal(err)
		}
		spellings = append(spellings, spelling{memDB, expr})
	}

	for _, trainOn := range sources {
		m := trained[trainOn]
		var ref []float64   // the Go scores of the training source
		var truth []float64 // the true class indices dense eval read from it
		for _, scoreOn := range append([]string{trainOn}, sources...) {
			what := fmt.Sprintf("trained on %s, scored on %s", trainOn, scoreOn)
			goScores := scoreGo(t, m, open(scoreOn))
			if ref == nil {
				ref = goScores
			}
			sameScores(t, what+" by dense score", goScores, ref)
			ev, y, err := evalGo(m, open(scoreOn))
			// read_csv reads the yes/no target as BOOLEAN, read_json as
			// VARCHAR: evaluation matches the labels false/true and no/yes by
			// their truth (tabular.TargetValues), so every pair evaluates.
			if err != nil {
				t.Fatalf("%s by dense eval: %v", what, err)
			}
			sameScores(t, what+" by dense eval", ev, ref)
			if truth == nil {
				truth = y
			}
			sameScores(t, what+": the true classes dense eval read", y, truth)
		}
		for _, s := range spellings {
			what := fmt.Sprintf("trained on %s, scored in SQL FROM %s t", trainOn, s.from)
			sameScores(t, what, scoreSQL(t, s.db, "m_"+trainOn, s.from), ref)
		}
	}
}

// sameScores fails unless got has the rows of want, each within 1e-6.
func sameScores(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-6 {
			t.Fatalf("%s: row %d: %v, the training source's dense score gives %v", what, i, got[i], want[i])
		}
	}
}

// scoreGo scores src as dense score does and closes it.
func scoreGo(t *testing.T, m *nn.Model, src arrowio.Reader) []float64 {
	t.Helper()
	defer src.Close()
	var out []float64
	_, err := pipeline.Score(context.Background(), m, src, writerFunc(func(b arrow.RecordBatch) error {
		out = append(out, b.Column(b.Schema().FieldIndices("prediction")[0]).(*array.Float64).Float64Values()...)
		return nil
	}), pipeline.PredictionColumns{Score: "prediction"})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// evalGo evaluates src as dense eval does, closes it and returns the
// model's outputs.
// evalGo evaluates m on src as dense eval does and returns the outputs and
// the true class index of every row.
func evalGo(m *nn.Model, src arrowio.Reader) (outputs, truth []float64, err error) {
	defer src.Close()
	res, err := pipeline.Evaluate(context.Background(), m, src, pipeline.EvalConfig{})
	if err != nil {
		return nil, nil, err
	}
	for _, v := range res.Outputs {
		outputs = append(outputs, float64(v))
	}
	for _, v := range res.Y {
		truth = append(truth, float64(v))
	}
	return outputs, truth, nil
}

// scoreSQL runs SELECT dense_predict(name, t) FROM <from> t ORDER BY id in
// db, where the dense functions are registered.
func scoreSQL(t *testing.T, db *sql.DB, name, from string) []float64 {
	t.Helper()
	q := fmt.Sprintf("SELECT dense_predict('%s', t) FROM %s t ORDER BY id", name, from)
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
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
		t.Fatalf("%s: %v", q, err)
	}
	return out
}
