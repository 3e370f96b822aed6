package tabular_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// Read a Parquet file batch by batch and turn each batch into the feature
// matrix of a model with a scaled numeric input and a categorical input.
func ExampleFeaturizer() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "customers.parquet")
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "age", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "plan", Type: arrow.BinaryTypes.String},
		{Name: "churned", Type: arrow.FixedWidthTypes.Boolean},
	}, nil)
	data, _, _ := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(`[
		{"age": 30, "plan": "basic", "churned": false},
		{"age": 45, "plan": "pro", "churned": true},
		{"age": null, "plan": "basic", "churned": false}]`))
	w, _ := arrowio.Create(path, schema, arrowio.WriterOptions{})
	w.Write(data)
	w.Close()
	data.Release()

	inputs := []nn.Input{
		{Name: "age", Kind: nn.KindNumeric,
			Impute: &nn.Impute{Strategy: nn.ImputeMean, Value: 37.5},
			Scale:  &nn.Scale{Method: nn.ScaleStandard, Mean: 37.5, Std: 7.5}},
		{Name: "plan", Kind: nn.KindCategorical, Vocabulary: []string{"basic", "pro"}},
	}
	r, err := arrowio.Open(path, arrowio.Options{Columns: []string{"age", "plan"}, BatchSize: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	f, err := tabular.NewFeaturizer(inputs, r.Schema())
	if err != nil {
		fmt.Println(err)
		return
	}
	var x []float32
	for {
		batch, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		x, err = f.Encode(batch, x)
		rows := int(batch.NumRows())
		batch.Release()
		if err != nil {
			fmt.Println(err)
			return
		}
		for i := 0; i < rows; i++ {
			fmt.Println(x[i*f.Width() : (i+1)*f.Width()])
		}
	}
	// Output:
	// [-1 1 0]
	// [1 0 1]
	// [0 1 0]
}
