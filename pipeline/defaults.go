package pipeline

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dense-ml/dense/nn"
)

// The training settings Train chooses from the data where TrainConfig
// leaves them at zero. The size rules are nn's (nn/defaults.go, the one
// source of dense's training defaults: Fit uses them too); dense train, the
// YAML spec, SQL's dense_train and the Go API all come here, and the
// settings a model was trained with (chosen or given) are stored in its
// provenance (nn.TrainingSettings) and printed by dense train in one line.
//
//   - The validation split DefaultValSplit: 20% of the rows up to 5,000
//     rows, then 1,000 rows but at least 10%: a large table gives more of
//     its rows to training, where a thousand validation rows already
//     measure the loss well enough to stop on (on bench/quality's 12,000-row
//     table, 26 classes, this is +0.8% accuracy).
//   - Batch size nn.DefaultBatchSize: 32 up to 2,048 training rows, then
//     growing with the rows up to 256.
//   - Epochs nn.DefaultEpochs: a cap, not a count, enough for 20,000
//     optimiser steps, between 50 and 1,000 epochs.
//   - Early stopping on the validation loss, the best epoch's weights
//     restored: training stops when it has learnt, not after a fixed count.
//     Patience nn.DefaultPatience: enough epochs for 500 steps, between 10
//     and 50.
//   - The learning rate for adam and adamw: AdamLR for classification
//     (three times PyTorch's 0.001: with the schedule below, it learns
//     faster and as well on every classification table of bench/quality),
//     AdamRegressionLR for regression (on a standardised target: +0.01 to
//     +0.02 R² on each regression table of bench/quality, where 0.01 made
//     classification worse); the optimiser's default for the others (sgd
//     0.01, rmsprop 0.001); halved after
//     half the early-stopping patience without a better validation loss
//     (nn.ReduceLROnPlateau), down to a tenth of the first rate.
//   - Weight decay DefaultWeightDecay (L2, added to the gradient; adamw's
//     is decoupled), light regularisation for small tables.
//
// An explicit setting always wins: a given Epochs is the cap, a given
// BatchSize or LR is used as it is; Patience < 0 turns early stopping off,
// WeightDecay < 0 turns weight decay off, LRSchedule "constant" keeps the
// rate fixed.
const (
	DefaultPlateauFactor = 0.5
	PlateauMinLRFactor   = 0.1
	AdamLR               = 0.003
	AdamRegressionLR     = 0.01
	DefaultWeightDecay   = 1e-4
)

// The validation split's rule (DefaultValSplit).
const (
	MaxValSplit = 0.2
	MinValSplit = 0.1
	ValRows     = 1000
)

// DefaultValSplit is the validation fraction for a table of rows rows (the
// rows with a target): MaxValSplit, or ValRows rows where that is less, but
// at least MinValSplit.
func DefaultValSplit(rows int) float64 {
	if rows <= 0 {
		return MaxValSplit
	}
	return min(MaxValSplit, max(MinValSplit, ValRows/float64(rows)))
}

// The learning-rate schedules of TrainConfig.LRSchedule.
const (
	ScheduleAuto     = ""
	SchedulePlateau  = "plateau"
	ScheduleConstant = "constant"
)

// settings are the resolved training settings of one Train call.
type settings struct {
	nn.TrainingSettings
	fit nn.FitConfig // Optimizer, BatchSize, Epochs, EarlyStopping, ReduceLR
}

