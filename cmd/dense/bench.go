package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dense-ml/dense/duckio"
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/pipeline"
)

// benchCommand is `dense bench gemm|train|sql`: speed measurements on
// generated data, each printing its figure on its last line so scripts
// (bench/compare.sh) can pick it up.
func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure GEMM, training and SQL scoring speed on generated data",
		Description: "Each sub-command prints details first and its figure on the last line\n" +
			"(gemm: … GFLOP/s, train: … samples/s, sql: … rows/s), on generated data.\n" +
			"bench/compare.sh runs the same workloads in numpy and PyTorch and prints the ratios.\n\n" +
			"Examples:\n" +
			"   dense bench gemm --m 2048 --n 128 --k 784\n" +
			"   dense bench train --layers 784,128,10 --batch-size 128 --rows 60000 --epochs 2\n" +
			"   dense bench sql --layers 20,64,32,1 --rows 1000000",
		Subcommands: []*cli.Command{benchGemmCommand(), benchTrainCommand(), benchSQLCommand()},
	}
}

func benchGemmCommand() *cli.Command {
	return &cli.Command{
		Name:      "gemm",
		Usage:     "float32 matrix product C = A·B, A m×k, B k×n",
		UsageText: "dense bench gemm [--m 2048] [--n 128] [--k 784] [--trans-a] [--trans-b] [--threads 0] [--seconds 2]",
		Description: "Examples:\n" +
			"   dense bench gemm --m 2048 --n 128 --k 784\n" +
			"   dense bench gemm --m 1024 --n 1024 --k 1024 --threads 1",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "m", Value: 2048, Usage: "rows of A and C"},
			&cli.IntFlag{Name: "n", Value: 128, Usage: "columns of B and C"},
			&cli.IntFlag{Name: "k", Value: 784, Usage: "columns of A, rows of B"},
			&cli.BoolFlag{Name: "trans-a", Usage: "multiply by Aᵀ (A stored k×m)"},
			&cli.BoolFlag{Name: "trans-b", Usage: "multiply by Bᵀ (B stored n×k)"},
			&cli.IntFlag{Name: "threads", Usage: "goroutines per product (0 = GOMAXPROCS)"},
			&cli.Float64Flag{Name: "seconds", Value: 2, Usage: "how long to measure"},
		},
		Action: func(c *cli.Context) error {
			m, n, k := c.Int("m"), c.Int("n"), c.Int("k")
			if m < 1 || n < 1 || k < 1 {
				return fmt.Errorf("bench gemm: --m, --n and --k must be at least 1, got %d, %d, %d", m, n, k)
			}
			if m*k > 1<<28 || k*n > 1<<28 || m*n > 1<<28 {
				return fmt.Errorf("bench gemm: %d×%d×%d needs more than 1 GiB per matrix", m, n, k)
			}
			seconds, err := positiveSeconds(c)
			if err != nil {
				return fmt.Errorf("bench gemm: %w", err)
			}
			threads := c.Int("threads")
			if threads < 0 {
				return fmt.Errorf("bench gemm: --threads must be 0 (all) or more, got %d", threads)
			}
			defer nn.SetGemmThreads(nn.SetGemmThreads(threads))
			tA, tB := c.Bool("trans-a"), c.Bool("trans-b")
			rng := rand.New(rand.NewPCG(1, 2))
			// nn.Gemm is the kernel training and scoring use (gonum's
			// blas32 stays gonum's own: importing nn installs nothing).
			a, b, cm := randomSlice(rng, m*k), randomSlice(rng, k*n), make([]float32, m*n)
			lda, ldb := k, n
			if tA {
				lda = m
			}
			if tB {
				ldb = k
			}
			product := func() { nn.Gemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, cm, n) }
			best, runs := bestRun(c.Context, seconds, product)
			if err := c.Context.Err(); err != nil {
				return fmt.Errorf("bench gemm: %w", err)
			}
			flops := 2 * float64(m) * float64(n) * float64(k)
			w := c.App.Writer
			fmt.Fprintf(w, "kernel %s, %d threads, %d products in %.1f s\n", nn.GemmKernel(), threadCount(threads), runs, seconds)
			fmt.Fprintf(w, "gemm %d×%d×%d (transA=%v transB=%v): best %.3f ms per product\n", m, n, k, tA, tB, best*1e3)
			fmt.Fprintf(w, "%.1f GFLOP/s\n", flops/best/1e9)
			return nil
		},
	}
}

