package pipeline

import (
	"context"
	"errors"
	"io"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// trainOn trains quickly on generated rows and returns the model.
func trainOn(t *testing.T, mem memory.Allocator, cfg TrainConfig) *nn.Model {
	t.Helper()
	r := newMemReader(genBatches(mem, 600, 5)...)
	defer r.Close()
	res, err := Train(context.Background(), r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res.Model
}

// scoringBatches are fresh rows with what scoring must cope with: NULLs in
// a numeric and a categorical column and a region never seen in training.
func scoringBatches(mem memory.Allocator) []arrow.RecordBatch {
	bs := genBatches(mem, 250, 9)
	out := make([]arrow.RecordBatch, 0, len(bs)+1)
	for _, b := range bs {
		out = append(out, b)
	}
	out = append(out, batch(
		f64Col(mem, "a", 0.3, -1.2, nil, 2),
		f64Col(mem, "b", nil, 1.5, 0, -4),
		strCol(mem, "region", "atlantis", nil, "north", "south"),
		strCol(mem, "churn", "yes", "no", "no", "yes"),
		f64Col(mem, "spend", 1, 2, 3, 4),
		strCol(mem, "tier", "gold", "gold", "gold", "gold")))
	return out
}

// encodeAll encodes batches with the model's inputs through nn.Encoder
// (the training path), independently of the score stage.
func encodeAll(t *testing.T, m *nn.Model, batches []arrow.RecordBatch) ([]float32, int) {
	t.Helper()
	enc, err := newRowEncoder(m.Spec().Inputs)
	if err != nil {
		t.Fatal(err)
	}
	w := enc.enc.Width()
	var x []float32
	rows := 0
	for _, b := range batches {
		base := len(x)
		x = append(x, make([]float32, int(b.NumRows())*w)...)
		if err := enc.encode(b, int64(rows), func(i int) []float32 { return x[base+i*w : base+(i+1)*w] }); err != nil {
			t.Fatal(err)
		}
		rows += int(b.NumRows())
	}
	return x, rows
}

func column(t *testing.T, b arrow.RecordBatch, name string) arrow.Array {
	t.Helper()
	idx := b.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("no column %q in %s", name, b.Schema())
	}
	return b.Column(idx[0])
}

func TestScoreEqualsPredict(t *testing.T) {
	for _, target := range []string{"churn", "tier", "spend"} {
		t.Run(target, func(t *testing.T) {
			mem := checkedMem(t)
			model := trainOn(t, mem, quickConfig(target))
			spec := model.Spec()

			in := scoringBatches(mem)
			x, rows := encodeAll(t, model, in)
			want, err := model.Predict(x, rows)
			if err != nil {
				t.Fatal(err)
			}
			var events int
			sr, err := ScoreStage{Model: model, OnEvent: func(e Event) { events++ }}.Apply(context.Background(), newMemReader(in...))
			if err != nil {
				t.Fatal(err)
			}
			w := &collectWriter{}
			defer w.release()
			n, err := Drain(context.Background(), sr, w)
			if err != nil {
				t.Fatal(err)
			}
			sr.Close()
			if n != int64(rows) || events != len(in) {
				t.Fatalf("scored %d rows in %d events, want %d in %d", n, events, rows, len(in))
			}
			if got := w.batches[0].Schema(); !got.Equal(sr.Schema()) {
				t.Errorf("batch schema %s differs from the announced %s", got, sr.Schema())
			}
			out := spec.OutputWidth()
			row := 0
			for _, b := range w.batches {
				if b.NumCols() < 6 || b.ColumnName(0) != "a" || b.ColumnName(5) != "tier" {
					t.Fatalf("input columns not kept: %s", b.Schema())
				}
				score := column(t, b, "prediction").(*array.Float64)
				var label *array.String
				var proba *array.FixedSizeList
				if spec.Task != nn.TaskRegression {
					label = column(t, b, "predicted_label").(*array.String)
					proba = column(t, b, "probabilities").(*array.FixedSizeList)
				} else if len(b.Schema().FieldIndices("predicted_label")) != 0 {
					t.Error("a regression model got a label column")
				}
				for i := range int(b.NumRows()) {
					p := want[row*out : (row+1)*out]
					best := 0
					for j := range p {
						if p[j] > p[best] {
							best = j
						}
					}
					var wantScore float64
					var wantLabel string
					switch spec.Task {
					case nn.TaskRegression:
						wantScore = float64(p[0])
					case nn.TaskBinary:
						wantScore, wantLabel = float64(p[0]), spec.Labels[0]
						if p[0] >= 0.5 {
							wantLabel = spec.Labels[1]
						}
					case nn.TaskMulticlass:
						wantScore, wantLabel = float64(p[best]), spec.Labels[best]
					}
					if score.IsNull(i) || score.Value(i) != wantScore {
						t.Fatalf("row %d: score %v, want %v (nn.Predict on the same encoded row)", row, score.Value(i), wantScore)
					}
					if label != nil && label.Value(i) != wantLabel {
						t.Fatalf("row %d: label %q, want %q", row, label.Value(i), wantLabel)
					}
					if proba != nil {
						vals := proba.ListValues().(*array.Float32)
						start, end := proba.ValueOffsets(i)
						if int(end-start) != len(spec.Labels) {
							t.Fatalf("row %d: %d probabilities for %d labels", row, end-start, len(spec.Labels))
						}
						last := vals.Value(int(end - 1))
						if spec.Task == nn.TaskMulticlass && last != p[len(p)-1] || spec.Task == nn.TaskBinary && last != p[0] {
							t.Fatalf("row %d: last probability %v, outputs %v", row, last, p)
						}
					}
					row++
				}
			}
		})
	}
}

func TestScoreUnencodableRows(t *testing.T) {
	mem := checkedMem(t)
	cfg := quickConfig("churn")
	none := tabular.FeatureOptions{Impute: ImputeNone}
	noUnknown := tabular.FeatureOptions{UnknownBucket: new(false)}
	cfg.Transforms = map[string]tabular.FeatureOptions{"a": none, "region": noUnknown}
	model := trainOn(t, mem, cfg)

	mk := func(a any, region any) []arrow.RecordBatch {
		bs := genBatches(mem, 200, 9) // rows 0..199
		return append(bs, batch(
			f64Col(mem, "a", 0.1, 0.2, a), f64Col(mem, "b", 1, 2, 3), strCol(mem, "region", "north", "east", region),
			strCol(mem, "churn", "yes", "no", "no"), f64Col(mem, "spend", 1, 2, 3), strCol(mem, "tier", "gold", "gold", "gold")))
	}
	for _, tc := range []struct {
		name      string
		a, region any
		want      []string
		cause     error
	}{
		{"NULL without imputation", nil, "north", []string{`pipeline: score: column "a" row 202`}, nn.ErrMissing},
		{"unseen category without unknown bucket", 1.0, "atlantis", []string{`pipeline: score: column "region" row 202`, "atlantis"}, nn.ErrUnknownCategory},
	} {
		r := newMemReader(mk(tc.a, tc.region)...)
		w := &collectWriter{}
		n, err := Score(context.Background(), model, r, w, PredictionColumns{})
		w.release()
		r.Close()
		if err == nil || !errors.Is(err, tc.cause) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.cause)
			continue
		}
		for _, s := range tc.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not mention %q", tc.name, err, s)
			}
		}
		if n != 200 {
			t.Errorf("%s: %d rows written before the bad batch, want 200", tc.name, n)
		}

		// With NullOnError the bad row gets NULL predictions, the rest are scored.
		r = newMemReader(mk(tc.a, tc.region)...)
		sr, err := ScoreStage{Model: model, NullOnError: true}.Apply(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		w = &collectWriter{}
		if _, err := Drain(context.Background(), sr, w); err != nil {
			t.Fatalf("%s: NullOnError: %v", tc.name, err)
		}
		sr.Close()
		last := w.batches[len(w.batches)-1]
		score := column(t, last, "prediction")
		label := column(t, last, "predicted_label")
		if !score.IsValid(0) || !score.IsValid(1) || score.IsValid(2) || label.IsValid(2) {
			t.Errorf("%s: NullOnError validity %v %v %v / label %v", tc.name, score.IsValid(0), score.IsValid(1), score.IsValid(2), label.IsValid(2))
		}
		w.release()
	}
}

