package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dense-ml/dense/registry"
)

// writeDatesCSV writes a table with a DATE column, a TIMESTAMP column, an
// integer code column and a number; y depends on the weekday, the month,
// the hour and the code. Some dates and codes are NULL.
func writeDatesCSV(t *testing.T, path string, n int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("signup,seen,store,amount,y\n")
	day0 := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		signup := day0.AddDate(0, 0, i*37%700)
		seen := day0.Add(time.Duration(i*7919) * time.Minute)
		store := []int{3, 7, 1067, 42}[i%4]
		amount := float64(i%17) * 1.5
		y := float64(signup.Weekday()) + float64(signup.Month())/4 + float64(seen.Hour())/8 + float64(store%5) + amount/10
		sd, ss := signup.Format("2006-01-02"), fmt.Sprint(store)
		if i%23 == 5 { // NULLs, imputed as fitted: the date with the mean days, the code with the most frequent
			sd = ""
		}
		if i%29 == 7 {
			ss = ""
		}
		fmt.Fprintf(&b, "%s,%s,%s,%g,%g\n", sd, seen.Format("2006-01-02 15:04:05"), ss, amount, y)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Issue 15 items 2 and 4: a table with dates, timestamps and integer codes
// trains from CSV, Parquet and a DuckDB table (the same model from each:
// DuckDB's readers give the same types), and scores the same in Go (dense
// score) and in SQL, from DATE/TIMESTAMP/BIGINT values and from VARCHARs
// holding them.
func TestDatesAndCodesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	env := []string{"DENSE_MODELS=" + filepath.Join(dir, "models"), "HOME=" + dir}
	writeDatesCSV(t, filepath.Join(dir, "d.csv"), 400)
	mustRun(t, dir, env, "sql", "-c", "COPY (SELECT * FROM 'd.csv') TO 'd.parquet'")
	mustRun(t, dir, env, "sql", "--db", "shop.duckdb", "-c", "CREATE TABLE d AS SELECT * FROM 'd.csv'")
	train := []string{"--target", "y", "--categorical", "store", "--hidden", "8", "--epochs", "3", "--no-plot", "--quiet"}
	mustRun(t, dir, env, append([]string{"train", "--data", "d.csv", "--name", "fromcsv"}, train...)...)
	mustRun(t, dir, env, append([]string{"train", "--data", "d.parquet", "--name", "fromparquet"}, train...)...)
	mustRun(t, dir, env, append([]string{"train", "--db", "shop.duckdb", "--query", "SELECT * FROM d", "--name", "fromdb"}, train...)...)

	r := mustRun(t, dir, env, "models", "show", "fromcsv")
	for _, want := range []string{"date, from DATE", "cycles day_of_week, month", "date, from TIMESTAMP", "cycles day_of_week, month, time_of_day",
		"categorical, from BIGINT, impute most_frequent", "one-hot {", "} + unknown", "date, from DATE, impute mean"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("models show lacks %q:\n%s", want, r.stdout)
		}
	}

	// dense score runs the model's own encoding and network; SQL runs nn.Scorer's,
	// which folds amount's standardisation into the first layer: the two agree to
	// float32 rounding (an ulp of a prediction near 16 is 1.9e-6), so they are
	// compared relative to the prediction. SQL from the typed columns and SQL from
	// text holding the same dates and codes go through the same arithmetic: equal.
	for _, m := range []string{"fromcsv", "fromparquet", "fromdb"} {
		out := m + ".parquet"
		mustRun(t, dir, env, "score", "--model", m, "--data", "d.parquet", "--out", out)
		r = mustRun(t, dir, env, "sql", "--format", "csv", "-c", fmt.Sprintf(`
			WITH p AS (
				SELECT prediction, greatest(1, abs(prediction)) AS size,
				       dense_predict('%[1]s', s) AS typed,
				       dense_predict('%[1]s', {'signup': signup::VARCHAR, 'seen': strftime(seen, '%%Y-%%m-%%dT%%H:%%M:%%S'),
				                               'store': lpad(store::VARCHAR, 5, '0'), 'amount': amount}) AS text,
				       dense_predict('fromcsv', s) AS csv
				FROM '%[2]s' s)
			SELECT count(*) AS n,
			       max(abs(prediction - typed) / size) AS typed,
			       max(abs(prediction - text) / size) AS text,
			       max(abs(prediction - csv) / size) AS vs_csv,
			       count(*) FILTER (WHERE prediction IS NULL OR typed IS NULL) AS nulls,
			       count(*) FILTER (WHERE typed IS DISTINCT FROM text) AS text_differs
			FROM p`, m, out))
		_, rows := parseCSV(t, r.stdout)
		if rows[0][0] != "400" || rows[0][4] != "0" || rows[0][5] != "0" {
			t.Fatalf("%s: scored %v (n, typed, text, vs_csv, nulls, text_differs)", m, rows)
		}
		for j, what := range []string{"SQL from DATE/TIMESTAMP/BIGINT", "SQL from VARCHARs", "the model trained from the CSV file"} {
			if d := num(t, rows[0][j+1]); !(d <= 1e-6) || math.IsNaN(d) {
				t.Errorf("%s: dense score and %s differ by %v (relative)", m, what, d)
			}
		}
		r = mustRun(t, dir, env, "eval", "--model", m, "--db", "shop.duckdb", "--query", "SELECT * FROM d")
		if !strings.Contains(r.stdout, "r2") || !strings.Contains(r.stdout, "outside training range [2022-01-01, ") {
			t.Errorf("%s: eval output:\n%s", m, r.stdout)
		}
	}

	// dense_explain: the attributions add up to score − the baseline's score
	// (one number for every row, within the integration's 1%); the value column
	// shows each date as DuckDB writes it, a NULL date as NULL. The baseline of a
	// date input is the mean days of the training rows (nn.FitBaseline): within
	// the data's range, near the mean of every row.
	r = mustRun(t, dir, env, "sql", "--format", "csv", "-c", `
		WITH x AS (SELECT signup, seen, dense_predict('fromcsv', s) AS p, dense_explain('fromcsv', s) AS a FROM 'd.parquet' s),
		e AS (SELECT p - list_sum([v.attribution FOR v IN a]) AS base, list_sum([abs(v.attribution) FOR v IN a]) AS absum,
		             [v.value FOR v IN a IF v.input = 'signup'][1] AS sv, [v.value FOR v IN a IF v.input = 'seen'][1] AS tv,
		             signup, seen FROM x),
		b AS (SELECT arg_min(base, absum) AS b0, min(absum) AS a0 FROM e)
		SELECT count(*), count(*) FILTER (abs(base - b0) <= 0.01 * (absum + a0) + 1e-4),
		       count(*) FILTER (sv IS NOT DISTINCT FROM signup::VARCHAR AND tv = seen::VARCHAR),
		       count(*) FILTER (sv IS NULL)
		FROM e, b`)
	if _, rows := parseCSV(t, r.stdout); rows[0][0] != "400" || rows[0][1] != "400" || rows[0][2] != "400" || rows[0][3] != "18" {
		t.Errorf("explain from SQL (rows, complete, values shown, NULL dates): %v", rows)
	}
	reg, err := registry.Open(filepath.Join(dir, "models"))
	if err != nil {
		t.Fatal(err)
	}
	model, _, err := reg.Load("fromcsv")
	if err != nil {
		t.Fatal(err)
	}
	spec := model.Spec()
	r = mustRun(t, dir, env, "sql", "--format", "csv", "-c",
		`SELECT avg(epoch(signup) / 86400), min(epoch(signup) / 86400), max(epoch(signup) / 86400) FROM 'd.parquet'`)
	_, rows := parseCSV(t, r.stdout)
	mean, lo, hi := num(t, rows[0][0]), num(t, rows[0][1]), num(t, rows[0][2])
	for i, in := range spec.Inputs {
		if in.Name != "signup" {
			continue
		}
		if spec.Explain == nil || spec.Explain.Baseline[i].Number == nil {
			t.Fatalf("signup has no numeric baseline: %+v", spec.Explain)
		}
		if b := *spec.Explain.Baseline[i].Number; b < lo || b > hi || math.Abs(b-mean) > 0.05*(hi-lo) {
			t.Errorf("signup's baseline %v days, want the training rows' mean (all rows: %v, range %v–%v)", b, mean, lo, hi)
		}
	}

	// Text that is not a date, or not an integer code, fails naming input and value.
	r = runBin(t, dir, "", env, "sql", "-c", `SELECT dense_predict('fromcsv', {'signup': '31/12/2024', 'seen': TIMESTAMP '2024-01-01 10:00:00', 'store': 3, 'amount': 1.0})`)
	checkUserError(t, r, `input "signup"`, `"31/12/2024"`, "not a date")
	r = runBin(t, dir, "", env, "sql", "-c", `SELECT dense_predict('fromcsv', {'signup': DATE '2024-01-01', 'seen': TIMESTAMP '2024-01-01 10:00:00', 'store': 'x3', 'amount': 1.0})`)
	checkUserError(t, r, `input "store"`, `"x3"`, "not an integer code")
}

// Issue 15 item 3: an id-like text column is refused with its distinct
// count and the two ways out, which both work.
func TestIDLikeColumnRefused(t *testing.T) {
	dir := t.TempDir()
	env := []string{"DENSE_MODELS=" + filepath.Join(dir, "models"), "HOME=" + dir}
	var b strings.Builder
	b.WriteString("ref,x,y\n")
	for i := range 200 {
		fmt.Fprintf(&b, "R%05d,%d,%d\n", i*7, i%9, i%2)
	}
	if err := os.WriteFile(filepath.Join(dir, "t.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"train", "--data", "t.csv", "--target", "y", "--hidden", "4", "--epochs", "1", "--no-plot", "--quiet"}
	checkUserError(t, runBin(t, dir, "", env, args...), `feature "ref"`, "200 distinct values in 200", "--exclude ref", "--categorical ref")
	mustRun(t, dir, env, append(args, "--exclude", "ref")...)
	mustRun(t, dir, env, append(args, "--categorical", "ref")...)
	checkUserError(t, runBin(t, dir, "", env, append(args, "--max-categories", "0")...), "--max-categories must be ≥ 1")
}
