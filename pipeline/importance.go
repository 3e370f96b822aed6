package pipeline

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/dense-ml/dense/nn"
)

// Permutation importance settings: each input is shuffled ImportanceRepeats
// times over at most ImportanceMaxRows validation rows (a seeded sample of
// them when there are more).
const (
	ImportanceRepeats = 5
	ImportanceMaxRows = 10_000
)

// recordExplain stores in the model what dense_explain and
// dense_importance need (nn.Spec.Explain): the baseline, fitted on the
// training rows of x, and the permutation importance on the validation
// rows. Train calls it after the final evaluation.
func recordExplain(model *nn.Model, x []float32, trainIdx []int, valX, valY []float32, valRows int, seed int64) error {
	spec := model.Spec()
	base, err := nn.FitBaseline(spec.Inputs, x, trainIdx)
	if err != nil {
		return err
	}
	imp, err := PermutationImportance(model, valX, valY, valRows, seed)
	if err != nil {
		return err
	}
	spec.Explain = &nn.Explain{Baseline: base, Importance: imp}
	return nil
}

// PermutationImportance measures how much the model's score on rows ×
// InputWidth encoded rows x with targets y (nn.Evaluate's layout) drops
// when one input's values are shuffled among the rows, breaking its link
// with the target while keeping its distribution: accuracy for
// classifiers, R² for regression (sklearn's permutation_importance with
// the estimators' default scores). An input's encoded features move
// together (a one-hot block, a vector, a missing indicator). Each input is
// shuffled ImportanceRepeats times with a generator seeded from seed; the
// drop is the mean over them, with its standard deviation. At most
// ImportanceMaxRows rows are used (a seeded sample).
func PermutationImportance(model *nn.Model, x, y []float32, rows int, seed int64) (*nn.Importance, error) {
	spec := model.Spec()
	metric := nn.ImportanceAccuracy
	if spec.Task == nn.TaskRegression {
		metric = nn.ImportanceR2
	}
	w := model.InputWidth()
	yw := len(y) / max(rows, 1)
	if rows < 1 || len(x) != rows*w || len(y) != rows*yw {
		return nil, fmt.Errorf("permutation importance: %d rows of %d features and %d targets do not fit", rows, w, len(y))
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x696d706f7274)) // "import"
	if rows > ImportanceMaxRows {
		pick := rng.Perm(rows)[:ImportanceMaxRows]
		x, y, rows = gather(x, pick, w), gather(y, pick, yw), ImportanceMaxRows
	}
	score := func(x []float32) (float64, error) {
		m, err := nn.Evaluate(model, x, y, rows)
		if err != nil {
			return 0, err
		}
		return m[metric], nil
	}
	base, err := score(x)
	if err != nil {
		return nil, fmt.Errorf("permutation importance: %w", err)
	}
	imp := &nn.Importance{Metric: metric, Score: base, Rows: rows, Repeats: ImportanceRepeats}
	shuffled := make([]float32, len(x))
	off := 0
	for i := range spec.Inputs {
		in := &spec.Inputs[i]
		width := in.Width()
		drops := make([]float64, ImportanceRepeats)
		for k := range drops {
			copy(shuffled, x)
			for r, src := range rng.Perm(rows) {
				copy(shuffled[r*w+off:r*w+off+width], x[src*w+off:src*w+off+width])
			}
			s, err := score(shuffled)
			if err != nil {
				return nil, fmt.Errorf("permutation importance of %q: %w", in.Name, err)
			}
			drops[k] = base - s
		}
		mean, std := meanStd(drops)
		imp.Inputs = append(imp.Inputs, nn.InputImportance{Input: in.Name, Drop: mean, Std: std})
		off += width
	}
	return imp, nil
}

// meanStd is the mean and population standard deviation of v.
func meanStd(v []float64) (mean, std float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v)))
}