func benchTrainCommand() *cli.Command {
	return &cli.Command{
		Name:  "train",
		Usage: "train an MLP on generated data and report samples per second",
		UsageText: "dense bench train [--layers 784,128,10] [--batch-size 128] [--rows 60000] [--epochs 2] [--optimizer adam]\n\n" +
			"Hidden layers use relu. More than one output: softmax with sparse categorical cross-entropy\n" +
			"on labels from a random linear teacher; one output: linear with mean squared error.",
		Description: "Examples:\n" +
			"   dense bench train --layers 784,128,10 --batch-size 128 --rows 60000 --epochs 2\n" +
			"   dense bench train --layers 20,64,32,1 --batch-size 256 --optimizer adam",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "layers", Value: "784,128,10", Usage: "inputs, hidden widths…, outputs"},
			&cli.IntFlag{Name: "batch-size", Value: 128, Usage: "rows per mini-batch"},
			&cli.IntFlag{Name: "rows", Value: 60000, Usage: "training rows"},
			&cli.IntFlag{Name: "epochs", Value: 2, Usage: "passes over the rows"},
			&cli.StringFlag{Name: "optimizer", Value: "adam", Usage: "sgd | adam | adamw | rmsprop"},
			&cli.IntFlag{Name: "threads", Usage: "goroutines (0 = GOMAXPROCS)"},
		},
		Action: func(c *cli.Context) error {
			widths, err := parseLayers(c.String("layers"))
			if err != nil {
				return fmt.Errorf("bench train: %w", err)
			}
			rows, batch, epochs := c.Int("rows"), c.Int("batch-size"), c.Int("epochs")
			if rows < 1 || batch < 1 || epochs < 1 {
				return fmt.Errorf("bench train: --rows, --batch-size and --epochs must be at least 1, got %d, %d, %d", rows, batch, epochs)
			}
			if int64(rows)*int64(widths[0]) > 1<<30 {
				return fmt.Errorf("bench train: %d rows × %d inputs is more than 4 GiB of float32", rows, widths[0])
			}
			threads := c.Int("threads")
			if threads < 0 {
				return fmt.Errorf("bench train: --threads must be 0 (all) or more, got %d", threads)
			}
			defer nn.SetGemmThreads(nn.SetGemmThreads(threads))
			model, err := benchModel(widths)
			if err != nil {
				return fmt.Errorf("bench train: %w", err)
			}
			x, y, loss := benchData(widths, rows)
			cfg := nn.FitConfig{
				Loss:      loss,
				Optimizer: nn.OptimizerConfig{Name: nn.Optimizer(c.String("optimizer"))},
				BatchSize: batch,
				Epochs:    epochs,
				Seed:      1,
				Threads:   threads,
			}
			start := time.Now()
			hist, err := model.Fit(c.Context, x, y, rows, cfg)
			elapsed := time.Since(start).Seconds()
			if err != nil {
				return fmt.Errorf("bench train: %w", err)
			}
			w := c.App.Writer
			fmt.Fprintf(w, "model %s, %s loss, optimizer %s, batch %d, kernel %s, %d threads\n",
				c.String("layers"), loss, c.String("optimizer"), batch, nn.GemmKernel(), threadCount(threads))
			if n := len(hist.Epochs); n > 0 {
				fmt.Fprintf(w, "final training loss %.4g\n", hist.Epochs[n-1].Values["loss"])
			}
			fmt.Fprintf(w, "%d epochs × %d rows in %.2f s, peak RSS %s (training matrix %s)\n",
				epochs, rows, elapsed, peakRSS(), mib(4*int64(rows)*int64(widths[0])))
			rate := float64(epochs) * float64(rows) / elapsed
			flops, stepSeconds := trainStepGemms(c.Context, widths, min(batch, rows), threads)
			bound := float64(min(batch, rows)) / stepSeconds
			fmt.Fprintf(w, "GEMM-bound limit %.0f samples/s: %.0f FLOPs per sample in matrix products, which run at %.1f GFLOP/s at this batch size; this run reached %.0f%% of it\n",
				bound, flops, flops*bound/1e9, 100*rate/bound)
			fmt.Fprintf(w, "%.0f samples/s\n", rate)
			return nil
		},
	}
}

