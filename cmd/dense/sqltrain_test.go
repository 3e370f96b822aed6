package main

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dense-ml/dense/registry"
)

// SQL's dense_train trains exactly as dense train does: on the same query
// with the same options left at their defaults (and with some given), the
// two models have the same weights, bit for bit, and the same validation
// metrics.
func TestSQLTrainMatchesDenseTrain(t *testing.T) {
	dir := t.TempDir()
	dbPath, models := filepath.Join(dir, "shop.duckdb"), filepath.Join(dir, "models")
	db, err := sql.Open("duckdb", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`CREATE TABLE customers AS
		SELECT i AS id, (i % 50)::DOUBLE AS age, ((i * 7) % 13)::DOUBLE AS visits,
		       CASE i % 3 WHEN 0 THEN 'north' WHEN 1 THEN 'south' ELSE 'east' END AS region,
		       CASE WHEN (i % 50) + 2 * ((i * 7) % 13) > 36 THEN 'yes' ELSE 'no' END AS churned
		FROM range(600) t(i)`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	query := "SELECT * FROM customers"
	for _, c := range []struct {
		name  string
		flags []string
		opts  string
	}{
		{"defaults", nil, ""},
		{"options", []string{"--hidden", "16", "--epochs", "7", "--batch-size", "64", "--seed", "3", "--val-split", "0.3", "--exclude", "id"},
			", hidden := [16], epochs := 7, batch_size := 64, seed := 3, val_split := 0.3, exclude := ['id']"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cli := "cli_" + c.name
			args := append([]string{"train", "--db", dbPath, "--query", query, "--target", "churned", "--name", cli,
				"--models", models, "--no-plot", "--quiet"}, c.flags...)
			if r := runIn(t, "", args...); r.code != 0 {
				t.Fatalf("dense train: exit %d: %s", r.code, r.stderr)
			}
			sqlName := "sql_" + c.name
			stmt := "SELECT version, rows FROM dense_train('" + sqlName + "', '" + query + "', target := 'churned'" + c.opts + ")"
			r := runIn(t, "", "sql", "--db", dbPath, "--models", models, "--format", "csv", "-c", stmt)
			if r.code != 0 || !strings.Contains(r.stdout, "1,600") {
				t.Fatalf("dense sql: exit %d: %q %s", r.code, r.stdout, r.stderr)
			}
			reg, err := registry.Open(models)
			if err != nil {
				t.Fatal(err)
			}
			a, ea, err := reg.Load(cli)
			if err != nil {
				t.Fatal(err)
			}
			b, eb, err := reg.Load(sqlName)
			if err != nil {
				t.Fatal(err)
			}
			ta, tb := a.Tensors(), b.Tensors()
			if len(ta) != len(tb) {
				t.Fatalf("%d tensors from dense train, %d from dense_train", len(ta), len(tb))
			}
			for i := range ta {
				if ta[i].Name != tb[i].Name || !slices.Equal(ta[i].Data, tb[i].Data) {
					t.Errorf("tensor %s differs between dense train and dense_train", ta[i].Name)
				}
			}
			for k, v := range ea.Metrics {
				if eb.Metrics[k] != v {
					t.Errorf("metric %s: dense train %v, dense_train %v", k, v, eb.Metrics[k])
				}
			}
			if len(ea.Metrics) == 0 || len(ea.Metrics) != len(eb.Metrics) {
				t.Errorf("metrics: dense train %v, dense_train %v", ea.Metrics, eb.Metrics)
			}
		})
	}
}

// Ctrl-C during dense sql's dense_train stops the training (DuckDB's own
// interrupt cannot reach it; dense sql stops it through udf.Interrupt):
// exit code 130, and no version is registered.
func TestSQLTrainInterruptRegistersNothing(t *testing.T) {
	dir := t.TempDir()
	models := filepath.Join(dir, "models")
	cmd := exec.Command(denseBin, "sql", "--models", models, "-c",
		"CREATE TABLE big AS SELECT i::DOUBLE AS x, (i % 7)::DOUBLE AS y FROM range(20000) t(i); "+
			"SELECT * FROM dense_train('slow', 'SELECT * FROM big', target := 'y', epochs := 100000, patience := 0)")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	time.Sleep(3 * time.Second) // the table, then a few epochs
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("dense sql did not stop within 30 s of Ctrl-C")
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d, stderr %q; want 130", code, stderr.String())
	}
	if entries, _ := os.ReadDir(filepath.Join(models, "slow")); len(entries) > 0 {
		t.Errorf("an interrupted dense_train registered %v", entries)
	}
}
