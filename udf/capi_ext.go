//go:build dense_extension

package udf

// The C layer's extension backend: DuckDB is the host process that loaded
// the dense extension, and every call goes through the duckdb_ext_api_v1
// function table it handed the entry point (RegisterExtension). The same
// functions as capi_linked.go, one C trampoline each: duckdb_extension.h
// turns a call of duckdb_foo into a call through duckdb_ext_api.duckdb_foo,
// which Go cannot make itself.
//
// Building this file needs DuckDB's duckdb_extension.h and duckdb.h (C
// extension API v1.5.6) on the C include path: CGO_CFLAGS=-I<folder>. See
// extension/doc.go.

/*
#include <stdlib.h>
#include <string.h>
#include "duckdb_extension.h"

// The function table, filled in by dx_init from the one the entry point got.
// Static, so that it never clashes with another extension's table of the
// same name in the host process.
static duckdb_ext_api_v1 duckdb_ext_api = {0};

static void dx_init(const void *api) { duckdb_ext_api = *(const duckdb_ext_api_v1 *)api; }

#define T(x) ((duckdb_logical_type)(x))
#define V(x) ((duckdb_value)(x))
#define B(x) ((duckdb_bind_info)(x))
#define F(x) ((duckdb_function_info)(x))
#define VEC(x) ((duckdb_vector)(x))

static void *dx_create_logical_type(int32_t id) { return duckdb_create_logical_type((duckdb_type)id); }
static void *dx_create_list_type(void *t) { return duckdb_create_list_type(T(t)); }
static void *dx_create_map_type(void *k, void *v) { return duckdb_create_map_type(T(k), T(v)); }
static void *dx_create_struct_type(void **types, const char **names, idx_t n) {
	return duckdb_create_struct_type((duckdb_logical_type *)types, names, n);
}
static void dx_destroy_logical_type(void *t) { duckdb_logical_type lt = T(t); duckdb_destroy_logical_type(&lt); }
static int32_t dx_get_type_id(void *t) { return (int32_t)duckdb_get_type_id(T(t)); }
static int dx_decimal_width(void *t) { return duckdb_decimal_width(T(t)); }
static int dx_decimal_scale(void *t) { return duckdb_decimal_scale(T(t)); }
static int32_t dx_decimal_internal_type(void *t) { return (int32_t)duckdb_decimal_internal_type(T(t)); }
static void *dx_list_type_child_type(void *t) { return duckdb_list_type_child_type(T(t)); }
static void *dx_array_type_child_type(void *t) { return duckdb_array_type_child_type(T(t)); }
static idx_t dx_array_type_array_size(void *t) { return duckdb_array_type_array_size(T(t)); }
static idx_t dx_struct_type_child_count(void *t) { return duckdb_struct_type_child_count(T(t)); }
static char *dx_struct_type_child_name(void *t, idx_t i) { return duckdb_struct_type_child_name(T(t), i); }
static void *dx_struct_type_child_type(void *t, idx_t i) { return duckdb_struct_type_child_type(T(t), i); }
static int32_t dx_enum_internal_type(void *t) { return (int32_t)duckdb_enum_internal_type(T(t)); }
static uint32_t dx_enum_dictionary_size(void *t) { return duckdb_enum_dictionary_size(T(t)); }
static char *dx_enum_dictionary_value(void *t, idx_t i) { return duckdb_enum_dictionary_value(T(t), i); }
static void dx_free(void *p) { duckdb_free(p); }

static void dx_destroy_value(void *v) { duckdb_value x = V(v); duckdb_destroy_value(&x); }
static bool dx_is_null_value(void *v) { return duckdb_is_null_value(V(v)); }
static void *dx_get_value_type(void *v) { return duckdb_get_value_type(V(v)); }
static char *dx_get_varchar(void *v) { return duckdb_get_varchar(V(v)); }
static int64_t dx_get_int64(void *v) { return duckdb_get_int64(V(v)); }
static bool dx_get_bool(void *v) { return duckdb_get_bool(V(v)); }
static double dx_get_double(void *v) { return duckdb_get_double(V(v)); }
static idx_t dx_get_list_size(void *v) { return duckdb_get_list_size(V(v)); }
static void *dx_get_list_child(void *v, idx_t i) { return duckdb_get_list_child(V(v), i); }
static void *dx_create_varchar(const char *s) { return duckdb_create_varchar(s); }

static idx_t dx_scalar_argument_count(void *info) { return duckdb_scalar_function_bind_get_argument_count(B(info)); }
static void *dx_scalar_argument(void *info, idx_t i) { return duckdb_scalar_function_bind_get_argument(B(info), i); }
static void dx_destroy_expression(void *e) { duckdb_expression x = (duckdb_expression)e; duckdb_destroy_expression(&x); }
static void *dx_expression_return_type(void *e) { return duckdb_expression_return_type((duckdb_expression)e); }
static bool dx_expression_is_foldable(void *e) { return duckdb_expression_is_foldable((duckdb_expression)e); }

// dx_expression_fold returns NULL, or a message to free with free().
static char *dx_expression_fold(void *ctx, void *e, void **out) {
	duckdb_value v = NULL;
	duckdb_error_data err = duckdb_expression_fold((duckdb_client_context)ctx, (duckdb_expression)e, &v);
	char *msg = NULL;
	if (err && duckdb_error_data_has_error(err)) {
		msg = strdup(duckdb_error_data_message(err));
		if (v) duckdb_destroy_value(&v);
		v = NULL;
	}
	if (err) duckdb_destroy_error_data(&err);
	*out = v;
	return msg;
}
static void *dx_scalar_client_context(void *info) {
	duckdb_client_context ctx = NULL;
	duckdb_scalar_function_get_client_context(B(info), &ctx);
	return ctx;
}
static void *dx_table_client_context(void *info) {
	duckdb_client_context ctx = NULL;
	duckdb_table_function_get_client_context(B(info), &ctx);
	return ctx;
}
static void *dx_connection_client_context(void *conn) {
	duckdb_client_context ctx = NULL;
	duckdb_connection_get_client_context((duckdb_connection)conn, &ctx);
	return ctx;
}
static uint64_t dx_client_context_connection_id(void *c) { return duckdb_client_context_get_connection_id((duckdb_client_context)c); }
static void dx_destroy_client_context(void *c) { duckdb_client_context x = (duckdb_client_context)c; duckdb_destroy_client_context(&x); }

static void *dx_create_scalar_function(void) { return duckdb_create_scalar_function(); }
static void dx_destroy_scalar_function(void *f) { duckdb_scalar_function x = (duckdb_scalar_function)f; duckdb_destroy_scalar_function(&x); }
static void dx_scalar_function_set_name(void *f, const char *n) { duckdb_scalar_function_set_name((duckdb_scalar_function)f, n); }
static void dx_scalar_function_add_parameter(void *f, void *t) { duckdb_scalar_function_add_parameter((duckdb_scalar_function)f, T(t)); }
static void dx_scalar_function_set_varargs(void *f, void *t) { duckdb_scalar_function_set_varargs((duckdb_scalar_function)f, T(t)); }
static void dx_scalar_function_set_return_type(void *f, void *t) { duckdb_scalar_function_set_return_type((duckdb_scalar_function)f, T(t)); }
static void dx_scalar_function_set_special_handling(void *f) { duckdb_scalar_function_set_special_handling((duckdb_scalar_function)f); }
static void dx_scalar_function_set_callbacks(void *f, void *bind, void *exec) {
	duckdb_scalar_function_set_bind((duckdb_scalar_function)f, (duckdb_scalar_function_bind_t)bind);
	duckdb_scalar_function_set_function((duckdb_scalar_function)f, (duckdb_scalar_function_t)exec);
}
static void dx_scalar_function_set_extra_info(void *f, void *p, void *del) {
	duckdb_scalar_function_set_extra_info((duckdb_scalar_function)f, p, (duckdb_delete_callback_t)del);
}
static bool dx_register_scalar_function(void *c, void *f) {
	return duckdb_register_scalar_function((duckdb_connection)c, (duckdb_scalar_function)f) == DuckDBSuccess;
}
static void *dx_scalar_bind_extra_info(void *info) { return duckdb_scalar_function_bind_get_extra_info(B(info)); }
static void dx_scalar_bind_set_error(void *info, const char *m) { duckdb_scalar_function_bind_set_error(B(info), m); }
static void dx_scalar_set_bind_data(void *info, void *p, void *del) { duckdb_scalar_function_set_bind_data(B(info), p, (duckdb_delete_callback_t)del); }
static void dx_scalar_set_bind_data_copy(void *info, void *cp) { duckdb_scalar_function_set_bind_data_copy(B(info), (duckdb_copy_callback_t)cp); }
static void *dx_scalar_get_bind_data(void *info) { return duckdb_scalar_function_get_bind_data(F(info)); }
static void dx_scalar_set_error(void *info, const char *m) { duckdb_scalar_function_set_error(F(info), m); }

static void *dx_create_table_function(void) { return duckdb_create_table_function(); }
static void dx_destroy_table_function(void *f) { duckdb_table_function x = (duckdb_table_function)f; duckdb_destroy_table_function(&x); }
static void dx_table_function_set_name(void *f, const char *n) { duckdb_table_function_set_name((duckdb_table_function)f, n); }
static void dx_table_function_add_parameter(void *f, void *t) { duckdb_table_function_add_parameter((duckdb_table_function)f, T(t)); }
static void dx_table_function_add_named_parameter(void *f, const char *n, void *t) { duckdb_table_function_add_named_parameter((duckdb_table_function)f, n, T(t)); }
static void dx_table_function_set_extra_info(void *f, void *p, void *del) { duckdb_table_function_set_extra_info((duckdb_table_function)f, p, (duckdb_delete_callback_t)del); }
static void dx_table_function_set_bind(void *f, void *cb) { duckdb_table_function_set_bind((duckdb_table_function)f, (duckdb_table_function_bind_t)cb); }
static void dx_table_function_set_init(void *f, void *cb) { duckdb_table_function_set_init((duckdb_table_function)f, (duckdb_table_function_init_t)cb); }
static void dx_table_function_set_function(void *f, void *cb) { duckdb_table_function_set_function((duckdb_table_function)f, (duckdb_table_function_t)cb); }
static bool dx_register_table_function(void *c, void *f) {
	return duckdb_register_table_function((duckdb_connection)c, (duckdb_table_function)f) == DuckDBSuccess;
}
static void *dx_bind_get_extra_info(void *info) { return duckdb_bind_get_extra_info(B(info)); }
static void *dx_bind_get_parameter(void *info, idx_t i) { return duckdb_bind_get_parameter(B(info), i); }
static void *dx_bind_get_named_parameter(void *info, const char *n) { return duckdb_bind_get_named_parameter(B(info), n); }
static void dx_bind_add_result_column(void *info, const char *n, void *t) { duckdb_bind_add_result_column(B(info), n, T(t)); }
static void dx_bind_set_cardinality(void *info, idx_t n, bool exact) { duckdb_bind_set_cardinality(B(info), n, exact); }
static void dx_bind_set_bind_data(void *info, void *p, void *del) { duckdb_bind_set_bind_data(B(info), p, (duckdb_delete_callback_t)del); }
static void dx_bind_set_error(void *info, const char *m) { duckdb_bind_set_error(B(info), m); }
static void dx_init_set_init_data(void *info, void *p, void *del) { duckdb_init_set_init_data((duckdb_init_info)info, p, (duckdb_delete_callback_t)del); }
static void *dx_init_get_bind_data(void *info) { return duckdb_init_get_bind_data((duckdb_init_info)info); }
static void dx_init_set_error(void *info, const char *m) { duckdb_init_set_error((duckdb_init_info)info, m); }
static void *dx_function_get_bind_data(void *info) { return duckdb_function_get_bind_data(F(info)); }
static void *dx_function_get_init_data(void *info) { return duckdb_function_get_init_data(F(info)); }
static void dx_function_set_error(void *info, const char *m) { duckdb_function_set_error(F(info), m); }

static idx_t dx_vector_size(void) { return duckdb_vector_size(); }
static idx_t dx_chunk_size(void *c) { return duckdb_data_chunk_get_size((duckdb_data_chunk)c); }
static void dx_chunk_set_size(void *c, idx_t n) { duckdb_data_chunk_set_size((duckdb_data_chunk)c, n); }
static void *dx_chunk_vector(void *c, idx_t i) { return duckdb_data_chunk_get_vector((duckdb_data_chunk)c, i); }
static void *dx_vector_data(void *v) { return duckdb_vector_get_data(VEC(v)); }
static void *dx_vector_validity(void *v) { return duckdb_vector_get_validity(VEC(v)); }
static void dx_vector_ensure_validity_writable(void *v) { duckdb_vector_ensure_validity_writable(VEC(v)); }
static void *dx_list_vector_child(void *v) { return duckdb_list_vector_get_child(VEC(v)); }
static void *dx_array_vector_child(void *v) { return duckdb_array_vector_get_child(VEC(v)); }
static void *dx_struct_vector_child(void *v, idx_t i) { return duckdb_struct_vector_get_child(VEC(v), i); }
static idx_t dx_list_vector_size(void *v) { return duckdb_list_vector_get_size(VEC(v)); }
static void dx_list_vector_reserve(void *v, idx_t n) { duckdb_list_vector_reserve(VEC(v), n); }
static void dx_list_vector_set_size(void *v, idx_t n) { duckdb_list_vector_set_size(VEC(v), n); }
static void dx_assign_string(void *v, idx_t i, const char *s, idx_t n) { duckdb_vector_assign_string_element_len(VEC(v), i, s, n); }

static bool dx_connect(void *db, void **out) {
	duckdb_connection c = NULL;
	if (duckdb_connect(*(duckdb_database *)db, &c) != DuckDBSuccess) return false;
	*out = c;
	return true;
}
static void dx_disconnect(void *c) { duckdb_connection x = (duckdb_connection)c; duckdb_disconnect(&x); }

// Queries, for dense_train, dense_evaluate and dense_confusion (query_ext.go).

// dx_take_error returns e's message (to free with free()) or NULL, and destroys e.
static char *dx_take_error(duckdb_error_data e) {
	char *msg = NULL;
	if (e && duckdb_error_data_has_error(e)) msg = strdup(duckdb_error_data_message(e));
	if (e) duckdb_destroy_error_data(&e);
	return msg;
}

// dx_query runs sql on conn as a streaming result; NULL, or a message to free.
static char *dx_query(void *conn, const char *sql, void **out_stmt, void **out_res) {
	duckdb_prepared_statement st = NULL;
	if (duckdb_prepare((duckdb_connection)conn, sql, &st) != DuckDBSuccess) {
		const char *e = duckdb_prepare_error(st);
		char *msg = strdup(e ? e : "cannot prepare the query");
		duckdb_destroy_prepare(&st);
		return msg;
	}
	duckdb_result *res = (duckdb_result *)calloc(1, sizeof(duckdb_result));
	if (duckdb_execute_prepared_streaming(st, res) != DuckDBSuccess) {
		const char *e = duckdb_result_error(res);
		char *msg = strdup(e ? e : "cannot run the query");
		duckdb_destroy_result(res);
		free(res);
		duckdb_destroy_prepare(&st);
		return msg;
	}
	*out_stmt = st;
	*out_res = res;
	return NULL;
}
static void dx_query_close(void *st, void *res) {
	duckdb_destroy_result((duckdb_result *)res);
	free(res);
	duckdb_prepared_statement s = (duckdb_prepared_statement)st;
	duckdb_destroy_prepare(&s);
}

// dx_result_arrow_schema writes the result's Arrow schema (DuckDB's own
// conversion, with the connection's Arrow settings) into out, a struct
// ArrowSchema; NULL, or a message to free.
static char *dx_result_arrow_schema(void *res, void *out) {
	duckdb_result *r = (duckdb_result *)res;
	idx_t n = duckdb_column_count(r);
	duckdb_logical_type *types = (duckdb_logical_type *)calloc(n ? n : 1, sizeof(duckdb_logical_type));
	const char **names = (const char **)calloc(n ? n : 1, sizeof(char *));
	for (idx_t i = 0; i < n; i++) {
		types[i] = duckdb_column_logical_type(r, i);
		names[i] = duckdb_column_name(r, i);
	}
	duckdb_arrow_options o = duckdb_result_get_arrow_options(r);
	char *msg = dx_take_error(duckdb_to_arrow_schema(o, types, names, n, (struct ArrowSchema *)out));
	duckdb_destroy_arrow_options(&o);
	for (idx_t i = 0; i < n; i++) duckdb_destroy_logical_type(&types[i]);
	free(types);
	free((void *)names);
	return msg;
}

// dx_result_next converts the result's next data chunk into out, a struct
// ArrowArray: 1 with a chunk, 0 at the end, -1 with *msg (to free) on error.
static int dx_result_next(void *res, void *out, char **msg) {
	duckdb_result *r = (duckdb_result *)res;
	duckdb_data_chunk c = duckdb_fetch_chunk(*r);
	if (!c) {
		const char *e = duckdb_result_error(r);
		if (e) {
			*msg = strdup(e);
			return -1;
		}
		return 0;
	}
	duckdb_arrow_options o = duckdb_result_get_arrow_options(r);
	char *m = dx_take_error(duckdb_data_chunk_to_arrow(o, c, (struct ArrowArray *)out));
	duckdb_destroy_arrow_options(&o);
	duckdb_destroy_data_chunk(&c);
	if (m) {
		*msg = m;
		return -1;
	}
	return 1;
}
static void dx_interrupt(void *conn) { duckdb_interrupt((duckdb_connection)conn); }

// dx_register_setting registers a VARCHAR setting; false if DuckDB refused.
static bool dx_register_setting(void *conn, const char *name, const char *def, const char *desc) {
	duckdb_config_option o = duckdb_create_config_option();
	duckdb_config_option_set_name(o, name);
	duckdb_logical_type t = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
	duckdb_config_option_set_type(o, t);
	duckdb_destroy_logical_type(&t);
	duckdb_value v = duckdb_create_varchar(def);
	duckdb_config_option_set_default_value(o, v);
	duckdb_destroy_value(&v);
	duckdb_config_option_set_description(o, desc);
	bool ok = duckdb_register_config_option((duckdb_connection)conn, o) == DuckDBSuccess;
	duckdb_destroy_config_option(&o);
	return ok;
}

// dx_setting returns the setting's value (a value to destroy), or NULL.
static void *dx_setting(void *ctx, const char *name) {
	duckdb_config_option_scope scope;
	return duckdb_client_context_get_config_option((duckdb_client_context)ctx, name, &scope);
}
*/
import "C"

