//go:build !dense_extension

package udf

import (
	"strings"
	"testing"
)

// Named parameters are declared ANY (tables.go): given as a prepared
// statement's parameters they still bind, and a wrongly typed one is
// still dense's error naming the parameter.
func TestNamedParametersPrepared(t *testing.T) {
	db := openDB(t, testModels(t))
	var n int
	if err := db.QueryRow("SELECT sum(biases) FROM dense_params(784, [10], bias := ?)", false).Scan(&n); err != nil || n != 0 {
		t.Errorf("bias := ? (false): %d biases, %v", n, err)
	}
	var v float64
	err := db.QueryRow("SELECT value FROM dense_evaluate('lin3', 'SELECT 1.0 AS a, 1.0 AS b, 1.0 AS c, 3.0 AS y', target := ?) WHERE metric = 'mae'", "y").Scan(&v)
	if err != nil {
		t.Errorf("target := ? ('y'): %v", err)
	}
	err = db.QueryRow("SELECT count(*) FROM dense_params(784, [10], bias := ?)", "maybe").Scan(&n)
	if err == nil || !strings.Contains(err.Error(), "dense_params: bias must be BOOLEAN, not VARCHAR") {
		t.Errorf("bias := ? ('maybe'): %v", err)
	}
}
