package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// checkTrainFlags refuses flag values that the training configuration would
// otherwise read as "use the default" (pipeline.TrainConfig's zero values):
// --epochs 0 would choose the epochs from the rows, --val-split 0 the split,
// --lr 0 the default rate, --hidden 0 would mean no hidden layer. A flag the
// user gives means what it says, or is an error; leaving it out is how to
// get the default. (--patience 0 and --weight-decay 0 mean off and none.)
func checkTrainFlags(c *cli.Context) error {
	set := func(name string) bool { return c.IsSet(name) }
	switch {
	case set("epochs") && c.Int("epochs") < 1:
		return fmt.Errorf("--epochs must be ≥ 1, got %d", c.Int("epochs"))
	case set("batch-size") && c.Int("batch-size") < 1:
		return fmt.Errorf("--batch-size must be ≥ 1, got %d", c.Int("batch-size"))
	case set("lr") && !(c.Float64("lr") > 0):
		return fmt.Errorf("--lr must be > 0, got %v (leave it out for the optimizer's default)", c.Float64("lr"))
	case set("max-categories") && c.Int("max-categories") < 1:
		return fmt.Errorf("--max-categories must be ≥ 1, got %d", c.Int("max-categories"))
	case set("min-category-count") && c.Int("min-category-count") < 1:
		return fmt.Errorf("--min-category-count must be ≥ 1, got %d (1 keeps every value)", c.Int("min-category-count"))
	case set("patience") && c.Int("patience") < 0:
		return fmt.Errorf("--patience must be ≥ 0, got %d (0 = no early stopping)", c.Int("patience"))
	case set("weight-decay") && !(c.Float64("weight-decay") >= 0):
		return fmt.Errorf("--weight-decay must be ≥ 0, got %v (0 = none)", c.Float64("weight-decay"))
	case set("val-split") && !(c.Float64("val-split") > 0 && c.Float64("val-split") < 1):
		return fmt.Errorf("--val-split must be in (0, 1), got %v: dense always holds out rows, for the validation metrics and early stopping", c.Float64("val-split"))
	}
	if set("hidden") {
		for _, w := range strings.Split(c.String("hidden"), ",") {
			if strings.TrimSpace(w) == "0" {
				return fmt.Errorf("--hidden %s: a hidden layer needs ≥ 1 unit (for no hidden layer, say --hidden none)", c.String("hidden"))
			}
		}
	}
	return nil
}
