package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
)

// The training messages of the reliability battery name the real problem.
func TestTrainMessages(t *testing.T) {
	mem := checkedMem(t)
	seq := func(n int, f func(i int) any) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		cols func() []col
		cfg  TrainConfig
		want string
	}{
		{"duplicate column", func() []col {
			return []col{i64Col(mem, "a", seq(50, func(i int) any { return i })...), i64Col(mem, "y", seq(50, func(i int) any { return i % 2 })...),
				i64Col(mem, "y", seq(50, func(i int) any { return (i + 1) % 2 })...)}
		}, TrainConfig{Target: "y"}, `the data has two columns named "y" (columns 2 and 3 of: a, y, y)`},
		{"multiclass on fractions", func() []col {
			return []col{i64Col(mem, "a", seq(50, func(i int) any { return i })...), f64Col(mem, "y", seq(50, func(i int) any { return float64(i) + 0.25 })...)}
		}, TrainConfig{Target: "y", Task: TaskMulticlass}, `task multiclass needs classes, but target "y" holds fractional numbers (row 0 is 0.25)`},
		{"target beyond float32", func() []col {
			return []col{i64Col(mem, "a", seq(50, func(i int) any { return i })...), f64Col(mem, "y", seq(50, func(i int) any {
				if i == 7 {
					return 1e300
				}
				return float64(i)
			})...)}
		}, TrainConfig{Target: "y"}, `target "y" row 7: 1e+300 is outside float32's range`},
		{"feature beyond float32", func() []col {
			return []col{f64Col(mem, "a", seq(50, func(i int) any {
				if i == 9 {
					return -1e300
				}
				return float64(i)
			})...), f64Col(mem, "y", seq(50, func(i int) any { return float64(i) })...)}
		}, TrainConfig{Target: "y"}, `feature "a": row 9: value is outside float32's range: -1e+300`},
		{"vector element beyond float32", func() []col {
			rows := make([][]float64, 50)
			for i := range rows {
				rows[i] = []float64{float64(i), 1}
			}
			rows[3][1] = 1e39
			return []col{listCol(mem, "v", rows...), f64Col(mem, "y", seq(50, func(i int) any { return float64(i) })...)}
		}, TrainConfig{Target: "y"}, `feature "v": row 3 element 1: value is outside float32's range: 1e+39`},
		{"stratified split without validation rows", func() []col {
			return []col{i64Col(mem, "a", seq(40, func(i int) any { return i })...), i64Col(mem, "y", seq(40, func(i int) any { return i })...)}
		}, TrainConfig{Target: "y", Task: TaskMulticlass}, "the 40 rows fall into 40 classes, too few rows per class"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Epochs = 1
			r := newMemReader(batch(tc.cols()...))
			defer r.Close()
			_, err := Train(context.Background(), r, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want …%s…", err, tc.want)
			}
			if strings.Contains(tc.want, "float32") && !errors.Is(err, nn.ErrFloat32Range) && strings.HasPrefix(tc.name, "feature") {
				t.Errorf("%v does not wrap nn.ErrFloat32Range", err)
			}
		})
	}
}

// LoadSpec reads regular files only, and at most MaxSpecBytes of them.
func TestLoadSpecBounded(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.yaml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.yaml")
	if err := os.WriteFile(huge, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 200<<20); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		zero: zero + " is a device, not a regular file",
		dir:  dir + " is a folder, not a regular file",
		huge: "over the 1048576-byte limit",
	} {
		if _, err := LoadSpec(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadSpec(%s): %v, want …%s…", path, err, want)
		}
	}
}
