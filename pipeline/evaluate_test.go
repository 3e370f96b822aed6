package pipeline

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
)

// Evaluate reads labelled batches, and its metrics are nn.Evaluate's on the
// same rows encoded by an independent encoder, with the labels matched to
// the model's classes.
func TestEvaluate(t *testing.T) {
	mem := checkedMem(t)
	for _, target := range []string{"tier", "churn", "spend"} {
		r := newMemReader(genBatches(mem, 500, 1)...)
		res, err := Train(context.Background(), r, quickConfig(target))
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		m := res.Model
		held := genBatches(mem, 300, 9)
		x, rows := encodeAll(t, m, held)
		var y []float32
		spec := m.Spec()
		for _, b := range held {
			col := b.Column(b.Schema().FieldIndices(target)[0])
			for i := range col.Len() {
				switch {
				case spec.Task == nn.TaskRegression:
					y = append(y, float32(col.GetOneForMarshal(i).(float64)))
				default:
					y = append(y, float32(slices.Index(spec.ClassLabels(), col.ValueStr(i))))
				}
			}
		}
		want, err := nn.Evaluate(m, x, y, rows)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Evaluate(context.Background(), m, newMemReader(held...), EvalConfig{})
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if ev.Rows != 300 || ev.Target != target || len(ev.X) != 300*m.InputWidth() {
			t.Errorf("%s: rows %d target %q features %d", target, ev.Rows, ev.Target, len(ev.X))
		}
		for k, v := range want {
			if got := ev.Metrics[k]; math.Abs(got-v) > 1e-9 {
				t.Errorf("%s: %s = %v, nn.Evaluate gives %v", target, k, got, v)
			}
		}
		if spec.Task.Classifier() != (ev.Confusion != nil) || (ev.Confusion != nil && (!slices.Equal(ev.Confusion.Labels, spec.ClassLabels()) || ev.Confusion.Total() != 300)) {
			t.Errorf("%s: confusion matrix %v", target, ev.Confusion)
		}
	}

	// A label the model does not know, a missing target column, no rows.
	r := newMemReader(genBatches(mem, 300, 1)...)
	res, err := Train(context.Background(), r, quickConfig("churn"))
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ target, want string }{
		{"region", `pipeline: evaluate: tabular: row 0: target "`},
		{"nope", `pipeline: evaluate: no target column "nope" in the data (columns: a, b, region, churn, spend, tier)`},
	} {
		r := newMemReader(genBatches(mem, 100, 2)...)
		_, err := Evaluate(context.Background(), res.Model, r, EvalConfig{Target: tc.target})
		r.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("target %s: err = %v, want %q", tc.target, err, tc.want)
		}
	}
}
