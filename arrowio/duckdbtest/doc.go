// Package duckdbtest holds the tests and benchmarks of arrowio's DuckDB
// source and sink. They live in their own package so that arrowio's other
// tests build without linking DuckDB (a cgo link of about a minute); run
// them with and without the duckdb_arrow build tag:
//
//	go test ./arrowio/...
//	go test -tags duckdb_arrow ./arrowio/...
package duckdbtest