func benchSQLCommand() *cli.Command {
	return &cli.Command{
		Name:  "sql",
		Usage: "score a DuckDB file table with a pipeline-trained model and report rows per second",
		UsageText: "dense bench sql [--data numeric|categorical|vector] [--rows 1000000] [--train-rows 20000] [--repeat 5] [--dir DIR]\n\n" +
			"Generates a table in a DuckDB database file, trains a model on its first --train-rows rows\n" +
			"through the pipeline (as dense train does: standardised numeric inputs, one-hot categories),\n" +
			"registers it in a models folder and times the scoring query in two forms, the STRUCT form\n" +
			"dense_predict('bench', t) FROM t and one argument per column, against a plain scan of the same\n" +
			"columns. The figures are rows / (query − scan), the scoring time net of reading the table.\n\n" +
			"   numeric      20 FLOAT columns, regression 20→64→32→1\n" +
			"   categorical  10 FLOAT and 2 VARCHAR columns of 4 values (one-hot with an unknown slot:\n" +
			"                20 inputs), regression 20→64→32→1\n" +
			"   vector       one FLOAT[784] column, 10 classes, 784→128→10 (scored through\n" +
			"                list_max(dense_predict_proba(…)), the top probability)",
		Description: "Examples:\n" +
			"   dense bench sql --data numeric --rows 1000000\n" +
			"   dense bench sql --data vector --rows 100000",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data", Value: "numeric", Usage: "numeric | categorical | vector"},
			&cli.IntFlag{Name: "rows", Usage: "rows in the scored table (0: 1,000,000, or 100,000 for vector)"},
			&cli.IntFlag{Name: "train-rows", Value: 20000, Usage: "rows the model is trained on"},
			&cli.IntFlag{Name: "epochs", Value: 2, Usage: "training epochs"},
			&cli.IntFlag{Name: "repeat", Value: 5, Usage: "timed rounds of the three queries after a warm-up (the best of each counts)"},
			&cli.StringFlag{Name: "dir", Usage: "folder for the database file and models (default: a temporary one, removed after)"},
		},
		Action: func(c *cli.Context) error {
			sc, ok := sqlBenchScenarios[c.String("data")]
			if !ok {
				return fmt.Errorf("bench sql: --data %q: want numeric, categorical or vector", c.String("data"))
			}
			rows, trainRows, repeat := c.Int("rows"), c.Int("train-rows"), c.Int("repeat")
			if rows == 0 {
				rows = sc.rows
			}
			if rows < 1 || trainRows < 1 || repeat < 1 || c.Int("epochs") < 1 {
				return fmt.Errorf("bench sql: --rows, --train-rows, --epochs and --repeat must be at least 1, got %d, %d, %d, %d",
					rows, trainRows, c.Int("epochs"), repeat)
			}
			dir := c.String("dir")
			if dir == "" {
				tmp, err := os.MkdirTemp("", "dense-bench-sql-")
				if err != nil {
					return fmt.Errorf("bench sql: %w", err)
				}
				defer os.RemoveAll(tmp)
				dir = tmp
			}
			return runSQLBench(c.Context, c.App.Writer, sc, dir, rows, trainRows, c.Int("epochs"), repeat)
		},
	}
}

// sqlBenchScenario is one table and model of dense bench sql.
type sqlBenchScenario struct {
	rows    int      // default table size
	columns []string // the model's input columns, in order
	// table generates the scored table t (rows %d), train the training
	// table from t's first rows (LIMIT %d) with the target y.
	table, train string
	hidden       []int
	task         string
	score        string // the aggregate around the prediction, %s = the arguments
	scan         string // a plain scan of the same columns
}

