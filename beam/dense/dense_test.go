package dense

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/duckio"
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/pipeline"
	"github.com/dense-ml/dense/tabular"
)

// The tests run Beam pipelines on Prism, in this process (loopback
// workers). They share one data set, made once: 8 Parquet shards of
// 131,072 rows (1,048,576 in all, row groups of 16,384 rows), and three
// models trained on other rows of the same distribution: churn (binary),
// segment (multiclass) and spend (regression), registered in a temporary
// registry.

func TestMain(m *testing.M) {
	code := ptest.MainRetWithDefault(m, "prism")
	if fix.dir != "" {
		os.RemoveAll(fix.dir)
	}
	os.Exit(code)
}

const (
	shards       = 8
	rowsPerShard = 131072
	rowGroupRows = 16384
)

type fixture struct {
	dir, data, models string
	churn, segment    *nn.Model
	spendPath         string
	err               error
}

var (
	fixtureOnce sync.Once
	fix         fixture
)

func testData(tb testing.TB) *fixture {
	tb.Helper()
	fixtureOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dense-beam-test-")
		if err != nil {
			fix.err = err
			return
		}
		fix.dir = dir
		fix.err = makeFixture(&fix)
	})
	if fix.err != nil {
		tb.Fatal(fix.err)
	}
	return &fix
}

var regions = []string{"north", "south", "east", "west"}

// customers makes n rows starting at id first: features, three targets.
func customers(n int, first int64, rng *rand.Rand) arrow.RecordBatch {
	mem := memory.DefaultAllocator
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "age", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "income", Type: arrow.PrimitiveTypes.Float64},
		{Name: "tenure", Type: arrow.PrimitiveTypes.Int64},
		{Name: "region", Type: arrow.BinaryTypes.String},
		{Name: "churned", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "segment", Type: arrow.BinaryTypes.String},
		{Name: "spend", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range n {
		age := 18 + rng.Float64()*60
		income := math.Exp(10 + rng.NormFloat64()*0.5)
		tenure := rng.Int64N(120)
		region := rng.IntN(len(regions))
		z := -0.04*(age-45) - 0.02*float64(tenure-60) + 0.5*float64(region-1) + rng.NormFloat64()
		seg := "basic"
		switch {
		case income > 30000 && age > 40:
			seg = "premium"
		case income > 20000:
			seg = "plus"
		}
		b.Field(0).(*array.Int64Builder).Append(first + int64(i))
		if i%97 == 5 {
			b.Field(1).(*array.Float64Builder).AppendNull() // imputed by the model
		} else {
			b.Field(1).(*array.Float64Builder).Append(age)
		}
		b.Field(2).(*array.Float64Builder).Append(income)
		b.Field(3).(*array.Int64Builder).Append(tenure)
		b.Field(4).(*array.StringBuilder).Append(regions[region])
		b.Field(5).(*array.BooleanBuilder).Append(z > 0)
		b.Field(6).(*array.StringBuilder).Append(seg)
		b.Field(7).(*array.Float64Builder).Append(income/100 + 3*float64(tenure) + rng.NormFloat64()*20)
	}
	return b.NewRecordBatch()
}

