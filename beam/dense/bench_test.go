package dense

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/duckio"
	"github.com/dense-ml/dense/pipeline"
)

// BenchmarkScore scores the test's 8 shards (1,048,576 rows, the churn
// model) from Parquet to Parquet, with `dense score`'s code
// (pipeline.Score over one stream of the files, one output file) and with
// a Beam pipeline on Prism in this process (ReadParquet, Score,
// WriteParquet with a file per bundle and writer, all one fused stage),
// on 1 and then 2 cores: cores=N sets GOMAXPROCS to N (Prism's runner and
// its in-process worker share those cores; DuckDB's reading threads in
// `dense score` are not bound by it: run under `taskset -c 0` for one core
// in all). Each iteration is a round of both, back to back, so a busy
// spell of the shared machine hits both alike; -benchtime 3x makes three
// rounds, and the rates reported are each one's best round:
//
//   - dense_rows/s, prism_rows/s: rows per second of wall time;
//
//   - x_dense_score: prism_rows/s ÷ dense_rows/s, the figure;
//
//   - dense_rows/cpu-s, prism_rows/cpu-s: rows per CPU-second of the
//     process (user + system, every thread) in that round, what a run
//     costs whatever else the machine is running;
//
//   - dense_cores, prism_cores: CPU-seconds per second of that round, the
//     cores each one used (on a shared machine, what it was given);
//
//   - files: the files Prism wrote in its best round (a file per bundle
//     and writer goroutine).
//
//     cd beam && go test ./dense -run '^$' -bench Score -benchtime 3x
//
// (The two cores are set inside, not with -cpu: with -benchtime 1x Go
// reports the first -cpu value from the run that sizes the benchmark,
// made at the default GOMAXPROCS.)
func BenchmarkScore(b *testing.B) {
	f := testData(b)
	ctx := context.Background()
	const total = shards * rowsPerShard
	model, _, err := ReadModel(ctx, "churn", f.models)
	if err != nil {
		b.Fatal(err)
	}
	denseScore := func(b *testing.B) {
		out := filepath.Join(b.TempDir(), "scored.parquet")
		in, err := duckio.Open(ctx, filepath.Join(f.data, "*.parquet"), duckio.Options{})
		if err != nil {
			b.Fatal(err)
		}
		sr, err := pipeline.ScoreStage{Model: f.churn}.Apply(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		w, err := arrowio.Create(out, sr.Schema(), arrowio.WriterOptions{})
		if err != nil {
			b.Fatal(err)
		}
		n, err := pipeline.Drain(ctx, sr, w)
		if err != nil || n != total {
			b.Fatalf("%d rows, %v", n, err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		sr.Close()
		os.Remove(out)
	}
	prism := func(b *testing.B) (files int) {
		out := b.TempDir()
		p, s := beam.NewPipelineWithRoot()
		scored, dead := Score(s, model, ReadParquet(s, f.data, 0), ScoreOptions{})
		WriteParquet(s, out, 0, scored)
		WriteParquet(s, filepath.Join(out, "dead_letter"), 0, dead)
		if c := run(b, p); c["rows_scored"] != total {
			b.Fatalf("%d rows scored, want %d", c["rows_scored"], total)
		}
		parts, _ := filepath.Glob(filepath.Join(out, "part-*"))
		if len(parts) == 0 {
			b.Fatal("no output")
		}
		os.RemoveAll(out)
		return len(parts)
	}
	// timed runs fn and returns its rows per second and per CPU-second.
	timed := func(fn func()) (rate, cpuRate float64) {
		cpu, start := cpuSeconds(), time.Now()
		fn()
		rate = total / time.Since(start).Seconds()
		if used := cpuSeconds() - cpu; cpu > 0 && used > 0 {
			cpuRate = total / used
		}
		return rate, cpuRate
	}
	for _, cores := range []int{1, 2} {
		b.Run(fmt.Sprintf("cores=%d", cores), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cores))
			var dense, denseCPU, beamRate, beamCPU float64
			files := 0
			for b.Loop() {
				r, c := timed(func() { denseScore(b) })
				if r > dense {
					dense, denseCPU = r, c
				}
				var n int
				r, c = timed(func() { n = prism(b) })
				if r > beamRate {
					beamRate, beamCPU, files = r, c, n
				}
			}
			b.ReportMetric(dense, "dense_rows/s")
			b.ReportMetric(beamRate, "prism_rows/s")
			b.ReportMetric(beamRate/dense, "x_dense_score")
			if denseCPU > 0 && beamCPU > 0 {
				b.ReportMetric(denseCPU, "dense_rows/cpu-s")
				b.ReportMetric(beamCPU, "prism_rows/cpu-s")
				// CPU-seconds per second: the cores each one got.
				b.ReportMetric(dense/denseCPU, "dense_cores")
				b.ReportMetric(beamRate/beamCPU, "prism_cores")
			}
			b.ReportMetric(float64(files), "files")
		})
	}
}