// chooseSettings resolves the zero fields of cfg (after withDefaults and
// the validation split: valAuto says it was chosen, of rows rows) for
// trainRows training rows and explains each choice.
func chooseSettings(cfg TrainConfig, task nn.Task, rows, trainRows int, valAuto bool) settings {
	var s settings
	var parts []string
	note := func(text string, auto bool, why string) {
		if auto {
			text += " (auto" + why + ")"
		}
		parts = append(parts, text)
	}

	note(fmt.Sprintf("validation %.3g%%", 100*cfg.ValSplit), valAuto, ": "+nn.Thousands(rows)+" rows")

	batch := cfg.BatchSize
	if batch == 0 {
		batch = nn.DefaultBatchSize(trainRows)
	}
	batch = min(batch, max(trainRows, 1))
	note("batch "+strconv.Itoa(batch), cfg.BatchSize == 0, ": "+nn.Thousands(trainRows)+" training rows")

	steps := (trainRows + batch - 1) / batch
	epochs := cfg.Epochs
	if epochs == 0 {
		epochs = nn.DefaultEpochs(trainRows, batch)
	}
	patience := cfg.Patience
	if patience == 0 {
		patience = nn.DefaultPatience(trainRows, batch)
	}
	epochText := "up to " + strconv.Itoa(epochs) + " epochs"
	if patience < 0 {
		epochText = strconv.Itoa(epochs) + " epochs"
	}
	note(epochText, cfg.Epochs == 0, fmt.Sprintf(": ≥ %s steps at %d batches an epoch", nn.Thousands(nn.MinSteps), steps))
	if patience > 0 {
		note(fmt.Sprintf("early stopping after %d epochs without a better val_loss, best epoch kept", patience), cfg.Patience == 0, "")
		s.fit.EarlyStopping = &nn.EarlyStopping{Monitor: "val_loss", Patience: patience, RestoreBest: true}
	} else {
		parts = append(parts, "no early stopping")
		patience = 0
	}

	opt, _ := nn.OptimizerConfig{Name: cfg.Optimizer, LR: cfg.LR}.Resolved()
	why := ""
	if cfg.LR == 0 && (opt.Name == nn.OptAdam || opt.Name == nn.OptAdamW) {
		opt.LR, why = AdamLR, ": classification"
		if task == nn.TaskRegression {
			opt.LR, why = AdamRegressionLR, ": regression"
		}
	}
	note(fmt.Sprintf("%s lr %s", opt.Name, formatFloat(opt.LR)), cfg.LR == 0, why)
	schedule := cfg.LRSchedule
	if schedule == ScheduleAuto {
		schedule = SchedulePlateau
	}
	if schedule == SchedulePlateau {
		pp := max(patience/2, 1)
		if patience == 0 { // no early stopping: half the patience it would have had
			pp = max(nn.DefaultPatience(trainRows, batch)/2, 1)
		}
		s.fit.ReduceLR = &nn.ReduceLROnPlateau{Monitor: "val_loss", Factor: DefaultPlateauFactor,
			Patience: pp, MinLR: opt.LR * PlateauMinLRFactor}
		note(fmt.Sprintf("halved after %d epochs without a better val_loss", pp), cfg.LRSchedule == ScheduleAuto, "")
	} else {
		parts = append(parts, "constant rate")
	}

	wd := cfg.WeightDecay
	switch {
	case wd == 0 && opt.Name == nn.OptAdamW:
		wd = opt.WeightDecay // adamw's own default
	case wd == 0:
		wd = DefaultWeightDecay
	case wd < 0:
		wd = 0
	}
	if wd > 0 {
		note("weight decay "+formatFloat(wd), cfg.WeightDecay == 0, "")
	} else {
		parts = append(parts, "no weight decay")
	}

	s.fit.Optimizer = nn.OptimizerConfig{Name: opt.Name, LR: opt.LR, WeightDecay: wd}
	s.fit.BatchSize, s.fit.Epochs = batch, epochs
	s.TrainingSettings = nn.TrainingSettings{
		BatchSize: batch, MaxEpochs: epochs, Patience: patience,
		Optimizer: string(opt.Name), LR: opt.LR, WeightDecay: wd, LRSchedule: schedule,
		ValSplit: cfg.ValSplit, Summary: strings.Join(parts, ", "),
	}
	if s.fit.ReduceLR != nil {
		s.PlateauPatience, s.PlateauFactor = s.fit.ReduceLR.Patience, s.fit.ReduceLR.Factor
	}
	return s
}

func formatFloat(v float64) string {
	if v != 0 && math.Abs(v) < 1e-3 {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// created is the time recorded in a model's provenance: now, or
// $SOURCE_DATE_EPOCH (seconds since 1970, the reproducible-builds
// convention) when it is set. Training is deterministic for a seed on any
// thread count, so with it the same data, seed and settings give a
// bit-identical model file.
func created() (time.Time, error) {
	v, ok := os.LookupEnv("SOURCE_DATE_EPOCH")
	if !ok || v == "" {
		return time.Now().UTC(), nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: want whole seconds since 1970-01-01 UTC", v)
	}
	return time.Unix(sec, 0).UTC(), nil
}
