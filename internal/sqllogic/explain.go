package sqllogic

import "github.com/dense-ml/dense/nn"

// explainFixtures are the explain records (baseline, permutation
// importance) of the suite's models that dense_explain and dense_importance
// read, by name@version; the other models have none, as a model trained
// before dense stored them. The importances are hand-set: what they mean
// is measured by package pipeline's tests, here only their SQL surface.
func explainFixture(name string, version int) *nn.Explain {
	num := func(v float64) *float64 { return &v }
	cat := func(s string) *string { return &s }
	imp := func(metric string, drops map[string]float64, order ...string) *nn.Importance {
		im := &nn.Importance{Metric: metric, Score: 0.9, Rows: 100, Repeats: 5}
		for _, in := range order {
			im.Inputs = append(im.Inputs, nn.InputImportance{Input: in, Drop: drops[in], Std: 0.01})
		}
		return im
	}
	switch {
	case name == "lin3" && version == 1: // a + 2b + 3c + 0.5 from (1, 2, 3): 14.5
		return &nn.Explain{
			Baseline:   []nn.Baseline{{Input: "a", Number: num(1)}, {Input: "b", Number: num(2)}, {Input: "c", Number: num(3)}},
			Importance: imp(nn.ImportanceR2, map[string]float64{"a": 0.1, "b": 0.3, "c": 0.3}, "a", "b", "c"),
		}
	case name == "gate": // sigmoid(x + 2·[green] − 1) from (0, red): 0.2689
		return &nn.Explain{
			Baseline:   []nn.Baseline{{Input: "x", Number: num(0)}, {Input: "color", Category: cat("red")}},
			Importance: imp(nn.ImportanceAccuracy, map[string]float64{"x": 0.2, "color": 0.25}, "x", "color"),
		}
	case name == "pick3":
		return &nn.Explain{Baseline: []nn.Baseline{{Input: "a", Number: num(0)}, {Input: "b", Number: num(0)}, {Input: "c", Number: num(0)}}}
	case name == "imputed": // income + 100·missing + 1000·south + 2000·unknown from (10, north): 10
		return &nn.Explain{Baseline: []nn.Baseline{{Input: "income", Number: num(10)}, {Input: "region", Category: cat("north")}}}
	case name == "vec4":
		return &nn.Explain{Baseline: []nn.Baseline{{Input: "v", Vector: []float64{0, 0, 0, 0}}}}
	case name == "when": // from 2024-01-01 00:00 (19723 days, as training stores the mean days): 15
		return &nn.Explain{Baseline: []nn.Baseline{{Input: "d", Number: num(19723)}}}
	case name == "codes": // from store 3: 1
		return &nn.Explain{Baseline: []nn.Baseline{{Input: "store", Category: cat("3")}}}
	case name == "bn": // (x − 1)/√(4 + 1e-5) from 1: 0
		return &nn.Explain{Baseline: []nn.Baseline{{Input: "x", Number: num(1)}}}
	}
	return nil
}
