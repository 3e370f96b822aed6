//go:build dense_extension

package main

/*
#include <stdbool.h>
#include <stdlib.h>
#include "duckdb_extension.h"

// Defined in access.go.
const void *dense_get_api(duckdb_extension_info info, struct duckdb_extension_access *access, const char *version);
void *dense_get_database(duckdb_extension_info info, struct duckdb_extension_access *access);
void dense_set_error(duckdb_extension_info info, struct duckdb_extension_access *access, const char *msg);
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/dense-ml/dense/udf"
)

// apiVersion is the C extension API version the extension is built against
// and asks DuckDB for: DuckDB older than this refuses to load it.
const apiVersion = "v1.5.6"

// dense_init_c_api is the extension's entry point (ABI type C_STRUCT).
//
//export dense_init_c_api
func dense_init_c_api(info C.duckdb_extension_info, access *C.struct_duckdb_extension_access) (ok C.bool) {
	defer func() {
		if r := recover(); r != nil {
			setError(info, access, fmt.Sprintf("dense: internal error while loading (a bug in dense, please report it): %v", r))
			ok = false
		}
	}()
	version := C.CString(apiVersion)
	defer C.free(unsafe.Pointer(version))
	api := C.dense_get_api(info, access, version)
	if api == nil {
		// DuckDB has set its error (the version it supports and ours).
		return false
	}
	db := C.dense_get_database(info, access)
	if err := udf.RegisterExtension(unsafe.Pointer(api), unsafe.Pointer(db)); err != nil {
		setError(info, access, "dense: "+err.Error())
		return false
	}
	return true
}

func setError(info C.duckdb_extension_info, access *C.struct_duckdb_extension_access, msg string) {
	m := C.CString(msg)
	defer C.free(unsafe.Pointer(m))
	C.dense_set_error(info, access, m)
}

// main is required by -buildmode=c-shared and never runs.
func main() {}