var sqlBenchScenarios = func() map[string]sqlBenchScenario {
	// Numeric column j: a sum of three uniforms with its own scale and
	// offset, so standardisation is not the identity; the target is a
	// linear teacher of the standardised values plus noise.
	num := func(n int) (cols, gen, target, scan []string) {
		for j := range n {
			name := fmt.Sprintf("f%d", j)
			cols = append(cols, name)
			gen = append(gen, fmt.Sprintf("((random()+random()+random()-1.5)*%d+%d)::FLOAT AS %s", j+1, 10*j-50, name))
			target = append(target, fmt.Sprintf("%s(%s-(%d))/%d", []string{"+", "-"}[j%2], name, 10*j-50, j+1))
			scan = append(scan, fmt.Sprintf("sum(%s)", name))
		}
		return
	}
	ncols, ngen, ntarget, nscan := num(20)
	ccols, cgen, ctarget, cscan := num(10)
	for j := range 2 {
		name := fmt.Sprintf("c%d", j)
		ccols = append(ccols, name)
		cgen = append(cgen, fmt.Sprintf("(['red', 'green', 'blue', 'grey'])[1+floor(random()*4)::INT] AS %s", name))
		ctarget = append(ctarget, fmt.Sprintf("+(CASE %s WHEN 'red' THEN 1.5 WHEN 'green' THEN -1 ELSE 0 END)", name))
		cscan = append(cscan, fmt.Sprintf("max(%s)", name))
	}
	tabular := func(cols, gen, target, scan []string) sqlBenchScenario {
		return sqlBenchScenario{
			rows:    1000000,
			columns: cols,
			table:   "CREATE TABLE t AS SELECT " + strings.Join(gen, ", ") + " FROM range(%d)",
			train: "CREATE TABLE train AS SELECT *, ((" + strings.Join(target, "") + ")/" +
				strconv.Itoa(len(cols)) + "+0.1*(random()-0.5))::FLOAT AS y FROM t LIMIT %d",
			hidden: []int{64, 32},
			task:   pipeline.TaskRegression,
			score:  "sum(dense_predict('bench', %s))",
			scan:   "SELECT " + strings.Join(scan, ", ") + " FROM t",
		}
	}
	return map[string]sqlBenchScenario{
		"numeric":     tabular(ncols, ngen, ntarget, nscan),
		"categorical": tabular(ccols, cgen, ctarget, cscan),
		"vector": {
			rows:    100000,
			columns: []string{"x"},
			table:   "CREATE TABLE t AS SELECT list_transform(range(784), i -> (random()*2-1)::FLOAT)::FLOAT[784] AS x FROM range(%d)",
			// Ten classes of about equal size from the first element.
			train:  "CREATE TABLE train AS SELECT x, least(9, floor((x[1]+1)*5))::INTEGER AS y FROM t LIMIT %d",
			hidden: []int{128},
			task:   pipeline.TaskMulticlass,
			score:  "sum(list_max(dense_predict_proba('bench', %s)))",
			scan:   "SELECT sum(x[1]) FROM t",
		},
	}
}()

