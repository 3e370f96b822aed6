//go:build dense_extension

// Command extension is dense as a loadable DuckDB extension,
// dense.duckdb_extension: DuckDB is the host, and the dense SQL functions
// (the udf package) run inside it.
//
//	LOAD '/path/to/dense.duckdb_extension';   -- duckdb -unsigned, or allow_unsigned_extensions
//	SELECT dense_predict_label('segment', c) FROM customers c;
//	SET dense_models = '/data/models';          -- another models folder, at run time
//
// # Building
//
// One command builds it: go run ./extension/build -o dense.duckdb_extension
// (the builder runs the c-shared build below and appends DuckDB's 512-byte
// metadata footer). The contract between this package and the builder:
//
//   - build tag dense_extension: it selects udf's extension backend (the C
//     calls go through the function table DuckDB hands the entry point) and
//     leaves out everything that links DuckDB. Every file of this package
//     carries the tag, so go build ./... and go vet ./... skip it; build
//     and vet it with -tags dense_extension.
//   - CGO_CFLAGS=-I<folder> with DuckDB's duckdb_extension.h and duckdb.h
//     of C extension API v1.5.6 (Debian unstable's libduckdb-dev ships
//     them; the builder fetches them); nothing else is needed: no DuckDB
//     library is linked.
//   - CGO_ENABLED=1 go build -tags dense_extension -buildmode=c-shared
//     -o dense.so ./extension, then the footer (platform linux_amd64, C API
//     version v1.5.6, ABI type C_STRUCT).
//
// go list -deps -tags dense_extension ./extension contains neither
// github.com/duckdb/duckdb-go nor github.com/duckdb/duckdb-go-bindings.
//
// # The entry point
//
// DuckDB looks up dense_init_c_api (the file's base name, "dense", plus
// _init_c_api) and calls it with its C_STRUCT ABI: the entry point asks
// for the v1.5.6 function table (access->get_api; an older DuckDB refuses
// with its own version error), and udf.RegisterExtension registers
// dense_predict, dense_predict_label, dense_predict_proba, dense_predict_all, dense_models(),
// dense_layers(), dense_inputs(), dense_params(), dense_evaluate(),
// dense_confusion() and dense_train() — the functions, semantics, numbers and
// error messages of dense sql, from the same code — and the dense_models
// setting. Loading the extension again into the same database does
// nothing.
//
// # Models
//
// The functions read the registry folder named by the dense_models setting:
// by default $DENSE_MODELS, else ./models of the host process, made
// absolute when the extension is loaded. SET dense_models = '…' points
// them at another folder from the next query on, for that connection (SET
// GLOBAL: for every connection that has not set its own; RESET goes back);
// current_setting('dense_models') tells the folder in use, and an unknown
// model's error names it.
//
// # Functions that run a query: dense_train, dense_evaluate, dense_confusion
//
// These take SQL text and run it. DuckDB's C API lends an extension the
// database only while it loads, and gives a table function no way to run
// a query on the connection that calls it, so the extension opens one
// connection of its own when it is loaded and runs these queries there,
// one at a time. What a user must know:
//
//   - the query sees the database's committed tables and views; the
//     calling connection's TEMP tables and the uncommitted writes of its
//     open transaction are invisible to it (create a regular table, or
//     commit first);
//   - a query that itself calls dense_train, dense_evaluate or
//     dense_confusion fails
//     (the connection is busy), and calls from several connections at once
//     wait for each other;
//   - that connection keeps the database open until the process ends:
//     when the host closes it, a database file is not checkpointed nor
//     released (another process cannot open it while this one runs), and
//     an in-memory database stays in memory (DuckDB's C API has no way to
//     tell an extension that the host closed the database);
//   - DuckDB's interrupt (Ctrl-C in the duckdb shell) cannot reach a call
//     in progress through the C API: it takes effect when the call returns
//     (a training that completes is registered, and the statement then
//     reports the interrupt). In duckdb.h of v1.5.6, duckdb_interrupt and
//     duckdb_query_progress take the caller's duckdb_connection, which a
//     table function never gets (its bind has only a client context, with
//     no interrupted state to read), and a C API table function cannot
//     yield to DuckDB's scheduler mid-call (no async or blocked result), so
//     there is nothing to poll;
//   - dense_train registers into the folder of the dense_models setting.
//
// # Threads and crashes
//
// DuckDB calls the functions from its own threads; the model is shared
// read-only and every call has its own scratch memory, exactly as in
// dense sql, and the GEMM uses up to GOMAXPROCS goroutines (the number of
// CPUs), as dense sql does. Results do not depend on DuckDB's threads
// setting. A Go panic inside a callback becomes the query's error; it never
// unwinds into DuckDB.
//
// # Limits
//
// The extension is unsigned: DuckDB loads it only with unsigned extensions
// allowed. It carries a Go runtime, and a process can hold only one: do not
// load it into a program that is itself written in Go (such a program uses
// the udf package directly), nor load two copies of the file from
// different paths into one process.
package main
