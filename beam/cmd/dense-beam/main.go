// Command dense-beam scores Parquet files with a dense model, or evaluates
// a model on them, as an Apache Beam job: on this machine with the Prism
// runner (the default), or on Dataflow, Flink or Spark with Beam's usual
// flags.
//
//	dense-beam score --model churn --input 'data/*.parquet' --output out/
//	dense-beam eval  --model churn@3 --input data/ --output metrics.json
//
// score writes out/part-NNNNN-of-NNNNN.parquet: every input column plus
// the prediction columns of `dense score`, written where the rows were
// scored: up to one file per core for each bundle of work (the runner
// decides how many bundles; --shards N asks for exactly N at the cost
// of a shuffle of every row); rows that cannot be scored go to
// out/dead_letter/ with the reason (dense_error), the file (dense_source)
// and the row (dense_row). eval writes the metrics of `dense eval` as JSON
// and prints them when the file is local.
//
// --model is a registry reference (NAME or NAME@V, in --models, else
// $DENSE_MODELS, else ./models) or a model file's path or URL
// (gs://bucket/churn.safetensors). The launcher reads it and ships its
// bytes in the job; workers check its SHA-256 before using it.
//
// On another runner, add Beam's flags, for example
//
//	dense-beam score --model churn --input 'gs://b/in/*.parquet' --output gs://b/out/ \
//	    --runner dataflow --project P --region europe-west1 --temp_location gs://b/tmp/ \
//	    --staging_location gs://b/staging/
//	dense-beam score … --runner flink --endpoint localhost:8099 --environment_type LOOPBACK
//
// The exit status is 0 when the job ran (even with dead letters), 2 for a
// command line that cannot work (a missing or unknown flag) and 1 for
// anything else (a model or input that cannot be read, a failed job).
//
// (The README's "Scaling out" section has more; only Prism is tested here.)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/s3" // s3:// paths (gs:// and local come with beamx)
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/beam/dense"
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// The flags are global, as Beam's are: a worker started by a runner parses
// the same command line without a sub-command.
var (
	modelFlag  = flag.String("model", "", "model: NAME[@VERSION] in the registry, or a model file's path or URL (required)")
	modelsFlag = flag.String("models", "", "registry folder (default $DENSE_MODELS, else ./models)")
	inputFlag  = flag.String("input", "", "Parquet input: a glob ('data/*.parquet', 'gs://b/day=*/*.parquet') or a folder (required)")
	outputFlag = flag.String("output", "", "score: the output folder; eval: the metrics JSON file (required)")
	deadFlag   = flag.String("dead_letter", "", "folder for rows that cannot be scored (default: score OUTPUT/dead_letter, eval next to OUTPUT)")
	shardsFlag = flag.Int("shards", 0, "score: exactly this many output files, at the cost of a shuffle of every row (default 0: files per bundle of work, no shuffle)")
	rowsFlag   = flag.Int("batch_rows", dense.DefaultBatchRows, "rows per forward pass")
	targetFlag = flag.String("target", "", "eval: the column with the true values (default: the model's training target)")
	predFlag   = flag.String("prediction", "prediction", "score: name of the score column (empty: left out)")
	labelFlag  = flag.String("label", "predicted_label", "score: name of a classifier's predicted-label column (empty: left out)")
	probaFlag  = flag.String("proba", "probabilities", "score: name of a classifier's probabilities column (empty: left out)")
)

const usage = `usage: dense-beam score|eval --model REF --input GLOB --output PATH [flags] [--runner prism|dataflow|flink|spark …]

  score   append a model's predictions to Parquet files, written in shards to the --output folder
  eval    measure a model on labelled Parquet files (the metrics of dense eval), as JSON in --output

Flags (Beam's own flags, such as --runner, --project, --region, --temp_location,
--endpoint and --environment_type, are accepted too):
`