// runSQLBench builds the scenario's database in dir, trains and registers
// the model, and times the queries.
func runSQLBench(ctx context.Context, w io.Writer, sc sqlBenchScenario, dir string, rows, trainRows, epochs, repeat int) error {
	dbPath, models := filepath.Join(dir, "bench.duckdb"), filepath.Join(dir, "models")
	if err := os.MkdirAll(models, 0o755); err != nil {
		return fmt.Errorf("bench sql: %w", err)
	}
	os.Remove(dbPath) // a database left by an earlier --dir run
	os.Remove(dbPath + ".wal")
	db, err := openDuckDB(ctx, dbPath, models, false)
	if err != nil {
		return fmt.Errorf("bench sql: %w", err)
	}
	defer db.Close()
	start := time.Now()
	for _, q := range []string{"SELECT setseed(0.5)", fmt.Sprintf(sc.table, rows), fmt.Sprintf(sc.train, min(trainRows, rows)), "CHECKPOINT"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("bench sql: generating the tables: %w", err)
		}
	}
	fmt.Fprintf(w, "table t: %d rows in %s (%.1f s to generate)\n", rows, dbPath, time.Since(start).Seconds())

	start = time.Now()
	src, err := duckio.Query(ctx, db, "SELECT * FROM train", duckio.Options{})
	if err != nil {
		return fmt.Errorf("bench sql: %w", err)
	}
	res, err := pipeline.Train(ctx, src, pipeline.TrainConfig{
		Source: "duckdb:" + dbPath + ": SELECT * FROM train", Target: "y", Task: sc.task,
		Hidden: sc.hidden, Epochs: epochs, BatchSize: 128, Seed: 1, Name: "bench", Models: models,
	})
	src.Close()
	if err != nil {
		return fmt.Errorf("bench sql: training: %w", err)
	}
	widths := []int{res.Model.InputWidth()}
	widths = append(widths, sc.hidden...)
	widths = append(widths, res.Model.OutputWidth())
	fmt.Fprintf(w, "model bench (%s): %d rows, %d epochs in %.1f s, inputs %s\n",
		joinInts(widths, "→"), res.TrainRows, len(res.History.Epochs), time.Since(start).Seconds(), describeInputs(res.Model.Spec()))

	var threads int64
	if err := db.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&threads); err != nil {
		return fmt.Errorf("bench sql: %w", err)
	}
	fmt.Fprintf(w, "DuckDB threads %d; the best of %d rounds (the scan and both forms in turn) after a warm-up:\n", threads, repeat)
	queries := []struct{ name, query string }{
		{"scan", sc.scan},
		{"struct", "SELECT " + fmt.Sprintf(sc.score, "t") + " FROM t"},
		{"columns", "SELECT " + fmt.Sprintf(sc.score, strings.Join(sc.columns, ", ")) + " FROM t"},
	}
	// One warm-up run each (the model is loaded then), then repeat rounds
	// in turn, so that a busy spell of the machine hits all three alike.
	// The two forms swap places from round to round: the query right
	// after the scan measured some 10 ns a row slower, whichever form it
	// was (2026-12-01), so a fixed order made the STRUCT form look slower.
	// The process's CPU time (every DuckDB thread's) is kept too, the
	// least of the rounds: on a shared machine it varies less than the
	// wall time.
	best := make([]float64, len(queries))
	cpu := make([]float64, len(queries))
	sums := make([]float64, len(queries))
	for round := range repeat + 1 {
		for _, i := range order(len(queries), round) {
			q := queries[i]
			start, cpu0 := time.Now(), processCPU()
			v, err := queryFirst(ctx, db, q.query)
			if err != nil {
				return fmt.Errorf("bench sql: %s: %w", q.query, err)
			}
			secs, cpus := time.Since(start).Seconds(), processCPU()-cpu0
			if round == 1 || (round > 1 && secs < best[i]) {
				best[i] = secs
			}
			if round == 1 || (round > 1 && cpus < cpu[i]) {
				cpu[i] = cpus
			}
			sums[i] = v
		}
	}
	scan := best[0]
	fmt.Fprintf(w, "  %-7s %.3f s (CPU %.3f s)  %s\n", queries[0].name, scan, cpu[0], shorten(queries[0].query))
	var figures, cpuFigures []string
	for i, q := range queries[1:] {
		secs := best[i+1]
		fmt.Fprintf(w, "  %-7s %.3f s (CPU %.3f s)  %s  (sum %.6g)\n", q.name, secs, cpu[i+1], shorten(q.query), sums[i+1])
		cpuFigures = append(cpuFigures, fmt.Sprintf("%s %.1f ns", q.name, (cpu[i+1]-cpu[0])*1e9/float64(rows)))
		if secs <= scan {
			return fmt.Errorf("bench sql: the %s query (%.3f s) was not slower than the scan (%.3f s): too few rows to measure", q.name, secs, scan)
		}
		figures = append(figures, fmt.Sprintf("%s: %.0f rows/s", q.name, float64(rows)/(secs-scan)))
	}
	fmt.Fprintf(w, "CPU time per row net of the scan's (all threads; steadier than wall time on a busy machine): %s\n", strings.Join(cpuFigures, ", "))
	fmt.Fprintf(w, "scoring time net of the scan, peak RSS %s:\n", peakRSS())
	for _, f := range figures {
		fmt.Fprintln(w, f)
	}
	return nil
}

