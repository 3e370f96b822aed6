package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// EvalConfig configures Evaluate.
type EvalConfig struct {
	// Target is the column with the true values (default: the model's
	// training target, Spec.Target).
	Target string
	// Holdout evaluates only on the rows training held out for validation:
	// the data must be the training data (see HoldoutRows), and the rows
	// are found again from the split the model records.
	Holdout bool
	// OnEvent, when set, receives an EventRead after each batch.
	OnEvent func(Event)
}

// EvalResult is what Evaluate returns.
type EvalResult struct {
	// Metrics and, for a classifier, the confusion matrix labelled with the
	// model's class labels (nn.EvaluateOutputs).
	nn.Evaluation
	Target string
	// Rows is the number of rows evaluated: with Holdout, the validation
	// rows only. Dropped counts the rows left out for a NULL target.
	Rows    int
	Dropped int
	// X is every row's encoded features (Rows×InputWidth row-major), kept
	// for timing the model on real rows; Outputs the model's outputs
	// (Rows×OutputWidth) and Y the true values (class indices, or the
	// regression targets), for plots and reports on the same rows.
	X, Outputs, Y []float32
	// Encode is the time spent encoding the features.
	Encode time.Duration
}

// Evaluate reads r to the end, encodes each batch with the model's fitted
// preprocessing (tabular.Featurizer), predicts it once, and scores the
// predictions against the target column with nn.EvaluateOutputs: accuracy,
// precision, recall, F1, log loss, ROC AUC (multiclass: one-vs-rest macro) and the
// confusion matrix for classifiers, MSE, RMSE, MAE and R² for regression.
// Class labels are matched as training made them, by text and then by
// value (tabular.TargetValues). Rows whose target is NULL (or NaN) are left
// out and counted, as training leaves them out. With cfg.Holdout only the
// rows training held out for validation are scored (HoldoutRows). It does
// not close r. Errors start with "pipeline: evaluate:" and name the row
// (0-based over the stream, not counting rows left out) of a value that
// cannot be encoded or a label the model does not know.
func Evaluate(ctx context.Context, model *nn.Model, r Reader, cfg EvalConfig) (*EvalResult, error) {
	res, err := evaluate(ctx, model, r, cfg)
	if err != nil {
		return nil, fmt.Errorf("pipeline: evaluate: %w", err)
	}
	return res, nil
}

func evaluate(ctx context.Context, model *nn.Model, r Reader, cfg EvalConfig) (*EvalResult, error) {
	spec := model.Spec()
	target := cfg.Target
	if target == "" {
		target = spec.Target
	}
	if target == "" {
		return nil, errors.New("the model does not record its target column; name one")
	}
	schema := r.Schema()
	if len(schema.FieldIndices(target)) == 0 {
		return nil, fmt.Errorf("no target column %q in the data (columns: %s)", target, tabular.ColumnList(schema))
	}
	feat, err := tabular.NewFeaturizer(spec.Inputs, schema)
	if err != nil {
		return nil, err
	}
	res := &EvalResult{Target: target}
	var y, pred, buf []float32
	ws := model.NewWorkspace()
	outW := model.OutputWidth()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading: %w", err)
		}
		b, dropped, err := dropNullTargets(b, target)
		if err != nil {
			return nil, err
		}
		res.Dropped += dropped
		n := int(b.NumRows())
		if n == 0 {
			b.Release()
			continue
		}
		t0 := time.Now()
		buf, err = feat.Encode(b, buf)
		res.Encode += time.Since(t0)
		if err != nil {
			b.Release()
			var re *tabular.RowError
			if errors.As(err, &re) {
				return nil, fmt.Errorf("column %q row %d: %w", re.Column, res.Rows+re.Row, re.Err)
			}
			return nil, err
		}
		yt, err := tabular.TargetValues(b, target, spec, res.Rows)
		b.Release()
		if err != nil {
			return nil, err
		}
		res.X = append(res.X, buf...)
		y = append(y, yt...)
		pred = append(pred, make([]float32, n*outW)...)
		if err := model.PredictInto(pred[res.Rows*outW:], buf, n, ws); err != nil {
			return nil, err
		}
		res.Rows += n
		if cfg.OnEvent != nil {
			cfg.OnEvent(Event{Kind: EventRead, Rows: int64(res.Rows)})
		}
	}
	if res.Rows == 0 && res.Dropped > 0 {
		return nil, fmt.Errorf("the target %q is NULL in every one of the %d rows", target, res.Dropped)
	}
	if res.Rows == 0 {
		return nil, errors.New("the data has no rows")
	}
	if cfg.Holdout {
		val, err := HoldoutRows(spec, res.X, y)
		if err != nil {
			return nil, fmt.Errorf("holdout: %w", err)
		}
		res.X = gather(res.X, val, model.InputWidth())
		pred, y = gather(pred, val, outW), gather(y, val, 1)
		res.Rows = len(val)
	}
	ev, err := nn.EvaluateOutputs(spec, pred, y, res.Rows)
	if err != nil {
		return nil, err
	}
	res.Evaluation = *ev
	res.Outputs, res.Y = pred, y
	return res, nil
}
