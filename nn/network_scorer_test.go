package nn

import (
	"math"
	"testing"
)

// TestNetworkScorer: a Scorer that folds nothing gives Model.PredictInto's
// bits on rows the model's own encoding made, also for standardised inputs
// (which NewScorer would fold into the first layer, changing the last bits).
func TestNetworkScorer(t *testing.T) {
	spec := testSpec(20, TaskRegression, Dense(64, ReLU), Dense(32, ReLU), Dense(1, Linear))
	for i := range spec.Inputs {
		spec.Inputs[i].Scale = &Scale{Method: ScaleStandard, Mean: float64(i) - 7.5, Std: 0.3 + float64(i)}
	}
	m, err := NewModel(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewNetworkScorer(m)
	if err != nil {
		t.Fatal(err)
	}
	for i := range spec.Inputs {
		if s.Folded(i) {
			t.Fatalf("input %d folded", i)
		}
	}
	for _, rows := range []int{1, 15, 17, 2048, 6007} {
		x := randomInput(rows, 20, uint64(rows))
		want, got := make([]float32, rows), make([]float32, rows)
		if err := m.PredictInto(want, x, rows, m.NewWorkspace()); err != nil {
			t.Fatal(err)
		}
		if err := s.PredictInto(got, x, rows, s.NewWorkspace()); err != nil {
			t.Fatal(err)
		}
		for r := range want {
			if math.Float32bits(got[r]) != math.Float32bits(want[r]) {
				t.Fatalf("%d rows, row %d: %v, Model.PredictInto %v", rows, r, got[r], want[r])
			}
		}
	}
}