func TestScoreErrors(t *testing.T) {
	mem := checkedMem(t)
	model := trainOn(t, mem, quickConfig("churn"))

	// A source without a model column: the error lists the columns there are.
	r := newMemReader(batch(f64Col(mem, "a", 1), strCol(mem, "region", "north")))
	_, err := Score(context.Background(), model, r, &collectWriter{}, PredictionColumns{})
	r.Close()
	if err == nil || !strings.HasPrefix(err.Error(), "pipeline: score: ") || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("missing column: err = %v", err)
	}
	// A prediction column that clashes with an input column.
	r = newMemReader(genBatches(mem, 10, 1)...)
	_, err = Score(context.Background(), model, r, &collectWriter{}, PredictionColumns{Score: "churn"})
	r.Close()
	if err == nil || !strings.Contains(err.Error(), `column "churn" already exists`) {
		t.Errorf("clashing column: err = %v", err)
	}
	// Cancellation.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r = newMemReader(genBatches(mem, 10, 1)...)
	_, err = Score(ctx, model, r, &collectWriter{}, PredictionColumns{})
	r.Close()
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "pipeline: score: ") {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestChainAndMapStage(t *testing.T) {
	mem := checkedMem(t)
	model := trainOn(t, mem, quickConfig("spend"))
	// A map stage doubling column a, then the score stage.
	double := MapStage{Fn: func(_ context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
		a := b.Column(0).(*array.Float64)
		nb := array.NewFloat64Builder(mem)
		defer nb.Release()
		for i := range a.Len() {
			nb.Append(2 * a.Value(i))
		}
		col := nb.NewArray()
		defer col.Release()
		return b.SetColumn(0, col)
	}}
	r, err := Chain(context.Background(), newMemReader(genBatches(mem, 150, 3)...), double, ScoreStage{Model: model})
	if err != nil {
		t.Fatal(err)
	}
	w := &collectWriter{}
	defer w.release()
	n, err := Drain(context.Background(), r, w)
	r.Close()
	if err != nil || n != 150 {
		t.Fatalf("chain: %d rows, %v", n, err)
	}
	// The score reflects the doubled input.
	direct := genBatches(mem, 150, 3)
	defer func() {
		for _, b := range direct {
			b.Release()
		}
	}()
	x, _ := encodeAll(t, model, direct[:1])
	plain, _ := model.Predict(x, 100)
	got := column(t, w.batches[0], "prediction").(*array.Float64)
	a0 := column(t, w.batches[0], "a").(*array.Float64).Value(0)
	if a0 != 2*direct[0].Column(0).(*array.Float64).Value(0) {
		t.Errorf("map stage did not run: a[0] = %v", a0)
	}
	if math.Abs(got.Value(0)-float64(plain[0])) < 1e-9 {
		t.Errorf("score %v ignores the mapped input (same as unmapped %v)", got.Value(0), plain[0])
	}
}

// peakAllocator tracks the most bytes outstanding at once (the score
// stage allocates on its goroutine, the writer releases on the caller's).
type peakAllocator struct {
	memory.Allocator
	mu        sync.Mutex
	cur, peak int64
}

func (a *peakAllocator) add(n int) {
	a.mu.Lock()
	a.cur += int64(n)
	a.peak = max(a.peak, a.cur)
	a.mu.Unlock()
}

func (a *peakAllocator) Allocate(n int) []byte {
	a.add(n)
	return a.Allocator.Allocate(n)
}

func (a *peakAllocator) Reallocate(n int, b []byte) []byte {
	a.add(n - len(b))
	return a.Allocator.Reallocate(n, b)
}

func (a *peakAllocator) Free(b []byte) {
	a.add(-len(b))
	a.Allocator.Free(b)
}

// genReader generates batches on demand, so the source holds one at a time.
type genReader struct {
	mem    memory.Allocator
	left   int
	seed   uint64
	schema *arrow.Schema
}

func (g *genReader) Schema() *arrow.Schema {
	if g.schema == nil {
		b := genBatches(g.mem, 1, 0)[0]
		g.schema = b.Schema()
		b.Release()
	}
	return g.schema
}

func (g *genReader) Read() (arrow.RecordBatch, error) {
	if g.left == 0 {
		return nil, io.EOF
	}
	g.left--
	g.seed++
	return genBatches(g.mem, 100, g.seed)[0], nil
}

func (g *genReader) Close() error { return nil }

type releaseWriter struct{ rows int64 }

func (w *releaseWriter) Write(b arrow.RecordBatch) error { w.rows += b.NumRows(); return nil }
func (w *releaseWriter) Close() error                    { return nil }

// Scoring streams: the Arrow memory outstanding at the peak does not grow
// with the number of batches beyond the two the stage's hand-off holds.
func TestScoreMemoryIsFlat(t *testing.T) {
	model := trainOn(t, memory.NewGoAllocator(), quickConfig("tier"))
	peak := func(batches int) int64 {
		a := &peakAllocator{Allocator: memory.NewGoAllocator()}
		cols := DefaultPredictionColumns(nn.TaskMulticlass)
		cols.Allocator = a
		w := &releaseWriter{}
		n, err := Score(context.Background(), model, &genReader{mem: a, left: batches}, w, cols)
		if err != nil || n != int64(batches*100) {
			t.Fatalf("scored %d rows: %v", n, err)
		}
		if a.cur != 0 {
			t.Errorf("%d bytes still allocated after scoring %d batches", a.cur, batches)
		}
		return a.peak
	}
	// The stage scores batch i+1 while the caller writes batch i: at most
	// two batches (each its input and its prediction columns) at once.
	one := peak(1)
	for _, n := range []int{5, 100} {
		p := peak(n)
		t.Logf("peak Arrow memory: %d bytes over %d batches, %d over 1", p, n, one)
		if p > 2*one+one/4 {
			t.Errorf("peak Arrow memory grows with the stream: %d bytes for %d batches, more than two batches' (%d for 1)", p, n, one)
		}
	}
}
