package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// What dense score writes can be read back: CSV lists cast to FLOAT[] in
// DuckDB, a scored file can be scored again, a regression model adds no
// probabilities, and --out duckdb:FILE:TABLE writes a table. dense eval
// plots both models and prints a binary model's thresholds.
func TestScoreAndEvalOutputs(t *testing.T) {
	dir := t.TempDir()
	writeCustomersCSV(t, dir, 1500)
	env := []string{"DENSE_MODELS=" + filepath.Join(dir, "models")}
	mustRun(t, dir, env, "train", "--data", "customers.csv", "--target", "churned", "--exclude", "customer_id,segment",
		"--name", "churn", "--epochs", "2", "--no-plot")
	mustRun(t, dir, env, "train", "--data", "customers.csv", "--target", "monthly_spend", "--exclude", "customer_id,segment,churned",
		"--name", "spend", "--epochs", "2", "--no-plot")

	mustRun(t, dir, env, "score", "--model", "churn", "--data", "customers.csv", "--out", "scored.csv")
	r := mustRun(t, dir, env, "sql", "--format", "csv", "-c",
		"SELECT len(probabilities::FLOAT[]) AS n, abs(list_sum(probabilities::FLOAT[]) - 1) < 1e-5 AS sums_to_one FROM 'scored.csv' LIMIT 1")
	if r.stdout != "n,sums_to_one\n2,true\n" {
		t.Errorf("the CSV's probabilities do not cast to FLOAT[]:\n%s", r.stdout)
	}

	// Scoring the scored file again replaces the columns, with a warning.
	r = mustRun(t, dir, env, "score", "--model", "churn", "--data", "scored.csv", "--out", "again.parquet")
	if !strings.Contains(r.stderr, `warning: the input already has columns "prediction", "predicted_label", "probabilities": replacing them`) {
		t.Errorf("no warning about the replaced columns:\n%s", r.stderr)
	}
	r = mustRun(t, dir, env, "sql", "--format", "csv", "-c",
		"SELECT count(*) FILTER (WHERE column_name IN ('prediction', 'predicted_label', 'probabilities')) AS n, count(*) AS all_columns FROM (DESCRIBE FROM 'again.parquet')")
	if r.stdout != "n,all_columns\n3,16\n" {
		t.Errorf("columns of the scored-again file:\n%s", r.stdout)
	}

	// Regression: only the prediction.
	mustRun(t, dir, env, "score", "--model", "spend", "--data", "customers.csv", "--out", "spend.csv")
	r = mustRun(t, dir, env, "sql", "--format", "csv", "-c", "SELECT column_name FROM (DESCRIBE FROM 'spend.csv') WHERE column_name LIKE 'pred%' OR column_name = 'probabilities'")
	if r.stdout != "column_name\nprediction\n" {
		t.Errorf("regression output columns:\n%s", r.stdout)
	}

	// A DuckDB table: created, refused when it exists, replaced, appended to.
	out := "duckdb:" + filepath.Join(dir, "shop.duckdb") + ":scores"
	r = mustRun(t, dir, env, "score", "--model", "churn", "--data", "customers.csv", "--out", out)
	if !strings.Contains(r.stdout, "table scores in ") {
		t.Errorf("score into a table: %s", r.stdout)
	}
	checkUserError(t, runBin(t, dir, "", env, "score", "--model", "churn", "--data", "customers.csv", "--out", out), "scores")
	mustRun(t, dir, env, "score", "--model", "churn", "--data", "customers.csv", "--out", out, "--table-mode", "append")
	r = mustRun(t, dir, env, "sql", "--db", "shop.duckdb", "--format", "csv", "-c", "SELECT count(*) AS n, max(len(probabilities)) AS k FROM scores")
	if r.stdout != "n,k\n3000,2\n" {
		t.Errorf("the table after create + append:\n%s", r.stdout)
	}
	checkUserError(t, runBin(t, dir, "", env, "score", "--model", "churn", "--data", "customers.csv", "--out", "duckdb:shop.duckdb"), "duckdb:FILE.duckdb:TABLE")
	checkUserError(t, runBin(t, dir, "", env, "score", "--model", "churn", "--data", "customers.csv", "--out", "x.csv", "--table-mode", "append"), "--table-mode is for")

	// eval --plot for regression (it refused before) and binary, --thresholds.
	r = mustRun(t, dir, env, "eval", "--model", "spend", "--data", "customers.csv", "--plot", "spend.png")
	if !strings.Contains(r.stdout, "r2") || !strings.Contains(r.stdout, "Evaluation plot: spend.png") {
		t.Errorf("eval --plot on a regression model:\n%s", r.stdout)
	}
	checkPNG(t, filepath.Join(dir, "spend.png"))
	r = mustRun(t, dir, env, "eval", "--model", "churn", "--data", "customers.csv", "--plot", "churn.svg", "--thresholds")
	for _, want := range []string{"Thresholds (predict true when P(true) ≥ threshold; the model's is 0.5)", "│ threshold │ precision │ recall │", "│       0.5 │", "9 rows"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("eval --thresholds lacks %q:\n%s", want, r.stdout)
		}
	}
	if svg := readFile(t, filepath.Join(dir, "churn.svg")); !strings.Contains(svg, "ROC (AUC ") || !strings.Contains(svg, "precision-recall (AP ") {
		t.Errorf("the binary eval plot has no ROC or precision-recall curve")
	}
	checkUserError(t, runBin(t, dir, "", env, "eval", "--model", "spend", "--data", "customers.csv", "--thresholds"), "--thresholds is for binary models")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
