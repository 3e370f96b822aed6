package pipeline

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/tabular"
)

// genBatches generates n rows in batches of 100: numeric a and b (b has
// some NULLs), a categorical region, and three targets that depend on them
// learnably: churn (yes/no), spend (a float, offset far from 0) and tier
// (three classes).
func genBatches(mem memory.Allocator, n int, seed uint64) []arrow.RecordBatch {
	rng := rand.New(rand.NewPCG(seed, 1))
	regions := []string{"north", "south", "east", "west"}
	effect := map[string]float64{"north": 1, "south": -1, "east": 0.5, "west": -0.5}
	var out []arrow.RecordBatch
	for start := 0; start < n; start += 100 {
		var as, bs, rs, churn, spend, tier []any
		for range min(100, n-start) {
			a := rng.NormFloat64()
			b := rng.NormFloat64() * 3
			r := regions[rng.IntN(len(regions))]
			z := a + b/3 + effect[r]
			as = append(as, a)
			if rng.IntN(20) == 0 {
				bs = append(bs, nil)
			} else {
				bs = append(bs, b)
			}
			rs = append(rs, r)
			if z > 0 {
				churn = append(churn, "yes")
			} else {
				churn = append(churn, "no")
			}
			spend = append(spend, 500+40*a-10*b+30*effect[r])
			switch {
			case z < -0.7:
				tier = append(tier, "bronze")
			case z < 0.7:
				tier = append(tier, "silver")
			default:
				tier = append(tier, "gold")
			}
		}
		out = append(out, batch(f64Col(mem, "a", as...), f64Col(mem, "b", bs...), strCol(mem, "region", rs...),
			strCol(mem, "churn", churn...), f64Col(mem, "spend", spend...), strCol(mem, "tier", tier...)))
	}
	return out
}

func quickConfig(target string) TrainConfig {
	return TrainConfig{
		Target:  target,
		Exclude: slices.DeleteFunc([]string{"churn", "spend", "tier"}, func(s string) bool { return s == target }),
		Hidden:  []int{16},
		Epochs:  15, BatchSize: 32, LR: 0.01, Seed: 3, Patience: 4, Source: "generated",
	}
}

