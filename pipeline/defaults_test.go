package pipeline

import (
	"bytes"
	"context"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dense-ml/dense/nn"
)

// TestChooseSettings checks the rules of defaults.go on a tiny and a large
// table (the expected values worked out by hand from the documented
// rules), and that every explicit setting wins.
func TestChooseSettings(t *testing.T) {
	base := TrainConfig{Target: "y", ValSplit: 0.2}.withDefaults()
	for _, c := range []struct {
		name                 string
		cfg                  TrainConfig
		task                 nn.Task
		rows                 int
		batch, epochs, pat   int // pat 0: no early stopping
		plateau              int // 0: constant rate
		lr, minLR, wd        float64
		autoMarks, summaryIn string
	}{
		// 90 rows: 3 batches of 32, 20,000 steps → capped at 1000 epochs;
		// 500 steps → 167 epochs of patience, capped at 50; plateau 25.
		{"tiny", base, nn.TaskMulticlass, 90, 32, 1000, 50, 25, AdamLR, AdamLR / 10, DefaultWeightDecay, "(auto", "early stopping after 50 epochs"},
		// 100,000 rows: batch 256 (391 batches), 52 epochs for 20,000
		// steps; patience 2 → at least 10; plateau 5.
		{"large", base, nn.TaskBinary, 100_000, 256, 52, 10, 5, AdamLR, AdamLR / 10, DefaultWeightDecay, "(auto", "batch 256 (auto: 100,000 training rows)"},
		{"explicit", func() TrainConfig {
			c := base
			c.BatchSize, c.Epochs, c.Patience, c.LR, c.LRSchedule, c.WeightDecay = 8, 5, -1, 0.01, ScheduleConstant, -1
			return c
		}(), nn.TaskRegression, 90, 8, 5, 0, 0, 0.01, 0, 0, "", "batch 8, 5 epochs, no early stopping, adam lr 0.01, constant rate, no weight decay"},
		{"given patience and decay", func() TrainConfig {
			c := base
			c.Patience, c.WeightDecay = 4, 0.5
			return c
		}(), nn.TaskBinary, 90, 32, 1000, 4, 2, AdamLR, AdamLR / 10, 0.5, "(auto", "early stopping after 4 epochs without a better val_loss, best epoch kept, adam"},
		{"adamw keeps its decay", func() TrainConfig { c := base; c.Optimizer = nn.OptAdamW; return c }(),
			nn.TaskBinary, 1000, 32, 625, 16, 8, AdamLR, AdamLR / 10, 0.01, "(auto", "adamw lr 0.003 (auto: classification)"},
		{"regression's rate", base, nn.TaskRegression, 1000, 32, 625, 16, 8, AdamRegressionLR, AdamRegressionLR / 10, DefaultWeightDecay, "(auto", "adam lr 0.01 (auto: regression)"},
		{"sgd keeps its rate", func() TrainConfig { c := base; c.Optimizer = nn.OptSGD; return c }(),
			nn.TaskRegression, 1000, 32, 625, 16, 8, 0.01, 0.001, DefaultWeightDecay, "(auto", "sgd lr 0.01 (auto)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := chooseSettings(c.cfg, c.task, c.rows*5/4, c.rows, false)
			f := s.fit
			if f.BatchSize != c.batch || s.BatchSize != c.batch || f.Epochs != c.epochs || s.MaxEpochs != c.epochs {
				t.Errorf("batch %d/%d epochs %d/%d, want %d and %d", f.BatchSize, s.BatchSize, f.Epochs, s.MaxEpochs, c.batch, c.epochs)
			}
			if c.pat == 0 {
				if f.EarlyStopping != nil || s.Patience != 0 {
					t.Errorf("early stopping %+v (patience %d), want none", f.EarlyStopping, s.Patience)
				}
			} else if es := f.EarlyStopping; es == nil || es.Patience != c.pat || s.Patience != c.pat || !es.RestoreBest || es.Monitor != "val_loss" {
				t.Errorf("early stopping %+v, want patience %d on val_loss restoring the best", es, c.pat)
			}
			if c.plateau == 0 {
				if f.ReduceLR != nil || s.LRSchedule != ScheduleConstant {
					t.Errorf("schedule %q %+v, want a constant rate", s.LRSchedule, f.ReduceLR)
				}
			} else if p := f.ReduceLR; p == nil || p.Patience != c.plateau || p.Factor != 0.5 || math.Abs(p.MinLR-c.minLR) > 1e-12 ||
				s.LRSchedule != SchedulePlateau || s.PlateauPatience != c.plateau {
				t.Errorf("schedule %q %+v, want plateau patience %d, min rate %v", s.LRSchedule, p, c.plateau, c.minLR)
			}
			if f.Optimizer.LR != c.lr || s.LR != c.lr || f.Optimizer.WeightDecay != c.wd || s.WeightDecay != c.wd {
				t.Errorf("lr %v weight decay %v, want %v and %v", f.Optimizer.LR, f.Optimizer.WeightDecay, c.lr, c.wd)
			}
			if !strings.Contains(s.Summary, c.summaryIn) || (c.autoMarks == "") != !strings.Contains(s.Summary, "(auto") {
				t.Errorf("summary %q, want it to contain %q (auto marks: %v)", s.Summary, c.summaryIn, c.autoMarks != "")
			}
		})
	}
}

