package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// PredictionColumns name the columns the score stage appends (see
// tabular.PredictionColumns: an empty name leaves that column out).
type PredictionColumns = tabular.PredictionColumns

// DefaultPredictionColumns are the names Score uses when cols is zero:
// "prediction" (the score), "predicted_label" (classifiers) and
// "probabilities" (classifiers).
func DefaultPredictionColumns(task nn.Task) PredictionColumns {
	p := PredictionNames{}.withDefaults()
	c := PredictionColumns{Score: p.Score, Label: p.Label, Proba: p.Proba}
	if task == nn.TaskRegression {
		c.Label, c.Proba = "", ""
	}
	return c
}

// ScoreStage appends a model's predictions to every batch of a stream. It
// is a Stage: Apply returns a Reader of the scored batches, whose Schema is
// known before the first Read (create the sink from it).
type ScoreStage struct {
	Model *nn.Model
	// Columns to append; no names → DefaultPredictionColumns. Its
	// Allocator allocates the new columns.
	Columns PredictionColumns
	// NullOnError gives a row that cannot be encoded (a NULL without
	// imputation, an unseen category without an unknown bucket, a list of
	// the wrong length, ±Inf …) NULL predictions instead of failing the
	// stream. Off by default: the error names the column and the row.
	NullOnError bool
	// OnEvent receives an EventScored after each batch.
	OnEvent func(Event)
}

// Apply implements Stage. Errors from the returned reader start with
// "pipeline: score:" and name the column and the row (0-based over the
// whole stream).
func (s ScoreStage) Apply(ctx context.Context, in Reader) (Reader, error) {
	if s.Model == nil {
		return nil, errors.New("pipeline: score: no model")
	}
	spec := s.Model.Spec()
	if s.Columns.Score == "" && s.Columns.Label == "" && s.Columns.Proba == "" {
		d := DefaultPredictionColumns(spec.Task)
		s.Columns.Score, s.Columns.Label, s.Columns.Proba = d.Score, d.Label, d.Proba
	}
	if spec.Task == nn.TaskRegression {
		s.Columns.Label = "" // AppendPredictions adds no label for regression
	}
	f, err := tabular.NewFeaturizer(spec.Inputs, in.Schema())
	if err != nil {
		return nil, fmt.Errorf("pipeline: score: %w", err)
	}
	schema, err := scoredSchema(in.Schema(), spec, s.Columns)
	if err != nil {
		return nil, fmt.Errorf("pipeline: score: %w", err)
	}
	sc, err := networkScorer(s.Model)
	if err != nil {
		return nil, fmt.Errorf("pipeline: score: %w", err)
	}
	return &scoreReader{ctx: ctx, in: in, stage: s, feat: f, schema: schema, scorer: sc, ws: sc.NewWorkspace()}, nil
}

// networkScorer is an nn.Scorer of m's network alone: the stage encodes
// with the model's own preprocessing (tabular.Featurizer), then scores
// the features through the Scorer's prepared network (weights packed
// once, the dense ReLU networks dense train writes 16 rows at a time
// through sgemm.Stack), which gives Model.PredictInto's bits, faster.
// nn.NewScorer(m) itself would fold m's standard and min-max scaling into
// the first layer, and the folded products differ from the model's by
// float32 rounding; a copy of m on one unscaled vector input of m's width
// has nothing to fold.
func networkScorer(m *nn.Model) (*nn.Scorer, error) {
	spec := *m.Spec()
	spec.Inputs = []nn.Input{nn.VectorInput("features", m.InputWidth())}
	spec.Target, spec.Explain = "", nil
	net, err := nn.NewModel(spec, 0)
	if err != nil {
		return nil, err
	}
	src, dst := m.Tensors(), net.Tensors()
	if len(src) != len(dst) {
		return nil, fmt.Errorf("network copy has %d tensors, the model %d", len(dst), len(src))
	}
	for i := range src {
		if dst[i].Name != src[i].Name || len(dst[i].Data) != len(src[i].Data) {
			return nil, fmt.Errorf("network copy's tensor %s (%d values) is not the model's %s (%d)", dst[i].Name, len(dst[i].Data), src[i].Name, len(src[i].Data))
		}
		copy(dst[i].Data, src[i].Data)
	}
	return nn.NewScorer(net)
}

