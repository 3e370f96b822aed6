//go:build !dense_extension

package udf

import (
	"errors"
	"slices"
	"testing"

	"github.com/dense-ml/dense/nn"
)

// An in-memory source has aliases like a registry: 'lin@prod' works in Go
// and SQL, dense_models() lists them, and an alias moves.
func TestMemoryAliases(t *testing.T) {
	src := NewMemory()
	lin := func(w float32) *nn.Model {
		return handModel(t, nn.Spec{Task: nn.TaskRegression, Inputs: []nn.Input{nn.NumericInput("x")},
			Layers: []nn.LayerSpec{nn.Dense(1, nn.Linear)}}, []float32{w}, []float32{0})
	}
	src.Add("lin", lin(1))
	src.Add("lin", lin(2))
	if _, err := src.SetAlias("lin@1", "prod"); err != nil {
		t.Fatal(err)
	}
	if _, err := src.SetAlias("lin@1", "1x"); err == nil {
		t.Error("SetAlias accepted the alias 1x, which reads as a version")
	}
	if _, err := src.SetAlias("lin@3", "prod"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetAlias of an unknown version: %v", err)
	}
	_, e, err := src.Load("lin@prod")
	if err != nil || e.Version != 1 {
		t.Fatalf("Load(lin@prod) = %+v, %v", e, err)
	}
	if _, _, err := src.Load("lin@staging"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load of an unknown alias: %v", err)
	}
	list, _ := src.List()
	if !slices.Equal(list[0].Aliases, []string{"prod"}) || len(list[1].Aliases) != 0 {
		t.Errorf("List aliases: %v, %v", list[0].Aliases, list[1].Aliases)
	}

	db := openDB(t, src)
	var got float64
	if err := db.QueryRow("SELECT dense_predict('lin@prod', 3)").Scan(&got); err != nil || got != 3 {
		t.Errorf("dense_predict('lin@prod', 3) = %v, %v; want 3", got, err)
	}
	if _, err := src.SetAlias("lin@2", "prod"); err != nil { // moves
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT dense_predict('lin@prod', 3)").Scan(&got); err != nil || got != 6 {
		t.Errorf("after the move: dense_predict('lin@prod', 3) = %v, %v; want 6", got, err)
	}
	var aliases string
	if err := db.QueryRow("SELECT string_agg(version || ':' || array_to_string(aliases, ','), ' ' ORDER BY version) FROM dense_models()").Scan(&aliases); err != nil || aliases != "1: 2:prod" {
		t.Errorf("dense_models() aliases: %q, %v", aliases, err)
	}
	if err := src.RemoveAlias("lin", "prod"); err != nil {
		t.Fatal(err)
	}
	if err := src.RemoveAlias("lin", "prod"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing a removed alias: %v", err)
	}
}
