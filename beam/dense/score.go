package dense

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

func init() {
	register.DoFn4x1[context.Context, Batch, func(Batch), func(Batch), error](&scoreFn{})
}

// The columns a dead-letter batch has after the bad rows' own columns.
const (
	ErrorColumn  = "dense_error"  // why the row was not scored: the column and the reason
	SourceColumn = "dense_source" // the file the row came from
	RowColumn    = "dense_row"    // the row's 0-based position in that file
)

// Counters reported in the job's metrics (namespace "dense").
var (
	rowsScored    = beam.NewCounter("dense", "rows_scored")
	rowsEvaluated = beam.NewCounter("dense", "rows_evaluated")
	deadLetters   = beam.NewCounter("dense", "dead_letters")
)

// ScoreOptions configure Score. The zero value appends the columns `dense
// score` appends by default, 2,048 rows per forward pass.
type ScoreOptions struct {
	// Prediction, Label and Proba name the appended columns as `dense
	// score`'s --prediction, --label and --proba do: an empty name leaves
	// that column out, and all three empty mean the defaults (prediction,
	// predicted_label, probabilities; a regression model has no label).
	Prediction, Label, Proba string
	// BatchRows is the most rows of one forward pass (0: DefaultBatchRows);
	// a larger Batch is scored in slices of this many rows.
	BatchRows int
}

// Score appends model's predictions to every row of rows, a PCollection
// of Batch (see ReadParquet), with the code `dense score` runs: the
// model's stored preprocessing (tabular.Featurizer), one forward pass per
// batch of up to BatchRows rows (nn.Model.PredictInto), the prediction
// columns of tabular.AppendPredictions. The model is shipped inside the
// job; each worker process verifies its checksum and decodes it once,
// and every DoFn instance of the process shares it.
//
// scored holds the scored Batches, each the rows of an input Batch that
// could be encoded. dead holds the others (a NULL the model does not
// impute, ±Inf, an unseen category without an unknown bucket, a list of
// the wrong length, a file whose columns cannot feed the model): their
// own columns plus ErrorColumn, SourceColumn and RowColumn. A bad row
// never fails the job.
func Score(s beam.Scope, model Model, rows beam.PCollection, opts ScoreOptions) (scored, dead beam.PCollection) {
	s = s.Scope("dense.Score")
	return beam.ParDo2(s, &scoreFn{Model: model, Opts: opts}, rows)
}

type scoreFn struct {
	Model Model        `json:"model"`
	Opts  ScoreOptions `json:"opts"`

	sc   *scorer
	cols tabular.PredictionColumns
}

func (fn *scoreFn) Setup() error {
	sc, err := newScorer(fn.Model, fn.Opts.BatchRows)
	if err != nil {
		return err
	}
	fn.sc = sc
	o := fn.Opts
	fn.cols = tabular.PredictionColumns{Score: o.Prediction, Label: o.Label, Proba: o.Proba}
	if o.Prediction == "" && o.Label == "" && o.Proba == "" {
		fn.cols = defaultColumns(sc.spec.Task)
	}
	return nil
}

func (fn *scoreFn) ProcessElement(ctx context.Context, b Batch, emit, dead func(Batch)) error {
	out, valid, reasons := fn.sc.predict(b)
	if len(reasons) > 0 {
		d, err := deadBatch(b, reasons)
		if err != nil {
			return err
		}
		deadLetters.Inc(ctx, d.Record.NumRows())
		dead(d)
	}
	if valid != nil && !slices.Contains(valid, true) {
		return nil
	}
	rec, err := tabular.AppendPredictions(b.Record, out, fn.sc.spec, fn.cols, nil)
	if err != nil {
		return fmt.Errorf("dense: score %s: %w", fn.Model.Ref, err)
	}
	if valid != nil {
		good, err := selectRows(rec, valid)
		rec.Release()
		if err != nil {
			return err
		}
		rec = good
	}
	rowsScored.Inc(ctx, rec.NumRows())
	emit(Batch{Record: rec, Source: b.Source, Row: b.Row})
	return nil
}

// scorer is a worker's model with its scratch memory: one per DoFn
// instance (a bundle is processed by one goroutine at a time).
type scorer struct {
	model     *Model
	m         *nn.Model
	spec      *nn.Spec
	batchRows int
	ws        *nn.Workspace
	feats     []boundFeaturizer
	x, out    []float32
	valid     []bool
}

// boundFeaturizer is the featurizer for one input schema, or why the
// schema cannot feed the model.
type boundFeaturizer struct {
	schema *arrow.Schema
	f      *tabular.Featurizer
	err    error
}

func newScorer(model Model, batchRows int) (*scorer, error) {
	m, err := model.load()
	if err != nil {
		return nil, err
	}
	if batchRows <= 0 {
		batchRows = DefaultBatchRows
	}
	return &scorer{model: &model, m: m, spec: m.Spec(), batchRows: batchRows, ws: m.NewWorkspace()}, nil
}

