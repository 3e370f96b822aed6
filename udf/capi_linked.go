//go:build !dense_extension

package udf

// The C layer's linked backend: DuckDB is linked into the program by
// duckdb-go, and every call goes to duckdb-go's mapping package (the C API
// of that DuckDB). capi_ext.go has the same functions for the extension.

import (
	"errors"
	"unsafe"

	"github.com/duckdb/duckdb-go/v2/mapping"
)

// Logical types.

func newLogicalType(id typeID) logicalType {
	return logicalType{mapping.CreateLogicalType(mapping.Type(id)).Ptr}
}
func newListType(elem logicalType) logicalType {
	return logicalType{mapping.CreateListType(mapping.LogicalType{Ptr: elem.p}).Ptr}
}
func newMapType(key, val logicalType) logicalType {
	return logicalType{mapping.CreateMapType(mapping.LogicalType{Ptr: key.p}, mapping.LogicalType{Ptr: val.p}).Ptr}
}

// newStructType returns STRUCT(names[0] types[0], …); the types stay the caller's.
func newStructType(names []string, types []logicalType) logicalType {
	ts := make([]mapping.LogicalType, len(types))
	for i, t := range types {
		ts[i] = mapping.LogicalType{Ptr: t.p}
	}
	return logicalType{mapping.CreateStructType(ts, names).Ptr}
}
func destroyLogicalType(t *logicalType) {
	lt := mapping.LogicalType{Ptr: t.p}
	mapping.DestroyLogicalType(&lt)
	t.p = nil
}
func logicalTypeID(t logicalType) typeID {
	return typeID(mapping.GetTypeId(mapping.LogicalType{Ptr: t.p}))
}
func decimalWidth(t logicalType) int { return int(mapping.DecimalWidth(mapping.LogicalType{Ptr: t.p})) }
func decimalScale(t logicalType) int { return int(mapping.DecimalScale(mapping.LogicalType{Ptr: t.p})) }
func decimalInternalType(t logicalType) typeID {
	return typeID(mapping.DecimalInternalType(mapping.LogicalType{Ptr: t.p}))
}
func listTypeChild(t logicalType) logicalType {
	return logicalType{mapping.ListTypeChildType(mapping.LogicalType{Ptr: t.p}).Ptr}
}
func arrayTypeChild(t logicalType) logicalType {
	return logicalType{mapping.ArrayTypeChildType(mapping.LogicalType{Ptr: t.p}).Ptr}
}
func arrayTypeSize(t logicalType) int {
	return int(mapping.ArrayTypeArraySize(mapping.LogicalType{Ptr: t.p}))
}
func structTypeChildCount(t logicalType) int {
	return int(mapping.StructTypeChildCount(mapping.LogicalType{Ptr: t.p}))
}
func structTypeChildName(t logicalType, i int) string {
	return mapping.StructTypeChildName(mapping.LogicalType{Ptr: t.p}, mapping.IdxT(i))
}
func structTypeChild(t logicalType, i int) logicalType {
	return logicalType{mapping.StructTypeChildType(mapping.LogicalType{Ptr: t.p}, mapping.IdxT(i)).Ptr}
}
func enumInternalType(t logicalType) typeID {
	return typeID(mapping.EnumInternalType(mapping.LogicalType{Ptr: t.p}))
}
func enumDictionarySize(t logicalType) int {
	return int(mapping.EnumDictionarySize(mapping.LogicalType{Ptr: t.p}))
}
func enumDictionaryValue(t logicalType, i int) string {
	return mapping.EnumDictionaryValue(mapping.LogicalType{Ptr: t.p}, mapping.IdxT(i))
}

// Values.

func destroyValue(v *value) {
	mv := mapping.Value{Ptr: v.p}
	mapping.DestroyValue(&mv)
	v.p = nil
}
func isNullValue(v value) bool { return mapping.IsNullValue(mapping.Value{Ptr: v.p}) }

