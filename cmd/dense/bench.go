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
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/udf"
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
			// Importing nn installed its GEMM as blas32's implementation.
			a := blas32.General{Rows: m, Cols: k, Stride: k, Data: randomSlice(rng, m*k)}
			b := blas32.General{Rows: k, Cols: n, Stride: n, Data: randomSlice(rng, k*n)}
			cm := blas32.General{Rows: m, Cols: n, Stride: n, Data: make([]float32, m*n)}
			opA, opB := blas.NoTrans, blas.NoTrans
			if tA {
				opA, a.Rows, a.Cols, a.Stride = blas.Trans, k, m, m
			}
			if tB {
				opB, b.Rows, b.Cols, b.Stride = blas.Trans, n, k, k
			}
			product := func() { blas32.Gemm(opA, opB, 1, a, b, 0, cm) }
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
			fmt.Fprintf(w, "%.0f samples/s\n", float64(epochs)*float64(rows)/elapsed)
			return nil
		},
	}
}

func benchSQLCommand() *cli.Command {
	return &cli.Command{
		Name:  "sql",
		Usage: "score a generated DuckDB table with dense_predict and report rows per second",
		UsageText: "dense bench sql [--layers 20,64,32,1] [--rows 1000000] [--repeat 3]\n\n" +
			"Builds an untrained model with relu hidden layers and a table t(x FLOAT[inputs]) of random\n" +
			"rows in an in-memory DuckDB, then times SELECT sum(dense_predict('bench', x)) FROM t\n" +
			"(a classifier: SELECT sum(list_max(dense_predict_proba('bench', x))) FROM t).",
		Description: "Examples:\n" +
			"   dense bench sql --layers 20,64,32,1 --rows 1000000\n" +
			"   dense bench sql --layers 784,128,10 --rows 100000",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "layers", Value: "20,64,32,1", Usage: "inputs, hidden widths…, outputs"},
			&cli.IntFlag{Name: "rows", Value: 1000000, Usage: "rows in the table"},
			&cli.IntFlag{Name: "repeat", Value: 3, Usage: "times the query runs (the best counts)"},
		},
		Action: func(c *cli.Context) error {
			widths, err := parseLayers(c.String("layers"))
			if err != nil {
				return fmt.Errorf("bench sql: %w", err)
			}
			rows, repeat := c.Int("rows"), c.Int("repeat")
			if rows < 1 || repeat < 1 {
				return fmt.Errorf("bench sql: --rows and --repeat must be at least 1, got %d, %d", rows, repeat)
			}
			if widths[0] > 1000 {
				return fmt.Errorf("bench sql: at most 1000 inputs, got %d", widths[0])
			}
			model, err := benchModel(widths)
			if err != nil {
				return fmt.Errorf("bench sql: %w", err)
			}
			ctx := c.Context
			db, err := sql.Open("duckdb", "")
			if err != nil {
				return fmt.Errorf("bench sql: opening DuckDB: %w", err)
			}
			defer db.Close()
			models := udf.NewMemory()
			models.Add("bench", model)
			if err := udf.Register(db, models); err != nil {
				return fmt.Errorf("bench sql: %w", err)
			}
			elems := make([]string, widths[0])
			for i := range elems {
				elems[i] = "(random()*2-1)::FLOAT"
			}
			create := fmt.Sprintf("CREATE TABLE t AS SELECT [%s]::FLOAT[%d] AS x FROM range(%d)",
				strings.Join(elems, ", "), widths[0], rows)
			if _, err := db.ExecContext(ctx, "SELECT setseed(0.5)"); err != nil {
				return fmt.Errorf("bench sql: %w", err)
			}
			if _, err := db.ExecContext(ctx, create); err != nil {
				return fmt.Errorf("bench sql: generating the table: %w", err)
			}
			// dense_predict returns one number, so a classifier is scored
			// through its probabilities (PyTorch's side sums the same).
			query := "SELECT sum(dense_predict('bench', x)) FROM t"
			if widths[len(widths)-1] > 1 {
				query = "SELECT sum(list_max(dense_predict_proba('bench', x))) FROM t"
			}
			best := math.Inf(1)
			var sum float64
			for range repeat {
				start := time.Now()
				if err := db.QueryRowContext(ctx, query).Scan(&sum); err != nil {
					return fmt.Errorf("bench sql: %s: %w", query, err)
				}
				best = min(best, time.Since(start).Seconds())
			}
			var threads int64
			if err := db.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&threads); err != nil {
				return fmt.Errorf("bench sql: %w", err)
			}
			w := c.App.Writer
			fmt.Fprintf(w, "model %s, %d rows, DuckDB threads %d, sum = %.6g\n", c.String("layers"), rows, threads, sum)
			fmt.Fprintf(w, "%s: best of %d runs %.3f s, peak RSS %s\n", query, repeat, best, peakRSS())
			fmt.Fprintf(w, "%.0f rows/s\n", float64(rows)/best)
			return nil
		},
	}
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
