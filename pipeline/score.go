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
// known before the first Read (create the sink from it). The reader reads
// and scores on a goroutine of its own, one batch ahead of its caller, so
// that writing a batch overlaps scoring the next (see the package doc);
// Close it (it closes the input) before anything else touches the input.
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
	// The stage encodes with the model's own preprocessing, so its Scorer
	// folds nothing: Model.PredictInto's bits.
	sc, err := nn.NewNetworkScorer(s.Model)
	if err != nil {
		return nil, fmt.Errorf("pipeline: score: %w", err)
	}
	return &scoreReader{ctx: ctx, in: in, stage: s, feat: f, schema: schema, scorer: sc, ws: sc.NewWorkspace()}, nil
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

// scoreReader scores on a goroutine of its own (work), started by the
// first Read: while the caller writes batch i, the worker reads, encodes
// and scores batch i+1 and waits to hand it over (an unbuffered channel:
// at most two scored batches exist at once, the caller's and the
// worker's). Batches, errors and their order are the sequential
// stage's: the worker stops at its first error and hands it over after
// the batches before it. The fields above the hand-off are the worker's
// once it has started.
type scoreReader struct {
	ctx    context.Context
	in     Reader
	stage  ScoreStage
	feat   *tabular.Featurizer
	schema *arrow.Schema
	scorer *nn.Scorer // the model's network, prepared once (nn.NewNetworkScorer)
	ws     *nn.Workspace
	x, out []float32
	valid  []bool
	rows   int64 // rows scored: the row numbers of errors

	// The hand-off, the caller's side.
	results chan scoreResult // nil until the first Read
	stop    chan struct{}    // closed by Close: the worker returns
	done    chan struct{}    // closed when the worker has returned
	err     error            // the worker's last word (io.EOF or the first error), returned from then on
	handed  int64            // rows handed to the caller (OnEvent)
	closed  bool
}

// scoreResult is one hand-off: a scored batch, or the error that ended
// the stream (io.EOF at its end), or a panic of the worker's, raised
// again on the caller's goroutine.
type scoreResult struct {
	b      arrow.RecordBatch
	err    error
	panicV any
}

func (r *scoreReader) Schema() *arrow.Schema { return r.schema }

// Close stops the worker and waits for it before closing the input (the
// worker may be reading it), so no goroutine outlives the reader.
func (r *scoreReader) Close() error {
	if r.results != nil && !r.closed {
		close(r.stop)
		<-r.done
	}
	r.closed = true
	return r.in.Close()
}

func (r *scoreReader) Read() (arrow.RecordBatch, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := r.ctx.Err(); err != nil {
		return nil, fmt.Errorf("pipeline: score: %w", err)
	}
	if r.closed {
		return nil, errors.New("pipeline: score: Read after Close")
	}
	if r.results == nil {
		r.results, r.stop, r.done = make(chan scoreResult), make(chan struct{}), make(chan struct{})
		go r.work()
	}
	var res scoreResult
	select {
	case res = <-r.results:
	case <-r.ctx.Done():
		return nil, fmt.Errorf("pipeline: score: %w", r.ctx.Err())
	}
	switch {
	case res.panicV != nil:
		r.err = errors.New("pipeline: score: the scoring goroutine panicked")
		panic(res.panicV)
	case res.err != nil:
		r.err = res.err
		return nil, res.err
	}
	r.handed += res.b.NumRows()
	if r.stage.OnEvent != nil {
		r.stage.OnEvent(Event{Kind: EventScored, Rows: r.handed})
	}
	return res.b, nil
}

// work scores batch after batch and hands them over until the input ends,
// an error, Close or the context's end.
func (r *scoreReader) work() {
	defer close(r.done)
	defer func() {
		if p := recover(); p != nil {
			select {
			case r.results <- scoreResult{panicV: p}:
			case <-r.stop:
			case <-r.ctx.Done():
			}
		}
	}()
	for {
		b, err := r.next()
		select {
		case r.results <- scoreResult{b: b, err: err}:
			if err != nil {
				return
			}
			continue
		case <-r.stop:
		case <-r.ctx.Done():
		}
		if b != nil { // not handed over
			b.Release()
		}
		return
	}
}

// next reads, encodes and scores one batch: the sequential stage's Read.
func (r *scoreReader) next() (arrow.RecordBatch, error) {
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
// at most two batches (the next is scored while w writes one), one
// feature matrix and its outputs. It closes
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