func TestTrainTasks(t *testing.T) {
	for _, tc := range []struct {
		target, task, metric string
		min                  float64
		labels               []string
	}{
		{"churn", TaskBinary, "accuracy", 0.9, []string{"no", "yes"}},
		{"tier", TaskMulticlass, "accuracy", 0.8, []string{"bronze", "gold", "silver"}},
		{"spend", TaskRegression, "r2", 0.95, nil},
	} {
		t.Run(tc.target, func(t *testing.T) {
			mem := checkedMem(t)
			r := newMemReader(genBatches(mem, 1000, 1)...)
			defer r.Close()
			var epochs, batches, reads int
			cfg := quickConfig(tc.target)
			cfg.OnEvent = func(e Event) {
				switch e.Kind {
				case EventEpoch:
					epochs++
					if _, ok := e.Metrics["val_loss"]; !ok {
						t.Errorf("epoch event without val_loss: %v", e.Metrics)
					}
				case EventBatch:
					batches++
				case EventRead:
					reads++
				}
			}
			res, err := Train(context.Background(), r, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d epochs, validation %v", len(res.History.Epochs), res.Metrics)
			s := res.Model.Spec()
			if string(s.Task) != tc.task || !slices.Equal(s.Labels, tc.labels) || s.Target != tc.target {
				t.Errorf("task %s labels %q target %s", s.Task, s.Labels, s.Target)
			}
			if got := res.Metrics[tc.metric]; !(got >= tc.min) {
				t.Errorf("validation %s = %v, want ≥ %v (metrics %v)", tc.metric, got, tc.min, res.Metrics)
			}
			if res.Rows != 1000 || res.TrainRows+res.ValRows != 1000 || res.ValRows != 200 {
				t.Errorf("rows %d = %d train + %d val", res.Rows, res.TrainRows, res.ValRows)
			}
			if reads != 10 || epochs != len(res.History.Epochs) || epochs == 0 || batches < epochs*25 {
				t.Errorf("events: %d reads, %d epochs (history %d), %d batches", reads, epochs, len(res.History.Epochs), batches)
			}
			p := s.Provenance
			if p.Rows != 1000 || p.Seed != 3 || p.Epochs != len(res.History.Epochs) || p.Source != "generated" ||
				len(p.SchemaFingerprint) != 32 || p.Created.IsZero() || p.Metrics[tc.metric] != res.Metrics[tc.metric] {
				t.Errorf("provenance %+v", p)
			}
			names := []string{}
			for _, in := range s.Inputs {
				names = append(names, in.Name)
			}
			if !slices.Equal(names, []string{"a", "b", "region"}) || s.InputWidth() != 1+1+5 {
				t.Errorf("inputs %v width %d", names, s.InputWidth())
			}
		})
	}
}

// The regression model predicts in raw units (the target scaling is folded
// into the output layer): its validation metrics match a recomputation from
// Predict on the same encoded rows.
func TestTrainRegressionPredictsRawUnits(t *testing.T) {
	mem := checkedMem(t)
	batches := genBatches(mem, 400, 2)
	r := newMemReader(batches...)
	defer r.Close()
	cfg := quickConfig("spend")
	res, err := Train(context.Background(), r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Rebuild the same data and encode it with the model's inputs.
	again := genBatches(mem, 400, 2)
	enc, err := newRowEncoder(res.Model.Spec().Inputs)
	if err != nil {
		t.Fatal(err)
	}
	w := enc.enc.Width()
	x := make([]float32, 400*w)
	var y []float64
	off := 0
	for _, b := range again {
		base := off
		if err := enc.encode(b, int64(off), func(i int) []float32 { return x[(base+i)*w : (base+i+1)*w] }); err != nil {
			t.Fatal(err)
		}
		at, _ := tabular.NumberGetter(b.Column(4))
		for i := range int(b.NumRows()) {
			v, _ := at(i)
			y = append(y, v)
		}
		off += int(b.NumRows())
		b.Release()
	}
	pred, err := res.Model.Predict(x, 400)
	if err != nil {
		t.Fatal(err)
	}
	var mean, res2, tot float64
	for _, v := range y {
		mean += v / float64(len(y))
	}
	for i, v := range y {
		res2 += (v - float64(pred[i])) * (v - float64(pred[i]))
		tot += (v - mean) * (v - mean)
	}
	if r2 := 1 - res2/tot; r2 < 0.95 {
		t.Errorf("R² over all rows in raw units = %v, want ≥ 0.95 (mean target %v)", r2, mean)
	}
}

func TestTrainCancellation(t *testing.T) {
	mem := checkedMem(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := newMemReader(genBatches(mem, 200, 1)...)
	defer r.Close()
	_, err := Train(ctx, r, quickConfig("churn"))
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "pipeline: train: ") {
		t.Errorf("cancelled before start: err = %v", err)
	}

	// Cancelled during training, from the first epoch's event.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	r2 := newMemReader(genBatches(mem, 300, 1)...)
	defer r2.Close()
	cfg := quickConfig("churn")
	cfg.Patience = 0
	epochs := 0
	cfg.OnEvent = func(e Event) {
		if e.Kind == EventEpoch {
			epochs++
			cancel()
		}
	}
	_, err = Train(ctx, r2, cfg)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "pipeline: train: ") {
		t.Errorf("cancelled while training: err = %v", err)
	}
	if epochs >= cfg.Epochs {
		t.Errorf("ran all %d epochs despite the cancellation", epochs)
	}
}

func TestTrainErrors(t *testing.T) {
	mem := checkedMem(t)
	for _, tc := range []struct {
		name string
		cfg  func(c *TrainConfig)
		want string
	}{
		{"no target", func(c *TrainConfig) { c.Target = "" }, "no target column"},
		{"missing target", func(c *TrainConfig) { c.Target = "nope" }, `target "nope": no such column`},
		{"missing feature", func(c *TrainConfig) { c.Features = []string{"a", "zz"} }, `feature "zz": no such column`},
		{"missing exclude", func(c *TrainConfig) { c.Exclude = append(c.Exclude, "zz") }, `excluded column "zz"`},
		{"target as feature", func(c *TrainConfig) { c.Features = []string{"a", "churn"} }, `target "churn" is also listed as a feature`},
		{"transforms for a non-feature", func(c *TrainConfig) { c.Transforms = map[string]tabular.FeatureOptions{"tier": {}} }, `transforms for "tier"`},
		{"feature and excluded", func(c *TrainConfig) { c.Features = []string{"a", "b"}; c.Exclude = []string{"b"} }, `column "b" is both a feature and excluded`},
		{"epochs", func(c *TrainConfig) { c.Epochs = -1 }, "epochs must be ≥ 1, got -1"},
		{"optimizer", func(c *TrainConfig) { c.Optimizer = "lbfgs" }, `unknown optimizer "lbfgs"`},
		{"activation", func(c *TrainConfig) { c.Activation = "softmax" }, `unknown hidden activation "softmax"`},
		{"hidden", func(c *TrainConfig) { c.Hidden = []int{8, 0} }, "hidden layer 1 has 0 units"},
		{"dropout", func(c *TrainConfig) { c.Dropout = 1 }, "dropout must be in [0, 1)"},
		{"split", func(c *TrainConfig) { c.ValSplit = 1.5 }, "validation split must be in (0, 1)"},
		{"binary on three classes", func(c *TrainConfig) { c.Target, c.Task = "tier", TaskBinary }, "exactly 2 classes"},
	} {
		r := newMemReader(genBatches(mem, 100, 1)...)
		cfg := quickConfig("churn")
		tc.cfg(&cfg)
		_, err := Train(context.Background(), r, cfg)
		r.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "pipeline: train: ") {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

// poisonAlloc overwrites memory when it is freed, as memory from C (a DuckDB
// Arrow stream, memory.Mallocator) stops being readable.
type poisonAlloc struct{ memory.GoAllocator }

func (a *poisonAlloc) Free(b []byte) {
	for i := range b {
		b[i] = '#'
	}
	a.GoAllocator.Free(b)
}

// The model's labels and vocabularies are its own strings, not views of the
// training batches, which Train releases.
func TestTrainOwnsItsStrings(t *testing.T) {
	r := newMemReader(genBatches(&poisonAlloc{}, 600, 5)...)
	defer r.Close()
	res, err := Train(context.Background(), r, quickConfig("tier"))
	if err != nil {
		t.Fatal(err)
	}
	known := []string{"bronze", "silver", "gold", "north", "south", "east", "west"}
	spec := res.Model.Spec()
	words := slices.Clone(spec.Labels)
	for _, in := range spec.Inputs {
		words = append(words, in.Vocabulary...)
	}
	if len(words) != 3+4 {
		t.Fatalf("labels and vocabulary %q", words)
	}
	for _, w := range words {
		if !slices.Contains(known, w) {
			t.Errorf("label or category %q: the model kept a view of a released batch", w)
		}
	}
}

// A regression's history and epoch events are in the target's units: the
// last epoch's val_mae is the final validation MAE (no early stopping, so
// the last epoch's weights are the final model's).
func TestTrainRegressionHistoryInTargetUnits(t *testing.T) {
	mem := checkedMem(t)
	r := newMemReader(genBatches(mem, 400, 2)...)
	defer r.Close()
	cfg := quickConfig("spend")
	cfg.Patience = 0
	var events []Event
	cfg.OnEvent = func(e Event) {
		if e.Kind == EventEpoch || e.Kind == EventStart {
			events = append(events, e)
		}
	}
	res, err := Train(context.Background(), r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	last := res.History.Epochs[len(res.History.Epochs)-1].Values
	if got, want := last["val_mae"], res.Metrics["mae"]; math.Abs(got-want) > 1e-3*math.Abs(want) {
		t.Errorf("last epoch's val_mae %v, final validation MAE %v: the history is not in the target's units", got, want)
	}
	if got, want := last["val_loss"], res.Metrics["mse"]; math.Abs(got-want) > 1e-3*math.Abs(want) {
		t.Errorf("last epoch's val_loss (MSE) %v, final validation MSE %v", got, want)
	}
	if len(events) < 2 || events[0].Kind != EventStart || events[0].Model == nil || events[0].Rows != int64(res.TrainRows) ||
		events[0].ValRows != res.ValRows {
		t.Fatalf("the first event is not the start (model, rows): %+v", events)
	}
	if e := events[len(events)-1]; e.Metrics["val_mae"] != last["val_mae"] {
		t.Errorf("the epoch event says val_mae %v, the history %v", e.Metrics["val_mae"], last["val_mae"])
	}
}
