package dense

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dense-ml/dense/nn"
)

// TestModelChecksum: a worker refuses model bytes that do not match the
// checksum shipped with them, and loads matching bytes once.
func TestModelChecksum(t *testing.T) {
	f := testData(t)
	m, _, err := ReadModel(t.Context(), "churn", f.models)
	if err != nil {
		t.Fatal(err)
	}
	bad := Model{Ref: m.Ref, SHA256: m.SHA256, Bytes: slices.Clone(m.Bytes)}
	bad.Bytes[len(bad.Bytes)/2] ^= 1
	if _, err := bad.parse(); err == nil || !strings.Contains(err.Error(), "changed or damaged") {
		t.Errorf("damaged bytes: %v, want a checksum error", err)
	}
	a, err := m.load()
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.load()
	if err != nil || a != b {
		t.Errorf("the second load gave another model (%p, %p) or %v", a, b, err)
	}
	sum := sha256.Sum256(m.Bytes)
	if m.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("the registry's checksum %s is not the bytes'", m.SHA256)
	}
}

// TestPartialMerge: ROC AUC from merged Partials equals nn.ROCAUC over
// all the rows (with many tied scores), whatever the order of the merges,
// and the regression sums give nn's MSE and R².
func TestPartialMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 5000
	truth := make([]int, n)
	scores := make([]float32, n)
	for i := range n {
		scores[i] = float32(rng.IntN(200)) / 200 // ties
		if rng.Float32() < scores[i] {
			truth[i] = 1
		}
	}
	part := func(lo, hi int) Partial {
		p := Partial{Task: nn.TaskBinary, Rows: int64(hi - lo)}
		idx := make([]int, 0, hi-lo)
		for i := lo; i < hi; i++ {
			idx = append(idx, i)
		}
		slices.SortFunc(idx, func(a, b int) int {
			if scores[a] < scores[b] {
				return -1
			}
			if scores[a] > scores[b] {
				return 1
			}
			return 0
		})
		for _, i := range idx {
			if k := len(p.Scores); k == 0 || p.Scores[k-1] != scores[i] {
				p.Scores, p.Neg, p.Pos = append(p.Scores, scores[i]), append(p.Neg, 0), append(p.Pos, 0)
			}
			if truth[i] == 1 {
				p.Pos[len(p.Pos)-1]++
			} else {
				p.Neg[len(p.Neg)-1]++
			}
		}
		return p
	}
	want, err := nn.ROCAUC(truth, scores)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := part(0, 1000), part(1000, 3500), part(3500, n)
	for _, p := range []Partial{a.Merge(b).Merge(c), c.Merge(a.Merge(b)), b.Merge(c).Merge(a), Partial{}.Merge(a).Merge(Partial{}).Merge(c).Merge(b)} {
		got, ok := rocAUC(p.Scores, p.Neg, p.Pos)
		if !ok || math.Abs(got-want) > 1e-12 {
			t.Errorf("roc auc %v, nn.ROCAUC %v", got, want)
		}
	}

	// Regression: the sums and Chan's update against nn.MSE and nn.R2.
	y := make([]float32, n)
	pred := make([]float32, n)
	for i := range n {
		y[i] = float32(1000 + rng.NormFloat64()*3)
		pred[i] = y[i] + float32(rng.NormFloat64())
	}
	reg := func(lo, hi int) Partial {
		p := Partial{Task: nn.TaskRegression, Rows: int64(hi - lo)}
		for i := lo; i < hi; i++ {
			p.Mean += float64(y[i])
		}
		p.Mean /= float64(hi - lo)
		for i := lo; i < hi; i++ {
			d := float64(y[i]) - float64(pred[i])
			p.SSE += d * d
			p.SAE += math.Abs(d)
			e := float64(y[i]) - p.Mean
			p.M2 += e * e
		}
		return p
	}
	m := (&metricsFn{}).ExtractOutput(reg(0, 7).Merge(reg(7, 4000)).Merge(reg(4000, n)))
	mse, _ := nn.MSE(y, pred)
	r2, _ := nn.R2(y, pred)
	if math.Abs(m.Metrics["mse"]-mse) > 1e-9*mse || math.Abs(m.Metrics["r2"]-r2) > 1e-9 {
		t.Errorf("mse %v r2 %v, nn gives %v %v", m.Metrics["mse"], m.Metrics["r2"], mse, r2)
	}
}