import (
	"errors"
	"unsafe"
)

// cstr returns s as a C string, and the function that frees it.
func cstr(s string) (*C.char, func()) {
	p := C.CString(s)
	return p, func() { C.free(unsafe.Pointer(p)) }
}

// goString copies a C string that DuckDB allocated and frees it.
func goString(p *C.char) string {
	if p == nil {
		return ""
	}
	s := C.GoString(p)
	C.dx_free(unsafe.Pointer(p))
	return s
}

// Logical types.

func newLogicalType(id typeID) logicalType {
	return logicalType{C.dx_create_logical_type(C.int32_t(id))}
}
func newListType(elem logicalType) logicalType {
	return logicalType{C.dx_create_list_type(elem.p)}
}
func newMapType(key, val logicalType) logicalType {
	return logicalType{C.dx_create_map_type(key.p, val.p)}
}

// newStructType returns STRUCT(names[0] types[0], …); the types stay the caller's.
func newStructType(names []string, types []logicalType) logicalType {
	n := len(types)
	if n == 0 || len(names) != n {
		panic("udf: newStructType needs one name per type, at least one")
	}
	// Go slices holding C pointers only, which cgo lets C read.
	ts := make([]unsafe.Pointer, n)
	ns := make([]*C.char, n)
	for i := range n {
		ts[i] = types[i].p
		ns[i] = C.CString(names[i])
		defer C.free(unsafe.Pointer(ns[i]))
	}
	return logicalType{C.dx_create_struct_type(&ts[0], &ns[0], C.idx_t(n))}
}
func destroyLogicalType(t *logicalType) {
	if t.p != nil {
		C.dx_destroy_logical_type(t.p)
	}
	t.p = nil
}
func logicalTypeID(t logicalType) typeID       { return typeID(C.dx_get_type_id(t.p)) }
func decimalWidth(t logicalType) int           { return int(C.dx_decimal_width(t.p)) }
func decimalScale(t logicalType) int           { return int(C.dx_decimal_scale(t.p)) }
func decimalInternalType(t logicalType) typeID { return typeID(C.dx_decimal_internal_type(t.p)) }
func listTypeChild(t logicalType) logicalType  { return logicalType{C.dx_list_type_child_type(t.p)} }
func arrayTypeChild(t logicalType) logicalType { return logicalType{C.dx_array_type_child_type(t.p)} }
func arrayTypeSize(t logicalType) int          { return int(C.dx_array_type_array_size(t.p)) }
func structTypeChildCount(t logicalType) int   { return int(C.dx_struct_type_child_count(t.p)) }
func enumInternalType(t logicalType) typeID    { return typeID(C.dx_enum_internal_type(t.p)) }
func enumDictionarySize(t logicalType) int     { return int(C.dx_enum_dictionary_size(t.p)) }
func structTypeChild(t logicalType, i int) logicalType {
	return logicalType{C.dx_struct_type_child_type(t.p, C.idx_t(i))}
}
func structTypeChildName(t logicalType, i int) string {
	return goString(C.dx_struct_type_child_name(t.p, C.idx_t(i)))
}
func enumDictionaryValue(t logicalType, i int) string {
	return goString(C.dx_enum_dictionary_value(t.p, C.idx_t(i)))
}

