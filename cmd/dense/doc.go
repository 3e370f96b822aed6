// Command dense trains dense neural networks on tables and scores them in
// SQL. It is a thin layer over the packages: flags are parsed here and the
// work is done by pipeline (training, scoring, the YAML pipelines),
// registry (the models folder), arrowio and duckio (files, DuckDB
// queries and tables), udf (the SQL functions) and nn (the networks).
//
// # Commands
//
//	dense train     (--data FILE | [--db FILE] --query SQL) --target COL [architecture and training flags]
//	dense score     --model NAME[@V] (--data FILE | [--db FILE] --query SQL) --out (FILE | duckdb:FILE:TABLE)
//	dense sql       [--db FILE] [--models DIR] [-c SQL | FILE.sql] [--format table|csv|json|line] [--max-rows N]
//	dense models    [list | show NAME[@V] | rm NAME@V | rm NAME --all [--yes]]
//	dense eval      --model NAME[@V] (--data … | --db … --query …) [--target COL] [--plot FILE.png] [--thresholds] [--holdout]
//	dense params    --inputs N --units U1,U2,… [--no-bias] [--format …]
//	dense pipeline  run SPEC.yaml | validate SPEC.yaml
//	dense demo      [--db FILE] [--models DIR] [--customers N] [--seed N]
//	dense bench     gemm | train | sql
//
// Every command has --help with examples. The models folder is ./models
// unless --models DIR or $DENSE_MODELS says otherwise. Flags may follow the
// positional arguments (dense models show churn --models /srv/models).
//
// # Output and exit codes
//
// Results go to standard output; progress bars go to standard error, only
// when it is a terminal and --quiet is not given. A user error (missing
// file, unknown column or model, bad flag, failing SQL in batch mode) prints
// one line, "dense: …", naming the problem, and exits with 1. A panic is a
// bug: it is caught at the top, reported in one line and exits with 2
// (DENSE_DEBUG=1 adds the stack trace). Ctrl-C cancels the work through the
// context and exits with 130; in the SQL shell it cancels only the running
// statement and prints "Interrupted". An interrupted dense train registers
// nothing and says so, naming the best epoch so far and the --epochs that
// reproduces it (training is deterministic for a seed). The model header and
// summary print when training starts; progress lines are cut to the
// terminal's width, since a wrapped line cannot be redrawn in place.
//
// Plots (history.png, eval --plot) are PNG, or SVG when the name ends in
// .svg; every axis names its metric and unit (a regression's in the
// target's units) and epochs are whole numbers. The tests render SVG and
// check the titles and labels.
//
// # dense sql
//
// One DuckDB connection runs all the statements, so SET, temporary tables
// and USE carry from one statement to the next. Statements come from -c,
// from a file, or from standard input when it is not a terminal; scripts
// are split at semicolons outside quotes, dollar quotes and comments. On a
// terminal dense sql is a shell (github.com/chzyer/readline: line editing,
// Tab completion of keywords, dense functions, tables and columns, history
// in ~/.dense_history or $DENSE_HISTORY, dot commands .help, .tables,
// .schema, .models, .mode/.format, .maxrows, .maxwidth, .output, .timer,
// .read, .quit); an error is printed and the shell carries on. DDL and DML
// results (DuckDB's "Count") are not printed in scripts.
//
// Every output format streams. The table format keeps only the rows it
// shows: all of them up to --max-rows (.maxrows, default 40), else the first
// half and a ring of the last half, with "50,000 rows (40 shown)" — memory
// does not grow with the result (TestSQLTableMemoryIsFlat runs 2 million
// rows against the CSV output's peak RSS). On a terminal (or with
// .maxwidth) the widest columns narrow, cut with …, until a line fits.
// Values print in DuckDB's text forms (DATE 2024-03-01, INTERVAL 1 year 2
// days 04:05:06, DECIMAL with its scale, UUID dashed); CSV lists are
// [1.5, 2] and cast back with ::FLOAT[]. A JSON script of several
// statements is one document: an array of each statement's rows.
//
// # dense demo
//
// The demo's data comes from internal/demodata (seeded, no network); its
// SQL is sql/demo.sql, embedded in the binary by package sqlfiles
// (github.com/dense-ml/dense/sql).
//
// # Tests
//
// TestMain builds the binary once; the end-to-end tests run it as a user
// would (train on a CSV file, score in SQL, compare with the Go scores,
// evaluate, the demo), the other tests call run() in-process. Golden files
// in testdata/ (go test ./cmd/dense -update rewrites them) pin the help
// texts, dense params, the model summary and dense models list/show.
package main