// order is the order of round's queries: the scan first, then the others,
// reversed in odd rounds, so each query follows the scan in half of them.
func order(n, round int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = i
	}
	if round%2 == 1 {
		slices.Reverse(o[1:])
	}
	return o
}

// processCPU is the process's user and system CPU time in seconds (0 where
// getrusage is missing).
func processCPU() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// queryFirst reads every column of a query's one row and returns the first
// as a float64 (NaN when it is not a number).
func queryFirst(ctx context.Context, db *sql.DB, query string) (float64, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	if !rows.Next() {
		return 0, errors.Join(rows.Err(), errors.New("no row"))
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return 0, err
	}
	switch v := vals[0].(type) {
	case float64:
		return v, rows.Err()
	case float32:
		return float64(v), rows.Err()
	}
	return math.NaN(), rows.Err()
}

// describeInputs summarises a model's inputs: "20 numeric (standard)" and the like.
func describeInputs(s *nn.Spec) string {
	counts := map[string]int{}
	var order []string
	for _, in := range s.Inputs {
		k := in.Kind
		if in.Scale != nil {
			k += " (" + in.Scale.Method + ")"
		} else if in.Kind == nn.KindCategorical {
			k += fmt.Sprintf(" (%d slots)", in.Width())
		}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	return strings.Join(parts, ", ")
}

// shorten cuts a long query for display.
func shorten(q string) string {
	if r := []rune(q); len(r) > 90 {
		return string(r[:80]) + "…" + string(r[len(r)-8:])
	}
	return q
}

func joinInts(v []int, sep string) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, sep)
}

// trainStepGemms times the matrix products of one training step of an MLP
// of these widths at this batch size, alone (best of about half a second of
// runs): per dense layer the forward product X·Wᵀ and the weight gradient
// dZᵀ·X, and the input gradient dZ·W for every layer but the first. nn's
// trainer runs each half of a batch on its own core (its training shards),
// so on two or more threads the products are also timed that way, each
// half batch's on one goroutine and one thread at the same time as the
// other's, and the faster of that and the whole batch's products on all
// threads counts. It returns the FLOPs per sample and the seconds per step:
// batch/seconds is the speed training would reach if everything around GEMM
// (activations, bias, loss, optimiser, batch gathering) took no time.
func trainStepGemms(ctx context.Context, widths []int, batch, threads int) (flopsPerSample, seconds float64) {
	type product struct {
		tA, tB  bool
		m, n, k int
		a, b, c []float32
	}
	rng := rand.New(rand.NewPCG(5, 6))
	products := func(batch int) (ps []product) {
		flopsPerSample = 0
		for i := 1; i < len(widths); i++ {
			in, out := widths[i-1], widths[i]
			x, wt := randomSlice(rng, batch*in), randomSlice(rng, out*in)
			dz := randomSlice(rng, batch*out)
			ps = append(ps,
				product{false, true, batch, out, in, x, wt, make([]float32, batch*out)}, // Z = X·Wᵀ
				product{true, false, out, in, batch, dz, x, make([]float32, out*in)})    // dW = dZᵀ·X
			flopsPerSample += 4 * float64(in) * float64(out)
			if i > 1 {
				ps = append(ps, product{false, false, batch, in, out, dz, wt, make([]float32, batch*in)}) // dX = dZ·W
				flopsPerSample += 2 * float64(in) * float64(out)
			}
		}
		return ps
	}
	run := func(ps []product) {
		for _, p := range ps {
			lda, ldb := p.k, p.n
			if p.tA {
				lda = p.m
			}
			if p.tB {
				ldb = p.k
			}
			nn.Gemm(p.tA, p.tB, p.m, p.n, p.k, 1, p.a, lda, p.b, ldb, 0, p.c, p.n)
		}
	}
	whole := products(batch)
	seconds, _ = bestRun(ctx, 0.5, func() { run(whole) })
	if threadCount(threads) < 2 || batch < 2 {
		return flopsPerSample, seconds
	}
	halves := [2][]product{products(batch / 2), products(batch - batch/2)}
	const reps = 20 // steps per timing, so starting the goroutines is amortised
	defer nn.SetGemmThreads(nn.SetGemmThreads(1))
	halved, _ := bestRun(ctx, 0.5, func() {
		var wg sync.WaitGroup
		for _, ps := range halves {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range reps {
					run(ps)
				}
			}()
		}
		wg.Wait()
	})
	return flopsPerSample, min(seconds, halved/reps)
}

