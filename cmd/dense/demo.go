package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/urfave/cli/v2"

	"github.com/dense-ml/dense/duckio"
	"github.com/dense-ml/dense/internal/demodata"
	"github.com/dense-ml/dense/pipeline"
	sqlfiles "github.com/dense-ml/dense/sql"
)

func (e *env) demoCommand() *cli.Command {
	return &cli.Command{
		Name:      "demo",
		Usage:     "generate customers in DuckDB, train two models, score them in SQL",
		UsageText: "dense demo [--db FILE] [--models DIR] [--customers N] [--seed N]",
		Description: "The tour in one command. dense demo creates a DuckDB database (a temporary one unless\n" +
			"--db FILE), generates a table of customers (age, income, tenure, region, plan, visits,\n" +
			"spend, online share, support tickets, with a segment and a churn flag that depend on\n" +
			"them), trains a segment classifier and a churn model on it through the training\n" +
			"pipeline, registers them as segment and churn in the models folder (./models unless\n" +
			"--models or $DENSE_MODELS), and runs SQL that scores every customer and aggregates:\n" +
			"customers per predicted segment and the average churn probability by region. The SQL\n" +
			"is in sql/demo.sql. Running the demo again registers new versions.\n\n" +
			"Examples:\n" +
			"   dense demo\n" +
			"   dense demo --db shop.duckdb          # keep the database, then:\n" +
			"   dense sql --db shop.duckdb -c \"SELECT dense_predict_label('segment', c) AS s, count(*) FROM customers c GROUP BY s\"\n" +
			"   dense demo --customers 50000 --models /tmp/models",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "db", Usage: "DuckDB database file to create and keep (default: a temporary database, deleted at the end)"},
			modelsFlag(),
			&cli.IntFlag{Name: "customers", Usage: "number of customers to generate", Value: 20000},
			&cli.Uint64Flag{Name: "seed", Usage: "seed for the data and the training", Value: 42},
			&cli.IntFlag{Name: "epochs", Usage: "training epochs per model (at most; early stopping may end sooner)", Value: 30},
			quietFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 0); err != nil {
				return err
			}
			return e.demo(c)
		},
	}
}

func (e *env) demo(c *cli.Context) error {
	ctx := c.Context
	start := time.Now()
	n := c.Int("customers")
	if n < 100 || n > 10_000_000 {
		return fmt.Errorf("demo: --customers %d is out of range (100 to 10,000,000)", n)
	}
	if c.Int("epochs") < 1 {
		return fmt.Errorf("demo: --epochs must be at least 1, got %d", c.Int("epochs"))
	}
	seed := c.Uint64("seed")
	models := c.String("models")
	if err := os.MkdirAll(models, 0o755); err != nil {
		return fmt.Errorf("demo: models folder: %w", err)
	}
	dbPath := c.String("db")
	dbNote := "kept"
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "dense-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "demo.duckdb")
		dbNote = "temporary; --db FILE keeps it"
	}
	db, err := openDuckDB(ctx, dbPath, models, false)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer db.Close()

	out := e.stdout
	fmt.Fprintf(out, "dense demo: %s generated customers → two models → scored in SQL\n", thousands(n))
	fmt.Fprintf(out, "  database  %s (%s)\n  models    %s\n\n", dbPath, dbNote, models)

	// 1. The data.
	customers, err := demodata.GenerateCustomers(n, seed)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := loadCustomers(ctx, db, customers); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(out, "1. Generated %s customers into the DuckDB table customers (seed %d); the first five, some columns:\n", thousands(n), seed)
	if err := e.printQuery(ctx, db, "SELECT customer_id, age, income, tenure_months, region, plan, visits_per_month, monthly_spend, "+
		"support_tickets, segment, churned FROM customers ORDER BY customer_id LIMIT 5"); err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	// 2 and 3. The models, trained through the pipeline from DuckDB queries.
	for i, m := range []struct {
		title, name, query, target string
	}{
		{"the segment classifier", "segment", "SELECT * EXCLUDE (customer_id, churned) FROM customers", "segment"},
		{"the churn model", "churn", "SELECT * EXCLUDE (customer_id, segment) FROM customers", "churned"},
	} {
		fmt.Fprintf(out, "\n%d. Training %s on: %s\n", i+2, m.title, m.query)
		r, err := duckio.Query(ctx, db, m.query, duckio.Options{})
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		cfg := pipeline.TrainConfig{
			Source:    "duckdb:" + dbPath + ": " + m.query,
			Target:    m.target,
			Hidden:    []int{32, 16},
			Epochs:    c.Int("epochs"),
			BatchSize: 64,
			LR:        0.003,
			Patience:  4,
			Seed:      int64(seed),
			Name:      m.name,
			Models:    models,
		}
		_, err = e.runTraining(ctx, r, cfg, !c.Bool("quiet"), true)
		r.Close()
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}

	// 4. Scoring in SQL.
	fmt.Fprintf(out, "\n4. Scoring every customer in SQL (the queries are in sql/demo.sql):\n")
	stmts, _ := splitStatements(sqlfiles.Demo)
	for _, q := range stmts {
		title, body := splitTitle(q)
		fmt.Fprintf(out, "\n-- %s\n%s\n", title, body)
		if err := e.printQuery(ctx, db, body); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	fmt.Fprintf(out, "\nDone in %.1fs. Next:\n", time.Since(start).Seconds())
	next := [][2]string{
		{"dense demo --db shop.duckdb", "keeps the database, for dense sql --db shop.duckdb"},
		{"dense models list --models " + models, "the registered models"},
		{"README.md", "the tour: train from files, score in SQL, the Go API"},
	}
	if c.String("db") != "" {
		next[0] = [2]string{"dense sql --db " + dbPath + " --models " + models, "the SQL shell on this data, with the models"}
	}
	width := 0
	for _, n := range next {
		width = max(width, len(n[0]))
	}
	for _, n := range next {
		fmt.Fprintf(out, "  %-*s  %s\n", width, n[0], n[1])
	}
	return nil
}

