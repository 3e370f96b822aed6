package pipeline

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// The split rules a model's provenance records (nn.Split.Rule): SplitRows
// with the class of each row, or without.
const (
	SplitStratified = "stratified"
	SplitRandom     = "random"
)

// SplitRows divides row indices 0..n-1 into a training and a validation
// set, seeded. With classes (the class index of each row) the split is
// stratified: each class contributes round(frac × its count) rows to the
// validation set, keeping at least one of its rows for training. Both index
// lists come back in ascending order.
func SplitRows(n int, classes []int, frac float64, seed int64) (train, val []int, err error) {
	if !(frac > 0 && frac < 1) {
		return nil, nil, fmt.Errorf("validation split must be in (0, 1), got %v", frac)
	}
	if classes != nil && len(classes) != n {
		return nil, nil, fmt.Errorf("%d class labels for %d rows", len(classes), n)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	var groups [][]int
	if classes == nil {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		groups = [][]int{all}
	} else {
		for i, c := range classes {
			for c >= len(groups) {
				groups = append(groups, nil)
			}
			groups[c] = append(groups[c], i)
		}
	}
	isVal := make([]bool, n)
	for _, g := range groups {
		rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
		k := int(math.Round(frac * float64(len(g))))
		if k >= len(g) {
			k = len(g) - 1
		}
		for _, i := range g[:max(k, 0)] {
			isVal[i] = true
		}
	}
	for i := range n {
		if isVal[i] {
			val = append(val, i)
		} else {
			train = append(train, i)
		}
	}
	if len(val) == 0 && classes != nil && len(groups) > 1 {
		return nil, nil, fmt.Errorf("a stratified validation split of %v leaves no validation rows: the %d rows fall into %d classes, too few rows per class to hold any out (each class keeps one for training); use more rows, fewer classes, or task regression for a continuous target", frac, n, len(groups))
	}
	if len(val) == 0 {
		return nil, nil, fmt.Errorf("a validation split of %v leaves no validation rows out of %d; use more rows or a larger split", frac, n)
	}
	return train, val, nil
}

// splitRecord describes the split Train made, for the model's provenance:
// x holds the encoded features of every row.
func splitRecord(t *tabular.Targets, x []float32, frac float64, seed int64, valRows int) *nn.Split {
	rule := SplitRandom
	if t.Classes != nil {
		rule = SplitStratified
	}
	return &nn.Split{Rule: rule, Fraction: frac, Seed: seed, Rows: int64(len(t.Y)), ValRows: int64(valRows),
		TargetDigest: Digest(t.Y), FeatureDigest: Digest(x)}
}

// Digest is the hex SHA-256 of float32 values (little-endian bits) in
// order: of the targets (class indices or values) or of the encoded
// features of the rows, how a model's provenance recognises the rows it was
// trained on.
func Digest(v []float32) string {
	h := sha256.New()
	var buf [4096]byte
	for len(v) > 0 {
		n := min(len(v), len(buf)/4)
		for i, f := range v[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(f))
		}
		h.Write(buf[:4*n])
		v = v[n:]
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ErrHoldoutData is wrapped when the data given for a holdout evaluation is
// not the data the model was trained on.
var ErrHoldoutData = fmt.Errorf("not the data the model was trained on")

// HoldoutRows finds again the validation rows training held out, from the
// model's recorded split and the encoded features x and targets y of the
// same data (class indices or values, after dropping NULL targets, as
// Evaluate reads them). It checks that the data is the training data: the
// same number of rows, the same targets in the same order
// (nn.Split.TargetDigest) and the same encoded features in the same order
// (FeatureDigest, so two rows with equal targets that trade places are
// caught too). Any difference is an error wrapping ErrHoldoutData, never a
// silently different set of rows.
func HoldoutRows(spec *nn.Spec, x, y []float32) ([]int, error) {
	sp := spec.Provenance.Split
	if sp == nil {
		return nil, fmt.Errorf("the model does not record its validation split (it was trained before dense stored it, or not by dense train); evaluate it on data it has not seen instead")
	}
	if int64(len(y)) != sp.Rows {
		return nil, fmt.Errorf("%w: it has %d rows with a target, training had %d", ErrHoldoutData, len(y), sp.Rows)
	}
	if Digest(y) != sp.TargetDigest {
		return nil, fmt.Errorf("%w: it has the same number of rows (%d), but other targets or the same ones in another order", ErrHoldoutData, len(y))
	}
	if sp.FeatureDigest != "" && Digest(x) != sp.FeatureDigest {
		return nil, fmt.Errorf("%w: it has the same %d targets in the same order, but other feature values or the rows in another order", ErrHoldoutData, len(y))
	}
	var classes []int
	switch sp.Rule {
	case SplitStratified:
		classes = make([]int, len(y))
		for i, v := range y {
			classes[i] = int(v)
		}
	case SplitRandom:
	default:
		return nil, fmt.Errorf("the model's split rule %q is unknown to this build", sp.Rule)
	}
	_, val, err := SplitRows(len(y), classes, sp.Fraction, sp.Seed)
	if err != nil {
		return nil, err
	}
	if int64(len(val)) != sp.ValRows {
		return nil, fmt.Errorf("the split gives %d validation rows where training had %d", len(val), sp.ValRows)
	}
	return val, nil
}
