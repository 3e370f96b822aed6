package udf

import "C"

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
)

// The table functions (dense_models, dense_layers, dense_params) are C API
// table functions, in both hosts: a bind callback reads and checks the
// arguments and computes every row (they are few), a scan callback writes
// them into DuckDB's output chunks. A NULL or wrongly typed argument is an
// error naming the parameter. Named parameters are declared ANY, so that
// DuckDB hands their values over as written and the error is ours (declared
// BIGINT, batchnorm := 'maybe' failed in DuckDB's cast without naming the
// parameter, and seed := 1.5 was rounded to 2); positional parameters keep
// their types, which choose between overloads.

// tableFunc describes one table function.
type tableFunc struct {
	name    string
	params  []tableParam
	columns []tableColumn
	// rows computes the result from the checked arguments, by parameter name.
	rows func(src ModelSource, args map[string]any) ([][]any, error)
	// run, instead of rows, computes the result when the query executes
	// (the scan's init), not when it is bound: for the functions that run a
	// query of their own and train or evaluate (EXPLAIN or a prepared
	// statement that is never executed must not train). check, when set,
	// checks the arguments at bind.
	run    func(call *tableCall) ([][]any, error)
	check  func(src ModelSource, args map[string]any) error
	models *models
}

// tableCall is what a run function gets: the checked arguments, the model
// source of the query's session, the functions' models (for queries) and
// the calling connection's id.
type tableCall struct {
	args   map[string]any
	src    ModelSource
	models *models
	caller uint64
}

// tableParam is a parameter: positional, or named (name := value) when
// named is set. A named parameter that is not given is absent from args.
type tableParam struct {
	name  string
	typ   paramType
	named bool
	hint  string // what to give instead of NULL
}

type paramType int

const (
	paramVarchar     paramType = iota // string
	paramBigInt                       // int64
	paramBigIntList                   // []int64
	paramBoolean                      // bool
	paramDouble                       // float64
	paramVarcharList                  // []string
)

func (t paramType) String() string {
	return [...]string{"VARCHAR", "BIGINT", "BIGINT[]", "BOOLEAN", "DOUBLE", "VARCHAR[]"}[t]
}

// tableColumn is a result column; a row holds its value as the Go type
// noted at each kind, or nil for NULL.
type tableColumn struct {
	name string
	kind columnKind
}

type columnKind int

const (
	colInteger     columnKind = iota // int32
	colBigInt                        // int64
	colDouble                        // float64
	colVarchar                       // string
	colVarcharList                   // []string
	colTimestampTZ                   // time.Time
	colMetrics                       // map[string]float64, as MAP(VARCHAR, DOUBLE) in key order
)

func (k columnKind) logicalType() logicalType {
	switch k {
	case colInteger:
		return newLogicalType(typeInteger)
	case colBigInt:
		return newLogicalType(typeBigInt)
	case colDouble:
		return newLogicalType(typeDouble)
	case colVarchar:
		return newLogicalType(typeVarchar)
	case colVarcharList:
		elem := newLogicalType(typeVarchar)
		defer destroyLogicalType(&elem)
		return newListType(elem)
	case colTimestampTZ:
		return newLogicalType(typeTimestampTZ)
	case colMetrics:
		k, v := newLogicalType(typeVarchar), newLogicalType(typeDouble)
		defer destroyLogicalType(&k)
		defer destroyLogicalType(&v)
		return newMapType(k, v)
	}
	panic("udf: unknown column kind")
}

func (t paramType) logicalType() logicalType {
	switch t {
	case paramVarchar:
		return newLogicalType(typeVarchar)
	case paramBigInt:
		return newLogicalType(typeBigInt)
	case paramBigIntList:
		elem := newLogicalType(typeBigInt)
		defer destroyLogicalType(&elem)
		return newListType(elem)
	case paramBoolean:
		return newLogicalType(typeBoolean)
	case paramDouble:
		return newLogicalType(typeDouble)
	case paramVarcharList:
		elem := newLogicalType(typeVarchar)
		defer destroyLogicalType(&elem)
		return newListType(elem)
	}
	panic("udf: unknown parameter type")
}