// writeParquet writes batches of rows rows each to path, one row group per batch.
func writeParquet(path string, batches ...arrow.RecordBatch) error {
	w, err := arrowio.Create(path, batches[0].Schema(), arrowio.WriterOptions{})
	if err != nil {
		return err
	}
	for _, b := range batches {
		if err := w.Write(b); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

func makeFixture(f *fixture) error {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	f.data = filepath.Join(f.dir, "data")
	f.models = filepath.Join(f.dir, "models")
	if err := os.MkdirAll(f.data, 0o755); err != nil {
		return err
	}
	train := filepath.Join(f.dir, "train.parquet")
	tb := customers(20000, -20000, rng)
	err := writeParquet(train, tb)
	tb.Release()
	if err != nil {
		return err
	}
	trainModel := func(target, name string, exclude ...string) (pipeline.TrainResult, error) {
		src, err := arrowio.Open(train, arrowio.Options{})
		if err != nil {
			return pipeline.TrainResult{}, err
		}
		defer src.Close()
		res, err := pipeline.Train(ctx, src, pipeline.TrainConfig{
			Target: target, Exclude: append([]string{"id"}, exclude...),
			Hidden: []int{16}, Epochs: 2, Seed: 1, Name: name, Models: f.models,
		})
		if err != nil {
			return pipeline.TrainResult{}, fmt.Errorf("training %s: %w", name, err)
		}
		return *res, nil
	}
	churn, err := trainModel("churned", "churn", "segment", "spend")
	if err != nil {
		return err
	}
	segment, err := trainModel("segment", "segment", "churned", "spend")
	if err != nil {
		return err
	}
	spend, err := trainModel("spend", "spend", "churned", "segment")
	if err != nil {
		return err
	}
	f.churn, f.segment, f.spendPath = churn.Model, segment.Model, spend.Entry.Path
	for s := range shards {
		var groups []arrow.RecordBatch
		for g := 0; g < rowsPerShard/rowGroupRows; g++ {
			groups = append(groups, customers(rowGroupRows, int64(s*rowsPerShard+g*rowGroupRows), rng))
		}
		err := writeParquet(filepath.Join(f.data, fmt.Sprintf("customers-%d.parquet", s)), groups...)
		for _, g := range groups {
			g.Release()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// run executes p on Prism and returns its counters by name.
func run(t testing.TB, p *beam.Pipeline) map[string]int64 {
	t.Helper()
	res, err := prism.Execute(context.Background(), p)
	if err != nil {
		t.Fatalf("pipeline failed: %v", err)
	}
	counters := map[string]int64{}
	for _, c := range res.Metrics().AllMetrics().Counters() {
		if c.Namespace() == "dense" {
			counters[c.Name()] += c.Result()
		}
	}
	return counters
}

// prediction is one row's appended columns.
type prediction struct {
	score float64
	label string
	proba []float32
}

// readScored reads the Parquet files of glob and returns the prediction
// columns by id, failing on a duplicate id.
func readScored(t testing.TB, glob string) map[int64]prediction {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no files match %s (%v)", glob, err)
	}
	r, err := arrowio.OpenParquet(files, arrowio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return collect(t, r)
}

func collect(t testing.TB, r arrowio.Reader) map[int64]prediction {
	t.Helper()
	got := map[int64]prediction{}
	for {
		b, err := r.Read()
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		s := b.Schema()
		ids := b.Column(s.FieldIndices("id")[0]).(*array.Int64)
		score := b.Column(s.FieldIndices("prediction")[0]).(*array.Float64)
		label := b.Column(s.FieldIndices("predicted_label")[0]).(*array.String)
		proba := b.Column(s.FieldIndices("probabilities")[0]).(*array.FixedSizeList)
		pv := proba.ListValues().(*array.Float32)
		w := int(proba.DataType().(*arrow.FixedSizeListType).Len())
		for i := range ids.Len() {
			id := ids.Value(i)
			if _, dup := got[id]; dup {
				t.Fatalf("id %d appears twice", id)
			}
			if score.IsNull(i) {
				continue // the reference's NULL predictions (rows that cannot be encoded)
			}
			start := int(proba.Offset()+i) * w
			got[id] = prediction{score.Value(i), label.Value(i), slices.Clone(pv.Float32Values()[start : start+w])}
		}
		b.Release()
	}
}

// reference scores the files of glob as `dense score --data GLOB` does:
// read with duckio (DuckDB's read_parquet), scored by pipeline.ScoreStage
// (with --null-on-error: rows that cannot be encoded get NULL predictions
// and are left out of the result).
func reference(t testing.TB, m *nn.Model, glob string) map[int64]prediction {
	t.Helper()
	in, err := duckio.Open(context.Background(), glob, duckio.Options{}) // dense score's reader
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	scored, err := pipeline.ScoreStage{Model: m, NullOnError: true}.Apply(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return collect(t, scored)
}

func comparePredictions(t *testing.T, got, want map[int64]prediction) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d rows scored, want %d", len(got), len(want))
	}
	bad := 0
	for id, w := range want {
		g, ok := got[id]
		switch {
		case !ok:
			t.Errorf("row id %d is missing from the output", id)
		case g.score != w.score || g.label != w.label || !slices.Equal(g.proba, w.proba):
			t.Errorf("row id %d: got %v %q %v, dense score gives %v %q %v", id, g.score, g.label, g.proba, w.score, w.label, w.proba)
		default:
			continue
		}
		if bad++; bad == 10 {
			t.Fatal("too many differences")
		}
	}
}

// TestScoreEvaluate scores and evaluates the 1,048,576 rows in one Prism
// pipeline (one read, one Score, three Evaluates) and compares every row
// with dense score's code, and the metrics with nn.Evaluate over all rows
// (what dense eval computes).
func TestScoreEvaluate(t *testing.T) {
	f := testData(t)
	ctx := context.Background()
	out := t.TempDir()
	churn, _, err := ReadModel(ctx, "churn", f.models) // from the registry
	if err != nil {
		t.Fatal(err)
	}
	segment, _, err := ReadModel(ctx, "segment@1", f.models)
	if err != nil {
		t.Fatal(err)
	}
	spend, spendModel, err := ReadModel(ctx, f.spendPath, "") // a model file
	if err != nil {
		t.Fatal(err)
	}

	p, s := beam.NewPipelineWithRoot()
	rows := ReadParquet(s, f.data, 0)
	scored, dead := Score(s, churn, rows, ScoreOptions{})
	WriteParquet(s, filepath.Join(out, "scored"), 0, scored) // files per bundle
	WriteParquet(s, filepath.Join(out, "dead"), 0, dead)
	for name, m := range map[string]Model{"churn": churn, "segment": segment, "spend": spend} {
		metrics, dead := Evaluate(s, m, rows, EvalOptions{})
		WriteMetrics(s, filepath.Join(out, name+".json"), metrics)
		WriteParquet(s, filepath.Join(out, name+"-dead"), 1, dead)
	}
	counters := run(t, p)

	const total = shards * rowsPerShard
	if counters["rows_scored"] != total || counters["rows_evaluated"] != 3*total || counters["dead_letters"] != 0 {
		t.Errorf("counters %v, want %d rows scored, %d evaluated, no dead letters", counters, total, 3*total)
	}
	got := readScored(t, filepath.Join(out, "scored", "*.parquet"))
	want := reference(t, f.churn, filepath.Join(f.data, "*.parquet"))
	if len(want) != total {
		t.Fatalf("the reference scored %d rows, want %d", len(want), total)
	}
	comparePredictions(t, got, want)
	files, _ := filepath.Glob(filepath.Join(out, "scored", "*"))
	for i, f := range files {
		if want := ShardName(i, len(files)); filepath.Base(f) != want {
			t.Errorf("output file %s, want %s (the temporary files are renamed and their folder removed)", filepath.Base(f), want)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(out, "*dead", "*")); len(files) != 0 {
		t.Errorf("dead letters written without a bad row: %v", files)
	}

	for name, m := range map[string]*nn.Model{"churn": f.churn, "segment": f.segment, "spend": spendModel} {
		t.Run(name, func(t *testing.T) {
			got := readMetrics(t, filepath.Join(out, name+".json"))
			want, cm := evalReference(t, m, filepath.Join(f.data, "*.parquet"))
			if got.Rows != total {
				t.Errorf("rows %d, want %d", got.Rows, total)
			}
			if len(got.Metrics) != len(want) {
				t.Errorf("metrics %v, want %v", got.Metrics, want)
			}
			for k, w := range want {
				g, ok := got.Metrics[k]
				if !ok || math.Abs(g-w) > 1e-9*max(1, math.Abs(w)) {
					t.Errorf("%s = %v, dense eval gives %v", k, g, w)
				}
			}
			if cm != nil {
				if got := got.ConfusionMatrix().String(); got != cm.String() {
					t.Errorf("confusion matrix\n%s\nwant\n%s", got, cm)
				}
			}
		})
	}
}

func readMetrics(t *testing.T, path string) Metrics {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseMetrics(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// evalReference is what dense eval computes: every row read with duckio
// (dense eval's reader) and encoded, the true
// values (known from the data's columns), nn.Evaluate and the confusion
// matrix of nn.NewConfusionMatrix.
func evalReference(t *testing.T, m *nn.Model, glob string) (map[string]float64, *nn.ConfusionMatrix) {
	t.Helper()
	in, err := duckio.Open(context.Background(), glob, duckio.Options{}) // dense eval's reader
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	spec := m.Spec()
	feat, err := tabular.NewFeaturizer(spec.Inputs, in.Schema())
	if err != nil {
		t.Fatal(err)
	}
	labels := tabular.Labels(spec)
	var x, y, buf []float32
	rows := 0
	for {
		b, err := in.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if buf, err = feat.Encode(b, buf); err != nil {
			t.Fatal(err)
		}
		x = append(x, buf...)
		col := b.Column(b.Schema().FieldIndices(spec.Target)[0])
		for i := range int(b.NumRows()) {
			switch c := col.(type) {
			case *array.Boolean:
				y = append(y, float32(slices.Index(labels, fmt.Sprint(c.Value(i)))))
			case *array.String:
				y = append(y, float32(slices.Index(labels, c.Value(i))))
			case *array.Float64:
				y = append(y, float32(c.Value(i)))
			}
		}
		rows += int(b.NumRows())
		b.Release()
	}
	metrics, err := nn.Evaluate(m, x, y, rows)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Task == nn.TaskRegression {
		return metrics, nil
	}
	pred, err := m.Predict(x, rows)
	if err != nil {
		t.Fatal(err)
	}
	out := m.OutputWidth()
	truth, guess := make([]int, rows), make([]int, rows)
	for i := range rows {
		truth[i] = int(y[i])
		if out == 1 {
			if pred[i] >= 0.5 {
				guess[i] = 1
			}
			continue
		}
		for j := range out {
			if pred[i*out+j] > pred[i*out+guess[i]] {
				guess[i] = j
			}
		}
	}
	cm, err := nn.NewConfusionMatrix(truth, guess, len(labels))
	if err != nil {
		t.Fatal(err)
	}
	cm.Labels = labels
	return metrics, cm
}

// TestDeadLetters scores and evaluates a folder with bad rows: ±Inf
// features go to the dead letters of both, with the column and the
// reason, and a NULL target to Evaluate's; every other row is scored as
// dense score scores it and the job succeeds.
func TestDeadLetters(t *testing.T) {
	f := testData(t)
	ctx := context.Background()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	badFeature := map[int64]string{} // id → the column with ±Inf
	var nullTarget int64 = -1
	for file := range 2 {
		b := customers(3000, int64(file*3000), rng)
		cols := slices.Clone(b.Columns())
		age := cols[1].(*array.Float64)
		income := cols[2].(*array.Float64)
		ab, ib := array.NewFloat64Builder(memory.DefaultAllocator), array.NewFloat64Builder(memory.DefaultAllocator)
		cb := array.NewBooleanBuilder(memory.DefaultAllocator)
		churned := cols[5].(*array.Boolean)
		for i := range 3000 {
			id := int64(file*3000 + i)
			switch {
			case i%701 == 3:
				ab.Append(math.Inf(1))
				badFeature[id] = "age"
			case age.IsNull(i):
				ab.AppendNull()
			default:
				ab.Append(age.Value(i))
			}
			if i%1009 == 7 {
				ib.Append(math.Inf(-1))
				badFeature[id] = "income"
			} else {
				ib.Append(income.Value(i))
			}
			if file == 1 && i == 10 {
				cb.AppendNull()
				nullTarget = id
			} else {
				cb.Append(churned.Value(i))
			}
		}
		cols[1], cols[2], cols[5] = ab.NewArray(), ib.NewArray(), cb.NewArray()
		nb := array.NewRecordBatch(b.Schema(), cols, b.NumRows())
		if err := writeParquet(filepath.Join(dir, fmt.Sprintf("bad-%d.parquet", file)), nb); err != nil {
			t.Fatal(err)
		}
	}
	churn, _, err := ReadModel(ctx, "churn", f.models)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	p, s := beam.NewPipelineWithRoot()
	rows := ReadParquet(s, filepath.Join(dir, "*.parquet"), 1000)
	scored, dead := Score(s, churn, rows, ScoreOptions{})
	WriteParquet(s, filepath.Join(out, "scored"), 2, scored)
	WriteParquet(s, filepath.Join(out, "dead"), 1, dead)
	metrics, evalDead := Evaluate(s, churn, rows, EvalOptions{})
	WriteMetrics(s, filepath.Join(out, "metrics.json"), metrics)
	WriteParquet(s, filepath.Join(out, "eval-dead"), 1, evalDead)
	counters := run(t, p)

	if want := int64(2*len(badFeature) + 1); counters["dead_letters"] != want {
		t.Errorf("dead_letters counter %d, want %d", counters["dead_letters"], want)
	}
	comparePredictions(t, readScored(t, filepath.Join(out, "scored", "*.parquet")), reference(t, f.churn, filepath.Join(dir, "*.parquet")))

	deadRows := readDead(t, filepath.Join(out, "dead", "*.parquet"))
	if len(deadRows) != len(badFeature) {
		t.Errorf("%d dead letters, want %d", len(deadRows), len(badFeature))
	}
	for id, col := range badFeature {
		d, ok := deadRows[id]
		if !ok {
			t.Errorf("row id %d (±Inf in %s) is not a dead letter", id, col)
			continue
		}
		if !strings.Contains(d.reason, fmt.Sprintf("%q", col)) || !strings.Contains(d.reason, "±Inf") {
			t.Errorf("row id %d: reason %q, want the column %q and that the value is ±Inf", id, d.reason, col)
		}
		if wantRow := id % 3000; d.row != wantRow || !strings.HasSuffix(d.source, fmt.Sprintf("bad-%d.parquet", id/3000)) {
			t.Errorf("row id %d: source %s row %d, want bad-%d.parquet row %d", id, d.source, d.row, id/3000, wantRow)
		}
	}
	evalDeadRows := readDead(t, filepath.Join(out, "eval-dead", "*.parquet"))
	if d, ok := evalDeadRows[nullTarget]; !ok || !strings.Contains(d.reason, "NULL") {
		t.Errorf("the NULL target row %d: dead letter %v, want one saying the target is NULL", nullTarget, d)
	}
	if len(evalDeadRows) != len(badFeature)+1 {
		t.Errorf("%d dead letters of Evaluate, want %d", len(evalDeadRows), len(badFeature)+1)
	}
	if m := readMetrics(t, filepath.Join(out, "metrics.json")); m.Rows != int64(6000-len(badFeature)-1) {
		t.Errorf("evaluated %d rows, want %d", m.Rows, 6000-len(badFeature)-1)
	}
}

type deadLetter struct {
	reason, source string
	row            int64
}

func readDead(t *testing.T, glob string) map[int64]deadLetter {
	t.Helper()
	files, _ := filepath.Glob(glob)
	if len(files) == 0 {
		t.Fatalf("no dead letters in %s", glob)
	}
	got := map[int64]deadLetter{}
	eachBatch(t, files, func(b arrow.RecordBatch) {
		s := b.Schema()
		ids := b.Column(s.FieldIndices("id")[0]).(*array.Int64)
		reason := b.Column(s.FieldIndices(ErrorColumn)[0]).(*array.String)
		source := b.Column(s.FieldIndices(SourceColumn)[0]).(*array.String)
		row := b.Column(s.FieldIndices(RowColumn)[0]).(*array.Int64)
		for i := range ids.Len() {
			got[ids.Value(i)] = deadLetter{reason.Value(i), source.Value(i), row.Value(i)}
		}
	})
	return got
}

// eachBatch calls f with every record batch of the Parquet files, in order.
func eachBatch(t testing.TB, files []string, f func(arrow.RecordBatch)) {
	t.Helper()
	r, err := arrowio.OpenParquet(files, arrowio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		b, err := r.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		f(b)
		b.Release()
	}
}

// TestDefaultColumns pins the defaults to dense score's.
func TestDefaultColumns(t *testing.T) {
	for _, task := range []nn.Task{nn.TaskBinary, nn.TaskMulticlass, nn.TaskRegression} {
		got, want := defaultColumns(task), pipeline.DefaultPredictionColumns(task)
		if got != want {
			t.Errorf("%s: %+v, dense score uses %+v", task, got, want)
		}
	}
}