// Values.

func destroyValue(v *value) {
	if v.p != nil {
		C.dx_destroy_value(v.p)
	}
	v.p = nil
}
func isNullValue(v value) bool { return bool(C.dx_is_null_value(v.p)) }

// valueType returns v's type, owned by v (not to be destroyed).
func valueType(v value) logicalType       { return logicalType{C.dx_get_value_type(v.p)} }
func getVarchar(v value) string           { return goString(C.dx_get_varchar(v.p)) }
func getInt64(v value) int64              { return int64(C.dx_get_int64(v.p)) }
func getBool(v value) bool                { return bool(C.dx_get_bool(v.p)) }
func getDouble(v value) float64           { return float64(C.dx_get_double(v.p)) }
func listValueSize(v value) int           { return int(C.dx_get_list_size(v.p)) }
func listValueChild(v value, i int) value { return value{C.dx_get_list_child(v.p, C.idx_t(i))} }

// Expressions and client contexts.

func scalarArgumentCount(info bindInfo) int { return int(C.dx_scalar_argument_count(info.p)) }
func scalarArgument(info bindInfo, i int) expression {
	return expression{C.dx_scalar_argument(info.p, C.idx_t(i))}
}
func destroyExpression(e *expression) {
	if e.p != nil {
		C.dx_destroy_expression(e.p)
	}
	e.p = nil
}
func expressionReturnType(e expression) logicalType {
	return logicalType{C.dx_expression_return_type(e.p)}
}
func expressionIsFoldable(e expression) bool { return bool(C.dx_expression_is_foldable(e.p)) }

