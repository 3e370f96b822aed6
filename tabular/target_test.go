package tabular

import (
	"errors"
	"math"
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
		{"small ints stay regression", mkI64(mem, "y", 10, 2, 3, 2), TaskAuto, "", TaskRegression, nil, []float32{10, 2, 3, 2}},
		{"small ints as classes", mkI64(mem, "y", 10, 2, 3, 2), TaskMulticlass, "", TaskMulticlass, []string{"2", "3", "10"}, []float32{2, 0, 1, 0}},
		{"positive yes names true", mkBool(mem, "y", true, false), TaskAuto, "yes", TaskBinary, []string{"false", "true"}, []float32{1, 0}},
		{"positive n names false", mkBool(mem, "y", true, false), TaskAuto, "n", TaskBinary, []string{"true", "false"}, []float32{0, 1}},
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

// An integer target with a few values is regression under auto, with a note
// saying how to classify; two values are binary; more than MaxAutoClasses
// get no note (they look continuous).
func TestIntegerTargetNote(t *testing.T) {
	mem := checkedMem(t)
	six := []any{1, 2, 3, 4, 5, 6, 1, 2}
	r, err := resolveTarget(t, mkI64(mem, "quality", six...), TaskAuto, "")
	if err != nil {
		t.Fatal(err)
	}
	want := `target "quality": an integer target with 6 distinct values is trained as regression; use --task multiclass to classify`
	if r.Task != nn.TaskRegression || r.Note != want {
		t.Errorf("task %s, note %q; want regression, %q", r.Task, r.Note, want)
	}
	many := make([]any, MaxAutoClasses+1)
	for i := range many {
		many[i] = i
	}
	if r, err = resolveTarget(t, mkI64(mem, "y", many...), TaskAuto, ""); err != nil || r.Note != "" || r.Task != nn.TaskRegression {
		t.Errorf("%d values: task %v note %q err %v", len(many), r.Task, r.Note, err)
	}
	if r, err = resolveTarget(t, mkI64(mem, "y", 0, 1, 1), TaskAuto, ""); err != nil || r.Note != "" || r.Task != nn.TaskBinary {
		t.Errorf("0/1: task %v note %q err %v", r.Task, r.Note, err)
	}
	if r, err = resolveTarget(t, mkI64(mem, "y", six...), TaskMulticlass, ""); err != nil || r.Note != "" || len(r.Labels) != 6 {
		t.Errorf("explicit multiclass: labels %v note %q err %v", r.Labels, r.Note, err)
	}
}

func TestBalancedWeights(t *testing.T) {
	tg := &Targets{Task: nn.TaskMulticlass, Labels: []string{"a", "b", "c"}, Classes: []int{0, 0, 0, 0, 1, 1, 2, 0}}
	// Rows 0..6: class counts 4, 2, 1 → 7/(3·4), 7/(3·2), 7/(3·1) (scikit-learn's compute_class_weight("balanced")).
	got := tg.BalancedWeights([]int{0, 1, 2, 3, 4, 5, 6})
	want := []float64{7.0 / 12, 7.0 / 6, 7.0 / 3}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Fatalf("weights %v, want %v", got, want)
		}
	}
	// A class without rows weighs 0; the others share n over all classes.
	if got := tg.BalancedWeights([]int{0, 4}); !slices.Equal(got, []float64{2.0 / 3, 2.0 / 3, 0}) {
		t.Errorf("weights %v", got)
	}
	if (&Targets{Task: nn.TaskRegression}).BalancedWeights([]int{0}) != nil {
		t.Error("regression got class weights")
	}
}