// scoredSchema is the input schema with the prediction columns appended,
// found by scoring an empty batch.
func scoredSchema(in *arrow.Schema, spec *nn.Spec, cols PredictionColumns) (*arrow.Schema, error) {
	arrs := make([]arrow.Array, in.NumFields())
	for i, f := range in.Fields() {
		arrs[i] = array.MakeArrayOfNull(memory.DefaultAllocator, f.Type, 0)
		defer arrs[i].Release()
	}
	empty := array.NewRecordBatch(in, arrs, 0)
	defer empty.Release()
	out, err := tabular.AppendPredictions(empty, nil, spec, cols, nil)
	if err != nil {
		return nil, err
	}
	defer out.Release()
	return out.Schema(), nil
}

type scoreReader struct {
	ctx    context.Context
	in     Reader
	stage  ScoreStage
	feat   *tabular.Featurizer
	schema *arrow.Schema
	scorer *nn.Scorer // the model's network, prepared once (networkScorer)
	ws     *nn.Workspace
	x, out []float32
	valid  []bool
	rows   int64
}

func (r *scoreReader) Schema() *arrow.Schema { return r.schema }

func (r *scoreReader) Close() error { return r.in.Close() }

func (r *scoreReader) Read() (arrow.RecordBatch, error) {
	if err := r.ctx.Err(); err != nil {
		return nil, fmt.Errorf("pipeline: score: %w", err)
	}
	b, err := r.in.Read()
	if err != nil {
		return nil, err // io.EOF passes through unwrapped
	}
	defer b.Release()
	scored, err := r.score(b)
	if err != nil {
		return nil, fmt.Errorf("pipeline: score: %w", err)
	}
	r.rows += b.NumRows()
	if r.stage.OnEvent != nil {
		r.stage.OnEvent(Event{Kind: EventScored, Rows: r.rows})
	}
	return scored, nil
}

func (r *scoreReader) score(b arrow.RecordBatch) (arrow.RecordBatch, error) {
	rows := int(b.NumRows())
	var err error
	var valid []bool
	if r.stage.NullOnError {
		r.x, r.valid, err = r.feat.EncodeMasked(b, r.x, r.valid)
		if r.x == nil {
			return nil, err
		}
		valid = r.valid
	} else {
		r.x, err = r.feat.Encode(b, r.x)
		if err != nil {
			var re *tabular.RowError
			if errors.As(err, &re) {
				return nil, fmt.Errorf("column %q row %d: %w", re.Column, r.rows+int64(re.Row), re.Err)
			}
			return nil, err
		}
	}
	n := rows * r.stage.Model.OutputWidth()
	if cap(r.out) < n {
		r.out = make([]float32, n)
	}
	r.out = r.out[:n]
	if rows > 0 {
		if err := r.scorer.PredictInto(r.out, r.x, rows, r.ws); err != nil {
			return nil, err
		}
	}
	return tabular.AppendPredictions(b, r.out, r.stage.Model.Spec(), r.stage.Columns, valid)
}

// Score reads r to the end, appends model's predictions to every batch and
// writes the batches to w, returning the rows written. Memory stays flat:
// one batch, its feature matrix and its outputs at a time. It closes
// neither r nor w. cols zero → DefaultPredictionColumns. A row that cannot
// be encoded is an error naming its column and row; use ScoreStage with
// NullOnError for NULL predictions instead.
func Score(ctx context.Context, model *nn.Model, r Reader, w Writer, cols PredictionColumns) (int64, error) {
	sr, err := ScoreStage{Model: model, Columns: cols}.Apply(ctx, noClose{r})
	if err != nil {
		return 0, err
	}
	defer sr.Close()
	return drainScored(ctx, sr, w)
}

// drainScored is Drain for a ScoreStage's reader, with every error
// prefixed once: the stage's errors carry "pipeline: score:" already, the
// writer's and the context's get it here.
func drainScored(ctx context.Context, sr Reader, w Writer) (int64, error) {
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("pipeline: score: %w", err)
		}
		b, err := sr.Read()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		err = w.Write(b)
		rows := b.NumRows()
		b.Release()
		if err != nil {
			return n, fmt.Errorf("pipeline: score: writing: %w", err)
		}
		n += rows
	}
}

// noClose keeps a stage from closing a reader its caller owns.
type noClose struct{ Reader }

func (noClose) Close() error { return nil }
