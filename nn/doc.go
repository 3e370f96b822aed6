// Package nn builds, trains and runs dense (fully connected) neural networks
// in pure Go: float32 compute through its own GEMM, PyTorch's formulas and
// tensor layout, Keras's vocabulary. It imports no cgo, Arrow or DuckDB.
//
// # Building a model
//
// A model is a Spec (inputs with their fitted preprocessing, layers, task,
// labels, provenance; see spec.go and features.go) plus weights. The quick
// way is Keras style:
//
//	m, err := nn.NewSequential(784, nn.Dense(128, nn.ReLU), nn.Dense(10, nn.Softmax))
//
// NewSequential makes one vector input "x" and picks the task from the last
// dense layer (softmax → multiclass, one sigmoid unit → binary, otherwise
// regression). NewModel(spec, seed) takes a full Spec; it validates it and
// initialises the weights from seed: the same seed gives the same weights.
//
// Layers:
//   - Dense(units, activation): y = f(x·Wᵀ + b). Bias on by default
//     (WithoutBias), weights Glorot uniform by default, U(±sqrt(6/(in+out)));
//     WithInit(InitHeNormal) draws N(0, 2/in) (PyTorch's kaiming_normal_, not
//     truncated), InitZeros zeros. Biases start at 0. WithL2(λ) adds λ·Σw²
//     over the layer's weights (not its bias) to the loss.
//   - Activations: linear, relu, leaky_relu (slope Alpha for x ≤ 0; Alpha 0
//     means the default 0.01, as in PyTorch, so a zero slope is spelled relu),
//     elu (Alpha, default 1), gelu (the exact x·Φ(x) form, PyTorch's
//     default), sigmoid, tanh, softmax (max-subtracted, per row).
//   - Dropout(rate): inverted dropout while training (kept units are scaled
//     by 1/(1-rate)), the identity at inference. Masks come from Fit's seed.
//   - BatchNorm(): while training, normalises each feature with the batch
//     mean and biased variance and updates the running statistics as
//     running = momentum·running + (1-momentum)·batch, using the unbiased
//     batch variance for running_var like PyTorch. Momentum follows Keras
//     (default 0.9 here, which is PyTorch's momentum=0.1); epsilon defaults
//     to 1e-5. Inference uses the running statistics. A training batch of one
//     row normalises to beta and updates running_var with the biased
//     variance (0) rather than failing.
//
// # Data layout and precision
//
// Every matrix is float32, row-major, batch × features: x[r*width+j] is
// feature j of row r. Dense weights are [out, in] (PyTorch's Linear.weight),
// so a layer computes x·Wᵀ. Every matrix product goes through one function
// (blas.go) calling the package's own kernel (nn/internal/sgemm) directly;
// nn has no init() and leaves gonum's global blas32 implementation alone.
// The kernel must compute
// each output element in an order that does not depend on the number of rows
// (batch-size invariance); the tests check this for gonum and sgemm. Reductions that are not matrix products
// (biases' and batch norm's column sums, losses, softmax) accumulate in
// float64 and always in row order.
//
// # Tensors
//
// Model.Tensors lists the weights in PyTorch state-dict naming, i being the
// index of the layer in Spec.Layers (dropout layers have no tensors):
// "layers.{i}.weight" [out, in] and "layers.{i}.bias" [out] for dense layers;
// "layers.{i}.weight" (gamma), ".bias" (beta), ".running_mean" and
// ".running_var" for batch norm, the running statistics with Trainable false.
// The Data slices alias the model: writing into them loads weights.
// PyTorch's num_batches_tracked has no counterpart. Params and Summary count
// the same tensors: batch norm has 2×units trainable and 2×units
// non-trainable parameters.
//
// # Training
//
// Fit(ctx, x, y, rows, cfg) runs mini-batch training. Targets are one
// class index per row for sparse_categorical_crossentropy, otherwise
// rows × OutputWidth values. Defaults of FitConfig:
//   - Loss: Spec.Loss, else by task: regression → mse, binary →
//     binary_crossentropy, multiclass → sparse_categorical_crossentropy.
//     The cross-entropies are computed from the last dense layer's logits
//     (fused with its sigmoid or softmax, numerically stable), so they need
//     that layer's activation to be sigmoid (binary) or softmax. huber uses
//     delta 1. All losses are means over the rows (and over the outputs for
//     mse, mae, huber and binary cross-entropy), like PyTorch's
//     reduction="mean". ClassWeights (binary: [w0, w1]) weight each row (each
//     output for binary cross-entropy) and the mean is taken over the
//     weights: Σ wᵢ·lossᵢ / Σ wᵢ, like PyTorch's weighted CrossEntropyLoss.
//   - BatchSize DefaultBatchSize(training rows): 32 up to 2,048 rows,
//     growing to 256 for large tables (capped at the number of training
//     rows); Epochs DefaultEpochs(rows, batch): enough for 20,000 steps,
//     50 to 1,000 (a cap meant for early stopping; defaults.go has the
//     rules, the one source of dense's size-dependent defaults), Seed 0 (shuffling and dropout), shuffled every epoch unless NoShuffle,
//     Threads GOMAXPROCS.
//   - Optimizer: adam. LR 0.001 (sgd 0.01), Beta1 0.9, Beta2 0.999, Epsilon
//     1e-8 (PyTorch's; Keras uses 1e-7), Rho 0.9 (RMSprop's decay, PyTorch's
//     alpha, whose default is 0.99), Momentum 0, WeightDecay 0 except adamw
//     0.01 (PyTorch's default; use adam for none). The update formulas are
//     PyTorch's (torch.optim.SGD with dampening 0, Adam, AdamW, RMSprop
//     uncentred); weight decay is L2 (added to the gradient) for sgd, adam
//     and rmsprop and decoupled for adamw, and applies to every trainable
//     parameter. ClipNorm clips the global gradient norm before the update
//     like torch.nn.utils.clip_grad_norm_.
//   - Validation: ValidationSplit holds out the last fraction of the rows
//     after one seeded shuffle, or pass ValX/ValY/ValRows; not both.
//   - EarlyStopping: Monitor "val_loss" (or "loss" without validation data),
//     minimised, or maximised for names ending in "accuracy"; Patience 0
//     stops at the first epoch without an improvement larger than MinDelta;
//     RestoreBest copies the best epoch's weights back at the end.
//   - ReduceLR (nil: a constant rate): ReduceLROnPlateau multiplies the
//     rate by Factor (default 0.5) once the monitored value (as for
//     EarlyStopping) has gone Patience epochs without improving, never
//     below MinLR, like Keras' ReduceLROnPlateau; EpochLog.LR is each
//     epoch's rate. Fit stops early or schedules the rate only when asked;
//     package pipeline (dense train) turns both on by default, with
//     DefaultPatience, on top of the same size rules (its defaults.go).
//
// FitConfig.Rows trains on some rows of x and y by index, without copying
// them (pipeline encodes every row once and trains on the training rows).
//
// History has one EpochLog per epoch with "loss", "accuracy" (cross-entropy
// losses: the threshold 0.5, whatever Spec.Threshold, and the arg-max) or "mae" (regression
// losses), and the same with "val_" in front for the validation set. The
// training values are averaged over the epoch's batches (Keras style); the
// losses include the L2 penalties. OnBatch and OnEpoch are called after each
// batch and epoch; an OnEpoch error stops training. After training Spec.Loss
// holds the loss used and Spec.Provenance the epochs run, the training rows
// and the metrics of the best (early stopping) or last epoch. Every Fit call
// starts with a fresh optimiser state (moments, momentum buffers) and
// continues from the model's current weights.
//
// Same model seed, Fit seed, data, configuration and GEMM kernel →
// bit-identical weights: every reduction has a fixed order, and gonum's
// GEMM (which splits its work across goroutines by output blocks only) is
// deterministic.
//
// # Prediction and concurrency
//
// Predict(x, rows) returns rows × OutputWidth values: the last layer's
// activation, so probabilities for classifiers. PredictInto does the same
// into a caller's buffer with a caller's Workspace and allocates nothing
// once the workspace has grown. Both only read the model: any number of
// goroutines may predict at once (one Workspace each; Predict takes one from
// a pool). A row's result does not depend on the other rows or on the batch
// size. Fit, writing through Tensors and editing the Spec's layers must not
// run concurrently with anything else on the model.
//
// A training step (forward, loss, backward, optimiser) allocates nothing in
// steady state (gonum's GEMM allocates goroutines for large products; the
// sgemm kernel does not); Fit allocates its buffers once. A step cuts its
// mini-batch into two fixed halves of rows (shards): each half is gathered,
// run forward, through the loss and backward on its own goroutine into a
// gradient of its own, and the optimiser's pass adds the two gradients
// (first half first) before updating. So a step has one hand-off between
// the cores (two when the optimiser's pass is worth splitting), and
// everything, the small products and loops included, runs on both. The
// halves depend on the batch size only, so the weights do not depend on
// FitConfig.Threads (default GOMAXPROCS). A dense layer of at least 16,384
// weights (784→128) is handled differently with Adam or AdamW and no
// gradient clipping (shard_defer.go): its weights are cut into fixed blocks
// of 32 units, and each core owns the same blocks every step. When it is
// the first layer, the shards' rows are gathered first, and each core
// computes the layer's z for its blocks over the whole batch; the shards
// then run the rest of the step without that product and without the
// layer's dW, which the optimiser's pass computes over the whole batch,
// block by block (dWᵀ = Xᵀ·dZ, transposed back), handing each block to
// Adam while it is in cache. So no second gradient is written and read
// back, and no core writes weights that the other core has just read:
// every line Adam wrote used to be taken back from the other core's cache
// first, which doubled the update's time (on 784→128→10 at batch 128, a
// step took ~360 µs instead of ~340). The price is two more hand-offs per
// step (after the gather, after the first layer's product). The blocks
// depend on the layer's width only and each block's product on the batch
// only, so the weights stay the same bits on any number of threads; the
// sums run over the whole batch in one chain instead of two halves added,
// so they differ from the halves' in the last bits. A model with a batch
// norm layer (which needs the whole batch's statistics) steps the whole
// batch at once instead: each product is split by the GEMM and the loops
// between them of at least 16,384 elements into Threads pieces. The pieces
// run on the GEMM's own helper goroutines: they poll between products, so a
// hand-off costs well under a microsecond, where waking a parked goroutine
// takes tens on a virtual machine. The GEMM's goroutines are capped with
// SetGemmThreads.
//
// # What an output means
//
// The Spec owns the meaning of an output row, and every consumer (metrics,
// the Arrow prediction columns, the SQL functions, the CLI) asks it rather
// than deciding for itself. ClassLabels gives a classifier's labels in
// output order (Labels, or "0", "1", … without them). Classify(out) gives
// the class a row predicts: binary, the positive label Labels[1] when
// out[0] ≥ DecisionThreshold() (Spec.Threshold, stored in the model, or
// BinaryThreshold, 0.5; compared in float32); multiclass, the largest output, the first
// on ties. The one rule for NaN: a row with a NaN output predicts no class
// (ok = false): a NULL label in SQL and in Arrow, an error naming the row in
// EvaluateOutputs. EvaluateOutputs scores outputs already computed, so a
// caller that needs both the metrics and the confusion matrix predicts once.
//
// The named choices are typed: Task, Activation and Optimizer, each with
// its list (Tasks, Activations, HiddenActivations, Optimizers) and parser;
// Task.DefaultLoss is the loss a task trains with. Adding an activation is
// one file, activations.go (its constant, its row in activationTable, and
// its forward and derivative cases). Model.ScaleOutputs rescales a linear
// output layer, the way to turn a model trained on standardised targets
// into one that predicts raw units.
//
// # Explaining predictions
//
// Spec.Explain (explain.go, optional: older files have none) holds what
// training records for explaining a model: a baseline, one raw value per
// input (FitBaseline: the training mean of a numeric input after clipping
// and log1p, per element for a vector, the most frequent category), and
// the permutation importance of each input (Importance; package pipeline
// measures it).
//
// NewExplainer(m).Explain computes integrated gradients from that
// baseline b: input i's attribution is Σ_{j∈i} (x_j − b_j)·∫₀¹ ∂s/∂x_j(b +
// t(x − b)) dt over the input's encoded features j (a one-hot block, a
// vector, a missing indicator summed into their input), for the score s
// the user sees: a binary model's probability of its positive class, a
// multiclass model's probability of the class it predicts for the row, a
// regression model's value. The network runs in inference mode (dropout
// off, batch norm on its running statistics). The integral is a trapezoid
// rule that doubles its steps (from 8, up to 4096) for each row until the
// attributions sum to s(x) − s(b) within 1% of the sum of their absolute
// values (ExplainTolerance), which for attributions of one sign is 1% of
// s(x) − s(b). Only the layers after the first dense layer's affine part
// run per path point: before its activation the network is affine, so the
// path there is a straight line and its Jacobian a constant applied once
// per row. Where that activation is relu or leaky_relu, each unit's kink
// on the path is known (where its input crosses 0), and the grid cell
// holding it is integrated with the slope change in its place instead of
// the trapezoid's jump at a grid point: a network with one hidden relu
// layer needs no more than the 8 base steps. When the next dense layer
// (through dropout at most) is relu or leaky_relu too, its units' kinks
// are found from their signs at the grid points (a unit whose sign differs
// at a cell's two ends turns at the point linear interpolation gives,
// exact where no first-layer kink shares the cell) and corrected the same
// way; kinks of later layers, and two kinds of kink in one cell, are what
// makes a row need more (20→64→32→1: 13 steps per row on average instead
// of 19.4, and attributions within 2% of the reference where the plain
// trapezoid was not). explain_test.go checks the gradient against finite
// differences, the completeness on random models of every activation with
// batch norm and dropout, and the attributions against an independent
// 4,000-step integration.
//
// # Model files
//
// Save, Load, Read and Decode write and read one safetensors file: an 8-byte
// little-endian header length, a JSON header giving each tensor's dtype,
// shape and byte offsets, then the raw little-endian float32 tensors in
// Tensors() naming. The header's "__metadata__" holds, first, the file's own
// SHA-256 digest under "dense_sha256" (covering every byte of the file with
// the digest's digits read as '0') and the Spec as a JSON string under
// "dense_spec". Save is atomic (temporary file in the same
// folder, fsync, rename, fsync of the folder) and refuses NaN/±Inf weights.
// Loading refuses, with a *FileError wrapping ErrModelFile that says what is
// wrong: a header longer than 100 MB, offsets that are not contiguous or
// leave the file, dtype × shape that does not match the byte span
// (overflow-checked), missing, extra or misshapen tensors, layer shapes that
// do not chain, activations off the allow list, NaN/±Inf weights, spec
// versions it does not know, a missing, misplaced or wrong digest (so any
// changed byte is an error, never a silently different model), and a spec
// that ParseSpec refuses: an unknown key or a missing required key, named
// by its path. Load opens regular files only (a FIFO or /dev/zero is refused
// by name, not waited on). F16, BF16 and F64 tensors are converted to
// float32. LoadStateDict imports the state dict of a PyTorch nn.Sequential
// MLP ("0.weight", "net.4.bias", …), matching its parameterised modules to
// the spec's layers in index order. FuzzRead (go test -fuzz=FuzzRead ./nn/)
// fuzzes the loader from a committed seed corpus.
//
// # Errors and panics
//
// Problems with the caller's data or configuration return errors starting
// with "nn: " that name the problem: wrong lengths of x or y (with the
// expected rows × width), NaN or ±Inf inputs or targets (with the row and
// feature), labels out of range, unknown loss, optimiser, activation or
// layer names, invalid specs (wrapping ErrInvalidSpec), bad option values,
// a non-finite loss during training, cancellation (wrapping ctx.Err()).
// The prefix is added once, by the exported function the caller called;
// where a caller needs the reason without it, the error is typed:
// *InputError from the Encoder's methods (the input, the vector element,
// the category; no prefix, since the caller's message names the row and
// carries its own), *ParamsError inside ParamTable's error, *FileError for
// model files. Panics are kept for programmer errors inside the package, such as
// internal buffers of the wrong size.
//
// # Checked against
//
// gradcheck_test.go runs one finite-difference gradient check over every
// layer type, activation and loss. torch_test.go matches outputs, losses,
// every gradient, batch-norm running statistics and the weights after
// Adam, AdamW, SGD (Nesterov) and RMSprop steps against PyTorch within
// 1e-5 relative (nn/tools/torch_fixture.py writes the fixture).
//
// # Performance
//
// Besides the GEMM, a training step spends its time in a few element-wise
// loops; on amd64 with AVX2 the hottest have assembly versions, 8 values at
// a time: the Adam/AdamW update (optim_amd64.s), a dense layer's bias plus
// relu (the bias is added after the product, in the activation's pass),
// the relu gradient and the bias gradient's float64 column sums
// (activations_amd64.s). Each does the same IEEE operations in the same
// order as the Go loop it replaces (no fused multiply-add), so results are
// bit-identical with and without them; the Go loops run under the noasm tag
// and on other architectures, and the tests compare the two. In a sharded
// step the relu gradient and the bias gradient's sums are one pass, and
// the Adam loop adds the two shards' gradients as it reads them
// (shard_amd64.s, optim_amd64.s; same bits as the separate loops). Fit
// checks its data for NaN/±Inf with a branch-free float32 scan split over
// its threads, reshuffles 32-bit row numbers each epoch (rand.Shuffle's
// permutation), and each shard gathers its shuffled rows, touching all of
// them before copying them so that their cache misses overlap. A 1-wide
// layer (a regressor's output) would waste 15/16 of the kernel's tiles:
// its z = X·w runs as the 1×rows product wᵀ·Xᵀ (the same bits) and its
// weight gradient as a sum of rows with fused multiply-adds in the
// kernels' order (shard_amd64.s). A product whose transpose the kernel's
// tiles pad enough less runs transposed and is transposed back (same
// bits): a 20-input layer's dW as (xᵀ·dz)ᵀ, the 784→128 layer's z on a
// 64-row shard as (W·Xᵀ)ᵀ.
//
// bench_test.go measures a training step (gather, forward, loss, backward,
// Adam) and
// PredictInto, under the package's kernel and gonum's Sgemm:
//
//	go test ./nn/ -run '^$' -bench . -benchtime 2s
//
// The figures, with their dates and the machine's load, are in
// bench/README.md, next to the whole-Fit comparison with PyTorch.
package nn
