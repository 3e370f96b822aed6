package main

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dense-ml/dense/internal/demodata"
)

// writeCustomersCSV writes n generated customers to dir/customers.csv.
func writeCustomersCSV(t *testing.T, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, "customers.csv")
	if err := demodata.WriteCustomersCSV(path, n, 5); err != nil {
		t.Fatal(err)
	}
	return path
}

// parseCSV parses dense sql --format csv output into header and rows.
func parseCSV(t *testing.T, s string) ([]string, [][]string) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("not CSV (%v):\n%s", err, s)
	}
	return recs[0], recs[1:]
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return v
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("missing picture: %v", err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
}

// The whole user journey through the built binary: train two models on a
// CSV file, score in SQL, score to a file, check Go and SQL scoring agree,
// evaluate, list, delete.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	writeCustomersCSV(t, dir, 3000)
	env := []string{"DENSE_MODELS=" + filepath.Join(dir, "models"), "HOME=" + dir}

	r := mustRun(t, dir, env, "train", "--data", "customers.csv", "--target", "churned",
		"--exclude", "customer_id,segment", "--name", "churn", "--epochs", "8", "--seed", "3")
	for _, want := range []string{"churn: binary on churned", "Total params:", "roc_auc", "Registered churn@1 in "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("train output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.stderr != "" {
		t.Errorf("stderr is not a terminal, so no progress bars, but got:\n%s", r.stderr)
	}
	checkPNG(t, filepath.Join(dir, "models", "churn", "1", "history.png"))
	mustRun(t, dir, env, "train", "--data", "customers.csv", "--target", "segment",
		"--exclude", "customer_id,churned", "--epochs", "10", "--hidden", "32,16")

	// Score in SQL, straight from the CSV file.
	r = mustRun(t, dir, env, "sql", "--format", "csv", "-c", `
		SELECT region, avg(dense_predict('churn', c)) AS p, count(*) AS n
		FROM 'customers.csv' c GROUP BY region ORDER BY region`)
	head, rows := parseCSV(t, r.stdout)
	if strings.Join(head, ",") != "region,p,n" || len(rows) != 5 {
		t.Fatalf("unexpected result:\n%s", r.stdout)
	}
	p := map[string]float64{}
	total := 0.0
	for _, row := range rows {
		p[row[0]] = num(t, row[1])
		total += num(t, row[2])
		if v := p[row[0]]; !(v > 0 && v < 1) {
			t.Errorf("region %s: mean churn probability %v outside (0, 1)", row[0], v)
		}
	}
	if total != 3000 {
		t.Errorf("scored %v rows, want 3000", total)
	}
	if p["south"] <= p["north"] {
		t.Errorf("the south churns more than the north in the data, the model says %v", p)
	}
	r = mustRun(t, dir, env, "sql", "--format", "csv", "-c",
		`SELECT avg((dense_predict_label('segment', c) = segment)::INT) AS acc FROM 'customers.csv' c`)
	if _, rows := parseCSV(t, r.stdout); num(t, rows[0][0]) < 0.85 {
		t.Errorf("segment accuracy in SQL %s, want ≥ 0.85", rows[0][0])
	}

	// Explain and importance from the trained model: score − Σ attributions is
	// the baseline's score, the same for every row within the integration's
	// 1% of Σ|attributions| (checked against the row closest to the
	// baseline); every input is ranked.
	r = mustRun(t, dir, env, "sql", "--format", "csv", "-c", `
		WITH x AS (SELECT dense_predict('churn', c) AS p, dense_explain('churn', c) AS a FROM 'customers.csv' c),
		e AS (SELECT p - list_sum([v.attribution FOR v IN a]) AS base, list_sum([abs(v.attribution) FOR v IN a]) AS absum, len(a) AS k FROM x),
		b AS (SELECT arg_min(base, absum) AS b0, min(absum) AS a0 FROM e)
		SELECT count(*), count(*) FILTER (abs(base - b0) <= 0.01 * (absum + a0) + 1e-4), min(k) = (SELECT count(*) FROM dense_inputs('churn')),
		       (SELECT count(*) FROM dense_importance('churn')) = min(k), (SELECT max(importance) FROM dense_importance('churn')) > 0
		FROM e, b`)
	if _, rows := parseCSV(t, r.stdout); rows[0][0] != "3000" || rows[0][1] != "3000" || rows[0][2] != "true" || rows[0][3] != "true" || rows[0][4] != "true" {
		t.Errorf("explain and importance from SQL: %v", rows)
	}

	// Score to a Parquet file; the Go scores equal SQL's.
	r = mustRun(t, dir, env, "score", "--model", "churn@1", "--data", "customers.csv", "--out", "scored.parquet")
	if !strings.Contains(r.stdout, "Scored 3,000 rows with churn@1") {
		t.Errorf("score output: %s", r.stdout)
	}
	r = mustRun(t, dir, env, "sql", "--format", "csv", "-c", `
		SELECT count(*) AS n, max(abs(prediction - dense_predict('churn', s))) AS diff,
		       count(*) FILTER (WHERE predicted_label = 'true') AS positives
		FROM 'scored.parquet' s`)
	_, rows = parseCSV(t, r.stdout)
	if rows[0][0] != "3000" || num(t, rows[0][1]) > 1e-6 {
		t.Errorf("Go scores and SQL scores differ: %v", rows)
	}

	// Evaluate, with the confusion matrix drawn.
	r = mustRun(t, dir, env, "eval", "--model", "segment", "--data", "customers.csv", "--plot", "cm.png")
	for _, want := range []string{"Evaluated segment@1 (multiclass) on 3,000 rows", "accuracy", "Confusion matrix", `true\pred`, "Scoring latency per 1,000 rows"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("eval output lacks %q:\n%s", want, r.stdout)
		}
	}
	checkPNG(t, filepath.Join(dir, "cm.png"))
	r = mustRun(t, dir, env, "eval", "--model", "churn", "--data", "customers.csv")
	if m := regexp.MustCompile(`accuracy\s+([0-9.]+)`).FindStringSubmatch(r.stdout); m == nil || num(t, m[1]) < 0.7 {
		t.Errorf("churn eval accuracy missing or low:\n%s", r.stdout)
	}

	// List, show, delete.
	r = mustRun(t, dir, env, "models")
	if !strings.Contains(r.stdout, "churn") || !strings.Contains(r.stdout, "segment") || !strings.Contains(r.stdout, "2 rows") {
		t.Errorf("models list:\n%s", r.stdout)
	}
	r = mustRun(t, dir, env, "models", "show", "segment")
	if !strings.Contains(r.stdout, "region") || !strings.Contains(r.stdout, "one-hot") {
		t.Errorf("models show lacks the inputs:\n%s", r.stdout)
	}
	mustRun(t, dir, env, "models", "rm", "churn@1")
	checkUserError(t, runBin(t, dir, "", env, "models", "show", "churn@1"), `unknown model "churn"`, "available: segment")
	checkUserError(t, runBin(t, dir, "", env, "sql", "-c", "SELECT dense_predict('churn', c) FROM 'customers.csv' c"), "churn")
}