// valueType returns v's type, owned by v (not to be destroyed).
func valueType(v value) logicalType {
	return logicalType{mapping.GetValueType(mapping.Value{Ptr: v.p}).Ptr}
}
func getVarchar(v value) string { return mapping.GetVarchar(mapping.Value{Ptr: v.p}) }
func getInt64(v value) int64    { return mapping.GetInt64(mapping.Value{Ptr: v.p}) }
func getBool(v value) bool      { return mapping.GetBool(mapping.Value{Ptr: v.p}) }
func getDouble(v value) float64 { return mapping.GetDouble(mapping.Value{Ptr: v.p}) }
func listValueSize(v value) int { return int(mapping.GetListSize(mapping.Value{Ptr: v.p})) }
func listValueChild(v value, i int) value {
	return value{mapping.GetListChild(mapping.Value{Ptr: v.p}, mapping.IdxT(i)).Ptr}
}

// Expressions and client contexts (scalar function bind).

func scalarArgumentCount(info bindInfo) int {
	return int(mapping.ScalarFunctionBindGetArgumentCount(mapping.BindInfo{Ptr: info.p}))
}
func scalarArgument(info bindInfo, i int) expression {
	return expression{mapping.ScalarFunctionBindGetArgument(mapping.BindInfo{Ptr: info.p}, mapping.IdxT(i)).Ptr}
}
func destroyExpression(e *expression) {
	me := mapping.Expression{Ptr: e.p}
	mapping.DestroyExpression(&me)
	e.p = nil
}
func expressionReturnType(e expression) logicalType {
	return logicalType{mapping.ExpressionReturnType(mapping.Expression{Ptr: e.p}).Ptr}
}
func expressionIsFoldable(e expression) bool {
	return mapping.ExpressionIsFoldable(mapping.Expression{Ptr: e.p})
}

// expressionFold evaluates a foldable expression; the value must be destroyed.
func expressionFold(ctx clientContext, e expression) (value, error) {
	var v mapping.Value
	errData := mapping.ExpressionFold(mapping.ClientContext{Ptr: ctx.p}, mapping.Expression{Ptr: e.p}, &v)
	defer mapping.DestroyErrorData(&errData)
	if mapping.ErrorDataHasError(errData) {
		mapping.DestroyValue(&v)
		return value{}, errors.New(mapping.ErrorDataMessage(errData))
	}
	return value{v.Ptr}, nil
}
func scalarClientContext(info bindInfo) clientContext {
	var ctx mapping.ClientContext
	mapping.ScalarFunctionGetClientContext(mapping.BindInfo{Ptr: info.p}, &ctx)
	return clientContext{ctx.Ptr}
}
func tableClientContext(info bindInfo) clientContext {
	var ctx mapping.ClientContext
	mapping.TableFunctionGetClientContext(mapping.BindInfo{Ptr: info.p}, &ctx)
	return clientContext{ctx.Ptr}
}
func clientContextConnectionID(ctx clientContext) uint64 {
	return uint64(mapping.ClientContextGetConnectionId(mapping.ClientContext{Ptr: ctx.p}))
}
func destroyClientContext(ctx *clientContext) {
	c := mapping.ClientContext{Ptr: ctx.p}
	mapping.DestroyClientContext(&c)
	ctx.p = nil
}

// Scalar functions.

type scalarFunction struct{ f mapping.ScalarFunction }

