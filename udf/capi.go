package udf

/*
#include <stdlib.h>
#include <stdint.h>

void dense_scalar_bind(void *);
void dense_scalar_exec(void *, void *, void *);
void *dense_bind_copy(void *);
void dense_handle_delete(void *);

void dense_params_bind(void *);
void dense_params_init(void *);
void dense_params_exec(void *, void *);

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

	"github.com/duckdb/duckdb-go/v2/mapping"
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

var (
	bindCallback   = unsafe.Pointer(C.dense_bind_t(C.dense_scalar_bind))
	execCallback   = unsafe.Pointer(C.dense_exec_t(C.dense_scalar_exec))
	copyCallback   = unsafe.Pointer(C.dense_copy_t(C.dense_bind_copy))
	deleteCallback = unsafe.Pointer(C.dense_delete_t(C.dense_handle_delete))

	paramsBindCallback = unsafe.Pointer(C.dense_bind_t(C.dense_params_bind))
	paramsInitCallback = unsafe.Pointer(C.dense_bind_t(C.dense_params_init))
	paramsExecCallback = unsafe.Pointer(C.dense_table_exec_t(C.dense_params_exec))
)

// recoverInto turns a panic in a callback into an error message for
// DuckDB. Deferred directly by every exported callback.
func recoverInto(what string, setError func(string)) {
	if r := recover(); r != nil {
		setError(fmt.Sprintf("%s: internal error (a bug in dense, please report it): %v", what, r))
	}
}

// dense_scalar_bind runs once per query and call site: it resolves the
// model, checks the argument types and stores the plan as bind data.
//
//export dense_scalar_bind
func dense_scalar_bind(infoPtr unsafe.Pointer) {
	info := mapping.BindInfo{Ptr: infoPtr}
	fn := handleValue(mapping.ScalarFunctionBindGetExtraInfo(info)).(*function)
	// A panic must not unwind into DuckDB's C++ frames (it would kill the
	// process): it becomes the query's error.
	defer recoverInto(fn.name, func(msg string) { mapping.ScalarFunctionBindSetError(info, msg) })
	p, err := bindCall(fn, info)
	if err != nil {
		mapping.ScalarFunctionBindSetError(info, err.Error())
		return
	}
	mapping.ScalarFunctionSetBindData(info, newCHandle(p), deleteCallback)
	mapping.ScalarFunctionSetBindDataCopy(info, copyCallback)
}

func bindCall(fn *function, info mapping.BindInfo) (*plan, error) {
	n := int(mapping.ScalarFunctionBindGetArgumentCount(info))
	if n < 1 {
		return nil, fmt.Errorf("%s: no model given", fn.name)
	}
	ref, err := constantModel(fn, info)
	if err != nil {
		return nil, err
	}
	args := make([]*colType, n-1)
	for i := 1; i < n; i++ {
		expr := mapping.ScalarFunctionBindGetArgument(info, mapping.IdxT(i))
		if expr.Ptr == nil {
			return nil, fmt.Errorf("%s: cannot inspect argument %d", fn.name, i+1)
		}
		lt := mapping.ExpressionReturnType(expr)
		args[i-1] = newColType(lt)
		mapping.DestroyLogicalType(&lt)
		mapping.DestroyExpression(&expr)
		if args[i-1].id == mapping.TypeInvalid {
			// A ? parameter passed to an ANY argument has no type while the
			// statement is prepared. DuckDB binds the call again when the
			// statement runs with values, with their types; until then a
			// placeholder plan stands in.
			return &plan{fn: fn, call: fmt.Sprintf("%s(%s)", fn.name, ref), unresolved: true}, nil
		}
	}
	return bindPlan(fn, ref, args)
}

// constantModel folds the model argument, which must be a constant string.
func constantModel(fn *function, info mapping.BindInfo) (string, error) {
	expr := mapping.ScalarFunctionBindGetArgument(info, 0)
	if expr.Ptr == nil {
		return "", fmt.Errorf("%s: cannot inspect the model argument", fn.name)
	}
	defer mapping.DestroyExpression(&expr)
	if !mapping.ExpressionIsFoldable(expr) {
		return "", fmt.Errorf("%s: the model argument must be a constant such as 'churn' or 'churn@3' in the SQL text, "+
			"not a column, a ? parameter or an expression that changes from row to row", fn.name)
	}
	var ctx mapping.ClientContext
	mapping.ScalarFunctionGetClientContext(info, &ctx)
	defer mapping.DestroyClientContext(&ctx)
	var v mapping.Value
	errData := mapping.ExpressionFold(ctx, expr, &v)
	defer mapping.DestroyValue(&v)
	defer mapping.DestroyErrorData(&errData)
	if mapping.ErrorDataHasError(errData) {
		return "", fmt.Errorf("%s: cannot evaluate the model argument: %s", fn.name, mapping.ErrorDataMessage(errData))
	}
	if mapping.IsNullValue(v) {
		return "", fmt.Errorf("%s: the model argument is NULL; name a model such as 'churn' or 'churn@3'", fn.name)
	}
	// The parameter is declared VARCHAR, so DuckDB has cast the argument to
	// it; duckdb_get_varchar must never see another type (it aborts).
	lt := mapping.ExpressionReturnType(expr)
	id := mapping.GetTypeId(lt)
	mapping.DestroyLogicalType(&lt)
	if id != mapping.TypeVarchar {
		return "", fmt.Errorf("%s: the model argument must be a VARCHAR such as 'churn'", fn.name)
	}
	return mapping.GetVarchar(v), nil
}

// dense_scalar_exec runs for every chunk, possibly on several threads at once.
//
//export dense_scalar_exec
func dense_scalar_exec(infoPtr, inPtr, outPtr unsafe.Pointer) {
	info := mapping.FunctionInfo{Ptr: infoPtr}
	p := handleValue(mapping.ScalarFunctionGetBindData(info)).(*plan)
	defer recoverInto(p.call, func(msg string) { mapping.ScalarFunctionSetError(info, msg) })
	if err := p.run(mapping.DataChunk{Ptr: inPtr}, mapping.Vector{Ptr: outPtr}); err != nil {
		mapping.ScalarFunctionSetError(info, err.Error())
	}
}
