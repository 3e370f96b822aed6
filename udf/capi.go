package udf

/*
#include <stdlib.h>
#include <stdint.h>

void dense_scalar_bind(void *);
void dense_scalar_exec(void *, void *, void *);
void *dense_bind_copy(void *);
void dense_handle_delete(void *);

void dense_table_bind(void *);
void dense_table_init(void *);
void dense_table_exec(void *, void *);

typedef void (*dense_bind_t)(void *);
typedef void (*dense_table_exec_t)(void *, void *);
typedef void (*dense_exec_t)(void *, void *, void *);
typedef void *(*dense_copy_t)(void *);
typedef void (*dense_delete_t)(void *);
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// The C layer. Every call this package makes into DuckDB goes through the
// functions declared by these types and implemented twice, with the same
// names and signatures, one file per backend:
//
//   - capi_linked.go (default build): DuckDB linked into the program by
//     duckdb-go; the calls go to duckdb-go's mapping package.
//   - capi_ext.go (build tag dense_extension): DuckDB is the host that loaded
//     the dense extension; the calls go through the duckdb_ext_api_v1
//     function table DuckDB handed the extension's entry point.
//
// The layer is a plain transcription of the C API (one Go function per C
// function, plus ownership handled where a C function returns memory to
// free), so the logic above it — binding, plans, execution, table functions,
// error messages — is one implementation for both hosts.
type (
	logicalType   struct{ p unsafe.Pointer } // duckdb_logical_type
	value         struct{ p unsafe.Pointer } // duckdb_value
	expression    struct{ p unsafe.Pointer } // duckdb_expression
	clientContext struct{ p unsafe.Pointer } // duckdb_client_context
	bindInfo      struct{ p unsafe.Pointer } // duckdb_bind_info (scalar and table functions)
	initInfo      struct{ p unsafe.Pointer } // duckdb_init_info
	functionInfo  struct{ p unsafe.Pointer } // duckdb_function_info
	dataChunk     struct{ p unsafe.Pointer } // duckdb_data_chunk
	vector        struct{ p unsafe.Pointer } // duckdb_vector
	connection    struct{ p unsafe.Pointer } // duckdb_connection
)

// typeID is DuckDB's duckdb_type enum; the values are part of DuckDB's C
// ABI (duckdb.h) and never change. TestTypeIDs checks them against
// duckdb-go's constants.
type typeID int32

const (
	typeInvalid     typeID = 0
	typeBoolean     typeID = 1
	typeTinyInt     typeID = 2
	typeSmallInt    typeID = 3
	typeInteger     typeID = 4
	typeBigInt      typeID = 5
	typeUTinyInt    typeID = 6
	typeUSmallInt   typeID = 7
	typeUInteger    typeID = 8
	typeUBigInt     typeID = 9
	typeFloat       typeID = 10
	typeDouble      typeID = 11
	typeTimestamp   typeID = 12
	typeDate        typeID = 13
	typeTime        typeID = 14
	typeInterval    typeID = 15
	typeHugeInt     typeID = 16
	typeVarchar     typeID = 17
	typeBlob        typeID = 18
	typeDecimal     typeID = 19
	typeEnum        typeID = 23
	typeList        typeID = 24
	typeStruct      typeID = 25
	typeMap         typeID = 26
	typeUUID        typeID = 27
	typeUnion       typeID = 28
	typeBit         typeID = 29
	typeTimestampTZ typeID = 31
	typeUHugeInt    typeID = 32
	typeArray       typeID = 33
	typeAny         typeID = 34
	typeSQLNull     typeID = 36
)

// C memory holding a cgo.Handle: DuckDB owns these pointers (extra info, bind
// data) and frees them through dense_handle_delete.
func newCHandle(v any) unsafe.Pointer {
	p := C.malloc(C.size_t(unsafe.Sizeof(cgo.Handle(0))))
	*(*cgo.Handle)(p) = cgo.NewHandle(v)
	return p
}

func handleValue(p unsafe.Pointer) any { return (*(*cgo.Handle)(p)).Value() }

//export dense_handle_delete
func dense_handle_delete(p unsafe.Pointer) {
	(*(*cgo.Handle)(p)).Delete()
	C.free(p)
}

//export dense_bind_copy
func dense_bind_copy(p unsafe.Pointer) unsafe.Pointer {
	// Bound plans are immutable and shared: a copy is a new handle to the same plan.
	return newCHandle(handleValue(p))
}

// The Go callbacks as C function pointers, for DuckDB to call.
var (
	bindCallback   = unsafe.Pointer(C.dense_bind_t(C.dense_scalar_bind))
	execCallback   = unsafe.Pointer(C.dense_exec_t(C.dense_scalar_exec))
	copyCallback   = unsafe.Pointer(C.dense_copy_t(C.dense_bind_copy))
	deleteCallback = unsafe.Pointer(C.dense_delete_t(C.dense_handle_delete))

	tableBindCallback = unsafe.Pointer(C.dense_bind_t(C.dense_table_bind))
	tableInitCallback = unsafe.Pointer(C.dense_bind_t(C.dense_table_init))
	tableExecCallback = unsafe.Pointer(C.dense_table_exec_t(C.dense_table_exec))
)

// recoverInto turns a panic in a callback into an error message for
// DuckDB. Deferred directly by every exported callback: a Go panic must
// never unwind into DuckDB's C++ frames (it would take the host process
// down).
// what points at the name the message starts with (the function, or the
// call once it is known), read when the panic is caught.
func recoverInto(what *string, setError func(string)) {
	if r := recover(); r != nil {
		setError(fmt.Sprintf("%s: internal error (a bug in dense, please report it): %v", *what, r))
	}
}

// dense_scalar_bind runs once per query and call site: it resolves the
// model, checks the argument types and stores the plan as bind data.
//
//export dense_scalar_bind
func dense_scalar_bind(infoPtr unsafe.Pointer) {
	info := bindInfo{infoPtr}
	name := "dense"
	defer recoverInto(&name, func(msg string) { scalarBindSetError(info, msg) })
	fn := handleValue(scalarBindExtraInfo(info)).(*function)
	name = fn.name
	p, err := bindCall(fn, info)
	if err != nil {
		scalarBindSetError(info, err.Error())
		return
	}
	scalarSetBindData(info, newCHandle(p), deleteCallback)
	scalarSetBindDataCopy(info, copyCallback)
}

func bindCall(fn *function, info bindInfo) (*plan, error) {
	n := scalarArgumentCount(info)
	if n < 1 {
		return nil, fmt.Errorf("%s: no model given", fn.name)
	}
	ctx := scalarClientContext(info)
	defer destroyClientContext(&ctx)
	ref, err := constantModel(fn, info, ctx)
	if err != nil {
		return nil, err
	}
	args := make([]*colType, n-1)
	for i := 1; i < n; i++ {
		expr := scalarArgument(info, i)
		if expr.p == nil {
			return nil, fmt.Errorf("%s: cannot inspect argument %d", fn.name, i+1)
		}
		lt := expressionReturnType(expr)
		args[i-1] = newColType(lt)
		destroyLogicalType(&lt)
		destroyExpression(&expr)
		if args[i-1].unknown() {
			// A ? parameter passed to an ANY argument has no type while the
			// statement is prepared. DuckDB binds the call again when the
			// statement runs with values, with their types; until then a
			// placeholder plan stands in.
			return &plan{fn: fn, call: fmt.Sprintf("%s(%s)", fn.name, ref), unresolved: true}, nil
		}
	}
	src, err := fn.models.source(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.name, err)
	}
	return bindPlan(fn, src, ref, args)
}

// constantModel folds the model argument, which must be a constant string.
func constantModel(fn *function, info bindInfo, ctx clientContext) (string, error) {
	expr := scalarArgument(info, 0)
	if expr.p == nil {
		return "", fmt.Errorf("%s: cannot inspect the model argument", fn.name)
	}
	defer destroyExpression(&expr)
	if !expressionIsFoldable(expr) {
		return "", fmt.Errorf("%s: the model argument must be a constant such as 'churn' or 'churn@3' in the SQL text, "+
			"not a column, a ? parameter or an expression that changes from row to row", fn.name)
	}
	v, err := expressionFold(ctx, expr)
	if err != nil {
		return "", fmt.Errorf("%s: cannot evaluate the model argument: %w", fn.name, err)
	}
	defer destroyValue(&v)
	if isNullValue(v) {
		return "", fmt.Errorf("%s: the model argument is NULL; name a model such as 'churn' or 'churn@3'", fn.name)
	}
	// The parameter is declared VARCHAR, so DuckDB has cast the argument to
	// it; duckdb_get_varchar must never see another type.
	lt := expressionReturnType(expr)
	id := logicalTypeID(lt)
	destroyLogicalType(&lt)
	if id != typeVarchar {
		return "", fmt.Errorf("%s: the model argument must be a VARCHAR such as 'churn'", fn.name)
	}
	return getVarchar(v), nil
}

// dense_scalar_exec runs for every chunk, possibly on several threads at once.
//
//export dense_scalar_exec
func dense_scalar_exec(infoPtr, inPtr, outPtr unsafe.Pointer) {
	info := functionInfo{infoPtr}
	call := "dense"
	defer recoverInto(&call, func(msg string) { scalarSetError(info, msg) })
	p := handleValue(scalarGetBindData(info)).(*plan)
	call = p.call
	if err := p.run(dataChunk{inPtr}, vector{outPtr}); err != nil {
		scalarSetError(info, err.Error())
	}
}