// dense demo runs end to end, under a minute, and its SQL finds what the
// data holds.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	env := []string{"HOME=" + dir, "DENSE_MODELS=models"} // relative to dir, whatever the caller has set
	start := time.Now()
	r := mustRun(t, dir, env, "demo", "--customers", "5000", "--db", "shop.duckdb")
	if d := time.Since(start); d > time.Minute {
		t.Errorf("the demo took %v, want under a minute", d)
	}
	for _, want := range []string{
		"1. Generated 5,000 customers", "2. Training the segment classifier", "3. Training the churn model",
		"Registered segment@1 in " + filepath.Join(dir, "models", "segment", "1"), "Registered churn@1 in " + filepath.Join(dir, "models", "churn", "1"),
		"-- Customers per predicted segment", "-- Average churn probability by region", "Done in",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	checkPNG(t, filepath.Join(dir, "models", "churn", "1", "history.png"))
	// The kept database holds the table; the demo SQL runs again from the file.
	r = mustRun(t, dir, env, "sql", "--db", "shop.duckdb", "--format", "csv", "-c", `
		SELECT region, avg(dense_predict('churn', c)) AS p FROM customers c GROUP BY region ORDER BY p DESC`)
	_, rows := parseCSV(t, r.stdout)
	if len(rows) != 5 || rows[0][0] != "south" {
		t.Errorf("the south should have the highest predicted churn:\n%s", r.stdout)
	}
	r = mustRun(t, dir, env, "sql", "--db", "shop.duckdb", filepath.Join(mustAbs(t, "../../sql"), "demo.sql"))
	if strings.Count(r.stdout, "┌") != 3 {
		t.Errorf("demo.sql should print three tables:\n%s", r.stdout)
	}
	// The SQL examples run against the demo's database.
	for script, tables := range map[string]int{"churn_campaign.sql": 2, "segment_report.sql": 3} {
		r := mustRun(t, dir, env, "sql", "--db", "shop.duckdb", filepath.Join(mustAbs(t, "../../examples/sql"), script))
		if n := strings.Count(r.stdout, "┌"); n != tables {
			t.Errorf("examples/sql/%s printed %d tables, want %d:\n%s", script, n, tables, r.stdout)
		}
	}
	if t.Failed() {
		t.Log(r.stdout)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// sql/macros.sql loads, and its macros compute what they promise.
func TestMacros(t *testing.T) {
	dir := t.TempDir()
	models := filepath.Join(dir, "models")
	fixtureModels(t, models)
	macros, err := os.ReadFile(filepath.Join("..", "..", "sql", "macros.sql"))
	if err != nil {
		t.Fatal(err)
	}
	const p = "dense_predict_proba('churn', {'age': 30, 'income': 50000, 'region': 'south'})"
	script := string(macros) + `
		SELECT dense_confidence(` + p + `) AS conf,
		       list_max(` + p + `) AS want_conf,
		       dense_margin(` + p + `) AS margin,
		       abs(` + p + `[2] - ` + p + `[1]) AS want_margin,
		       dense_uncertain(` + p + `, threshold := 1.01) AS always,
		       dense_uncertain(` + p + `, threshold := 0.0) AS never,
		       dense_argmax([0.1, 0.7, 0.2]) = 2 AS argmax;
		SELECT name, version FROM dense_latest() ORDER BY name;`
	r := runIn(t, script, "sql", "--models", models, "--format", "csv")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	parts := strings.SplitN(r.stdout, "name,version\n", 2)
	if len(parts) != 2 {
		t.Fatalf("unexpected output:\n%s", r.stdout)
	}
	_, rows := parseCSV(t, parts[0])
	v := rows[0]
	if d := num(t, v[0]) - num(t, v[1]); d > 1e-6 || d < -1e-6 {
		t.Errorf("dense_confidence %s, want %s", v[0], v[1])
	}
	if d := num(t, v[2]) - num(t, v[3]); d > 1e-5 || d < -1e-5 {
		t.Errorf("dense_margin %s, want %s (|p1 - p0| for a binary model)", v[2], v[3])
	}
	if v[4] != "true" || v[5] != "false" || v[6] != "true" {
		t.Errorf("dense_uncertain / dense_argmax: %v", v[4:])
	}
	if parts[1] != "churn,2\nprice,1\n" {
		t.Errorf("dense_latest():\n%s", parts[1])
	}
}

// A regression model trained from a DuckDB query, evaluated from another;
// and a YAML pipeline run from the command line.
func TestEndToEndDuckDBAndPipeline(t *testing.T) {
	dir := t.TempDir()
	writeCustomersCSV(t, dir, 3000)
	env := []string{"DENSE_MODELS=" + filepath.Join(dir, "models"), "HOME=" + dir}
	mustRun(t, dir, env, "sql", "--db", "shop.duckdb", "-c", "CREATE TABLE customers AS SELECT * FROM 'customers.csv'")
	r := mustRun(t, dir, env, "train", "--db", "shop.duckdb", "--query",
		"SELECT * EXCLUDE (customer_id, segment, churned) FROM customers", "--target", "monthly_spend",
		"--name", "spend", "--epochs", "40", "--patience", "5", "--lr", "0.003")
	if !strings.Contains(r.stdout, "spend: regression on monthly_spend") || !strings.Contains(r.stdout, "r2") {
		t.Errorf("train output:\n%s", r.stdout)
	}
	r = mustRun(t, dir, env, "eval", "--model", "spend", "--db", "shop.duckdb", "--query", "SELECT * FROM customers")
	m := regexp.MustCompile(`(?m)^\s+r2\s+([-0-9.]+)$`).FindStringSubmatch(r.stdout)
	if m == nil || num(t, m[1]) < 0.8 {
		t.Errorf("eval of the regression model: R² missing or below 0.8:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "Confusion") || !strings.Contains(r.stdout, "mae") {
		t.Errorf("a regression eval shows MSE/MAE/R² and no confusion matrix:\n%s", r.stdout)
	}
	// A regression model's --plot draws predicted against actual and the residuals (issue 18).
	mustRun(t, dir, env, "eval", "--model", "spend", "--db", "shop.duckdb", "--query", "SELECT * FROM customers", "--plot", "x.png")
	if png, err := os.ReadFile(filepath.Join(dir, "x.png")); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("eval --plot on a regression model wrote no PNG (err %v)", err)
	}

	// The churn example's spec, run by the CLI.
	spec, err := os.ReadFile(filepath.Join("..", "..", "examples", "churn", "churn.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "churn.yaml"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "customers.csv"), filepath.Join(dir, "new_customers.csv")); err != nil {
		t.Fatal(err)
	}
	writeCustomersCSV(t, dir, 3000)
	mustRun(t, dir, env, "pipeline", "validate", "churn.yaml")
	r = mustRun(t, dir, env, "pipeline", "run", "churn.yaml")
	for _, want := range []string{"churn: binary on churned", "Registered churn@1 in " + filepath.Join(dir, "models", "churn", "1"), "Scored 3,000 rows → "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("pipeline run output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = mustRun(t, dir, env, "sql", "--format", "csv", "-c", "SELECT count(*) AS n, avg(churn_probability) AS p FROM 'churn_scores.parquet'")
	if _, rows := parseCSV(t, r.stdout); rows[0][0] != "3000" || num(t, rows[0][1]) <= 0 || num(t, rows[0][1]) >= 1 {
		t.Errorf("churn_scores.parquet: %v", rows)
	}
}