// registerTable registers tf on conn.
func registerTable(conn connection, tf *tableFunc) error {
	f := createTableFunction()
	defer destroyTableFunction(&f)
	tableFunctionSetName(f, tf.name)
	for _, p := range tf.params {
		t := p.typ.logicalType()
		if p.named {
			destroyLogicalType(&t)
			t = newLogicalType(typeAny)
			tableFunctionAddNamedParameter(f, p.name, t)
		} else {
			tableFunctionAddParameter(f, t)
		}
		destroyLogicalType(&t)
	}
	tableFunctionSetExtraInfo(f, newCHandle(tf), deleteCallback)
	tableFunctionSetBind(f, tableBindCallback)
	tableFunctionSetInit(f, tableInitCallback)
	tableFunctionSetFunction(f, tableExecCallback)
	if !registerTableFunction(conn, f) {
		return fmt.Errorf("udf: registering %s failed (is it registered on this database already?)", tf.name)
	}
	return nil
}

// tableScan is a bound table function call: its rows, or for a function
// with a run step the call to run. Scans keep their position (and a run's
// rows) in their init data, so a plan scanned twice starts over.
type tableScan struct {
	tf   *tableFunc
	rows [][]any
	call *tableCall
}

type scanState struct {
	next int
	rows [][]any
}

//export dense_table_bind
func dense_table_bind(infoPtr unsafe.Pointer) {
	info := bindInfo{infoPtr}
	name := "dense"
	defer recoverInto(&name, func(msg string) { bindSetError(info, msg) })
	tf := handleValue(bindExtraInfo(info)).(*tableFunc)
	name = tf.name
	args, err := tf.readArgs(info)
	if err != nil {
		bindSetError(info, err.Error())
		return
	}
	ctx := tableClientContext(info)
	src, err := tf.models.source(ctx)
	caller := clientContextConnectionID(ctx)
	destroyClientContext(&ctx)
	if err != nil {
		bindSetError(info, fmt.Sprintf("%s: %v", tf.name, err))
		return
	}
	scan := &tableScan{tf: tf}
	if tf.run != nil {
		if tf.check != nil {
			if err := tf.check(src, args); err != nil {
				bindSetError(info, err.Error())
				return
			}
		}
		scan.call = &tableCall{args: args, src: src, models: tf.models, caller: caller}
	} else if scan.rows, err = tf.rows(src, args); err != nil {
		bindSetError(info, err.Error())
		return
	}
	for _, c := range tf.columns {
		t := c.kind.logicalType()
		bindAddResultColumn(info, c.name, t)
		destroyLogicalType(&t)
	}
	if scan.call != nil {
		bindSetCardinality(info, 1, false)
	} else {
		bindSetCardinality(info, len(scan.rows), true)
	}
	bindSetBindData(info, newCHandle(scan), deleteCallback)
}

// readArgs reads and checks the parameters' values.
func (tf *tableFunc) readArgs(info bindInfo) (map[string]any, error) {
	args := map[string]any{}
	pos := 0
	for _, p := range tf.params {
		var v value
		if p.named {
			v = bindGetNamedParameter(info, p.name)
			if v.p == nil { // not given
				continue
			}
		} else {
			v = bindGetParameter(info, pos)
			pos++
		}
		x, err := readParam(tf.name, p, v)
		destroyValue(&v)
		if err != nil {
			return nil, err
		}
		args[p.name] = x
	}
	return args, nil
}