// expressionFold evaluates a foldable expression; the value must be destroyed.
func expressionFold(ctx clientContext, e expression) (value, error) {
	var out unsafe.Pointer
	if msg := C.dx_expression_fold(ctx.p, e.p, &out); msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return value{}, errors.New(C.GoString(msg))
	}
	return value{out}, nil
}
func scalarClientContext(info bindInfo) clientContext {
	return clientContext{C.dx_scalar_client_context(info.p)}
}
func tableClientContext(info bindInfo) clientContext {
	return clientContext{C.dx_table_client_context(info.p)}
}
func destroyClientContext(ctx *clientContext) {
	if ctx.p != nil {
		C.dx_destroy_client_context(ctx.p)
	}
	ctx.p = nil
}

// Scalar functions.

type scalarFunction struct{ p unsafe.Pointer }

func createScalarFunction() scalarFunction { return scalarFunction{C.dx_create_scalar_function()} }
func destroyScalarFunction(f *scalarFunction) {
	C.dx_destroy_scalar_function(f.p)
	f.p = nil
}
func scalarFunctionSetName(f scalarFunction, name string) {
	n, free := cstr(name)
	defer free()
	C.dx_scalar_function_set_name(f.p, n)
}
func scalarFunctionAddParameter(f scalarFunction, t logicalType) {
	C.dx_scalar_function_add_parameter(f.p, t.p)
}
func scalarFunctionSetVarargs(f scalarFunction, t logicalType) {
	C.dx_scalar_function_set_varargs(f.p, t.p)
}
func scalarFunctionSetReturnType(f scalarFunction, t logicalType) {
	C.dx_scalar_function_set_return_type(f.p, t.p)
}
func scalarFunctionSetSpecialHandling(f scalarFunction) {
	C.dx_scalar_function_set_special_handling(f.p)
}
func scalarFunctionSetCallbacks(f scalarFunction, bind, exec unsafe.Pointer) {
	C.dx_scalar_function_set_callbacks(f.p, bind, exec)
}
func scalarFunctionSetExtraInfo(f scalarFunction, p, del unsafe.Pointer) {
	C.dx_scalar_function_set_extra_info(f.p, p, del)
}
func registerScalarFunction(conn connection, f scalarFunction) bool {
	return bool(C.dx_register_scalar_function(conn.p, f.p))
}
func scalarBindExtraInfo(info bindInfo) unsafe.Pointer { return C.dx_scalar_bind_extra_info(info.p) }
func scalarBindSetError(info bindInfo, msg string) {
	m, free := cstr(msg)
	defer free()
	C.dx_scalar_bind_set_error(info.p, m)
}
func scalarSetBindData(info bindInfo, p, del unsafe.Pointer) {
	C.dx_scalar_set_bind_data(info.p, p, del)
}
func scalarSetBindDataCopy(info bindInfo, cp unsafe.Pointer) {
	C.dx_scalar_set_bind_data_copy(info.p, cp)
}
func scalarGetBindData(info functionInfo) unsafe.Pointer { return C.dx_scalar_get_bind_data(info.p) }
func scalarSetError(info functionInfo, msg string) {
	m, free := cstr(msg)
	defer free()
	C.dx_scalar_set_error(info.p, m)
}