// TestTrainRecordsSettings: the settings used (800 training rows: 25
// batches of 32, a patience of 500/25 epochs) are in the result, in the
// Start event and in the model's provenance, and survive the model file.
func TestTrainRecordsSettings(t *testing.T) {
	mem := checkedMem(t)
	r := newMemReader(genBatches(mem, 1000, 1)...)
	defer r.Close()
	cfg := TrainConfig{Target: "churn", Exclude: []string{"spend", "tier"}, Hidden: []int{8}, Epochs: 3, Seed: 1}
	var started *nn.TrainingSettings
	cfg.OnEvent = func(e Event) {
		if e.Kind == EventStart {
			started = e.Settings
		}
	}
	res, err := Train(context.Background(), r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Settings
	if s.MaxEpochs != 3 || s.BatchSize != 32 || s.Patience != 20 || s.LR != AdamLR || s.ValSplit != 0.2 ||
		!strings.Contains(s.Summary, "up to 3 epochs, early stopping after 20 epochs") {
		t.Errorf("settings %+v", s)
	}
	if started == nil || *started != s {
		t.Errorf("start event settings %+v, want %+v", started, s)
	}
	var buf bytes.Buffer
	if _, err := res.Model.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	m, err := nn.Read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Spec().Provenance.Training; got == nil || *got != s {
		t.Errorf("provenance training settings %+v, want %+v", got, s)
	}
}

// TestTrainReproducibleAcrossThreads: the same data, seed and settings give
// a bit-identical model file on 1, 2 and 4 threads (the element-wise loops
// and the GEMM split differently; batches of 256 × 128 units are above the
// element-wise loops' parallel threshold), with SOURCE_DATE_EPOCH fixing
// the creation time.
func TestTrainReproducibleAcrossThreads(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	defer nn.SetGemmThreads(nn.SetGemmThreads(0))
	var files [][]byte
	for _, threads := range []int{1, 2, 4} {
		nn.SetGemmThreads(threads)
		mem := checkedMem(t)
		r := newMemReader(genBatches(mem, 3000, 7)...)
		cfg := TrainConfig{Target: "tier", Exclude: []string{"spend", "churn"}, Hidden: []int{128, 64}, Dropout: 0.1,
			BatchSize: 256, Epochs: 6, Seed: 5, Threads: threads}
		res, err := Train(context.Background(), r, cfg)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Model.Spec().Provenance.Created; !got.Equal(time.Unix(1700000000, 0)) {
			t.Fatalf("created %v, want SOURCE_DATE_EPOCH's time", got)
		}
		var buf bytes.Buffer
		if _, err := res.Model.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		files = append(files, buf.Bytes())
	}
	for i, n := range []int{2, 4} {
		if !bytes.Equal(files[0], files[i+1]) {
			t.Errorf("the model file trained on %d threads differs from the one on 1 thread", n)
		}
	}
}

func TestTrainRefusesBadSourceDateEpoch(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	mem := checkedMem(t)
	r := newMemReader(genBatches(mem, 100, 1)...)
	defer r.Close()
	_, err := Train(context.Background(), r, TrainConfig{Target: "churn", Exclude: []string{"spend", "tier"}, Epochs: 1})
	if err == nil || !strings.Contains(err.Error(), `SOURCE_DATE_EPOCH "yesterday"`) {
		t.Fatalf("err = %v, want it to name SOURCE_DATE_EPOCH", err)
	}
}

// TestSpecDefaults: a YAML spec's training keys map onto TrainConfig as
// dense train's flags do: omitted, they stay zero (chosen from the rows);
// patience: 0 and weight_decay: 0 mean off; given values are used as they
// are; bad values name their key.
func TestSpecDefaults(t *testing.T) {
	cfgOf := func(training string) TrainConfig {
		t.Helper()
		s, err := ParseSpec([]byte(validSpec + training))
		if err != nil {
			t.Fatal(err)
		}
		return s.TrainConfig()
	}
	c := cfgOf("")
	if c.Epochs != 0 || c.BatchSize != 0 || c.Patience != 0 || c.LR != 0 || c.WeightDecay != 0 || c.LRSchedule != ScheduleAuto {
		t.Errorf("omitted training keys: %+v, want zeros (chosen from the rows)", c)
	}
	c = cfgOf("training: {patience: 0, weight_decay: 0, lr_schedule: constant}\n")
	if c.Patience >= 0 || c.WeightDecay >= 0 || c.LRSchedule != ScheduleConstant {
		t.Errorf("patience 0, weight_decay 0, constant: %+v, want off, none, constant", c)
	}
	c = cfgOf("training: {epochs: 7, batch_size: 16, patience: 3, weight_decay: 0.01, learning_rate: 0.02, lr_schedule: plateau}\n")
	if c.Epochs != 7 || c.BatchSize != 16 || c.Patience != 3 || c.WeightDecay != 0.01 || c.LR != 0.02 || c.LRSchedule != SchedulePlateau {
		t.Errorf("given keys: %+v", c)
	}
	for yaml, want := range map[string]string{
		"training: {lr_schedule: cosine}\n": `training.lr_schedule: must be plateau or constant, got "cosine"`,
		"training: {weight_decay: -1}\n":    "training.weight_decay: must be ≥ 0 (0 = none), got -1",
	} {
		if _, err := ParseSpec([]byte(validSpec + yaml)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", yaml, err, want)
		}
	}
}

func TestDefaultValSplit(t *testing.T) {
	for _, c := range []struct {
		rows int
		want float64
	}{{0, 0.2}, {150, 0.2}, {5000, 0.2}, {9000, 1000.0 / 9000}, {10_000, 0.1}, {1_000_000, 0.1}} {
		if got := DefaultValSplit(c.rows); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%d rows: %v, want %v", c.rows, got, c.want)
		}
	}
}
