package pipeline

import (
	"slices"
	"strings"
	"testing"
)

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
