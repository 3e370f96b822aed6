// Package hosttest tests dense.duckdb_extension inside DuckDB hosts that
// dense did not build. It has no code besides its tests:
//
//	go test ./extension/hosttest
//
// TestMain builds the extension once with extension/build (or uses the
// file in $DENSE_EXTENSION), then the tests load it into
//
//   - DuckDB's official Node API, @duckdb/node-api 1.5.6, driven through
//     node/host.mjs (run npm ci in extension/hosttest/node first): the SQL
//     suite sql/test/*.test with the same runner and models as udf's TestSQL
//     (internal/sqllogic), the demo's customers scored bit for bit like the
//     in-process udf package does, SET threads = 1, 2, 4, loading twice,
//     SET dense_models, an unsigned or too-new file refused with DuckDB's
//     own errors, and a Go panic inside the functions turned into the query's
//     error with the host still running (a second build with the extra tag
//     dense_panictest, whose models folder "dense-panic" panics:
//     udf/extension_panictest.go);
//   - a small C program (chost/host.c), compiled by the test with gcc
//     against the libduckdb.so the Node API ships.
//
// Without node, the npm packages, gcc or DuckDB's headers the tests skip
// and say what is missing; with DENSE_HOSTTEST=require (as .ci/run sets
// it) they fail instead.
package hosttest
