package dense

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/duckio"
	"github.com/dense-ml/dense/pipeline"
)

// BenchmarkScore scores the test's 8 shards (1,048,576 rows, the churn
// model) from Parquet to Parquet, with `dense score`'s code
// (pipeline.Score over one stream of the files, one output file) and with
// a Beam pipeline on Prism in this process (ReadParquet, Score,
// WriteParquet with a file per bundle, all one fused stage). -cpu 1,2
// gives both 1 and 2 cores (GOMAXPROCS: Prism's worker and runner
// goroutines share them; DuckDB's reading threads in `dense score` are
// not bound by it). beam-prism reports its rate as a fraction of
// dense-score's at the same -cpu (x_dense_score) and the files written
// (the bundles Prism made: more than one when it split the work between
// cores):
//
//	cd beam && go test ./dense -run '^$' -bench Score -benchtime 1x -cpu 1,2
func BenchmarkScore(b *testing.B) {
	f := testData(b)
	ctx := context.Background()
	const total = shards * rowsPerShard
	var denseRate float64
	b.Run("dense-score", func(b *testing.B) {
		for b.Loop() {
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
		}
		denseRate = float64(total) * float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(denseRate, "rows/s")
	})
	model, _, err := ReadModel(ctx, "churn", f.models)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("beam-prism", func(b *testing.B) {
		for b.Loop() {
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
			b.ReportMetric(float64(len(parts)), "files") // one per bundle
			os.RemoveAll(out)
		}
		rate := float64(total) * float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(rate, "rows/s")
		if denseRate > 0 {
			b.ReportMetric(rate/denseRate, "x_dense_score")
		}
	})
}
