package registry_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
)

func Example() {
	dir, err := os.MkdirTemp("", "dense-registry-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	reg, err := registry.Open(dir) // "" would mean $DENSE_MODELS or ./models
	if err != nil {
		panic(err)
	}
	for seed := range 3 {
		m, err := nn.NewModel(nn.Spec{
			Format: nn.FormatName, Version: nn.FormatVersion, Task: nn.TaskRegression,
			Inputs: []nn.Input{nn.NumericInput("x")},
			Layers: []nn.LayerSpec{nn.Dense(4, nn.ReLU), nn.Dense(1, nn.Linear)},
		}, int64(seed))
		if err != nil {
			panic(err)
		}
		e, err := reg.Register("price", m)
		if err != nil {
			panic(err)
		}
		fmt.Println("registered", e.Ref())
	}
	_, e, err := reg.Load("price") // the newest version
	if err != nil {
		panic(err)
	}
	fmt.Println("loaded", e.Ref(), e.Task, e.Params, "params")
	if err := reg.Delete("price@3", false); err != nil {
		panic(err)
	}
	_, err = reg.Resolve("price@3")
	fmt.Println(err != nil)
	list, _, _ := reg.List()
	for _, e := range list {
		fmt.Println(e.Ref())
	}
	_, err = reg.Resolve("prices")
	fmt.Println(strings.Replace(err.Error(), dir, "DIR", 1))
	// Output:
	// registered price@1
	// registered price@2
	// registered price@3
	// loaded price@3 regression 13 params
	// true
	// price@1
	// price@2
	// registry: not found: unknown model "prices" in DIR (available: price)
}