func createScalarFunction() scalarFunction { return scalarFunction{mapping.CreateScalarFunction()} }
func destroyScalarFunction(f *scalarFunction) {
	mapping.DestroyScalarFunction(&f.f)
}
func scalarFunctionSetName(f scalarFunction, name string) { mapping.ScalarFunctionSetName(f.f, name) }
func scalarFunctionAddParameter(f scalarFunction, t logicalType) {
	mapping.ScalarFunctionAddParameter(f.f, mapping.LogicalType{Ptr: t.p})
}
func scalarFunctionSetVarargs(f scalarFunction, t logicalType) {
	mapping.ScalarFunctionSetVarargs(f.f, mapping.LogicalType{Ptr: t.p})
}
func scalarFunctionSetReturnType(f scalarFunction, t logicalType) {
	mapping.ScalarFunctionSetReturnType(f.f, mapping.LogicalType{Ptr: t.p})
}
func scalarFunctionSetSpecialHandling(f scalarFunction) {
	mapping.ScalarFunctionSetSpecialHandling(f.f)
}
func scalarFunctionSetCallbacks(f scalarFunction, bind, exec unsafe.Pointer) {
	mapping.ScalarFunctionSetBind(f.f, bind)
	mapping.ScalarFunctionSetFunction(f.f, exec)
}
func scalarFunctionSetExtraInfo(f scalarFunction, p, del unsafe.Pointer) {
	mapping.ScalarFunctionSetExtraInfo(f.f, p, del)
}
func registerScalarFunction(conn connection, f scalarFunction) bool {
	return mapping.RegisterScalarFunction(mapping.Connection{Ptr: conn.p}, f.f) != mapping.StateError
}
func scalarBindExtraInfo(info bindInfo) unsafe.Pointer {
	return mapping.ScalarFunctionBindGetExtraInfo(mapping.BindInfo{Ptr: info.p})
}
func scalarBindSetError(info bindInfo, msg string) {
	mapping.ScalarFunctionBindSetError(mapping.BindInfo{Ptr: info.p}, msg)
}
func scalarSetBindData(info bindInfo, p, del unsafe.Pointer) {
	mapping.ScalarFunctionSetBindData(mapping.BindInfo{Ptr: info.p}, p, del)
}
func scalarSetBindDataCopy(info bindInfo, cp unsafe.Pointer) {
	mapping.ScalarFunctionSetBindDataCopy(mapping.BindInfo{Ptr: info.p}, cp)
}
func scalarGetBindData(info functionInfo) unsafe.Pointer {
	return mapping.ScalarFunctionGetBindData(mapping.FunctionInfo{Ptr: info.p})
}
func scalarSetError(info functionInfo, msg string) {
	mapping.ScalarFunctionSetError(mapping.FunctionInfo{Ptr: info.p}, msg)
}

// Table functions.

type tableFunction struct{ f mapping.TableFunction }

func createTableFunction() tableFunction             { return tableFunction{mapping.CreateTableFunction()} }
func destroyTableFunction(f *tableFunction)          { mapping.DestroyTableFunction(&f.f) }
func tableFunctionSetName(f tableFunction, n string) { mapping.TableFunctionSetName(f.f, n) }
func tableFunctionAddParameter(f tableFunction, t logicalType) {
	mapping.TableFunctionAddParameter(f.f, mapping.LogicalType{Ptr: t.p})
}
func tableFunctionAddNamedParameter(f tableFunction, name string, t logicalType) {
	mapping.TableFunctionAddNamedParameter(f.f, name, mapping.LogicalType{Ptr: t.p})
}
func tableFunctionSetExtraInfo(f tableFunction, p, del unsafe.Pointer) {
	mapping.TableFunctionSetExtraInfo(f.f, p, del)
}
func tableFunctionSetBind(f tableFunction, cb unsafe.Pointer) { mapping.TableFunctionSetBind(f.f, cb) }
func tableFunctionSetInit(f tableFunction, cb unsafe.Pointer) { mapping.TableFunctionSetInit(f.f, cb) }
func tableFunctionSetFunction(f tableFunction, cb unsafe.Pointer) {
	mapping.TableFunctionSetFunction(f.f, cb)
}
func registerTableFunction(conn connection, f tableFunction) bool {
	return mapping.RegisterTableFunction(mapping.Connection{Ptr: conn.p}, f.f) != mapping.StateError
}
func bindExtraInfo(info bindInfo) unsafe.Pointer {
	return mapping.BindGetExtraInfo(mapping.BindInfo{Ptr: info.p})
}
func bindGetParameter(info bindInfo, i int) value {
	return value{mapping.BindGetParameter(mapping.BindInfo{Ptr: info.p}, mapping.IdxT(i)).Ptr}
}