// Table functions.

type tableFunction struct{ p unsafe.Pointer }

func createTableFunction() tableFunction { return tableFunction{C.dx_create_table_function()} }
func destroyTableFunction(f *tableFunction) {
	C.dx_destroy_table_function(f.p)
	f.p = nil
}
func tableFunctionSetName(f tableFunction, name string) {
	n, free := cstr(name)
	defer free()
	C.dx_table_function_set_name(f.p, n)
}
func tableFunctionAddParameter(f tableFunction, t logicalType) {
	C.dx_table_function_add_parameter(f.p, t.p)
}
func tableFunctionAddNamedParameter(f tableFunction, name string, t logicalType) {
	n, free := cstr(name)
	defer free()
	C.dx_table_function_add_named_parameter(f.p, n, t.p)
}
func tableFunctionSetExtraInfo(f tableFunction, p, del unsafe.Pointer) {
	C.dx_table_function_set_extra_info(f.p, p, del)
}
func tableFunctionSetBind(f tableFunction, cb unsafe.Pointer) { C.dx_table_function_set_bind(f.p, cb) }
func tableFunctionSetInit(f tableFunction, cb unsafe.Pointer) { C.dx_table_function_set_init(f.p, cb) }
func tableFunctionSetFunction(f tableFunction, cb unsafe.Pointer) {
	C.dx_table_function_set_function(f.p, cb)
}
func registerTableFunction(conn connection, f tableFunction) bool {
	return bool(C.dx_register_table_function(conn.p, f.p))
}
func bindExtraInfo(info bindInfo) unsafe.Pointer { return C.dx_bind_get_extra_info(info.p) }
func bindGetParameter(info bindInfo, i int) value {
	return value{C.dx_bind_get_parameter(info.p, C.idx_t(i))}
}

