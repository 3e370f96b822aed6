// Package tabular is the layer between Arrow I/O (arrowio) and the network
// (nn): it turns columns into features and outputs back into columns. Where
// a new column transform goes, this package is the answer.
//
//   - Fitting the preprocessing during training: Fitter observes batches
//     (Welford mean and variance, min and max, category counts, the values
//     for a median) and Finish returns the model's nn.Inputs; Feature and
//     FeatureOptions say which transforms a column gets.
//   - Applying it: Featurizer binds a model's inputs to a schema and encodes
//     batches into a float32 row-major matrix through nn.Encoder, the code
//     the SQL functions use; BatchEncoder writes training batches straight
//     into their rows of the training matrix.
//   - Targets: DropNullTargets leaves out the rows without a target (training
//     and evaluation both call it first); TargetFit collects a training
//     target, detects the task and builds the labels (Resolve: an integer
//     target with a few values trains as regression, with a Note);
//     TargetValues reads the true values of labelled data for evaluation,
//     matching labels by text, then by value where that is unambiguous
//     ("yes" for a BOOLEAN-trained "true", "03" for 3).
//   - Drift: the Fitter also stores each input's raw training statistics
//     (nn.Stats: rows, NULLs, raw min and max); DriftChecker compares scored
//     batches with them in one streaming pass (NULL share, values outside
//     the training range, categories outside the vocabulary with a few
//     examples) and WriteDriftReport prints the short report of dense eval
//     and dense score --check.
//   - Predictions: AppendPredictions adds score, label and probability
//     columns; the label is nn.Spec.Classify's.
//
// The column readers (NumberGetter, CategoryGetter, DaysGetter,
// IsNumericType, IsTextType, IsDateType) are shared by all of them, so that
// training accepts exactly the column types scoring reads and reads a value
// with the same arithmetic.
//
// # What the fit decides (the column's kind and its defaults)
//
//   - Numbers → numeric: mean imputation, standard scaling.
//   - Text → categorical: most-frequent imputation, one-hot over at most
//     DefaultMaxCategories values plus an unknown bucket. A value seen in
//     fewer than max(5, 0.1% of the non-NULL rows) rows is not given a slot
//     of its own: it goes to the unknown bucket with new values
//     (DefaultMinCategoryCount, DefaultMinCategoryShare; MinCategoryCount 1
//     keeps every value). A text column whose values are nearly all
//     distinct (≥ 90% over ≥ 20 rows: an id, free text, a timestamp as text)
//     is refused, naming the column and its distinct count: exclude it, or
//     ask for kind categorical explicitly.
//   - Integers can be categories too, on request (kind categorical,
//     --categorical): store ids, zip codes. The categories are the integers'
//     decimal text; text holding the codes scores the same ("01067" is 1067).
//   - DATE and TIMESTAMP (any unit, with or without a zone) → date
//     (nn.KindDate): days since 1970-01-01 (fractional for a timestamp),
//     mean-imputed and standardised, plus a sin/cos pair for each cycle that
//     varies in the training data: the day of the week (at least two
//     weekdays seen), the month (at least two months), the time of day
//     (timestamps not all at one time). A constant cycle cannot help, so it
//     is left out; the cyclic pairs let the network see that Sunday is next
//     to Monday and December to January, which days since the epoch cannot.
//     Dates are never one-hot encoded. Kind date on a text column parses it
//     (nn.ParseDays), and scoring accepts text for a date input too.
//   - Lists of numbers → vector: standard scaling over all elements.
//
// The Fitter's and TargetFit's errors name the feature or target and the
// row but carry no package prefix: they are reported by the training stage
// (pipeline), which adds its own.
//
// # Features
//
// NewFeaturizer binds a model's ordered inputs (nn.Input, with their fitted
// preprocessing) to the columns of a schema by name; Encode turns a batch into
// a rows×Width row-major []float32, reusing the destination's memory. The
// preprocessing is applied by nn.Encoder (Number, Category, Vector), the same
// code the SQL functions use, so Go and SQL scoring do the same arithmetic.
//
//	input kind    column types                                   encoding
//	numeric       int8…int64, uint8…uint64, float16/32/64,       Encoder.Number on the value as float64
//	              decimal32/64/128/256 (value / 10^scale),       (NULL and NaN are missing)
//	              bool (0/1)
//	vector        fixed_size_list or list (or large_list) of     Encoder.Vector on the elements; the
//	              any numeric type above                         length must equal Input.Length
//	categorical   string, large_string, string_view,             Encoder.Category on the text
//	              dictionaries of those; integers and bools
//	              (by their decimal / "true"/"false" text);
//	              for an input fitted from integers, text        nn.IntegerCode, then Encoder.Category
//	              holding the codes
//	date          date32, date64, timestamp (any unit/zone),     Encoder.Date on DaysGetter's days
//	              text that nn.ParseDays reads
//
// Float columns cannot be categorical: their text form is too fragile to be
// a category (fit them as numeric, or cast them to an integer or string).
// Passthrough inputs (no imputation, clipping, log1p or scaling) whose
// column has no NULLs are copied straight from the column's value slice
// (arr.Float32Values() for float32), checked for finiteness, without a call
// per value. The batch is processed in tiles of rows that fit in cache.
//
// # Errors
//
// Every error starts with "tabular: " and wraps a sentinel for errors.Is:
// a missing column (ErrNoColumn; the message lists the columns there are), a
// type that cannot feed an input (ErrColumnType, naming column and type), a
// list of the wrong length (ErrListLength: row, expected, got; a fixed-size
// list of the wrong size is refused by NewFeaturizer), a batch of another
// schema (ErrSchema). Row-level problems are a *RowError with the column and
// the 0-based row within the batch, wrapping nn.ErrMissing (a NULL or NaN
// with no imputation), nn.ErrNotFinite (±Inf), nn.ErrUnknownCategory,
// nn.ErrDomain (log1p) or ErrFloat32Range (a value that overflows float32).
// Encode stops at the first; EncodeMasked encodes every row it can and
// returns a validity mask, which AppendPredictions turns into NULL
// predictions.
//
// # Predictions
//
// AppendPredictions appends, under the names the caller picks (an empty name
// leaves the column out): a float64 score (the value for regression, P of
// Labels[1] for binary, the probability of the predicted label for
// multiclass), a string label for classifiers (nn.Spec.Classify: binary,
// Labels[1] when P ≥ the model's threshold, 0.5 by default; multiclass, the argmax; NULL for a row whose
// output is NaN), and the probabilities as fixed_size_list<float32> in
// nn.Spec.ClassLabels order (binary: [1-p, p]; regression: the output
// vector). A model without Labels gets "0", "1", ….
//
// # Performance
//
// Throughput figures of the featurizer (Parquet → features, Encode alone),
// with the command and the date, are in bench/README.md.
package tabular
