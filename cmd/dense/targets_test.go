package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTargetData writes n rows of a churn-like table twice: as CSV (where
// DuckDB reads the yes/no column as BOOLEAN) and as JSON lines (where it
// stays VARCHAR). Every 29th row has no churned value; quality is an
// integer target with 6 values.
func writeTargetData(t *testing.T, dir string, n int) (csvPath, jsonPath string, nulls int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(4, 2))
	var c, j strings.Builder
	c.WriteString("id,a,b,region,churned,quality\n")
	regions := []string{"north", "south", "east"}
	for i := range n {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		region := regions[rng.IntN(3)]
		z := 1.5*a - b + map[string]float64{"north": -0.5, "south": 0.8, "east": 0}[region] + 0.3*rng.NormFloat64()
		churned, js := "no", `"no"`
		if z > 0.6 { // about a third churn
			churned, js = "yes", `"yes"`
		}
		if i%29 == 7 {
			churned, js = "", "null"
			nulls++
		}
		q := 1 + int(math.Min(5, math.Max(0, math.Round(2.5+a))))
		fmt.Fprintf(&c, "%d,%.6f,%.6f,%s,%s,%d\n", i, a, b, region, churned, q)
		fmt.Fprintf(&j, `{"id": %d, "a": %.6f, "b": %.6f, "region": %q, "churned": %s, "quality": %d}`+"\n", i, a, b, region, js, q)
	}
	csvPath, jsonPath = filepath.Join(dir, "churn.csv"), filepath.Join(dir, "churn.jsonl")
	if err := os.WriteFile(csvPath, []byte(c.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jsonPath, []byte(j.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return csvPath, jsonPath, nulls
}

// metricBlock returns the metric lines that follow header in out, up to
// the first line that is not indented.
func metricBlock(out, header string) string {
	_, rest, ok := strings.Cut(out, header+"\n")
	if !ok {
		return ""
	}
	var lines []string
	for _, l := range strings.Split(rest, "\n") {
		if !strings.HasPrefix(l, "  ") {
			break
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// Issue 15 items 5 and 6 through the binary: NULL targets dropped and
// counted, the integer-target note, --threshold and --class-weights stored
// and used by dense eval, dense score and dense_predict_label in SQL,
// --cv, dense eval --holdout equal to training's validation metrics, and a
// BOOLEAN-trained model evaluated on a JSON copy whose target is text.
func TestTargetsAndHoldout(t *testing.T) {
	dir := t.TempDir()
	_, _, nulls := writeTargetData(t, dir, 1200)
	env := []string{"DENSE_MODELS=" + filepath.Join(dir, "models"), "HOME=" + dir}

	r := mustRun(t, dir, env, "train", "--data", "churn.csv", "--target", "churned", "--exclude", "id,quality",
		"--name", "churn", "--epochs", "6", "--hidden", "16", "--seed", "2",
		"--threshold", "0.3", "--class-weights", "balanced", "--cv", "3")
	for _, want := range []string{
		"churn: binary on churned", "labels false, true",
		fmt.Sprintf("Left out %d rows whose target is NULL (recorded in the model)", nulls),
		"Cross-validated metrics (3 folds, mean ± std):", "Registered churn@1",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("train output lacks %q:\n%s", want, r.stdout)
		}
	}
	if cv := metricBlock(r.stdout, "Cross-validated metrics (3 folds, mean ± std):"); !strings.Contains(cv, "accuracy") || strings.Count(cv, "±") < 5 {
		t.Errorf("cross-validated metrics:\n%s", cv)
	}
	validation := metricBlock(r.stdout, "Validation metrics:")

	// --holdout: exactly training's validation rows, so exactly its metrics.
	r = mustRun(t, dir, env, "eval", "--model", "churn", "--data", "churn.csv", "--holdout")
	if !strings.Contains(r.stdout, "held-out validation rows of") || !strings.Contains(r.stdout, fmt.Sprintf("Left out %d rows whose target is NULL", nulls)) ||
		!strings.Contains(r.stdout, "Decision threshold 0.3 (the model's): true when P(true) ≥ 0.3") {
		t.Errorf("eval --holdout output:\n%s", r.stdout)
	}
	if got := metricBlock(r.stdout, "Decision threshold 0.3 (the model's): true when P(true) ≥ 0.3"); got != validation || got == "" {
		t.Errorf("holdout metrics:\n%s\ntraining's validation metrics:\n%s", got, validation)
	}
	// The same rows from the JSON copy, whose churned is VARCHAR yes/no.
	rj := mustRun(t, dir, env, "eval", "--model", "churn", "--data", "churn.jsonl", "--holdout")
	if got := metricBlock(rj.stdout, "Decision threshold 0.3 (the model's): true when P(true) ≥ 0.3"); got != validation {
		t.Errorf("holdout on the JSON copy:\n%s\nwant:\n%s", rj.stdout, validation)
	}
	// All rows, CSV and JSON: the same metrics.
	rc := mustRun(t, dir, env, "eval", "--model", "churn", "--data", "churn.csv")
	rj = mustRun(t, dir, env, "eval", "--model", "churn", "--data", "churn.jsonl")
	mc, mj := metricBlock(rc.stdout, "Decision threshold 0.3 (the model's): true when P(true) ≥ 0.3"), metricBlock(rj.stdout, "Decision threshold 0.3 (the model's): true when P(true) ≥ 0.3")
	if mc == "" || mc != mj {
		t.Errorf("eval on CSV:\n%s\non JSON:\n%s", rc.stdout, rj.stdout)
	}
	// Other data: refused, never other rows.
	mustRun(t, dir, env, "sql", "-c", "COPY (SELECT * FROM 'churn.csv' WHERE id > 0) TO 'fewer.csv'")
	checkUserError(t, runBin(t, dir, "", env, "eval", "--model", "churn", "--data", "fewer.csv", "--holdout"),
		"not the data the model was trained on", "training had")

	// dense models show tells what training did about the target.
	r = mustRun(t, dir, env, "models", "show", "churn")
	for _, want := range []string{"threshold   0.3: true when P(true) ≥ 0.3", fmt.Sprintf("left out    %d rows whose target was NULL", nulls),
		"weights     false 0.", "validation  ", "(stratified split 0.2, seed 2; dense eval --holdout scores them)",
		"Cross-validated metrics (3 folds, mean ± std):"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("models show lacks %q:\n%s", want, r.stdout)
		}
	}

	// The threshold in SQL (dense_predict_label through nn's Classify) and
	// in dense score: the label is true exactly from P = 0.3, and some rows
	// lie between 0.3 and 0.5.
	r = mustRun(t, dir, env, "sql", "--format", "csv", "-c", `
		WITH s AS (SELECT dense_predict('churn', t) AS p, dense_predict_label('churn', t) AS l FROM 'churn.csv' t)
		SELECT count(*) FILTER (WHERE (l = 'true') <> (p >= 0.3::FLOAT)) AS wrong,
		       count(*) FILTER (WHERE p >= 0.3::FLOAT AND p < 0.5) AS between,
		       count(*) FILTER (WHERE l NOT IN ('true', 'false')) AS other
		FROM s`)
	if _, rows := parseCSV(t, r.stdout); rows[0][0] != "0" || rows[0][1] == "0" || rows[0][2] != "0" {
		t.Errorf("SQL labels at threshold 0.3: wrong, between, other = %v", rows[0])
	}
	mustRun(t, dir, env, "score", "--model", "churn", "--data", "churn.csv", "--out", "scored.parquet")
	r = mustRun(t, dir, env, "sql", "--format", "csv", "-c", `
		SELECT count(*) FILTER (WHERE (predicted_label = 'true') <> (prediction >= 0.3::FLOAT)) AS wrong,
		       count(*) FILTER (WHERE prediction >= 0.3::FLOAT AND prediction < 0.5) AS between
		FROM 'scored.parquet'`)
	if _, rows := parseCSV(t, r.stdout); rows[0][0] != "0" || rows[0][1] == "0" {
		t.Errorf("dense score labels at threshold 0.3: wrong, between = %v", rows[0])
	}

	// A JSON-trained model (text labels no/yes, positive named yes) evaluates on the CSV (BOOLEAN).
	mustRun(t, dir, env, "train", "--data", "churn.jsonl", "--target", "churned", "--exclude", "id,quality",
		"--name", "churn_json", "--epochs", "3", "--hidden", "8", "--positive-label", "yes")
	r = mustRun(t, dir, env, "eval", "--model", "churn_json", "--data", "churn.csv", "--holdout")
	if !strings.Contains(r.stdout, "held-out validation rows") {
		t.Errorf("JSON-trained model on the CSV:\n%s", r.stdout)
	}

	// The integer target: regression, with the note.
	r = mustRun(t, dir, env, "train", "--data", "churn.csv", "--target", "quality", "--exclude", "id,churned",
		"--epochs", "2", "--hidden", "8")
	if !strings.Contains(r.stdout, `Note: target "quality": an integer target with 6 distinct values is trained as regression; use --task multiclass to classify`) ||
		!strings.Contains(r.stdout, "quality: regression") {
		t.Errorf("integer target:\n%s", r.stdout)
	}
}