// readParam converts one parameter's value, refusing NULL and checking the
// type before reading (the C API's getters abort the process on a NULL or
// on a value of another type).
func readParam(fn string, p tableParam, v value) (any, error) {
	if isNullValue(v) {
		return nil, fmt.Errorf("%s: %s is NULL; %s", fn, p.name, p.hint)
	}
	t := valueType(v) // owned by v
	id := logicalTypeID(t)
	wrong := func(got string) error {
		return fmt.Errorf("%s: %s must be %s, not %s; %s", fn, p.name, p.typ, got, p.hint)
	}
	switch p.typ {
	case paramVarchar:
		if p.named && integerType(id) { // positive_label := 1, as DuckDB's cast to VARCHAR gave
			return strconv.FormatInt(getInt64(v), 10), nil
		}
		if id != typeVarchar {
			return nil, wrong(newColType(t).name)
		}
		return getVarchar(v), nil
	case paramBigInt:
		i, ok, err := readInteger(fn, p.name, v, id)
		if !ok {
			return nil, wrong(newColType(t).name)
		}
		return i, err
	case paramBoolean:
		if id != typeBoolean {
			return nil, wrong(newColType(t).name)
		}
		return getBool(v), nil
	case paramDouble:
		if id != typeDouble && id != typeFloat && id != typeDecimal && !integerType(id) {
			return nil, wrong(newColType(t).name)
		}
		return getDouble(v), nil
	case paramVarcharList:
		if id != typeList {
			return nil, wrong(newColType(t).name)
		}
		out := make([]string, listValueSize(v))
		for i := range out {
			e := listValueChild(v, i)
			null := isNullValue(e)
			ok := !null && logicalTypeID(valueType(e)) == typeVarchar
			if ok {
				out[i] = getVarchar(e)
			}
			destroyValue(&e)
			switch {
			case null:
				return nil, fmt.Errorf("%s: %s[%d] is NULL", fn, p.name, i+1)
			case !ok:
				return nil, wrong(newColType(valueType(v)).name)
			}
		}
		return out, nil
	case paramBigIntList:
		if id != typeList {
			return nil, wrong(newColType(t).name)
		}
		out := make([]int64, listValueSize(v))
		for i := range out {
			e := listValueChild(v, i)
			null := isNullValue(e)
			var ok bool
			var err error
			if !null {
				out[i], ok, err = readInteger(fn, fmt.Sprintf("%s[%d]", p.name, i+1), e, logicalTypeID(valueType(e)))
			}
			destroyValue(&e)
			switch {
			case null:
				return nil, fmt.Errorf("%s: %s[%d] is NULL", fn, p.name, i+1)
			case !ok:
				return nil, wrong(newColType(valueType(v)).name)
			case err != nil:
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: %s has an unknown parameter type", fn, p.name)
}

// readInteger reads an integer parameter's value of type id: an integer
// type, or a DECIMAL, DOUBLE or FLOAT holding a whole number (epochs :=
// 1e3); ok is false for any other type, err names a fraction.
func readInteger(fn, name string, v value, id typeID) (n int64, ok bool, err error) {
	switch {
	case integerType(id):
		return getInt64(v), true, nil
	case id == typeDecimal || id == typeDouble || id == typeFloat:
		f := getDouble(v)
		if f != math.Trunc(f) || !(f >= math.MinInt64 && f < math.MaxInt64) {
			return 0, true, fmt.Errorf("%s: %s must be a whole number, got %v", fn, name, f)
		}
		return int64(f), true, nil
	}
	return 0, false, nil
}

// integerType reports whether a value of type id reads as an int64:
// DuckDB hands a table function its arguments as written (an INTEGER
// literal stays INTEGER), not cast to the parameter's type.
func integerType(id typeID) bool {
	switch id {
	case typeTinyInt, typeSmallInt, typeInteger, typeBigInt, typeUTinyInt, typeUSmallInt, typeUInteger:
		return true
	}
	return false
}

// dense_table_init starts a scan; for a function with a run step, it
// computes the rows (the query is executing now).
//
//export dense_table_init
func dense_table_init(infoPtr unsafe.Pointer) {
	info := initInfo{infoPtr}
	name := "dense"
	defer recoverInto(&name, func(msg string) { initSetError(info, msg) })
	scan := handleValue(initGetBindData(info)).(*tableScan)
	name = scan.tf.name
	state := &scanState{rows: scan.rows}
	if scan.call != nil {
		rows, err := scan.tf.run(scan.call)
		if err != nil {
			initSetError(info, err.Error())
			return
		}
		state.rows = rows
	}
	initSetInitData(info, newCHandle(state), deleteCallback)
}

//export dense_table_exec
func dense_table_exec(infoPtr, outPtr unsafe.Pointer) {
	info := functionInfo{infoPtr}
	out := dataChunk{outPtr}
	name := "dense"
	defer recoverInto(&name, func(msg string) { functionSetError(info, msg) })
	scan := handleValue(functionGetBindData(info)).(*tableScan)
	name = scan.tf.name
	state := handleValue(functionGetInitData(info)).(*scanState) // one thread per scan: table functions are not parallel by default
	n := min(len(state.rows)-state.next, vectorSize())
	rows := state.rows[state.next : state.next+n]
	for i, c := range scan.tf.columns {
		writeColumn(chunkVector(out, i), c.kind, rows, i)
	}
	state.next += n
	chunkSetSize(out, n)
}

// writeColumn writes column i of rows into v.
func writeColumn(v vector, kind columnKind, rows [][]any, i int) {
	n := len(rows)
	null := make([]bool, n)
	data := vectorData(v)
	switch kind {
	case colVarcharList, colMetrics:
		writeListColumn(v, kind, rows, i, null)
		setValidity(v, null)
		return
	}
	for r, row := range rows {
		x := row[i]
		if x == nil {
			null[r] = true
			continue
		}
		switch kind {
		case colInteger:
			*(*int32)(unsafe.Add(data, r*4)) = x.(int32)
		case colBigInt:
			*(*int64)(unsafe.Add(data, r*8)) = x.(int64)
		case colDouble:
			*(*float64)(unsafe.Add(data, r*8)) = x.(float64)
		case colTimestampTZ: // microseconds since the epoch
			*(*int64)(unsafe.Add(data, r*8)) = x.(time.Time).UnixMicro()
		case colVarchar:
			assignString(v, r, x.(string))
		}
	}
	setValidity(v, null)
}

// writeListColumn writes LIST(VARCHAR) or MAP(VARCHAR, DOUBLE) values: list
// entries (offset, length) into a child vector, which for a MAP is a STRUCT
// of a key and a value vector.
func writeListColumn(v vector, kind columnKind, rows [][]any, i int, null []bool) {
	entries := unsafe.Slice((*[2]uint64)(vectorData(v)), len(rows))
	base := listVectorSize(v)
	total := base
	for _, row := range rows {
		switch x := row[i].(type) {
		case []string:
			total += len(x)
		case map[string]float64:
			total += len(x)
		}
	}
	listVectorReserve(v, total)
	child := listVectorChild(v)
	at := base
	for r, row := range rows {
		switch x := row[i].(type) {
		case nil:
			null[r] = true
			entries[r] = [2]uint64{uint64(at), 0}
		case []string:
			entries[r] = [2]uint64{uint64(at), uint64(len(x))}
			for _, s := range x {
				assignString(child, at, s)
				at++
			}
		case map[string]float64:
			entries[r] = [2]uint64{uint64(at), uint64(len(x))}
			keys, vals := structVectorChild(child, 0), structVectorChild(child, 1)
			valData := vectorData(vals)
			for _, k := range slices.Sorted(maps.Keys(x)) {
				assignString(keys, at, k)
				*(*float64)(unsafe.Add(valData, at*8)) = x[k]
				at++
			}
		}
	}
	listVectorSetSize(v, total)
}

// registerTables registers dense_models, dense_layers, dense_inputs and dense_params.
func registerTables(conn connection, m *models) error {
	for _, tf := range []*tableFunc{modelsTable(m), layersTable(m), inputsTable(m), paramsTable(m), importanceTable(m),
		evaluateTable(m), confusionTable(m), trainTable(m)} {
		if err := registerTable(conn, tf); err != nil {
			return err
		}
	}
	return nil
}

// dense_models(): one row per model version, from the source's summaries
// (no model file is read). A source that knows damaged versions (a
// registry's) lists them too, with the reason in status and NULL where the
// entry could not be read; folder is the folder the source reads (NULL for
// an in-memory source); aliases are the aliases pointing to the version
// (see registry's doc), an empty list when none.
func modelsTable(m *models) *tableFunc {
	return &tableFunc{
		name: "dense_models", models: m,
		columns: []tableColumn{
			{"name", colVarchar}, {"version", colInteger}, {"task", colVarchar}, {"inputs", colVarcharList},
			{"labels", colVarcharList}, {"params", colBigInt}, {"created", colTimestampTZ}, {"metrics", colMetrics},
			{"path", colVarchar}, {"sha256", colVarchar}, {"status", colVarchar}, {"folder", colVarchar},
			{"aliases", colVarcharList},
		},
		rows: modelRows,
	}
}

func modelRows(src ModelSource, _ map[string]any) ([][]any, error) {
	var entries []registry.Entry
	var damaged []registry.Damaged
	var err error
	if all, ok := src.(interface {
		listAll() ([]registry.Entry, []registry.Damaged, error)
	}); ok {
		entries, damaged, err = all.listAll()
	} else {
		entries, err = src.List()
	}
	if err != nil {
		return nil, fmt.Errorf("dense_models: %w", err)
	}
	var folder any
	if d, ok := src.(interface{ Dir() string }); ok && d.Dir() != "" {
		folder = d.Dir()
	}
	status := map[string]string{}
	for _, d := range damaged {
		entries = append(entries, registry.Entry{Name: d.Name, Version: d.Version})
		status[d.Ref()] = strings.TrimPrefix(d.Err.Error(), "registry: ")
	}
	sortEntries(entries)
	rows := make([][]any, len(entries))
	for i, e := range entries {
		if why, bad := status[e.Ref()]; bad {
			rows[i] = []any{e.Name, int32(e.Version), nil, nil, nil, nil, nil, nil, nil, nil, why, folder, nil}
			continue
		}
		aliases := e.Aliases
		if aliases == nil {
			aliases = []string{}
		}
		rows[i] = append(modelRow(e), "ok", folder, aliases)
	}
	return rows, nil
}

func modelRow(e registry.Entry) []any {
	orNull := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	var created any
	if !e.Created.IsZero() {
		created = e.Created
	}
	inputs, labels, metrics := e.Inputs, e.Labels, e.Metrics
	if inputs == nil {
		inputs = []string{}
	}
	if labels == nil {
		labels = []string{}
	}
	if metrics == nil {
		metrics = map[string]float64{}
	}
	return []any{e.Name, int32(e.Version), orNull(e.Task), inputs, labels, int64(e.Params), created, metrics,
		orNull(e.Path), orNull(e.SHA256)}
}

// dense_layers(model): one row per layer of the model.
func layersTable(m *models) *tableFunc {
	return &tableFunc{
		name: "dense_layers", models: m,
		params: []tableParam{{name: "model", typ: paramVarchar, hint: "name a model such as 'churn' or 'churn@3'"}},
		columns: []tableColumn{
			{"layer", colInteger}, {"type", colVarchar}, {"input_units", colInteger}, {"output_units", colInteger},
			{"activation", colVarchar}, {"weights", colBigInt}, {"biases", colBigInt}, {"params", colBigInt},
		},
		rows: func(src ModelSource, args map[string]any) ([][]any, error) {
			model, _, err := loadModel(src, args["model"].(string))
			if err != nil {
				return nil, fmt.Errorf("dense_layers: %w", err)
			}
			return layerRows(model.Spec()), nil
		},
	}
}

// dense_inputs(model): the feature contract, one row per model input in
// the model's order: its name, kind, the SQL type it was fitted from (NULL
// for a model written before dense recorded it), what a STRUCT field or
// argument feeding it may be, and its vector length (NULL otherwise).
func inputsTable(m *models) *tableFunc {
	return &tableFunc{
		name: "dense_inputs", models: m,
		params: []tableParam{{name: "model", typ: paramVarchar, hint: "name a model such as 'churn' or 'churn@3'"}},
		columns: []tableColumn{
			{"input", colInteger}, {"name", colVarchar}, {"kind", colVarchar}, {"source", colVarchar},
			{"accepts", colVarchar}, {"length", colInteger},
		},
		rows: func(src ModelSource, args map[string]any) ([][]any, error) {
			model, _, err := loadModel(src, args["model"].(string))
			if err != nil {
				return nil, fmt.Errorf("dense_inputs: %w", err)
			}
			spec := model.Spec()
			rows := make([][]any, len(spec.Inputs))
			for i := range spec.Inputs {
				in := &spec.Inputs[i]
				source, length := any(nil), any(nil)
				if in.Source != "" {
					source = in.Source
				}
				if in.Kind == nn.KindVector {
					length = int32(in.Length)
				}
				rows[i] = []any{int32(i + 1), in.Name, in.Kind, source, accepts(in), length}
			}
			return rows, nil
		},
	}
}

// layerRows counts each layer's parameters the way Keras does: a dense
// layer has inputs×units weights and units biases; batch norm has gamma
// (weights) and beta (biases), and its running mean and variance count
// towards params too; dropout has none.
func layerRows(spec *nn.Spec) [][]any {
	var rows [][]any
	width := spec.InputWidth()
	for i, l := range spec.Layers {
		in := width
		var weights, biases, params int64
		activation := any(nil)
		switch l.Type {
		case nn.LayerDense:
			width = l.Units
			weights = int64(in) * int64(l.Units)
			if l.Bias {
				biases = int64(l.Units)
			}
			params = weights + biases
			activation = string(l.Activation)
		case nn.LayerBatchNorm:
			weights, biases, params = int64(in), int64(in), 4*int64(in)
		}
		rows = append(rows, []any{int32(i + 1), l.Type, int32(in), int32(width), activation, weights, biases, params})
	}
	return rows
}

// dense_params(inputs, units, bias := true): the parameter count of a
// stack of dense layers, with nn.ParamTable.
func paramsTable(m *models) *tableFunc {
	return &tableFunc{
		name: "dense_params", models: m,
		params: []tableParam{
			{name: "inputs", typ: paramBigInt, hint: "give the number of input features"},
			{name: "units", typ: paramBigIntList, hint: "give the layer widths as a list such as [128, 10]"},
			{name: "bias", typ: paramBoolean, named: true, hint: "give true or false (default true)"},
		},
		columns: []tableColumn{
			{"layer", colInteger}, {"inputs", colBigInt}, {"units", colBigInt}, {"weights", colBigInt},
			{"biases", colBigInt}, {"total", colBigInt}, {"mb", colDouble},
		},
		rows: func(_ ModelSource, args map[string]any) ([][]any, error) {
			units := args["units"].([]int64)
			widths := make([]int, len(units))
			for i, u := range units {
				widths[i] = int(u)
			}
			bias := true
			if b, ok := args["bias"]; ok {
				bias = b.(bool)
			}
			report, err := nn.ParamTable(int(args["inputs"].(int64)), widths, bias)
			var pe *nn.ParamsError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("dense_params: %w", pe)
			} else if err != nil {
				return nil, fmt.Errorf("dense_params: %w", err)
			}
			rows := make([][]any, len(report.Rows))
			for i, r := range report.Rows {
				rows[i] = []any{int32(r.Layer), int64(r.Inputs), int64(r.Units), int64(r.Weights),
					int64(r.Biases), int64(r.Params), r.MB}
			}
			return rows, nil
		},
	}
}
