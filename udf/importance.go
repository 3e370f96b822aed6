package udf

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dense-ml/dense/nn"
)

// dense_importance(model): the permutation importance training measured
// on the validation rows and stored in the model (nn.Spec.Explain), one row
// per input, most important first: the mean drop of the validation
// accuracy (classifiers) or R² (regression) when the input's values are
// shuffled among the rows, and its rank as SQL's RANK() gives it (equal
// importances share a rank). A model without the record (trained before
// dense measured it, built or imported outside training) is an error.
func importanceTable(m *models) *tableFunc {
	return &tableFunc{
		name: "dense_importance", models: m,
		params:  []tableParam{{name: "model", typ: paramVarchar, hint: "name a model such as 'churn' or 'churn@3'"}},
		columns: []tableColumn{{"input", colVarchar}, {"importance", colDouble}, {"rank", colInteger}},
		rows: func(src ModelSource, args map[string]any) ([][]any, error) {
			model, info, err := loadModel(src, args["model"].(string))
			if err != nil {
				return nil, fmt.Errorf("dense_importance: %w", err)
			}
			x := model.Spec().Explain
			if x == nil || x.Importance == nil {
				return nil, fmt.Errorf("dense_importance(%s): the model stores no permutation importance: it was trained before dense measured it, "+
					"or built or imported outside dense train; retrain it with dense train", info.Ref())
			}
			ins := slices.Clone(x.Importance.Inputs)
			slices.SortStableFunc(ins, func(a, b nn.InputImportance) int { return cmp.Compare(b.Drop, a.Drop) })
			rows := make([][]any, len(ins))
			for i, in := range ins {
				rank := i + 1
				if i > 0 && in.Drop == ins[i-1].Drop {
					rank = int(rows[i-1][2].(int32))
				}
				rows[i] = []any{in.Input, in.Drop, int32(rank)}
			}
			return rows, nil
		},
	}
}
