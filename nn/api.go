package nn

// This file holds the configuration types of training. The Model and its
// methods live in model.go, predict.go, summary.go and fit.go.

// OptimizerConfig selects and tunes an optimiser. The update formulas are
// PyTorch's (torch.optim.SGD, Adam, AdamW, RMSprop); zero values take the
// defaults below.
type OptimizerConfig struct {
	Name        Optimizer // sgd | adam | adamw | rmsprop (default adam; case-insensitive)
	LR          float64   // learning rate (default 0.001; 0.01 for sgd)
	Momentum    float64   // sgd momentum; rmsprop momentum (default 0)
	Nesterov    bool      // sgd: Nesterov momentum (needs Momentum > 0)
	Beta1       float64   // adam/adamw (default 0.9)
	Beta2       float64   // adam/adamw (default 0.999)
	Epsilon     float64   // adam/adamw/rmsprop (default 1e-8, like PyTorch)
	Rho         float64   // rmsprop decay of the squared-gradient average (default 0.9; PyTorch calls it alpha)
	WeightDecay float64   // decoupled for adamw (default 0.01 like PyTorch), L2-style (added to the gradient) for the others (default 0)
	ClipNorm    float64   // clip the global gradient norm to this (0 = off)
}

// EarlyStopping stops training when the monitored value stops improving.
type EarlyStopping struct {
	Monitor     string  // "val_loss" (default; "loss" without validation data), or a History key like "val_accuracy"
	Patience    int     // epochs without improvement before stopping (0: stop at the first one)
	MinDelta    float64 // smallest change that counts as improvement
	RestoreBest bool    // restore the weights of the best epoch at the end
}

// ReduceLROnPlateau lowers the learning rate when the monitored value stops
// improving, like Keras' ReduceLROnPlateau and PyTorch's scheduler of that
// name (mode "min", threshold 0, cooldown 0).
type ReduceLROnPlateau struct {
	Monitor  string  // like EarlyStopping.Monitor (default "val_loss", or "loss" without validation data)
	Factor   float64 // the rate is multiplied by this, in (0, 1) (default 0.5)
	Patience int     // epochs without improvement before a reduction (0: reduce at the first one)
	MinLR    float64 // the rate never goes below this (default 0)
}

// FitConfig configures Fit. Zero values take the documented defaults.
type FitConfig struct {
	Loss            string // mse | mae | huber | binary_crossentropy | categorical_crossentropy | sparse_categorical_crossentropy; default Spec.Loss, else from the task
	Optimizer       OptimizerConfig
	BatchSize       int // default DefaultBatchSize(training rows): 32 up to 2,048 rows
	Epochs          int // default DefaultEpochs(training rows, batch size): the cap dense's early stopping runs under
	Seed            int64
	NoShuffle       bool
	Rows            []int   // the rows of x and y to train on, each once (nil: all)
	ValidationSplit float64 // fraction of the training rows (the last ones, after a seeded shuffle) held out
	ValX, ValY      []float32
	ValRows         int
	EarlyStopping   *EarlyStopping
	ReduceLR        *ReduceLROnPlateau   // a learning-rate schedule (nil: a constant rate)
	ClassWeights    []float64            // per class weight for classification losses (binary: [w0, w1])
	Threads         int                  // goroutines a step runs on (its two shards, their products); 0 = GOMAXPROCS
	OnEpoch         func(EpochLog) error // return an error to stop training
	OnBatch         func(BatchLog)
}

// EpochLog is one epoch's results: "loss" and the metrics, with "val_" prefixes for validation.
type EpochLog struct {
	Epoch  int // 1-based
	Epochs int
	Values map[string]float64
	LR     float64 // the learning rate of this epoch's updates
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
