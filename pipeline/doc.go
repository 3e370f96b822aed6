// Package pipeline trains, evaluates and scores dense models over Arrow
// record-batch streams: it fits the feature preprocessing into the model,
// trains with early stopping, registers the model in a versioned registry
// (registry), measures a model on labelled data (Evaluate) and appends
// predictions to batches. The work on columns (fitting and applying the
// preprocessing, targets and labels, prediction columns) is package
// tabular's; pipeline strings it into stages. It is what a
// batch ETL job calls, by hand (Train, Score, stages) or through a
// declarative YAML spec (Run).
//
// # Train
//
//	src, _ := arrowio.Open("customers.parquet", arrowio.Options{})
//	res, err := pipeline.Train(ctx, src, pipeline.TrainConfig{
//		Target: "churned", Exclude: []string{"customer_id"},
//		Hidden: []int{32, 16}, Epochs: 30, Patience: 5, Seed: 42,
//		Name: "churn", Models: "./models",
//	})
//	// res.Model, res.Entry.Ref() == "churn@1", res.Metrics["accuracy"], res.History
//
// Train reads the stream once. As the batches arrive it updates the
// statistics of every feature (Welford mean and variance, min and max,
// category counts) and collects the target; the batches, cut down to the
// feature and target columns, are held in memory. It then fits the
// preprocessing, detects the task, splits the rows, encodes every batch
// straight into its rows of one float32 matrix with tabular.Featurizer, the
// encoder scoring uses (releasing each batch once encoded), trains on the
// training rows by index (nn.FitConfig.Rows; only the validation rows are
// copied out), evaluates the final model on the validation rows with
// nn.Evaluate, records the
// provenance (source, rows, schema fingerprint, time, seed, epochs,
// metrics) in the spec and, when TrainConfig.Name is set, registers it.
// It also records what dense_explain and dense_importance read
// (nn.Spec.Explain, importance.go): the explanation baseline fitted on the
// training rows (nn.FitBaseline), and PermutationImportance on the
// validation rows — for each input, the mean drop of the validation
// accuracy (classifiers) or R² (regression) over ImportanceRepeats (5)
// seeded shuffles of that input's values among at most ImportanceMaxRows
// (10,000) rows, with its standard deviation.
//
// Memory: the training matrix takes rows × width × 4 bytes (width is the
// encoded width: one per numeric feature, plus one per missing indicator,
// the vocabulary size plus one per categorical feature, the length of a
// vector). While it is being filled the held Arrow columns coexist with it,
// so the peak is about the raw column data plus the matrix. 1M rows × 50
// features is 200 MB of matrix.
//
// # Preprocessing
//
// Each feature's transforms come from TrainConfig.Defaults, or
// TrainConfig.Transforms[name] for that column (zero fields take the
// built-in defaults). A default that does not fit a column's kind is
// skipped for that column (a default scaling or log1p for a categorical
// column, an imputation for a vector); set on the column itself it is an
// error. The fitted values are stored in the model's
// nn.Spec.Inputs, and nn.Encoder applies them identically when training,
// when scoring here and when scoring in SQL: there is no training/serving
// skew.
//
//   - numeric columns (ints, floats, decimals, bools as 0/1): a NULL or
//     NaN is imputed (mean by default; median, most_frequent, constant or
//     none), optionally with a 0/1 missing-indicator feature; then an
//     optional clip to [min, max], optional log1p, then scaling (standard by
//     default, minmax or none). Scaling statistics are taken over the
//     observed values after clip and log1p; mean imputation uses the mean of
//     the raw observed values. Median and most-frequent imputation are exact:
//     they take a second pass over the held columns. Standard scaling uses
//     the population standard deviation (like scikit-learn).
//   - string and dictionary columns are categorical: one-hot over the
//     MaxCategories (default 100) most frequent values (ties in string
//     order), with an unknown bucket (default on) for values outside it. A
//     NULL is imputed with the most frequent value by default.
//   - lists and fixed-size lists of numbers are vectors of a fixed length
//     (checked on every row), scaled with one mean and std over all
//     elements; a NULL list or element is an error (no imputation).
//
// Fitting errors name the feature and the row (0-based over the stream):
// ±Inf values, a value outside log1p's domain, a column with no observed
// value, a list of the wrong length.
//
// # Task detection
//
// Task "auto" decides from the target column: bools → binary; integers
// with two distinct values → binary; other numbers → regression; strings →
// classification (two classes binary, more multiclass). An integer target
// with 3 to MaxAutoClasses (20) values is probably classes, but as
// scikit-learn's users know it may as well be a count or a score: it trains
// as regression and TrainResult.Note says so, naming the count and the
// flag (--task multiclass) that classifies it. Rows whose target is NULL
// (or NaN) are left out of everything (the preprocessing fit too), counted
// in TrainResult.Dropped and nn.Provenance.DroppedRows; row numbers in
// later errors count the rows kept. A float target
// with fractional values cannot be forced to binary or multiclass (as in
// scikit-learn, such a target is continuous); whole floats (1.0, 2.0) can.
// A regression target, and every numeric feature value that reaches the
// scaling, must fit float32, in which the network computes
// (nn.ErrFloat32Range, with the row and value). Two columns of the same
// name in the data are an error, not a silent choice of the first.
//
// The label vocabulary goes into Spec.Labels, sorted (numerically for
// numeric targets). For a binary target Labels[1] is the positive class,
// the one the score is P(…) of: TrainConfig.PositiveLabel if set (matched
// by text, then by value, so "yes" names the label "true" of a BOOLEAN
// target); else, for a string target, the label named like a positive
// ("1", "true", "yes", "y", "t", "positive", "pos", case-blind); else the
// second in sorted order (for numbers the larger, for bools true).
// TrainConfig.Threshold sets a binary model's decision threshold
// (nn.Spec.Threshold: the label is Labels[1] from P ≥ Threshold, default
// 0.5), stored in the model and used wherever a label is predicted (SQL's
// dense_predict_label, Score, Evaluate). TrainConfig.ClassWeights
// "balanced" weights each class in the loss by n / (classes × its count)
// over the training rows (scikit-learn's rule); the weights are stored in
// the provenance.
//
// # Training
//
// The network is Dense(h, activation) for each hidden width, each followed
// by BatchNorm and Dropout when asked (He initialisation for the ReLU
// family, Glorot otherwise), then the task's output layer: Dense(1,
// sigmoid) with binary cross-entropy, Dense(classes, softmax) with sparse
// categorical cross-entropy, Dense(1, linear) with MSE. The validation rows
// are a seeded random fraction (ValSplit, default DefaultValSplit: 0.2,
// above 5,000 rows 1,000 rows but at least 0.1), stratified by class
// for classification so every class keeps its proportion (SplitRows). The
// split is stored in the model (nn.Provenance.Split: rule, fraction, seed,
// rows, and digests of the targets and of the encoded features in row
// order), so that Evaluate with
// EvalConfig.Holdout finds exactly the same rows again in the same data
// (HoldoutRows; other data is refused). TrainConfig.CV = k adds k-fold
// cross-validation (cv.go: each fold's model is trained by Train itself on
// the other folds and evaluated on its fold; mean ± std in
// TrainResult.CV and nn.Provenance.CV); the returned model is the usual one.
// The training settings left at zero are chosen from the training rows
// (defaults.go): early stopping on the validation loss with the best
// epoch's weights restored, an epoch cap, the batch size, a learning rate
// halved on a plateau, light weight decay; explicit settings win. The
// settings used are in TrainResult.Settings, the EventStart event and the
// model's provenance (nn.TrainingSettings). Training is deterministic for a
// seed on any thread count; with $SOURCE_DATE_EPOCH set as the creation
// time the model file is bit-identical.
//
// Regression targets are standardised for training and the scaling is
// folded into the output layer's weights afterwards, so the model predicts
// in the target's own units. (Losses in the History are in standardised
// units; the final Metrics are in raw units.)
//
// Progress arrives through TrainConfig.OnEvent as Events: EventRead per
// batch read, EventBatch per mini-batch, EventEpoch per epoch (with "loss",
// "val_loss" and the metrics), EventEvaluated, EventRegistered. Train is
// cancelled through ctx. Its errors start with "pipeline: train:".
//
// # Evaluate
//
//	res, err := pipeline.Evaluate(ctx, model, src, pipeline.EvalConfig{}) // target: the model's
//	// res.Metrics["accuracy"], res.Confusion (classifiers), res.Rows
//
// Evaluate encodes each batch like Score, predicts it once, reads the true
// values (tabular.TargetValues: class labels matched as training made them)
// and scores the outputs with nn.EvaluateOutputs: accuracy, precision,
// recall, F1, log loss, ROC AUC (one-vs-rest macro for multiclass) and the labelled
// confusion matrix for classifiers; MSE, RMSE, MAE and R² for regression.
// The class of an output row is nn.Spec.Classify's; a NaN output is an
// error naming the row. dense eval is this call plus a latency measurement.
//
// # Score
//
//	n, err := pipeline.Score(ctx, model, src, sink, pipeline.PredictionColumns{})
//
// Score encodes each batch with the model's inputs (tabular.Featurizer),
// predicts, appends the prediction columns (tabular.AppendPredictions) and
// writes the batch to any Writer; memory is at most two batches (see the
// overlap below), one feature matrix and its outputs. The default columns
// are "prediction" (float64: the value, P(Labels[1]) for binary, the top
// probability for multiclass) and, for classifiers, "predicted_label"
// (string) and "probabilities" (fixed-size list of float32 in Labels
// order); the label is nn.Spec.Classify's, NULL for a row whose output is
// NaN. A NULL is imputed as fitted and an unseen category goes to the
// unknown bucket; a value the model cannot encode (a NULL where the
// feature has no imputation, an unseen category without an unknown
// bucket, a list of the wrong length) is an error naming the column and
// the row over the whole stream — or, with ScoreStage.NullOnError, gives
// that row NULL predictions.
//
// The prediction runs the model's network as an nn.Scorer built once per
// stage (nn.NewNetworkScorer: the dense ReLU networks dense train writes go
// 16 rows at a time through sgemm.Stack, others through packed weights):
// Model.PredictInto's bits, in about half its time (a 20 → 64 → 32 → 1
// network, 65,536-row batches: 0.19 → 0.09 s per 2M rows). nn.NewScorer's
// folding of the inputs' scaling into the first layer is not used: it
// would change the last bits.
//
// The stage's reader reads, encodes and scores on a goroutine of its own,
// started by the first Read, so the caller's writing of batch i overlaps
// the reading and scoring of batch i+1: the hand-off is unbuffered, so at
// most two scored batches exist at once and the stage reads at most one
// batch ahead of its caller. Batches come out in order, OnEvent runs on
// the caller's goroutine with the rows handed over, the first error in
// stream order is the one returned (the worker stops at it), and a panic
// on the worker is raised again in Read. Close stops the worker and waits
// for it before closing the input; a cancelled context stops it too. On
// 2 cores, 2M rows of 20 FLOAT columns from Parquet through 20 → 64 → 32
// → 1 to Parquet (dense score) took 1.94 s before the Scorer and the
// overlap and 1.53 s after (wall, four alternating runs each, load 1.3;
// about 2.0 CPU-seconds either way): Parquet encoding (zstd, dictionaries,
// statistics) is about 60% of the CPU, DuckDB's reading and the features'
// encoding about 5% each, the network under 10%. To CSV the writer is
// about 90% of the CPU and the overlap gains little (5.5 s either way).
//
// # Stages
//
// A Stage turns a record stream into another lazily (ScoreStage, which
// reads one batch ahead, MapStage for a function over batches); Chain
// composes them and Drain pumps a stream into a Writer. Train is the
// stage that ends a stream in a model. Every arrowio.Reader is a Reader
// and every arrowio.Writer a Writer.
//
//	r, _ := pipeline.Chain(ctx, src, pipeline.MapStage{Fn: clean}, pipeline.ScoreStage{Model: m})
//	w, _ := arrowio.Create("scored.parquet", r.Schema(), arrowio.WriterOptions{})
//	n, err := pipeline.Drain(ctx, r, w)
//	err = w.Close()
//
// # Performance
//
// go test -run '^$' -bench . ./pipeline measures scoring 100,000 rows and
// training on 10,000; the figures, with their dates, are in bench/README.md.
//
// # The declarative spec
//
// Run(ctx, spec) executes a YAML spec (LoadSpec): train on the source,
// register, and optionally score a source into a sink. testdata/churn.yaml
// is a commented example with every key. Decoding is strict (an unknown key
// is an error listing the known ones), and Validate reports every problem
// at once, each naming its key: "training.epochs: must be ≥ 1, got 0".
// Relative paths are relative to the spec file's folder. File sources are
// read by duckio.Open (DuckDB's read_csv, read_json and read_parquet, so a
// CSV has the columns and types SQL gives it; globs and hive-partitioned
// folders keep their partition columns); DuckDB sources stream a query
// through duckio.QueryFile and DuckDB sinks write through duckio's table
// writer in one transaction (nothing is left when scoring fails). A partly
// written sink file is removed when scoring fails.
//
// Run, OpenSource and their DuckDB sources and sinks are not part of the
// build with tag dense_extension (the loadable DuckDB extension, which must
// not link DuckDB): everything else — Train, Evaluate, Score, the stages and
// the spec — is.
package pipeline
