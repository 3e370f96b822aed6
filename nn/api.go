package nn

// THIS FILE IS THE API CONTRACT BETWEEN PACKAGES, WRITTEN AS STUBS.
// The nn-core work replaces every stub body with the real implementation
// (and may move declarations into other files); the signatures stay.

import (
	"context"
	"errors"
)

var errNotYet = errors.New("nn: not implemented yet")

// Model is a sequential dense network: its Spec plus its weights.
// Predict is safe for concurrent callers; Fit and the setters are not.
type Model struct {
	spec Spec
}

// NewModel validates spec and builds a model with weights initialised from
// seed (same seed → same weights).
func NewModel(spec Spec, seed int64) (*Model, error) { return nil, errNotYet }

// NewSequential builds a model on one vector input "x" of the given width,
// Keras style. The task follows the last layer: softmax → multiclass,
// one sigmoid unit → binary, otherwise regression. Seed 0.
func NewSequential(inputs int, layers ...LayerSpec) (*Model, error) { return nil, errNotYet }

// Spec returns the model's spec. Callers may fill in Labels, Inputs'
// preprocessing and Provenance before saving; not the layers.
func (m *Model) Spec() *Spec { return &m.spec }

// InputWidth and OutputWidth are the widths of an encoded input row and an output row.
func (m *Model) InputWidth() int  { return m.spec.InputWidth() }
func (m *Model) OutputWidth() int { return m.spec.OutputWidth() }

// Tensor is a named parameter or buffer of the model, in PyTorch naming and
// layout: "layers.0.weight" [out, in], "layers.0.bias" [out], batch norm
// "layers.i.weight", ".bias", ".running_mean", ".running_var". Data aliases
// the model's memory.
type Tensor struct {
	Name      string
	Shape     []int
	Data      []float32
	Trainable bool
}

// Tensors lists the model's tensors in layer order.
func (m *Model) Tensors() []Tensor { return nil }

// Workspace is scratch memory for PredictInto; one per goroutine.
type Workspace struct{}

// NewWorkspace returns an empty workspace; it grows on demand.
func (m *Model) NewWorkspace() *Workspace { return &Workspace{} }

// Predict runs the inference forward pass on rows×InputWidth row-major x and
// returns rows×OutputWidth outputs (probabilities for classifiers).
func (m *Model) Predict(x []float32, rows int) ([]float32, error) { return nil, errNotYet }

// PredictInto is Predict writing into out (len ≥ rows×OutputWidth) using ws
// for scratch; it allocates nothing once ws has grown.
func (m *Model) PredictInto(out, x []float32, rows int, ws *Workspace) error { return errNotYet }

// OptimizerConfig selects and tunes an optimiser.
type OptimizerConfig struct {
	Name        string  // sgd | adam | adamw | rmsprop (default adam)
	LR          float64 // learning rate (default 0.001; 0.01 for sgd)
	Momentum    float64 // sgd momentum; rmsprop momentum
	Nesterov    bool    // sgd
	Beta1       float64 // adam/adamw (default 0.9)
	Beta2       float64 // adam/adamw (default 0.999)
	Epsilon     float64 // adam/adamw/rmsprop (default 1e-7 like Keras? see doc)
	Rho         float64 // rmsprop decay (default 0.9)
	WeightDecay float64 // decoupled for adamw, L2-style for the others
	ClipNorm    float64 // clip the global gradient norm to this (0 = off)
}

// EarlyStopping stops training when the monitored value stops improving.
type EarlyStopping struct {
	Monitor     string  // "val_loss" (default), "loss", or a metric name like "val_accuracy"
	Patience    int     // epochs without improvement before stopping
	MinDelta    float64 // smallest change that counts as improvement
	RestoreBest bool    // restore the weights of the best epoch at the end
}

// FitConfig configures Fit. Zero values take the documented defaults.
type FitConfig struct {
	Loss            string // mse | mae | huber | binary_crossentropy | categorical_crossentropy | sparse_categorical_crossentropy; default from task
	Optimizer       OptimizerConfig
	BatchSize       int // default 32
	Epochs          int // default 10
	Seed            int64
	NoShuffle       bool
	ValidationSplit float64 // fraction of rows (the last ones, after a seeded shuffle) held out
	ValX, ValY      []float32
	ValRows         int
	EarlyStopping   *EarlyStopping
	ClassWeights    []float64            // per class weight for classification losses
	Threads         int                  // 0 = GOMAXPROCS
	OnEpoch         func(EpochLog) error // return an error to stop training
	OnBatch         func(BatchLog)
}

// EpochLog is one epoch's results: "loss" and the metrics, with "val_" prefixes for validation.
type EpochLog struct {
	Epoch  int // 1-based
	Epochs int
	Values map[string]float64
}

// BatchLog is reported after every mini-batch.
type BatchLog struct {
	Epoch, Batch, Batches int
	Loss                  float64
}

// History is what Fit returns: one EpochLog per epoch run.
type History struct {
	Epochs    []EpochLog
	BestEpoch int  // 1-based epoch of the best monitored value (early stopping), else the last
	Stopped   bool // stopped early
}

// Fit trains the model on rows×InputWidth x and targets y: for
// sparse_categorical_crossentropy and binary_crossentropy one value per row
// (class index / 0-1), otherwise rows×OutputWidth.
func (m *Model) Fit(ctx context.Context, x, y []float32, rows int, cfg FitConfig) (*History, error) {
	return nil, errNotYet
}

// ParamCount holds parameter counts as Keras reports them.
type ParamCount struct{ Total, Trainable, NonTrainable int }

// Params counts the model's parameters.
func (m *Model) Params() ParamCount { return ParamCount{} }

// Summary renders a Keras-style table: layer, output shape, parameters; then
// Total / Trainable / Non-trainable params.
func (m *Model) Summary() string { return "" }