// bindGetNamedParameter returns a value with a nil pointer when the
// parameter was not given.
func bindGetNamedParameter(info bindInfo, name string) value {
	n, free := cstr(name)
	defer free()
	return value{C.dx_bind_get_named_parameter(info.p, n)}
}
func bindAddResultColumn(info bindInfo, name string, t logicalType) {
	n, free := cstr(name)
	defer free()
	C.dx_bind_add_result_column(info.p, n, t.p)
}
func bindSetCardinality(info bindInfo, n int, exact bool) {
	C.dx_bind_set_cardinality(info.p, C.idx_t(n), C.bool(exact))
}
func bindSetBindData(info bindInfo, p, del unsafe.Pointer) { C.dx_bind_set_bind_data(info.p, p, del) }
func bindSetError(info bindInfo, msg string) {
	m, free := cstr(msg)
	defer free()
	C.dx_bind_set_error(info.p, m)
}
func initSetInitData(info initInfo, p, del unsafe.Pointer) { C.dx_init_set_init_data(info.p, p, del) }
func initGetBindData(info initInfo) unsafe.Pointer         { return C.dx_init_get_bind_data(info.p) }
func initSetError(info initInfo, msg string) {
	m, free := cstr(msg)
	defer free()
	C.dx_init_set_error(info.p, m)
}
func functionGetBindData(info functionInfo) unsafe.Pointer {
	return C.dx_function_get_bind_data(info.p)
}
func functionGetInitData(info functionInfo) unsafe.Pointer {
	return C.dx_function_get_init_data(info.p)
}
func functionSetError(info functionInfo, msg string) {
	m, free := cstr(msg)
	defer free()
	C.dx_function_set_error(info.p, m)
}

