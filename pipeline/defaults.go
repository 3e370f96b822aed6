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
// leaves them at zero. They are the one source of dense's table-training
// defaults: dense train, the YAML spec and the Go API all come here, and
// the settings a model was trained with (chosen or given) are stored in its
// provenance (nn.TrainingSettings) and printed by dense train in one line.
//
//   - Early stopping on the validation loss, the best epoch's weights
//     restored: training stops when it has learnt, not after a fixed count.
//     Patience: enough epochs for PatienceSteps optimiser steps, between
//     MinPatience and MaxPatience epochs (a small table's validation loss is
//     noisy and improves slowly: it gets the longer patience).
//   - Epochs: a cap, not a count: enough epochs for at least MinSteps
//     optimiser steps, between MinEpochs and MaxEpochs. Small tables get
//     many epochs (a 150-row table has a handful of batches per epoch), large
//     ones fewer.
//   - Batch size from the training rows: SmallBatch below BigBatchRows
//     rows, else growing with the rows up to MaxBatch (larger batches for
//     speed on large tables, where there are steps enough).
//   - The learning rate: AdamLR for adam and adamw (three times PyTorch's
//     0.001: with the schedule below, it learns faster and as well on
//     every table of bench/quality), the optimiser's default for the
//     others (sgd 0.01, rmsprop 0.001); halved after
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
	PatienceSteps        = 500
	MinPatience          = 10
	MaxPatience          = 50
	DefaultPlateauFactor = 0.5
	PlateauMinLRFactor   = 0.1
	AdamLR               = 0.003
	DefaultWeightDecay   = 1e-4
	MinSteps             = 20000
	MinEpochs            = 50
	MaxEpochs            = 1000
	SmallBatch           = 32
	MaxBatch             = 256
	BigBatchRows         = 4096
)

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

// chooseSettings resolves the zero fields of cfg (after withDefaults) for
// trainRows training rows and explains each choice.
func chooseSettings(cfg TrainConfig, trainRows int) settings {
	var s settings
	var parts []string
	note := func(text string, auto bool, why string) {
		if auto {
			text += " (auto" + why + ")"
		}
		parts = append(parts, text)
	}

	batch := cfg.BatchSize
	if batch == 0 {
		batch = autoBatch(trainRows)
	}
	batch = min(batch, max(trainRows, 1))
	note("batch "+strconv.Itoa(batch), cfg.BatchSize == 0, ": "+nn.Thousands(trainRows)+" training rows")

	steps := (trainRows + batch - 1) / batch
	epochs := cfg.Epochs
	if epochs == 0 {
		epochs = min(max((MinSteps+steps-1)/max(steps, 1), MinEpochs), MaxEpochs)
	}
	patience := cfg.Patience
	if patience == 0 {
		patience = autoPatience(steps)
	}
	epochText := "up to " + strconv.Itoa(epochs) + " epochs"
	if patience < 0 {
		epochText = strconv.Itoa(epochs) + " epochs"
	}
	note(epochText, cfg.Epochs == 0, fmt.Sprintf(": ≥ %s steps at %d batches an epoch", nn.Thousands(MinSteps), steps))
	if patience > 0 {
		note(fmt.Sprintf("early stopping after %d epochs without a better val_loss, best epoch kept", patience), cfg.Patience == 0, "")
		s.fit.EarlyStopping = &nn.EarlyStopping{Monitor: "val_loss", Patience: patience, RestoreBest: true}
	} else {
		parts = append(parts, "no early stopping")
		patience = 0
	}

	opt, _ := nn.OptimizerConfig{Name: cfg.Optimizer, LR: cfg.LR}.Resolved()
	if cfg.LR == 0 && (opt.Name == nn.OptAdam || opt.Name == nn.OptAdamW) {
		opt.LR = AdamLR
	}
	note(fmt.Sprintf("%s lr %s", opt.Name, formatFloat(opt.LR)), cfg.LR == 0, "")
	schedule := cfg.LRSchedule
	if schedule == ScheduleAuto {
		schedule = SchedulePlateau
	}
	if schedule == SchedulePlateau {
		pp := max(patience/2, 1)
		if patience == 0 { // no early stopping: half the patience it would have had
			pp = max(autoPatience(steps)/2, 1)
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

// autoPatience is the early-stopping patience for steps batches per epoch.
func autoPatience(steps int) int {
	return min(max((PatienceSteps+steps-1)/max(steps, 1), MinPatience), MaxPatience)
}

// autoBatch is the batch size for a number of training rows: SmallBatch up
// to BigBatchRows rows, then doubling with the rows (a hundred-odd batches
// per epoch) up to MaxBatch.
func autoBatch(rows int) int {
	b := SmallBatch
	for b < MaxBatch && rows >= BigBatchRows*b/SmallBatch {
		b *= 2
	}
	return b
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
