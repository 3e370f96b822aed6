package dense

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/file"

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
		pts := make([]point, 0, hi-lo)
		for i := lo; i < hi; i++ {
			pts = append(pts, point{scores[i], truth[i] == 1})
		}
		p.Scores, p.Neg, p.Pos = curve(pts)
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

// TestBundleWriters: a bundle's Batches spread over its writer goroutines
// (a file each) come out whole, in row groups of at least groupRows rows
// but a file's last; a file that cannot be created fails the bundle.
func TestBundleWriters(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 8))
	const batches, rows = 10, 16384
	tmp := t.TempDir()
	fn := &bundleWriteFn{Tmp: tmp, Writers: 2}
	ids := map[int64]bool{}
	for i := range batches {
		rec := customers(rows, int64(i*rows), rng)
		if err := fn.ProcessElement(ctx, Batch{Record: rec, Source: "in.parquet", Row: int64(i * rows)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var parts []partFile
	if err := fn.FinishBundle(func(p partFile) { parts = append(parts, p) }); err != nil {
		t.Fatal(err)
	}
	if len(parts) == 0 || len(parts) > 2 {
		t.Fatalf("%d files, want 1 or 2", len(parts))
	}
	for _, p := range parts {
		f, err := os.Open(p.Path)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := file.NewParquetReader(f)
		if err != nil {
			t.Fatal(err)
		}
		md := pf.MetaData()
		for g := range md.NumRowGroups() {
			if n := md.RowGroup(g).NumRows(); n < groupRows && g < md.NumRowGroups()-1 {
				t.Errorf("%s: row group %d has %d rows, want at least %d", p.Path, g, n, groupRows)
			}
		}
		pf.Close()
		for _, id := range readIDs(t, p.Path) {
			if ids[id] {
				t.Fatalf("id %d written twice", id)
			}
			ids[id] = true
		}
	}
	if len(ids) != batches*rows {
		t.Errorf("%d rows written, want %d", len(ids), batches*rows)
	}

	// A temporary folder under a regular file cannot be created.
	blocked := filepath.Join(tmp, "file")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fn = &bundleWriteFn{Tmp: filepath.Join(blocked, "tmp"), Writers: 2}
	var err error
	for i := 0; i < 3 && err == nil; i++ {
		err = fn.ProcessElement(ctx, Batch{Record: customers(10, 0, rng), Source: "in.parquet"}, nil)
	}
	if err == nil {
		err = fn.FinishBundle(func(partFile) { t.Error("a file emitted from a failed bundle") })
	}
	if err == nil {
		t.Error("no error writing under a regular file")
	}
	fn.Teardown()
}

// readIDs reads the id column of a Parquet file.
func readIDs(t *testing.T, path string) []int64 {
	t.Helper()
	var ids []int64
	eachBatch(t, []string{path}, func(b arrow.RecordBatch) {
		ids = append(ids, b.Column(b.Schema().FieldIndices("id")[0]).(*array.Int64).Int64Values()...)
	})
	return ids
}