// Data chunks and vectors.

func vectorSize() int                       { return int(C.dx_vector_size()) }
func chunkSize(c dataChunk) int             { return int(C.dx_chunk_size(c.p)) }
func chunkSetSize(c dataChunk, n int)       { C.dx_chunk_set_size(c.p, C.idx_t(n)) }
func chunkVector(c dataChunk, i int) vector { return vector{C.dx_chunk_vector(c.p, C.idx_t(i))} }
func vectorData(v vector) unsafe.Pointer    { return C.dx_vector_data(v.p) }
func vectorValidity(v vector) unsafe.Pointer {
	return C.dx_vector_validity(v.p)
}
func vectorEnsureValidityWritable(v vector) { C.dx_vector_ensure_validity_writable(v.p) }
func listVectorChild(v vector) vector       { return vector{C.dx_list_vector_child(v.p)} }
func arrayVectorChild(v vector) vector      { return vector{C.dx_array_vector_child(v.p)} }
func structVectorChild(v vector, i int) vector {
	return vector{C.dx_struct_vector_child(v.p, C.idx_t(i))}
}
func listVectorSize(v vector) int       { return int(C.dx_list_vector_size(v.p)) }
func listVectorReserve(v vector, n int) { C.dx_list_vector_reserve(v.p, C.idx_t(n)) }
func listVectorSetSize(v vector, n int) { C.dx_list_vector_set_size(v.p, C.idx_t(n)) }