func (sc *scorer) featurizer(schema *arrow.Schema) (*tabular.Featurizer, error) {
	for _, bf := range sc.feats {
		if bf.schema == schema || bf.schema.Equal(schema) {
			return bf.f, bf.err
		}
	}
	f, err := tabular.NewFeaturizer(sc.spec.Inputs, schema)
	sc.feats = append(sc.feats, boundFeaturizer{schema: schema, f: f, err: err})
	return f, err
}

// predict encodes one batch and scores it in forward passes of at most
// batchRows rows. out holds rows×OutputWidth outputs; valid is nil when
// every row was encoded, else it marks the rows that were, and reasons holds why each other row was not (by row
// of the batch).
func (sc *scorer) predict(b Batch) (out []float32, valid []bool, reasons map[int]string) {
	rows := int(b.Record.NumRows())
	f, err := sc.featurizer(b.Record.Schema())
	if err != nil {
		reasons = make(map[int]string, rows)
		for r := range rows {
			reasons[r] = err.Error()
		}
		return nil, make([]bool, rows), reasons
	}
	var first error
	sc.x, sc.valid, first = f.EncodeMasked(b.Record, sc.x, sc.valid)
	if sc.x == nil { // a batch-level problem
		reasons = make(map[int]string, rows)
		for r := range rows {
			reasons[r] = first.Error()
		}
		return nil, make([]bool, rows), reasons
	}
	if first != nil {
		valid = sc.valid
		reasons = map[int]string{}
		var scratch []float32
		for r, ok := range valid {
			if ok {
				continue
			}
			// Encode the row alone for its own reason (bad rows are rare).
			one := b.Record.NewSlice(int64(r), int64(r+1))
			_, err := f.Encode(one, scratch)
			one.Release()
			var re *tabular.RowError
			switch {
			case errors.As(err, &re):
				reasons[r] = strings.TrimPrefix(re.Err.Error(), "nn: ") // `input "age": value is ±Inf`
			case err != nil:
				reasons[r] = err.Error()
			default:
				reasons[r] = first.Error()
			}
		}
	}
	in, ow := sc.m.InputWidth(), sc.m.OutputWidth()
	sc.out = slices.Grow(sc.out[:0], rows*ow)[:rows*ow]
	for lo := 0; lo < rows; lo += sc.batchRows {
		hi := min(lo+sc.batchRows, rows)
		if err := sc.m.PredictInto(sc.out[lo*ow:hi*ow], sc.x[lo*in:hi*in], hi-lo, sc.ws); err != nil {
			// The featurizer gives the model's width: a bug, not bad data.
			panic(fmt.Sprintf("dense: forward pass of %s: %v", sc.model.Ref, err))
		}
	}
	return sc.out, valid, reasons
}

// deadBatch is the dead-letter batch of b's rows that reasons names: their
// columns plus ErrorColumn, SourceColumn and RowColumn, in row order.
func deadBatch(b Batch, reasons map[int]string) (Batch, error) {
	rows := int(b.Record.NumRows())
	keep := make([]bool, rows)
	for r := range reasons {
		keep[r] = true
	}
	bad, err := selectRows(b.Record, keep)
	if err != nil {
		return Batch{}, err
	}
	defer bad.Release()
	mem := memory.DefaultAllocator
	eb, sb, rb := array.NewStringBuilder(mem), array.NewStringBuilder(mem), array.NewInt64Builder(mem)
	defer eb.Release()
	defer sb.Release()
	defer rb.Release()
	for r, ok := range keep {
		if ok {
			eb.Append(reasons[r])
			sb.Append(b.Source)
			rb.Append(b.Row + int64(r))
		}
	}
	fields := append(slices.Clone(bad.Schema().Fields()),
		arrow.Field{Name: ErrorColumn, Type: arrow.BinaryTypes.String},
		arrow.Field{Name: SourceColumn, Type: arrow.BinaryTypes.String},
		arrow.Field{Name: RowColumn, Type: arrow.PrimitiveTypes.Int64})
	cols := append(slices.Clone(bad.Columns()), eb.NewArray(), sb.NewArray(), rb.NewArray())
	md := bad.Schema().Metadata()
	rec := array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, bad.NumRows())
	for _, c := range cols[len(cols)-3:] {
		c.Release()
	}
	return Batch{Record: rec, Source: b.Source, Row: b.Row}, nil
}

// defaultColumns are the columns `dense score` appends by default
// (pipeline.DefaultPredictionColumns, which the tests compare with; this
// package does not import pipeline, which would link DuckDB and YAML into
// every worker).
func defaultColumns(task nn.Task) tabular.PredictionColumns {
	if task == nn.TaskRegression {
		return tabular.PredictionColumns{Score: "prediction"}
	}
	return tabular.PredictionColumns{Score: "prediction", Label: "predicted_label", Proba: "probabilities"}
}
