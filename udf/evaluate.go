package udf

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/dense-ml/dense/pipeline"
)

// dense_evaluate(model, query) and dense_confusion(model, query): the model
// measured on the rows of a query, by pipeline.Evaluate — what dense eval
// prints, from the same code. The query runs on a connection of its own
// (models.query) when the call executes; its rows must hold the model's
// inputs and its target column (target := …, by default the model's
// Spec.Target).

var (
	modelParam = tableParam{name: "model", typ: paramVarchar, hint: "name a model such as 'churn' or 'churn@3'"}
	queryParam = tableParam{name: "query", typ: paramVarchar,
		hint: "give the SQL query whose rows to use, such as 'SELECT * FROM customers'"}
	evalTargetParam = tableParam{name: "target", typ: paramVarchar, named: true,
		hint: "name the column with the true values (default: the model's training target)"}
)

// metricOrder is the order of dense_evaluate's rows: a classifier's
// metrics, then a regression's; others (none today) follow by name.
var metricOrder = []string{"accuracy", "precision", "recall", "f1", "log_loss", "roc_auc", "mse", "rmse", "mae", "r2"}

func evaluateTable(m *models) *tableFunc {
	return &tableFunc{
		name: "dense_evaluate", models: m,
		params:  []tableParam{modelParam, queryParam, evalTargetParam},
		columns: []tableColumn{{"metric", colVarchar}, {"value", colDouble}},
		check:   checkEvalArgs("dense_evaluate"),
		run: func(call *tableCall) ([][]any, error) {
			res, err := evaluateCall("dense_evaluate", call)
			if err != nil {
				return nil, err
			}
			names := make([]string, 0, len(res.Metrics))
			for k := range res.Metrics {
				names = append(names, k)
			}
			rank := func(k string) int {
				if i := slices.Index(metricOrder, k); i >= 0 {
					return i
				}
				return len(metricOrder)
			}
			slices.SortFunc(names, func(a, b string) int {
				if ra, rb := rank(a), rank(b); ra != rb {
					return ra - rb
				}
				return strings.Compare(a, b)
			})
			rows := make([][]any, len(names))
			for i, k := range names {
				rows[i] = []any{k, res.Metrics[k]}
			}
			return rows, nil
		},
	}
}

// dense_confusion(model, query): a classifier's confusion matrix, one row
// per (actual, predicted) pair of its labels in label order, zeros
// included, so that the counts add up to the rows.
func confusionTable(m *models) *tableFunc {
	return &tableFunc{
		name: "dense_confusion", models: m,
		params:  []tableParam{modelParam, queryParam, evalTargetParam},
		columns: []tableColumn{{"actual", colVarchar}, {"predicted", colVarchar}, {"count", colBigInt}},
		check: func(src ModelSource, args map[string]any) error {
			if err := checkEvalArgs("dense_confusion")(src, args); err != nil {
				return err
			}
			model, _, _ := loadModel(src, args["model"].(string))
			if len(model.Spec().ClassLabels()) == 0 {
				return fmt.Errorf("dense_confusion: %s is a %s model, which has no classes; dense_evaluate measures it",
					args["model"], model.Spec().Task)
			}
			return nil
		},
		run: func(call *tableCall) ([][]any, error) {
			res, err := evaluateCall("dense_confusion", call)
			if err != nil {
				return nil, err
			}
			c := res.Confusion
			var rows [][]any
			for i := range c.Classes() {
				for j := range c.Classes() {
					rows = append(rows, []any{c.Label(i), c.Label(j), int64(c.Counts[i][j])})
				}
			}
			return rows, nil
		},
	}
}

// checkEvalArgs loads the model at bind, so that an unknown model (or one
// without a recorded target, when target := is not given) fails before
// any query runs.
func checkEvalArgs(fn string) func(ModelSource, map[string]any) error {
	return func(src ModelSource, args map[string]any) error {
		model, _, err := loadModel(src, args["model"].(string))
		if err != nil {
			return fmt.Errorf("%s: %w", fn, err)
		}
		if _, ok := args["target"]; !ok && model.Spec().Target == "" {
			return fmt.Errorf("%s: model %s does not record its target column: give target := 'column'", fn, args["model"])
		}
		return nil
	}
}

// evaluateCall runs the call's query and evaluates its model on the rows.
func evaluateCall(fn string, call *tableCall) (*pipeline.EvalResult, error) {
	model, _, err := loadModel(call.src, call.args["model"].(string))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	ctx, done := runningCall()
	defer done()
	r, err := call.models.query(ctx, call.caller, call.args["query"].(string))
	if err != nil {
		return nil, fmt.Errorf("%s: query: %w", fn, interrupted(ctx, err))
	}
	defer r.Close()
	target, _ := call.args["target"].(string)
	res, err := pipeline.Evaluate(ctx, model, r, pipeline.EvalConfig{Target: target})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, interrupted(ctx, err))
	}
	return res, nil
}

// The calls that run queries and train can be stopped from Go: Interrupt.
var running = struct {
	sync.Mutex
	next   int
	cancel map[int]context.CancelFunc
}{cancel: map[int]context.CancelFunc{}}

// runningCall returns the context of a dense_train, dense_evaluate or
// dense_confusion call, which Interrupt cancels, and the function that
// ends the call.
func runningCall() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	running.Lock()
	id := running.next
	running.next++
	running.cancel[id] = cancel
	running.Unlock()
	return ctx, func() {
		running.Lock()
		delete(running.cancel, id)
		running.Unlock()
		cancel()
	}
}

// ErrInterrupted is wrapped by the error of a dense_train, dense_evaluate
// or dense_confusion call that Interrupt stopped.
var ErrInterrupted = errors.New("interrupted")

// Interrupt stops every dense_train, dense_evaluate and dense_confusion
// call running in this process: a training stops within one mini-batch
// and registers nothing, a query stops reading; each call fails with an
// error wrapping ErrInterrupted. DuckDB's own interrupt (Ctrl-C in its
// shell, duckdb_interrupt) cannot reach a running table function through
// DuckDB's C API, so a program that interrupts its DuckDB connection calls
// Interrupt too, as dense sql does on Ctrl-C.
func Interrupt() {
	running.Lock()
	defer running.Unlock()
	for _, cancel := range running.cancel {
		cancel()
	}
}

// interrupted turns the error of a call whose context Interrupt cancelled
// into one that says so.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ErrInterrupted
	}
	return err
}