// assignString sets VARCHAR row i of v (DuckDB copies the bytes).
func assignString(v vector, i int, s string) {
	C.dx_assign_string(v.p, C.idx_t(i), (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.idx_t(len(s)))
}

// Extension only: the entry point's connection and the setting.

// initAPI copies the function table DuckDB handed the entry point.
func initAPI(api unsafe.Pointer) { C.dx_init(api) }

// connect opens a connection to the database at db (a *duckdb_database).
func connect(db unsafe.Pointer) (connection, bool) {
	var c unsafe.Pointer
	ok := bool(C.dx_connect(db, &c))
	return connection{c}, ok
}
func disconnect(c *connection) {
	C.dx_disconnect(c.p)
	c.p = nil
}
func clientContextConnectionID(ctx clientContext) uint64 {
	return uint64(C.dx_client_context_connection_id(ctx.p))
}

// streamQuery runs sql on c as a streaming result, which closeQuery frees.
func streamQuery(c connection, sql string) (stmt, res unsafe.Pointer, err error) {
	s, free := cstr(sql)
	defer free()
	if msg := C.dx_query(c.p, s, &stmt, &res); msg != nil {
		m := C.GoString(msg)
		C.free(unsafe.Pointer(msg))
		return nil, nil, errors.New(m)
	}
	return stmt, res, nil
}
func closeQuery(stmt, res unsafe.Pointer) { C.dx_query_close(stmt, res) }

// resultArrowSchema fills out (a struct ArrowSchema) with the result's schema.
func resultArrowSchema(res, out unsafe.Pointer) error {
	if msg := C.dx_result_arrow_schema(res, out); msg != nil {
		m := C.GoString(msg)
		C.free(unsafe.Pointer(msg))
		return errors.New(m)
	}
	return nil
}

// resultNextArrow fills out (a struct ArrowArray) with the next chunk;
// false at the end of the result.
func resultNextArrow(res, out unsafe.Pointer) (bool, error) {
	var msg *C.char
	switch C.dx_result_next(res, out, &msg) {
	case 1:
		return true, nil
	case 0:
		return false, nil
	}
	m := C.GoString(msg)
	C.free(unsafe.Pointer(msg))
	return false, errors.New(m)
}
func interruptConnection(c connection) { C.dx_interrupt(c.p) }

func connectionClientContext(c connection) clientContext {
	return clientContext{C.dx_connection_client_context(c.p)}
}

// registerSetting registers a VARCHAR setting with a default value.
func registerSetting(c connection, name, dflt, description string) bool {
	n, freeN := cstr(name)
	defer freeN()
	d, freeD := cstr(dflt)
	defer freeD()
	desc, freeDesc := cstr(description)
	defer freeDesc()
	return bool(C.dx_register_setting(c.p, n, d, desc))
}

// setting returns a VARCHAR setting's value; ok is false when there is no
// such setting (or its value is NULL).
func setting(ctx clientContext, name string) (v string, ok bool) {
	n, free := cstr(name)
	defer free()
	val := value{C.dx_setting(ctx.p, n)}
	if val.p == nil {
		return "", false
	}
	defer destroyValue(&val)
	if isNullValue(val) || logicalTypeID(valueType(val)) != typeVarchar {
		return "", false
	}
	return getVarchar(val), true
}
