package udf

import (
	"strings"
	"testing"

	"github.com/dense-ml/dense/pipeline"
)

// TestTrainConfigDefaults: dense_train's named parameters map onto
// pipeline.TrainConfig as dense train's flags do: left out, epochs,
// batch_size, patience, the schedule and the weight decay stay zero (chosen
// from the rows by pipeline); patience := 0 and weight_decay := 0 mean off
// (negative in TrainConfig), as --patience 0 and --weight-decay 0; a given
// value is used as it is.
func TestTrainConfigDefaults(t *testing.T) {
	base := func() map[string]any { return map[string]any{"name": "m", "target": "y"} }
	cfg, err := trainConfig(base())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Epochs != 0 || cfg.BatchSize != 0 || cfg.Patience != 0 || cfg.LRSchedule != pipeline.ScheduleAuto || cfg.WeightDecay != 0 || cfg.LR != 0 {
		t.Errorf("unset parameters: %+v, want zeros (pipeline's defaults)", cfg)
	}
	for _, c := range []struct {
		key  string
		val  any
		want func(pipeline.TrainConfig) bool
	}{
		{"patience", int64(0), func(c pipeline.TrainConfig) bool { return c.Patience < 0 }},
		{"patience", int64(7), func(c pipeline.TrainConfig) bool { return c.Patience == 7 }},
		{"epochs", int64(12), func(c pipeline.TrainConfig) bool { return c.Epochs == 12 }},
		{"batch_size", int64(64), func(c pipeline.TrainConfig) bool { return c.BatchSize == 64 }},
		{"lr", 0.02, func(c pipeline.TrainConfig) bool { return c.LR == 0.02 }},
		{"weight_decay", 0.0, func(c pipeline.TrainConfig) bool { return c.WeightDecay < 0 }},
		{"weight_decay", 0.01, func(c pipeline.TrainConfig) bool { return c.WeightDecay == 0.01 }},
		{"lr_schedule", "constant", func(c pipeline.TrainConfig) bool { return c.LRSchedule == pipeline.ScheduleConstant }},
		{"lr_schedule", "plateau", func(c pipeline.TrainConfig) bool { return c.LRSchedule == pipeline.SchedulePlateau }},
	} {
		args := base()
		args[c.key] = c.val
		cfg, err := trainConfig(args)
		if err != nil || !c.want(cfg) {
			t.Errorf("%s := %v: %+v, %v", c.key, c.val, cfg, err)
		}
	}
	for key, val := range map[string]any{"weight_decay": -1.0, "lr_schedule": "cosine", "patience": int64(-2)} {
		args := base()
		args[key] = val
		if _, err := trainConfig(args); err == nil || !strings.Contains(err.Error(), "dense_train: "+key+":") {
			t.Errorf("%s := %v: err %v, want one naming the parameter", key, val, err)
		}
	}
}
