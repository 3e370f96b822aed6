package pipeline

import (
	"fmt"
	"math"
	"math/rand/v2"
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