// splitTitle separates a demo statement's "-- title:" comment from its SQL.
func splitTitle(stmt string) (title, body string) {
	var lines []string
	for _, l := range strings.Split(stmt, "\n") {
		t := strings.TrimSpace(l)
		if rest, ok := strings.CutPrefix(t, "-- title:"); ok {
			title = strings.TrimSpace(rest)
			continue
		}
		if strings.HasPrefix(t, "--") && len(lines) == 0 {
			continue // file header comments
		}
		lines = append(lines, l)
	}
	return title, strings.TrimSpace(strings.Join(lines, "\n"))
}

// printQuery runs q and prints the result as a table.
func (e *env) printQuery(ctx context.Context, db *sql.DB, q string) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	rs, err := readRows(rows)
	if err != nil {
		return err
	}
	return rs.writeTable(e.stdout)
}

// loadCustomers (re)creates the customers table and fills it through
// DuckDB's appender.
func loadCustomers(ctx context.Context, db *sql.DB, c *demodata.Customers) error {
	const ddl = `CREATE OR REPLACE TABLE customers (
		customer_id BIGINT PRIMARY KEY, age INTEGER, income DOUBLE, tenure_months INTEGER,
		region VARCHAR, plan VARCHAR, visits_per_month DOUBLE, avg_basket DOUBLE,
		monthly_spend DOUBLE, online_share DOUBLE, support_tickets INTEGER,
		segment VARCHAR, churned BOOLEAN)`
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("creating the customers table: %w", err)
	}
	return conn.Raw(func(dc any) error {
		d, ok := dc.(driver.Conn)
		if !ok {
			return errors.New("not a DuckDB connection")
		}
		a, err := duckdb.NewAppenderFromConn(d, "", "customers")
		if err != nil {
			return fmt.Errorf("appending customers: %w", err)
		}
		vals := make([]driver.Value, len(demodata.Columns))
		for i := range c.Len() {
			for j, v := range c.Row(i) {
				vals[j] = v
			}
			if err := a.AppendRow(vals...); err != nil {
				a.Close()
				return fmt.Errorf("appending customer %d: %w", i, err)
			}
		}
		return a.Close()
	})
}
