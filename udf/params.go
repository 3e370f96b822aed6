package udf

import "C"

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/dense-ml/dense/nn"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// dense_params(inputs, units, bias := true) takes a LIST argument, which
// duckdb-go's table UDFs cannot receive, so it is a C API table function
// like the scalar ones: the bind callback computes the rows with
// nn.ParamTable and the scan callback writes them into the output chunk.

type paramsScan struct {
	rows []nn.ParamRow
	next int // the scan is single-threaded (one thread per table function by default)
}

var paramsColumns = []struct {
	name string
	typ  mapping.Type
}{
	{"layer", mapping.TypeInteger}, {"inputs", mapping.TypeBigInt}, {"units", mapping.TypeBigInt},
	{"weights", mapping.TypeBigInt}, {"biases", mapping.TypeBigInt}, {"total", mapping.TypeBigInt},
	{"mb", mapping.TypeDouble},
}

func registerParams(c *sql.Conn) error {
	f := mapping.CreateTableFunction()
	defer mapping.DestroyTableFunction(&f)
	mapping.TableFunctionSetName(f, "dense_params")
	bigint := mapping.CreateLogicalType(mapping.TypeBigInt)
	defer mapping.DestroyLogicalType(&bigint)
	list := mapping.CreateListType(bigint)
	defer mapping.DestroyLogicalType(&list)
	boolean := mapping.CreateLogicalType(mapping.TypeBoolean)
	defer mapping.DestroyLogicalType(&boolean)
	mapping.TableFunctionAddParameter(f, bigint)
	mapping.TableFunctionAddParameter(f, list)
	mapping.TableFunctionAddNamedParameter(f, "bias", boolean)
	mapping.TableFunctionSetBind(f, paramsBindCallback)
	mapping.TableFunctionSetInit(f, paramsInitCallback)
	mapping.TableFunctionSetFunction(f, paramsExecCallback)
	return connHandle(c, func(conn mapping.Connection) error {
		if mapping.RegisterTableFunction(conn, f) == mapping.StateError {
			return errors.New("udf: registering dense_params failed (is it registered on this database already?)")
		}
		return nil
	})
}

//export dense_params_bind
func dense_params_bind(infoPtr unsafe.Pointer) {
	info := mapping.BindInfo{Ptr: infoPtr}
	defer recoverInto("dense_params", func(msg string) { mapping.BindSetError(info, msg) })
	scan, err := bindParams(info)
	if err != nil {
		mapping.BindSetError(info, err.Error())
		return
	}
	for _, col := range paramsColumns {
		t := mapping.CreateLogicalType(col.typ)
		mapping.BindAddResultColumn(info, col.name, t)
		mapping.DestroyLogicalType(&t)
	}
	mapping.BindSetCardinality(info, mapping.IdxT(len(scan.rows)), true)
	mapping.BindSetBindData(info, newCHandle(scan), deleteCallback)
}

func bindParams(info mapping.BindInfo) (*paramsScan, error) {
	inputs := mapping.BindGetParameter(info, 0)
	defer mapping.DestroyValue(&inputs)
	if mapping.IsNullValue(inputs) {
		return nil, errors.New("dense_params: inputs is NULL; give the number of input features")
	}
	units := mapping.BindGetParameter(info, 1)
	defer mapping.DestroyValue(&units)
	if mapping.IsNullValue(units) {
		return nil, errors.New("dense_params: units is NULL; give the layer widths as a list such as [128, 10]")
	}
	widths := make([]int, mapping.GetListSize(units))
	for i := range widths {
		v := mapping.GetListChild(units, mapping.IdxT(i))
		null := mapping.IsNullValue(v)
		if !null { // duckdb_get_int64 aborts the process on a NULL value
			widths[i] = int(mapping.GetInt64(v))
		}
		mapping.DestroyValue(&v)
		if null {
			return nil, fmt.Errorf("dense_params: units[%d] is NULL", i+1)
		}
	}
	bias := true
	if b := mapping.BindGetNamedParameter(info, "bias"); b.Ptr != nil {
		if !mapping.IsNullValue(b) {
			bias = mapping.GetBool(b)
		}
		mapping.DestroyValue(&b)
	}
	report, err := nn.ParamTable(int(mapping.GetInt64(inputs)), widths, bias)
	if err != nil {
		return nil, fmt.Errorf("dense_params: %s", strings.TrimPrefix(err.Error(), "nn: params: "))
	}
	return &paramsScan{rows: report.Rows}, nil
}

//export dense_params_init
func dense_params_init(unsafe.Pointer) {}

//export dense_params_exec
func dense_params_exec(infoPtr, outPtr unsafe.Pointer) {
	info := mapping.FunctionInfo{Ptr: infoPtr}
	out := mapping.DataChunk{Ptr: outPtr}
	defer recoverInto("dense_params", func(msg string) { mapping.FunctionSetError(info, msg) })
	scan := handleValue(mapping.FunctionGetBindData(info)).(*paramsScan)
	n := min(len(scan.rows)-scan.next, int(mapping.VectorSize()))
	col := func(i int) unsafe.Pointer {
		return mapping.VectorGetData(mapping.DataChunkGetVector(out, mapping.IdxT(i)))
	}
	layer := unsafe.Slice((*int32)(col(0)), n)
	ints := [5][]int64{}
	for j := range ints {
		ints[j] = unsafe.Slice((*int64)(col(j+1)), n)
	}
	mb := unsafe.Slice((*float64)(col(6)), n)
	for r := range n {
		row := scan.rows[scan.next+r]
		layer[r] = int32(row.Layer)
		ints[0][r], ints[1][r], ints[2][r] = int64(row.Inputs), int64(row.Units), int64(row.Weights)
		ints[3][r], ints[4][r] = int64(row.Biases), int64(row.Params)
		mb[r] = row.MB
	}
	scan.next += n
	mapping.DataChunkSetSize(out, mapping.IdxT(n))
}
