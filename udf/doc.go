// Package udf makes dense models callable from DuckDB SQL.
//
// Register(db, models) adds the functions below to a database opened with
// duckdb-go (github.com/duckdb/duckdb-go/v2), available on every connection
// of that database; the loadable extension (package extension) registers
// the same functions, from the same code, in a DuckDB that loads it (see
// "Two hosts" below):
//
//	dense_predict(model, features…)        → DOUBLE   regression value; binary: P(second label)
//	dense_predict_label(model, features…)  → VARCHAR  the predicted class label
//	dense_predict_proba(model, features…)  → FLOAT[]  the output vector; binary: [P(label 0), P(label 1)]
//	dense_predict_all(model, features…)    → STRUCT(label VARCHAR, probability DOUBLE, probabilities FLOAT[], prediction DOUBLE)
//	                                          the three above in one call (probability: the predicted label's);
//	                                          NULL fields where they do not apply (regression: only prediction;
//	                                          multiclass: no prediction)
//	dense_explain(model, features…)        → LIST(STRUCT(input VARCHAR, value VARCHAR, attribution DOUBLE))
//	                                          each input's share of the score's move from the model's baseline
//	                                          (integrated gradients), largest |attribution| first
//	dense_models()                         → name, version, task, inputs, labels, params, created, metrics, path, sha256, status, folder, aliases
//	dense_layers(model)                    → layer, type, input_units, output_units, activation, weights, biases, params
//	dense_inputs(model)                    → input, name, kind, source, accepts, length (the feature contract)
//	dense_params(inputs, units, bias := true) → layer, inputs, units, weights, biases, total, mb
//	dense_importance(model)                → input, importance, rank (permutation importance measured at training)
//	dense_evaluate(model, query, target := …) → metric, value   (pipeline.Evaluate: dense eval's metrics)
//	dense_confusion(model, query, target := …) → actual, predicted, count
//	dense_train(name, query, target := …, options…) → name, version, task, target, rows, epochs, seconds, metrics
//	                                          trains on the query's rows as dense train does and registers name@N
//
// For example:
//
//	SELECT dense_predict_label('segment', c) FROM customers c;
//	SELECT id, dense_predict('churn@3', age, income, plan) FROM customers;
//	SELECT sum(total) FROM dense_params(784, [128, 10]);   -- 101770
//
// # Models
//
// The functions find models in a ModelSource, which describes versions
// with registry.Entry: FromRegistry(reg) serves a registry folder,
// NewMemory an in-memory set (tests, embedding; Memory.SetAlias gives it
// aliases, as a registry has).
// dense_models() lists the source's summaries without reading model files;
// for a registry it lists damaged versions too (status says why, instead
// of "ok") and names the folder it reads (folder).
// FromRegistry resolves every reference against the folder afresh and
// caches verified models by file and SHA-256 (versions never change).
//
// The first argument of the scalar functions and of dense_layers names a
// model: 'churn' (or 'churn@latest') is the newest version, 'churn@3'
// version 3, 'churn@prod' the version the alias prod points to (from a
// registry source; `dense models alias`). References are parsed by registry.ParseRef, the CLI's parser,
// so what the CLI rejects ('churn@01', 'churn@+3', '../x', 'a b@2') is an
// error in SQL too. An unknown model's error lists the models there are and
// names the folder a registry source reads. It must be a constant in the SQL text; a column, a ?
// parameter or an expression that varies by row is an error. It is resolved once per query,
// when DuckDB binds the call, so a model that another process registers is
// used by the next query, and a running query keeps the version it started
// with. dense_predict on a multiclass model, or on a regression model with
// several outputs, is an error that points to the other two functions;
// dense_predict_label on a regression model is an error. A classifier
// without labels in its spec gets "0", "1", … as labels.
//
// # Functions that run a query
//
// dense_train, dense_evaluate and dense_confusion take SQL text, run it
// and read its rows as Arrow record batches: dense_train trains on them
// with pipeline.Train, the code of dense train, with its options as named
// parameters (features, exclude, task, hidden, activation, dropout,
// batchnorm, epochs, batch_size, optimizer, lr, val_split, patience,
// lr_schedule, weight_decay, seed, categorical, positive_label,
// class_weights; one left out takes dense train's default, one given must
// mean what it says: epochs := 0 is an error, and every error names its
// parameter) and
// registers the model in the source (a registry folder, or a Memory) as
// the next version of name; a registered model's training history is not
// drawn (dense train's history.png). dense_evaluate evaluates a model on
// them with pipeline.Evaluate, the code of dense eval, so the numbers are
// dense eval's. The work happens when the query executes (the scan's init
// callback), not when it is bound: EXPLAIN or a statement prepared and
// never run does nothing. The query runs on a connection of its own,
// never the calling one, which is busy running the call:
//
//   - linked (Register): another connection of the *sql.DB's pool, read by
//     duckio.Query (dense train --db --query's reader). A pool whose every
//     allowed connection is in use (SetMaxOpenConns) is an error, not a
//     wait that would never end.
//   - extension: the connection the extension opened when it was loaded
//     (DuckDB's C API lends an extension the database only while it loads,
//     and has no way to run a query on the calling connection); one query
//     at a time, converted by DuckDB's own Arrow export. A call made by a
//     query that this connection runs is an error rather than a deadlock.
//
// So the query sees the database's committed tables and views, not the
// calling connection's TEMP tables, nor what the caller's open transaction
// has written but not committed. DuckDB's C API gives a table function no
// way to see DuckDB's interrupt; Interrupt (which dense sql calls on
// Ctrl-C) stops such calls from Go: a training stops within a mini-batch
// and registers nothing. A training is registered only when it completes,
// so a failed or interrupted call leaves no version behind.
//
// # Feature forms
//
// After the model come the features, in one of four forms, chosen from the
// argument types when the query is bound:
//
//  1. one LIST or ARRAY of numbers holding the model's inputs in order (a
//     numeric input takes one element, a vector input of length n takes n):
//     dense_predict('m', [age, income, tenure]) or dense_predict('digits', pixels)
//     with pixels a FLOAT[784] column;
//  2. one argument per model input, in the model's input order: numbers for
//     numeric inputs, a LIST/ARRAY for vector inputs, VARCHAR (or ENUM) for
//     categorical ones;
//  3. one STRUCT whose fields are matched to the input names: the row of a
//     table, dense_predict('m', t) FROM t t, or {'age': age, …}; extra fields
//     are ignored and missing ones are named in the error. An input takes the
//     field of its exact name; else the field equal to it ignoring case (SQL
//     identifiers ignore case), but only if that is the one such field and
//     no other input takes it, exactly or ignoring case. Anything else is an
//     error at bind naming the input and the fields, never a field fed to two
//     inputs: DuckDB renames the second of two columns that differ only in
//     case (Max.Axis, max.axis → max.axis_1), and a model with inputs
//     Max.Axis and max.axis (trained before dense refused such names, see
//     package tabular) cannot be scored from such a row, only in form 2;
//  4. VARCHAR (or ENUM) values for categorical inputs, in forms 2 and 3, one-hot
//     encoded with the vocabulary fitted into the model (a list of numbers
//     cannot carry them). An input fitted from integer codes (store ids, zip
//     codes) takes any integer type, or VARCHAR holding the code: '01067'
//     is the code 1067 (nn.IntegerCode); text that is no integer fails the
//     query, quoting it.
//  5. DATE, TIMESTAMP (_S, _MS, _NS, WITH TIME ZONE) or VARCHAR values for
//     date inputs (nn.KindDate), in forms 2 and 3: days since 1970-01-01 UTC
//     and the fitted cycles, computed by nn (DaysFromDate, DaysFromTimestamp,
//     ParseDays) exactly as dense score computes them. Text must read as an
//     ISO date or timestamp ('2024-01-05', '2024-01-05 10:30:00', with T or
//     a zone); anything else fails the query, quoting the value. The code is
//     in dates.go.
//
// Numbers may be of any numeric type: TINYINT … BIGINT, the unsigned ones,
// HUGEINT, FLOAT, DOUBLE, DECIMAL, BOOLEAN (0/1). The preprocessing fitted
// into the model (imputation, clipping, log1p, scaling, one-hot) is applied
// with nn.Encoder, the same code the training and Go scoring paths use.
// Features may be ? parameters of a prepared statement, bare or inside a
// STRUCT or LIST literal (dense_predict('m', {'age': ?, 'plan': ?})): DuckDB
// binds the call again when the statement runs, with the values' types.
//
// # NULL, NaN, ±Inf and bad input
//
//   - A NULL feature gives a NULL result, unless the model imputes that
//     input (then the fitted fill value, and the missing indicator if the
//     model has one, are used). NaN is a missing value exactly like NULL.
//   - A NULL element inside a list, a NULL list, array or STRUCT gives NULL
//     (an element that feeds an imputed numeric input is imputed).
//   - dense_predict_label follows nn.Spec.Classify: a row whose output is
//     NaN (an overflow inside the network) predicts no class and gives NULL.
//   - ±Inf fails the query with an error naming the input, and so does a
//     DOUBLE beyond FLOAT's range or a value whose preprocessing (scaling)
//     takes it beyond (the network computes in float32: nn.ErrFloat32Range,
//     the same rule as dense score and training), a value outside log1p's domain, and a category outside the vocabulary
//     of an input without an unknown bucket — unless another input makes
//     that row NULL: NULL wins, whatever the order of the inputs.
//   - Errors found when the query is bound: unknown model (the error lists
//     the available ones), unknown version (lists the versions), a model
//     that fails to load (names the file and the reason), a non-constant
//     model argument, the wrong feature count (expected and got, with the
//     input names), a wrong type (which argument, which input, what was
//     expected), STRUCT fields missing (named). Found while running: a LIST
//     of the wrong length. In every case the query fails with the message,
//     the process and the connection carry on, and the next query works.
//     Even a panic inside a callback (a bug) becomes the query's error
//     rather than unwinding into DuckDB's C++ frames.
//
// # Explaining predictions
//
// dense_explain(model, features…) takes the features in the same forms as
// dense_predict and returns, per row, one entry per model input: its name,
// the value given (as text: a number as its SQL type prints it, a
// category, a vector as [e1, e2, …], a DATE or TIMESTAMP as DuckDB writes
// it — a TIMESTAMPTZ in UTC with +00 —, text as given; NULL for a NULL the
// model imputed),
// and its attribution, sorted by |attribution| (largest first, model
// order on ties). The attributions are integrated gradients (nn.Explainer)
// from the baseline training stored in the model — each numeric input at
// its training mean (after clipping and log1p), each date at its training
// mean in days, each category at the most frequent one — for the score
// the user sees: a binary model's probability
// of its positive class (dense_predict's number), a multiclass model's
// probability of the class it predicts for that row, a regression model's
// value. An attribution is how much the score moves because that input has
// the row's value instead of its baseline value, the other inputs' moves
// accounted to them: they add up to score(row) − score(baseline), within
// 1% of the sum of their absolute values (the integration takes as many
// steps as each row needs). A positive attribution pushes the score up. A
// one-hot input's columns, a vector's elements and a missing indicator
// count as their input. A row that would give NULL in dense_predict gives a
// NULL list. A model without a stored baseline (trained before dense stored
// one, or built or imported outside dense train) is an error at bind, as
// is a regression model with several outputs. Rows are explained in one
// batch per DataChunk: the network runs forward and backward at every
// integration point, so dense_explain costs some tens of dense_predict
// calls.
//
// dense_importance(model) returns the permutation importance measured on
// the validation rows when the model was trained (package pipeline): for
// each input, how much the validation accuracy (classifiers) or R²
// (regression) fell, on average over 5 shuffles, when that input's values
// were shuffled among the rows — the model's reliance on the input across
// the data, where dense_explain's attributions explain one row. Rows come
// most important first; rank is SQL's RANK() (equal importances share a
// rank). Negative values mean shuffling helped by chance: the input is
// not used. A model without the record is an error.
//
// # How it runs
//
// The three scalar functions are registered through DuckDB's C API (via
// the C layer below) as name(VARCHAR, ANY…) with a bind callback and a
// chunk callback:
//
//   - bind (once per query and call site): folds the model argument,
//     loads the model, compiles it for scoring (nn.NewScorer: the inputs'
//     standard and min-max scaling folded into the first dense layer, so a
//     standardised input's features are its raw values), reads the
//     argument types with duckdb_expression_return_type and builds an
//     immutable plan: for every model input, which argument (STRUCT field,
//     list position) feeds it and how it is encoded; an ENUM's categories
//     are looked up once, here.
//   - execute (once per DataChunk of up to 2048 rows, from any of DuckDB's
//     threads): reads the vectors' data and validity masks in place —
//     LIST entries, ARRAY children, STRUCT children, VARCHAR string_t's,
//     DECIMALs at their scale — into a rows×inputs float32 matrix, runs ONE
//     batched forward pass, and writes the results straight into the result
//     vector (DOUBLEs, inlined or assigned VARCHARs, a FLOAT list child).
//     No driver.Value, no per-row boxing, no function call per value: every
//     input is encoded by a loop over its column. A number whose features
//     are its raw values (no preprocessing, or scaling folded into the
//     network) from a NULL-free FLOAT, DOUBLE, INTEGER or BIGINT column is
//     copied in one tight loop per type (block by block of rows when every
//     input is one); other numbers are converted to float64 in one loop and
//     encoded (imputation, clipping, log1p) by nn.Encoder.Numbers in
//     another; categories are looked up once per distinct run of equal
//     values and written by nn.Encoder.OneHots; a FLOAT ARRAY (or a
//     contiguous FLOAT LIST) whose features are its raw values is not copied
//     at all: DuckDB's child vector is the feature matrix, only checked for
//     NaN/±Inf (and, when folding put a limit on it, for values whose scaled
//     feature would be beyond float32's range); so is a STRUCT whose one
//     field is that array. When every input is a number whose features are
//     its raw values, from NULL-free FLOAT (DOUBLE, INTEGER, BIGINT) columns
//     whose values are all finite, no row-major matrix is made either: the
//     network reads the FLOAT columns where they are (the others converted
//     to float32 columns) through nn.Scorer.PredictColumns. The forward
//     pass is the Scorer's, on the calling thread (DuckDB's threads already
//     use every core; a large network's chunk, 784→128→10's, is shared
//     with a core left idle, see nn.Scorer.PredictInto): a network of dense ReLU/linear hidden layers of at
//     most 128 inputs and units each (the models dense train writes) runs
//     16 rows at a time with the rows in the lanes of the AVX-512 registers
//     (sgemm.Stack: the columns are read as they are, and a one-unit output
//     is an FMA per hidden unit on the registers holding the last hidden
//     layer); other networks run a block of rows through every layer at a
//     time with the weights packed for the matrix kernel once at bind and
//     bias and ReLU applied in the kernel. Either way it gives the model's
//     bits. A chunk the folded encoding refuses (a ±Inf, a value near
//     float32's limits) is encoded again the model's own way and scored by
//     the unfolded network, so errors and results at the edges are exactly
//     the model's.
//
// Threading: DuckDB calls the chunk callback from several threads at once.
// The plan and the model are shared read-only; each call takes its scratch
// (feature matrix, outputs, nn.Workspace) from a sync.Pool in the plan, so
// calls never share memory and a long query stops allocating once the
// buffers have grown (TestNoAllocationsPerChunk). The functions are tested
// with threads=4 (TestConcurrentQueries, TestPredictMatchesNN), also under
// -race.
//
// Special NULL handling is switched on for the functions, so DuckDB never
// replaces a call with NULL on its own: whether a NULL feature gives NULL is
// the model's decision (imputation).
//
// The table functions (dense_models, dense_layers, dense_inputs, dense_params) are C API
// table functions too: the bind callback reads the arguments as DuckDB
// values, refusing NULL and checking each value's type before reading it,
// and computes the rows (a handful); the scan callback writes them into the
// output chunk. DuckDB's binder refuses positional arguments of a type it
// does not implicitly cast to the parameter's (dense_layers(42)); named ones
// are cast (bias := 'maybe' is DuckDB's cast error). sql/test/arguments.test
// gives every parameter of every function NULL and wrong types.
//
// # Two hosts, one implementation: the C layer
//
// Every call into DuckDB goes through a thin layer, one Go function per C
// API function (capi.go declares its types), with two backends chosen at
// build time:
//
//   - default: DuckDB linked by duckdb-go, called through duckdb-go's
//     mapping package (capi_linked.go). Register(db, src) registers the
//     functions on a *sql.DB.
//   - build tag dense_extension: DuckDB is the host process that loaded
//     dense as an extension (package extension, built with
//     -buildmode=c-shared), called through the duckdb_ext_api_v1 function
//     table that DuckDB passed to the extension's entry point
//     (capi_ext.go, which needs DuckDB's duckdb_extension.h: see
//     extension/doc.go). RegisterExtension registers the functions. This
//     build imports neither duckdb-go nor duckdb-go-bindings.
//
// Binding, plans, execution, the table functions and every error message
// are the same code in both builds, so the extension's results are the same
// bits as dense sql's. cgo is used in this package only (the callbacks
// DuckDB calls are //export functions here); the extension's package main
// only reaches DuckDB's entry-point structure.
//
// # Reaching the C API connection, and why
//
// Registering a function through the C API needs the duckdb_connection
// behind a database/sql connection. duckdb-go keeps it in the unexported
// field `conn mapping.Connection` of its *duckdb.Conn and has no accessor;
// its public scalar UDFs (RowExecutor, ChunkContextExecutor) hand values
// over one row at a time as driver.Value, boxing every list element, and
// cannot see argument types at bind time. So Register takes a connection
// with sql.DB.Conn, gets the *duckdb.Conn with sql.Conn.Raw, and reads that
// field with reflection: the field is looked up by name and its type must
// be exactly mapping.Connection before anything is read (conn.go). If a
// duckdb-go release renames or retypes it, Register returns an error saying
// so instead of reading garbage, and TestConnLayoutPinned fails. The
// handle is only used inside Raw, while database/sql holds the connection.
// A connector init callback (duckdb.NewConnector) was the alternative; it
// would have needed the same unexported field and would force callers to
// open the database through us. Because DuckDB keeps functions registered
// through the C API in the database instance's system catalog, registering
// once on one connection serves every connection, present and future.
//
// Register a database once; a second Register on the same database returns
// ErrRegistered (DuckDB would replace the scalar functions but keep the old
// table functions). Functions are not stored in a database file.
//
// # Performance
//
// go test -run '^$' -bench . -benchtime 3x -timeout 30m ./udf (bench_test.go)
// on the 2-core AMD EPYC development machine, shared with other jobs (load
// 2 to 13 while measuring, so figures moved by up to 2× between runs; the
// best runs are shown, with the range). rows/s of SELECT sum(…) over a
// table, against the same model as a duckdb-go RowExecutor UDF ("row at a
// time") and nn.Model.PredictInto on an in-memory matrix in 2048-row
// batches on one goroutine ("nn"; its GEMM may use both cores).
//
//	20→64→32→1, 1M rows                 rows/s
//	  SQL, 20 FLOAT columns            10.2M (4.4M–10.2M)   DuckDB threads=2 (default)
//	  SQL, one FLOAT[20] column        11.8M (3.5M–11.8M)
//	  SQL, 20 FLOAT columns, threads=1  5.2M (2.0M–5.2M)
//	  SQL, FLOAT[20], threads=1         5.7M (4.1M–5.7M)
//	  row at a time                     0.48M (0.10M–0.48M)
//	  nn                                6.4M (5.0M–6.4M)
//
//	784→128→10, 100k rows of FLOAT[784]
//	  SQL (dense_predict_proba)         477k (180k–477k)    threads=2
//	  SQL, threads=1                    471k (226k–471k)
//	  row at a time                     18k (5.1k–18k)
//	  nn                                747k (209k–747k)
//
// Interleaving the runs (SQL, nn, SQL, nn, … seven times, best of each,
// at a quieter moment) removes most of the noise:
//
//	                                 nn        SQL threads=1           SQL threads=2
//	20→64→32→1, FLOAT[20]           155 ms     172 ms (+11% time)       84 ms
//	20→64→32→1, 20 FLOAT columns    155 ms     195 ms (+26% time)       96 ms
//	784→128→10, FLOAT[784]          129 ms     172 ms (+33% time, −25% rows/s)   182 ms
//
// Measured in the same run, the vectorised path is 11–33× the row-at-a-time
// one for the small network and 22–57× for the 784-wide one. On one DuckDB
// thread it costs 11–26% more time than nn alone for the small network
// (the copy of 20 columns into the feature matrix; scanning them takes
// 3 ms) and 33% more for the 784-wide input, where the features are used in
// place without a copy: DuckDB's own scan of the 313 MB of arrays takes
// 27 ms of the 43 ms difference (both scan figures from a CPU profile of
// the benchmark; bench_test.go has no scan-only case), the NaN/±Inf check
// 10–17 ms (BenchmarkAllFinite: 0.34 ms per 2048-row chunk at best under
// load 6, and 49 chunks; 10 ms in the quieter run above). With two
// DuckDB threads the small network runs up to twice as fast as the single
// nn loop; the 784-wide one does not gain (100k rows are one row group, one
// scan task, and its products already use both cores).
package udf
