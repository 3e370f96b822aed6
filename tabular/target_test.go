package tabular

import (
	"slices"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
)

func resolveTarget(t *testing.T, c col, task, positive string) (*Targets, error) {
	t.Helper()
	b := mkBatch(c)
	defer b.Release()
	tc, err := NewTargetFit(b.Schema(), c.Name)
	if err != nil {
		return nil, err
	}
	if err := tc.Observe(b, 0); err != nil {
		return nil, err
	}
	return tc.Resolve(task, positive)
}

func TestTaskDetection(t *testing.T) {
	mem := checkedMem(t)
	many := make([]any, 30)
	for i := range many {
		many[i] = i
	}
	for _, tc := range []struct {
		name     string
		col      col
		task     string
		positive string
		want     string
		labels   []string
		y        []float32
	}{
		{"floats", mkF64(mem, "y", 0.5, 1, 2), TaskAuto, "", TaskRegression, nil, []float32{0.5, 1, 2}},
		{"whole floats stay regression", mkF64(mem, "y", 0, 1, 0), "", "", TaskRegression, nil, []float32{0, 1, 0}},
		{"bools", mkBool(mem, "y", true, false, true), TaskAuto, "", TaskBinary, []string{"false", "true"}, []float32{1, 0, 1}},
		{"0/1 ints", mkI64(mem, "y", 1, 0, 0), TaskAuto, "", TaskBinary, []string{"0", "1"}, []float32{1, 0, 0}},
		{"1/2 ints: the larger is positive", mkI64(mem, "y", 1, 2, 2), TaskAuto, "", TaskBinary, []string{"1", "2"}, []float32{0, 1, 1}},
		{"-1/1 ints", mkI64(mem, "y", 1, -1), TaskAuto, "", TaskBinary, []string{"-1", "1"}, []float32{1, 0}},
		{"0/1 with explicit positive 0", mkI64(mem, "y", 1, 0), TaskAuto, "0", TaskBinary, []string{"1", "0"}, []float32{0, 1}},
		{"small ints", mkI64(mem, "y", 10, 2, 3, 2), TaskAuto, "", TaskMulticlass, []string{"2", "3", "10"}, []float32{2, 0, 1, 0}},
		{"many ints", mkI64(mem, "y", many...), TaskAuto, "", TaskRegression, nil, nil},
		{"many ints as classes", mkI64(mem, "y", many...), TaskMulticlass, "", TaskMulticlass, nil, nil},
		{"yes/no", mkStr(mem, "y", "yes", "no"), TaskAuto, "", TaskBinary, []string{"no", "yes"}, []float32{1, 0}},
		{"Yes first in sort", mkStr(mem, "y", "Yes", "stay"), TaskAuto, "", TaskBinary, []string{"stay", "Yes"}, []float32{1, 0}},
		{"no positive name: sorted", mkStr(mem, "y", "stayed", "churned"), TaskAuto, "", TaskBinary, []string{"churned", "stayed"}, []float32{1, 0}},
		{"explicit positive", mkStr(mem, "y", "stayed", "churned"), TaskAuto, "churned", TaskBinary, []string{"stayed", "churned"}, []float32{0, 1}},
		{"strings", mkStr(mem, "y", "b", "c", "a", "b"), TaskAuto, "", TaskMulticlass, []string{"a", "b", "c"}, []float32{1, 2, 0, 1}},
		{"two strings forced multiclass", mkStr(mem, "y", "b", "a"), TaskMulticlass, "", TaskMulticlass, []string{"a", "b"}, []float32{1, 0}},
		{"whole floats forced binary", mkF64(mem, "y", 2.0, 1.0), TaskBinary, "", TaskBinary, []string{"1", "2"}, []float32{1, 0}},
	} {
		r, err := resolveTarget(t, tc.col, tc.task, tc.positive)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if string(r.Task) != tc.want {
			t.Errorf("%s: task %s, want %s", tc.name, r.Task, tc.want)
		}
		if tc.labels != nil && !slices.Equal(r.Labels, tc.labels) {
			t.Errorf("%s: labels %q, want %q", tc.name, r.Labels, tc.labels)
		}
		if tc.y != nil && !slices.Equal(r.Y, tc.y) {
			t.Errorf("%s: y %v, want %v", tc.name, r.Y, tc.y)
		}
		if (r.Task == nn.TaskRegression) != (r.Classes == nil) {
			t.Errorf("%s: classes %v for task %s", tc.name, r.Classes, r.Task)
		}
	}
}

func TestTaskDetectionErrors(t *testing.T) {
	mem := checkedMem(t)
	for _, tc := range []struct {
		name     string
		col      col
		task     string
		positive string
		want     string
	}{
		{"single class", mkStr(mem, "y", "a", "a"), TaskAuto, "", `single class "a"`},
		{"binary with three", mkStr(mem, "y", "a", "b", "c"), TaskBinary, "", "exactly 2 classes, target \"y\" has 3 (a, b, c)"},
		{"regression on strings", mkStr(mem, "y", "a", "b"), TaskRegression, "", "regression needs numbers"},
		{"NULL target", mkF64(mem, "y", 1, nil), TaskAuto, "", "NULL or NaN at row 1"},
		{"NULL string target", mkStr(mem, "y", "a", nil, "b"), TaskAuto, "", "NULL at row 1"},
		{"unknown positive", mkStr(mem, "y", "a", "b"), TaskAuto, "c", `positive label "c" is not one of`},
		{"positive for multiclass", mkStr(mem, "y", "a", "b", "c"), TaskAuto, "a", "only for binary"},
		{"unknown task", mkF64(mem, "y", 1), "ranking", "", `unknown task "ranking"`},
		// Fractional numbers are not classes (as in scikit-learn: "Unknown label type: continuous").
		{"fractional floats forced binary", mkF64(mem, "y", 0.5, 1.5), TaskBinary, "", `task binary needs classes, but target "y" holds fractional numbers (row 0 is 0.5)`},
		{"fractional floats forced multiclass", mkF64(mem, "y", 1, 2, 2.5), TaskMulticlass, "", "(row 2 is 2.5); for a continuous target use task regression"},
	} {
		_, err := resolveTarget(t, tc.col, tc.task, tc.positive)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	b := mkBatch(mkVec(mem, "v", 1, []float32{1}))
	defer b.Release()
	if _, err := NewTargetFit(b.Schema(), "v"); err == nil || !strings.Contains(err.Error(), "can't be a target") {
		t.Errorf("list target: err = %v", err)
	}
	if _, err := NewTargetFit(b.Schema(), "nope"); err == nil || !strings.Contains(err.Error(), "columns: v") {
		t.Errorf("missing target: err = %v", err)
	}
}
