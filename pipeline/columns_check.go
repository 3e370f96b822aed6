package pipeline

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dense-ml/dense/tabular"
)

// uniqueColumns refuses data with two columns of the same name (a CSV
// header "a,y,y", a query selecting a column twice): every later step finds
// columns by name, and would silently use the first.
func uniqueColumns(schema *arrow.Schema) error {
	seen := make(map[string]int, schema.NumFields())
	for i, f := range schema.Fields() {
		if j, ok := seen[f.Name]; ok {
			return fmt.Errorf("the data has two columns named %q (columns %d and %d of: %s); rename one (in SQL: SELECT … AS other_name)",
				f.Name, j+1, i+1, tabular.ColumnList(schema))
		}
		seen[f.Name] = i
	}
	return nil
}