// bindGetNamedParameter returns a value with a nil pointer when the
// parameter was not given.
func bindGetNamedParameter(info bindInfo, name string) value {
	return value{mapping.BindGetNamedParameter(mapping.BindInfo{Ptr: info.p}, name).Ptr}
}
func bindAddResultColumn(info bindInfo, name string, t logicalType) {
	mapping.BindAddResultColumn(mapping.BindInfo{Ptr: info.p}, name, mapping.LogicalType{Ptr: t.p})
}
func bindSetCardinality(info bindInfo, n int, exact bool) {
	mapping.BindSetCardinality(mapping.BindInfo{Ptr: info.p}, mapping.IdxT(n), exact)
}
func bindSetBindData(info bindInfo, p, del unsafe.Pointer) {
	mapping.BindSetBindData(mapping.BindInfo{Ptr: info.p}, p, del)
}
func bindSetError(info bindInfo, msg string) {
	mapping.BindSetError(mapping.BindInfo{Ptr: info.p}, msg)
}
func initSetInitData(info initInfo, p, del unsafe.Pointer) {
	mapping.InitSetInitData(mapping.InitInfo{Ptr: info.p}, p, del)
}
func initGetBindData(info initInfo) unsafe.Pointer {
	return mapping.InitGetBindData(mapping.InitInfo{Ptr: info.p})
}
func initSetError(info initInfo, msg string) {
	mapping.InitSetError(mapping.InitInfo{Ptr: info.p}, msg)
}
func functionGetBindData(info functionInfo) unsafe.Pointer {
	return mapping.FunctionGetBindData(mapping.FunctionInfo{Ptr: info.p})
}
func functionGetInitData(info functionInfo) unsafe.Pointer {
	return mapping.FunctionGetInitData(mapping.FunctionInfo{Ptr: info.p})
}
func functionSetError(info functionInfo, msg string) {
	mapping.FunctionSetError(mapping.FunctionInfo{Ptr: info.p}, msg)
}

// Data chunks and vectors.

func vectorSize() int { return int(mapping.VectorSize()) }
func chunkSize(c dataChunk) int {
	return int(mapping.DataChunkGetSize(mapping.DataChunk{Ptr: c.p}))
}
func chunkSetSize(c dataChunk, n int) {
	mapping.DataChunkSetSize(mapping.DataChunk{Ptr: c.p}, mapping.IdxT(n))
}
func chunkVector(c dataChunk, i int) vector {
	return vector{mapping.DataChunkGetVector(mapping.DataChunk{Ptr: c.p}, mapping.IdxT(i)).Ptr}
}
func vectorData(v vector) unsafe.Pointer { return mapping.VectorGetData(mapping.Vector{Ptr: v.p}) }
func vectorValidity(v vector) unsafe.Pointer {
	return mapping.VectorGetValidity(mapping.Vector{Ptr: v.p})
}
func vectorEnsureValidityWritable(v vector) {
	mapping.VectorEnsureValidityWritable(mapping.Vector{Ptr: v.p})
}
func listVectorChild(v vector) vector {
	return vector{mapping.ListVectorGetChild(mapping.Vector{Ptr: v.p}).Ptr}
}
func arrayVectorChild(v vector) vector {
	return vector{mapping.ArrayVectorGetChild(mapping.Vector{Ptr: v.p}).Ptr}
}
func structVectorChild(v vector, i int) vector {
	return vector{mapping.StructVectorGetChild(mapping.Vector{Ptr: v.p}, mapping.IdxT(i)).Ptr}
}
func listVectorSize(v vector) int { return int(mapping.ListVectorGetSize(mapping.Vector{Ptr: v.p})) }
func listVectorReserve(v vector, n int) {
	mapping.ListVectorReserve(mapping.Vector{Ptr: v.p}, mapping.IdxT(n))
}
func listVectorSetSize(v vector, n int) {
	mapping.ListVectorSetSize(mapping.Vector{Ptr: v.p}, mapping.IdxT(n))
}

// assignString sets VARCHAR row i of v (DuckDB copies the bytes).
func assignString(v vector, i int, s string) {
	mapping.VectorAssignStringElement(mapping.Vector{Ptr: v.p}, mapping.IdxT(i), s)
}
