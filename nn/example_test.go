package nn_test

import (
	"context"
	"fmt"

	"github.com/dense-ml/dense/nn"
)

// Build a model Keras style and print its summary.
func ExampleNewSequential() {
	m, err := nn.NewSequential(784,
		nn.Dense(128, nn.ReLU),
		nn.Dense(10, nn.Softmax),
	)
	if err != nil {
		panic(err)
	}
	fmt.Print(m.Summary())
	fmt.Println("task:", m.Spec().Task)
	// Output:
	// Model: "sequential"
	// _________________________________________________________________
	//  Layer (type)                Output Shape              Param #
	// =================================================================
	//  dense (Dense)               (None, 128)               100,480
	//  dense_1 (Dense)             (None, 10)                1,290
	// =================================================================
	// Total params: 101,770
	// Trainable params: 101,770
	// Non-trainable params: 0
	// _________________________________________________________________
	// task: multiclass
}

// Batch norm has trainable gamma and beta, and non-trainable running
// statistics; dropout has no parameters.
func ExampleModel_Summary() {
	m, err := nn.NewSequential(20,
		nn.Dense(64, nn.ReLU),
		nn.BatchNorm(),
		nn.Dropout(0.2),
		nn.Dense(32, nn.ReLU).WithL2(1e-4),
		nn.Dense(1, nn.Sigmoid),
	)
	if err != nil {
		panic(err)
	}
	fmt.Print(m.Summary())
	// Output:
	// Model: "sequential"
	// _______________________________________________________________________________
	//  Layer (type)                              Output Shape              Param #
	// ===============================================================================
	//  dense (Dense)                             (None, 64)                1,344
	//  batch_normalization (BatchNormalization)  (None, 64)                256
	//  dropout (Dropout)                         (None, 64)                0
	//  dense_1 (Dense)                           (None, 32)                2,080
	//  dense_2 (Dense)                           (None, 1)                 33
	// ===============================================================================
	// Total params: 3,713
	// Trainable params: 3,585
	// Non-trainable params: 128
	// _______________________________________________________________________________
}

// Train a small network on XOR and print its rounded predictions.
func ExampleModel_Fit() {
	m, err := nn.NewSequential(2, nn.Dense(8, nn.Tanh), nn.Dense(1, nn.Sigmoid))
	if err != nil {
		panic(err)
	}
	x := []float32{0, 0, 0, 1, 1, 0, 1, 1}
	y := []float32{0, 1, 1, 0}
	hist, err := m.Fit(context.Background(), x, y, 4, nn.FitConfig{
		Epochs:    500,
		BatchSize: 4,
		Optimizer: nn.OptimizerConfig{Name: nn.OptAdam, LR: 0.05},
	})
	if err != nil {
		panic(err)
	}
	p, err := m.Predict(x, 4)
	if err != nil {
		panic(err)
	}
	for i := range 4 {
		fmt.Printf("%v xor %v → %.0f\n", x[2*i], x[2*i+1], p[i])
	}
	fmt.Println("final accuracy:", hist.Epochs[len(hist.Epochs)-1].Values["accuracy"])
	// Output:
	// 0 xor 0 → 0
	// 0 xor 1 → 1
	// 1 xor 0 → 1
	// 1 xor 1 → 0
	// final accuracy: 1
}

// PredictInto with one Workspace per goroutine allocates nothing once the
// workspace has grown; rows are independent of each other.
func ExampleModel_PredictInto() {
	m, err := nn.NewSequential(3, nn.Dense(4, nn.ReLU), nn.Dense(2, nn.Softmax))
	if err != nil {
		panic(err)
	}
	ws := m.NewWorkspace()
	x := []float32{1, 2, 3, -1, 0, 1}
	out := make([]float32, 2*m.OutputWidth())
	if err := m.PredictInto(out, x, 2, ws); err != nil {
		panic(err)
	}
	fmt.Printf("row sums: %.3f %.3f\n", out[0]+out[1], out[2]+out[3])
	// Output:
	// row sums: 1.000 1.000
}