func TestDropNullTargets(t *testing.T) {
	mem := checkedMem(t)
	b := mkBatch(mkF64(mem, "y", nil, 1.0, math.NaN(), 2.0, 3.0, nil), mkStr(mem, "s", "a", "b", "c", nil, "e", "f"))
	defer b.Release()
	got, n, err := DropNullTargets(b, "y")
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if n != 3 || got.NumRows() != 3 {
		t.Fatalf("dropped %d, kept %d rows; want 3 and 3", n, got.NumRows())
	}
	tg, err := readTarget(got, "y")
	if err != nil || !slices.Equal(tg.Numbers, []float64{1, 2, 3}) {
		t.Errorf("kept targets %v (%v)", tg, err)
	}
	// The other columns follow their rows (the feature's own NULL stays).
	if s := got.Column(1); s.ValueStr(0) != "b" || !s.IsNull(1) || s.ValueStr(2) != "e" {
		t.Errorf("feature column %v", s)
	}
	// A string target: NULL rows go, the batch keeps its schema.
	got2, n, err := DropNullTargets(b, "s")
	if err != nil || n != 1 || got2.NumRows() != 5 || !got2.Schema().Equal(b.Schema()) {
		t.Errorf("string target: %d dropped, %v", n, err)
	}
	got2.Release()
	// Nothing to drop: the batch itself.
	clean := mkBatch(mkI64(mem, "y", 1, 2))
	defer clean.Release()
	same, n, err := DropNullTargets(clean, "y")
	if err != nil || n != 0 || same != clean {
		t.Errorf("no NULLs: %d dropped, same batch %v, %v", n, same == clean, err)
	}
	same.Release()
	// Every row dropped: an empty batch of the same schema.
	none := mkBatch(mkBool(mem, "y", nil, nil))
	defer none.Release()
	empty, n, err := DropNullTargets(none, "y")
	if err != nil || n != 2 || empty.NumRows() != 0 || empty.NumCols() != 1 {
		t.Errorf("all NULL: %d dropped, %v", n, err)
	}
	empty.Release()
	if _, _, err := DropNullTargets(b, "nope"); !errors.Is(err, ErrNoColumn) {
		t.Errorf("missing column: %v", err)
	}
}

// The BOOLEAN-target decision: labels match by text, then by value where
// that is unambiguous, so a model trained on a CSV's yes/no column (read as
// BOOLEAN) evaluates on a JSON copy (VARCHAR), and the other way round.
func TestTargetValuesByValue(t *testing.T) {
	mem := checkedMem(t)
	spec := func(task nn.Task, labels ...string) *nn.Spec { return &nn.Spec{Task: task, Labels: labels} }
	for _, tc := range []struct {
		name string
		spec *nn.Spec
		col  col
		want []float32
		err  string
	}{
		{"BOOLEAN model, text yes/no", spec(nn.TaskBinary, "false", "true"), mkStr(mem, "y", "yes", "no", "YES", "n", "t", "0"), []float32{1, 0, 1, 0, 1, 0}, ""},
		{"text model, BOOLEAN data", spec(nn.TaskBinary, "no", "yes"), mkBool(mem, "y", true, false), []float32{1, 0}, ""},
		{"text model, 0/1 data", spec(nn.TaskBinary, "no", "yes"), mkI64(mem, "y", 0, 1), []float32{0, 1}, ""},
		{"positive first", spec(nn.TaskBinary, "true", "false"), mkStr(mem, "y", "yes", "no"), []float32{0, 1}, ""},
		{"0/1 model, BOOLEAN data", spec(nn.TaskBinary, "0", "1"), mkBool(mem, "y", true, false), []float32{1, 0}, ""},
		{"integer labels, text numbers", spec(nn.TaskMulticlass, "1", "2", "10"), mkStr(mem, "y", "10", "02", "1.0", " 2 "), []float32{2, 1, 0, 1}, ""},
		{"text labels, numbers", spec(nn.TaskMulticlass, "01", "02", "10"), mkI64(mem, "y", 1, 10, 2), []float32{0, 2, 1}, ""},
		{"exact text first", spec(nn.TaskMulticlass, "a", "b", "c"), mkStr(mem, "y", "c", "a"), []float32{2, 0}, ""},
		{"not a label", spec(nn.TaskMulticlass, "1", "2", "3"), mkStr(mem, "y", "1", "4"), nil, `row 1: target "4" is not one of the model's labels (1, 2, 3)`},
		// Two labels that both read as true: no value matching.
		{"ambiguous truth", spec(nn.TaskBinary, "y", "yes"), mkBool(mem, "y", true), nil, `target "true" is not one of the model's labels (y, yes)`},
		// Two labels that read as the same number: no value matching.
		{"ambiguous numbers", spec(nn.TaskMulticlass, "1", "01", "2"), mkI64(mem, "y", 2, 1), []float32{2, 0}, ""},
		{"ambiguous numbers, text", spec(nn.TaskMulticlass, "1", "01", "2"), mkStr(mem, "y", "1.0"), nil, `target "1.0" is not one of`},
		{"not a truth", spec(nn.TaskBinary, "false", "true"), mkStr(mem, "y", "maybe"), nil, `target "maybe" is not one of the model's labels (false, true)`},
		{"bool data, labels not truths", spec(nn.TaskBinary, "cat", "dog"), mkBool(mem, "y", true), nil, `target "true" is not one of`},
	} {
		b := mkBatch(tc.col)
		got, err := TargetValues(b, "y", tc.spec, 0)
		b.Release()
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: err %v, want it to mention %q", tc.name, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err == "" && !slices.Equal(got, tc.want):
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