// parseLayers reads "784,128,10": the input width, hidden widths, output width.
func parseLayers(s string) ([]int, error) {
	parts := strings.Split(s, ",")
	if len(parts) < 2 {
		return nil, fmt.Errorf("--layers %q: want at least an input and an output width, like 784,128,10", s)
	}
	widths := make([]int, len(parts))
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 1 || v > 1<<16 {
			return nil, fmt.Errorf("--layers %q: width %d (%q) is not an integer between 1 and 65536", s, i+1, p)
		}
		widths[i] = v
	}
	return widths, nil
}

// benchModel is relu hidden layers and a softmax (several outputs) or
// linear (one output) last layer; bench/torch_bench.py builds the same
// network in PyTorch.
func benchModel(widths []int) (*nn.Model, error) {
	var layers []nn.LayerSpec
	for _, u := range widths[1 : len(widths)-1] {
		layers = append(layers, nn.Dense(u, nn.ReLU))
	}
	out := widths[len(widths)-1]
	act := nn.Softmax
	if out == 1 {
		act = nn.Linear
	}
	layers = append(layers, nn.Dense(out, act))
	return nn.NewSequential(widths[0], layers...)
}

// benchData generates rows of standard normal inputs and targets from a
// random linear teacher: class = argmax(x·W) for several outputs, y = x·w
// plus noise for one, so the loss has something to learn.
func benchData(widths []int, rows int) (x, y []float32, loss string) {
	in, out := widths[0], widths[len(widths)-1]
	rng := rand.New(rand.NewPCG(3, 4))
	x = randomSlice(rng, rows*in)
	teacher := randomSlice(rng, in*out)
	y = make([]float32, rows)
	scores := make([]float32, out)
	for r := range rows {
		xr := x[r*in : (r+1)*in]
		for o := range scores {
			var s float32
			for i, v := range xr {
				s += v * teacher[i*out+o]
			}
			scores[o] = s
		}
		if out == 1 {
			y[r] = scores[0]/float32(math.Sqrt(float64(in))) + 0.1*float32(rng.NormFloat64())
			continue
		}
		best := 0
		for o, s := range scores {
			if s > scores[best] {
				best = o
			}
		}
		y[r] = float32(best)
	}
	if out == 1 {
		return x, y, nn.LossMSE
	}
	return x, y, nn.LossSparseCategoricalCrossentropy
}

func randomSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// bestRun runs f for about seconds (at least three times) and returns the
// fastest single run in seconds and the number of runs. The best run is
// the figure least disturbed by other programs on the machine.
func bestRun(ctx context.Context, seconds float64, f func()) (best float64, runs int) {
	f() // warm up: buffers, worker goroutines
	best = math.Inf(1)
	deadline := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	for runs < 3 || time.Now().Before(deadline) {
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		f()
		best = min(best, time.Since(start).Seconds())
		runs++
	}
	return best, runs
}

func positiveSeconds(c *cli.Context) (float64, error) {
	s := c.Float64("seconds")
	if !(s > 0 && s <= 3600) {
		return 0, fmt.Errorf("--seconds must be between 0 and 3600, got %v", s)
	}
	return s, nil
}

func threadCount(threads int) int {
	if threads > 0 {
		return threads
	}
	return runtime.GOMAXPROCS(0)
}

// peakRSS is the process's peak resident memory from /proc (Linux), or
// "unknown" elsewhere.
func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	kb, err := readVmHWM(f)
	if err != nil {
		return "unknown"
	}
	return mib(kb * 1024)
}

func readVmHWM(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM line")
}

func mib(bytes int64) string { return fmt.Sprintf("%.0f MiB", float64(bytes)/(1<<20)) }
