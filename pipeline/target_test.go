package pipeline

import (
	"slices"
	"strings"
	"testing"
)

func resolveTarget(t *testing.T, c col, task, positive string) (*resolvedTarget, error) {
	t.Helper()
	b := batch(c)
	defer b.Release()
	tc, err := newTargetColumn(b.Schema(), c.name)
	if err != nil {
		return nil, err
	}
	if err := tc.observe(b, 0); err != nil {
		return nil, err
	}
	return tc.resolve(task, positive)
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
		{"floats", f64Col(mem, "y", 0.5, 1, 2), TaskAuto, "", TaskRegression, nil, []float32{0.5, 1, 2}},
		{"whole floats stay regression", f64Col(mem, "y", 0, 1, 0), "", "", TaskRegression, nil, []float32{0, 1, 0}},
		{"bools", boolCol(mem, "y", true, false, true), TaskAuto, "", TaskBinary, []string{"false", "true"}, []float32{1, 0, 1}},
		{"0/1 ints", i64Col(mem, "y", 1, 0, 0), TaskAuto, "", TaskBinary, []string{"0", "1"}, []float32{1, 0, 0}},
		{"1/2 ints: the larger is positive", i64Col(mem, "y", 1, 2, 2), TaskAuto, "", TaskBinary, []string{"1", "2"}, []float32{0, 1, 1}},
		{"-1/1 ints", i64Col(mem, "y", 1, -1), TaskAuto, "", TaskBinary, []string{"-1", "1"}, []float32{1, 0}},
		{"0/1 with explicit positive 0", i64Col(mem, "y", 1, 0), TaskAuto, "0", TaskBinary, []string{"1", "0"}, []float32{0, 1}},
		{"small ints", i64Col(mem, "y", 10, 2, 3, 2), TaskAuto, "", TaskMulticlass, []string{"2", "3", "10"}, []float32{2, 0, 1, 0}},
		{"many ints", i64Col(mem, "y", many...), TaskAuto, "", TaskRegression, nil, nil},
		{"many ints as classes", i64Col(mem, "y", many...), TaskMulticlass, "", TaskMulticlass, nil, nil},
		{"yes/no", strCol(mem, "y", "yes", "no"), TaskAuto, "", TaskBinary, []string{"no", "yes"}, []float32{1, 0}},
		{"Yes first in sort", strCol(mem, "y", "Yes", "stay"), TaskAuto, "", TaskBinary, []string{"stay", "Yes"}, []float32{1, 0}},
		{"no positive name: sorted", strCol(mem, "y", "stayed", "churned"), TaskAuto, "", TaskBinary, []string{"churned", "stayed"}, []float32{1, 0}},
		{"explicit positive", strCol(mem, "y", "stayed", "churned"), TaskAuto, "churned", TaskBinary, []string{"stayed", "churned"}, []float32{0, 1}},
		{"strings", strCol(mem, "y", "b", "c", "a", "b"), TaskAuto, "", TaskMulticlass, []string{"a", "b", "c"}, []float32{1, 2, 0, 1}},
		{"two strings forced multiclass", strCol(mem, "y", "b", "a"), TaskMulticlass, "", TaskMulticlass, []string{"a", "b"}, []float32{1, 0}},
		{"floats forced binary", f64Col(mem, "y", 0.5, 1.5), TaskBinary, "", TaskBinary, []string{"0.5", "1.5"}, []float32{0, 1}},
	} {
		r, err := resolveTarget(t, tc.col, tc.task, tc.positive)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if r.task != tc.want {
			t.Errorf("%s: task %s, want %s", tc.name, r.task, tc.want)
		}
		if tc.labels != nil && !slices.Equal(r.labels, tc.labels) {
			t.Errorf("%s: labels %q, want %q", tc.name, r.labels, tc.labels)
		}
		if tc.y != nil && !slices.Equal(r.y, tc.y) {
			t.Errorf("%s: y %v, want %v", tc.name, r.y, tc.y)
		}
		if (r.task == TaskRegression) != (r.classes == nil) {
			t.Errorf("%s: classes %v for task %s", tc.name, r.classes, r.task)
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
		{"single class", strCol(mem, "y", "a", "a"), TaskAuto, "", `single class "a"`},
		{"binary with three", strCol(mem, "y", "a", "b", "c"), TaskBinary, "", "exactly 2 classes, target \"y\" has 3 (a, b, c)"},
		{"regression on strings", strCol(mem, "y", "a", "b"), TaskRegression, "", "regression needs numbers"},
		{"NULL target", f64Col(mem, "y", 1, nil), TaskAuto, "", "NULL or NaN at row 1"},
		{"NULL string target", strCol(mem, "y", "a", nil, "b"), TaskAuto, "", "NULL at row 1"},
		{"unknown positive", strCol(mem, "y", "a", "b"), TaskAuto, "c", `positive label "c" is not one of`},
		{"positive for multiclass", strCol(mem, "y", "a", "b", "c"), TaskAuto, "a", "only for binary"},
		{"unknown task", f64Col(mem, "y", 1), "ranking", "", `unknown task "ranking"`},
	} {
		_, err := resolveTarget(t, tc.col, tc.task, tc.positive)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	b := batch(vecCol(mem, "v", 1, []float32{1}))
	defer b.Release()
	if _, err := newTargetColumn(b.Schema(), "v"); err == nil || !strings.Contains(err.Error(), "can't be a target") {
		t.Errorf("list target: err = %v", err)
	}
	if _, err := newTargetColumn(b.Schema(), "nope"); err == nil || !strings.Contains(err.Error(), "columns: v") {
		t.Errorf("missing target: err = %v", err)
	}
}

func TestSplitStratified(t *testing.T) {
	// 100 of class 0, 20 of class 1, 9 of class 2, interleaved.
	var classes []int
	for i := range 129 {
		switch {
		case i < 100:
			classes = append(classes, 0)
		case i < 120:
			classes = append(classes, 1)
		default:
			classes = append(classes, 2)
		}
	}
	train, val, err := SplitRows(len(classes), classes, 0.2, 7)
	if err != nil {
		t.Fatal(err)
	}
	count := func(idx []int) [3]int {
		var c [3]int
		for _, i := range idx {
			c[classes[i]]++
		}
		return c
	}
	if got, want := count(val), [3]int{20, 4, 2}; got != want { // round(0.2 × 9) = 2
		t.Errorf("validation per class %v, want %v", got, want)
	}
	if got, want := count(train), [3]int{80, 16, 7}; got != want {
		t.Errorf("training per class %v, want %v", got, want)
	}
	all := append(slices.Clone(train), val...)
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatalf("train ∪ val is not a partition of 0..128 (at %d: %d)", i, v)
		}
	}
	if !slices.IsSorted(train) || !slices.IsSorted(val) {
		t.Error("index lists are not ascending")
	}
	_, val2, _ := SplitRows(len(classes), classes, 0.2, 7)
	_, val3, _ := SplitRows(len(classes), classes, 0.2, 8)
	if !slices.Equal(val, val2) {
		t.Error("same seed, different split")
	}
	if slices.Equal(val, val3) {
		t.Error("a different seed gave the same split")
	}
	// A class of one row stays in training.
	_, val, err = SplitRows(5, []int{0, 0, 0, 0, 1}, 0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range val {
		if i == 4 {
			t.Error("the only row of class 1 went to validation")
		}
	}
}

func TestSplitPlain(t *testing.T) {
	train, val, err := SplitRows(50, nil, 0.3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(val) != 15 || len(train) != 35 {
		t.Errorf("split 50 at 0.3 into %d/%d, want 35/15", len(train), len(val))
	}
	for _, frac := range []float64{0, 1, -0.1} {
		if _, _, err := SplitRows(10, nil, frac, 1); err == nil {
			t.Errorf("split %v accepted", frac)
		}
	}
	if _, _, err := SplitRows(1, nil, 0.2, 1); err == nil || !strings.Contains(err.Error(), "no validation rows") {
		t.Errorf("1 row: err = %v", err)
	}
}
