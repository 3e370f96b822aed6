//go:build dense_extension

package main

// The calls through DuckDB's struct duckdb_extension_access (function
// pointers, which Go cannot call itself). A file without //export, so its
// preamble may define C functions.

/*
#include <stdlib.h>
#include "duckdb_extension.h"

const void *dense_get_api(duckdb_extension_info info, struct duckdb_extension_access *access, const char *version) {
	return access->get_api(info, version);
}
void *dense_get_database(duckdb_extension_info info, struct duckdb_extension_access *access) {
	return access->get_database(info);
}
void dense_set_error(duckdb_extension_info info, struct duckdb_extension_access *access, const char *msg) {
	access->set_error(info, msg);
}
*/
import "C"