func main() {
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), usage)
		flag.PrintDefaults()
	}
	cmd, args := "", os.Args[1:]
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if err := flag.CommandLine.Parse(args); err != nil {
		os.Exit(2)
	}
	beam.Init() // a worker started by the runner runs here and never returns
	ctx := context.Background()
	var err error
	switch cmd {
	case "score":
		err = score(ctx)
	case "eval":
		err = eval(ctx)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dense-beam "+cmd+": "+strings.TrimPrefix(err.Error(), "dense: "))
		if errors.As(err, new(usageError)) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a command line that cannot work: exit status 2, as for an
// unknown flag. Other failures (a model or file that cannot be read, a
// failed job) exit with 1.
type usageError string

func (e usageError) Error() string { return string(e) }

// common checks the shared flags, reads the model and checks it against a
// local input's schema before the job starts.
func common(ctx context.Context) (dense.Model, error) {
	for _, f := range []struct{ name, val string }{{"model", *modelFlag}, {"input", *inputFlag}, {"output", *outputFlag}} {
		if f.val == "" {
			return dense.Model{}, usageError(fmt.Sprintf("--%s is required (dense-beam -h lists the flags)", f.name))
		}
	}
	if *rowsFlag <= 0 {
		return dense.Model{}, usageError(fmt.Sprintf("--batch_rows %d: want a positive number", *rowsFlag))
	}
	model, nm, err := dense.ReadModel(ctx, *modelFlag, *modelsFlag)
	if err != nil {
		return dense.Model{}, err
	}
	if files := localFiles(); len(files) > 0 {
		r, err := arrowio.OpenParquet(files[:1], arrowio.Options{})
		if err != nil {
			return dense.Model{}, err
		}
		defer r.Close()
		if _, err := tabular.NewFeaturizer(nm.Spec().Inputs, r.Schema()); err != nil {
			return dense.Model{}, fmt.Errorf("%s cannot feed model %s: %w", files[0], model.Ref, err)
		}
	} else if !strings.Contains(*inputFlag, "://") {
		return dense.Model{}, fmt.Errorf("no Parquet files match %s", dense.Glob(*inputFlag))
	}
	return model, nil
}

// localFiles lists the input files when they are local.
func localFiles() []string {
	if strings.Contains(*inputFlag, "://") {
		return nil
	}
	files, _ := filepath.Glob(dense.Glob(*inputFlag))
	return files
}

func score(ctx context.Context) error {
	model, err := common(ctx)
	if err != nil {
		return err
	}
	out := *outputFlag
	if !strings.Contains(out, "://") {
		if parts, _ := filepath.Glob(filepath.Join(out, "part-*.parquet")); len(parts) > 0 {
			return fmt.Errorf("%s already holds output files (%s, …): remove them or choose another folder", out, filepath.Base(parts[0]))
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
	}
	dead := *deadFlag
	if dead == "" {
		dead = strings.TrimSuffix(out, "/") + "/dead_letter"
	}
	if *shardsFlag < 0 {
		return usageError(fmt.Sprintf("--shards %d: want 0 (files per bundle of work) or a positive number", *shardsFlag))
	}
	if *predFlag == "" && *labelFlag == "" && *probaFlag == "" {
		return usageError("--prediction, --label and --proba are all empty: nothing to append")
	}
	p, s := beam.NewPipelineWithRoot()
	rows := dense.ReadParquet(s, *inputFlag, 0)
	scored, bad := dense.Score(s, model, rows, dense.ScoreOptions{
		Prediction: *predFlag, Label: *labelFlag, Proba: *probaFlag, BatchRows: *rowsFlag})
	dense.WriteParquet(s, out, *shardsFlag, scored)
	dense.WriteParquet(s, dead, 0, bad)

	start := time.Now()
	c, err := run(ctx, p)
	if err != nil {
		return err
	}
	d := time.Since(start)
	where := out
	if parts, _ := filepath.Glob(filepath.Join(out, "part-*.parquet")); len(parts) > 0 {
		where = fmt.Sprintf("%s (%d files)", out, len(parts))
	}
	fmt.Printf("Scored %s rows with %s in %.2fs (%s rows/s) → %s\n", nn.Thousands(int(c["rows_scored"])),
		model.Ref, d.Seconds(), nn.Thousands(int(float64(c["rows_scored"])/d.Seconds())), where)
	if n := c["dead_letters"]; n > 0 {
		fmt.Printf("%s rows could not be scored: %s\n", nn.Thousands(int(n)), dead)
	}
	return nil
}

func eval(ctx context.Context) error {
	model, err := common(ctx)
	if err != nil {
		return err
	}
	out := *outputFlag
	dead := *deadFlag
	if dead == "" {
		dead = strings.TrimSuffix(out, ".json") + "_dead_letter"
	}
	p, s := beam.NewPipelineWithRoot()
	rows := dense.ReadParquet(s, *inputFlag, 0)
	metrics, bad := dense.Evaluate(s, model, rows, dense.EvalOptions{Target: *targetFlag, BatchRows: *rowsFlag})
	dense.WriteMetrics(s, out, metrics)
	dense.WriteParquet(s, dead, 0, bad)
	c, err := run(ctx, p)
	if err != nil {
		return err
	}
	if n := c["dead_letters"]; n > 0 {
		fmt.Printf("%s rows could not be evaluated: %s\n", nn.Thousands(int(n)), dead)
	}
	if strings.Contains(out, "://") {
		fmt.Printf("Metrics: %s\n", out)
		return nil
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	m, err := dense.ParseMetrics(data)
	if err != nil {
		return err
	}
	fmt.Printf("Evaluated %s (%s) on %s rows, target %s\n", m.Model, m.Task, nn.Thousands(int(m.Rows)), m.Target)
	names := make([]string, 0, len(m.Metrics))
	width := 0
	for k := range m.Metrics {
		names = append(names, k)
		width = max(width, len(k))
	}
	slices.Sort(names)
	for _, k := range names { // dense eval's table
		fmt.Printf("  %-*s  %s\n", width, k, formatMetric(m.Metrics[k]))
	}
	if cm := m.ConfusionMatrix(); cm != nil {
		fmt.Println("\nConfusion matrix (rows: true class, columns: predicted):")
		for _, l := range strings.Split(strings.TrimRight(cm.String(), "\n"), "\n") {
			fmt.Println("  " + l)
		}
	}
	fmt.Printf("Metrics: %s\n", out)
	return nil
}

// run runs the pipeline on --runner (default prism) and returns the
// dense counters.
func run(ctx context.Context, p *beam.Pipeline) (map[string]int64, error) {
	if *runners.Runner == "" {
		*runners.Runner = "prism"
	}
	res, err := beamx.RunWithMetrics(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("the job failed: %w", err)
	}
	c := map[string]int64{}
	if res != nil {
		for _, r := range res.Metrics().AllMetrics().Counters() {
			if r.Namespace() == "dense" {
				c[r.Name()] += r.Result()
			}
		}
	}
	return c, nil
}

// formatMetric formats a metric as dense eval prints it: 4 decimals, or 4
// significant digits for very large or small values.
func formatMetric(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	if a := math.Abs(v); a != 0 && (a >= 1e5 || a < 1e-3) {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}
