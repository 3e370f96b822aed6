package udf

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/dense-ml/dense/nn"
	duckdb "github.com/duckdb/duckdb-go/v2"
)

// The table functions return a handful of rows, so they use duckdb-go's
// public row-at-a-time table UDFs: no need for the vector-level machinery.

func registerTables(c *sql.Conn, models ModelSource) error {
	if err := duckdb.RegisterTableUDF(c, "dense_models", modelsFunction(models)); err != nil {
		return fmt.Errorf("udf: registering dense_models: %w", err)
	}
	if err := duckdb.RegisterTableUDF(c, "dense_layers", layersFunction(models)); err != nil {
		return fmt.Errorf("udf: registering dense_layers: %w", err)
	}
	return registerParams(c)
}

func typeInfo(t duckdb.Type) duckdb.TypeInfo {
	info, err := duckdb.NewTypeInfo(t)
	if err != nil {
		panic(err) // only called with fixed primitive types
	}
	return info
}

func listInfo(t duckdb.Type) duckdb.TypeInfo {
	info, err := duckdb.NewListInfo(typeInfo(t))
	if err != nil {
		panic(err)
	}
	return info
}

// rowsTable is a RowTableSource over rows computed at bind time.
type rowsTable struct {
	columns []duckdb.ColumnInfo
	rows    [][]any
	next    int
}

func (t *rowsTable) ColumnInfos() []duckdb.ColumnInfo { return t.columns }
func (t *rowsTable) Cardinality() *duckdb.CardinalityInfo {
	return &duckdb.CardinalityInfo{Cardinality: uint(len(t.rows)), Exact: true}
}
func (t *rowsTable) Init() {}
func (t *rowsTable) FillRow(row duckdb.Row) (bool, error) {
	if t.next >= len(t.rows) {
		return false, nil
	}
	for i, v := range t.rows[t.next] {
		if !row.IsProjected(i) {
			continue
		}
		if err := row.SetRowValue(i, v); err != nil {
			return false, fmt.Errorf("udf: column %s: %w", t.columns[i].Name, err)
		}
	}
	t.next++
	return true, nil
}

// dense_models(): one row per model version, from the source's summaries
// (no model file is read).
func modelsFunction(models ModelSource) duckdb.RowTableFunction {
	metrics, err := duckdb.NewMapInfo(typeInfo(duckdb.TYPE_VARCHAR), typeInfo(duckdb.TYPE_DOUBLE))
	if err != nil {
		panic(err)
	}
	cols := []duckdb.ColumnInfo{
		{Name: "name", T: typeInfo(duckdb.TYPE_VARCHAR)},
		{Name: "version", T: typeInfo(duckdb.TYPE_INTEGER)},
		{Name: "task", T: typeInfo(duckdb.TYPE_VARCHAR)},
		{Name: "inputs", T: listInfo(duckdb.TYPE_VARCHAR)},
		{Name: "labels", T: listInfo(duckdb.TYPE_VARCHAR)},
		{Name: "params", T: typeInfo(duckdb.TYPE_BIGINT)},
		{Name: "created", T: typeInfo(duckdb.TYPE_TIMESTAMP_TZ)},
		{Name: "metrics", T: metrics},
		{Name: "path", T: typeInfo(duckdb.TYPE_VARCHAR)},
		{Name: "sha256", T: typeInfo(duckdb.TYPE_VARCHAR)},
	}
	return duckdb.RowTableFunction{
		BindArguments: func(map[string]any, ...any) (duckdb.RowTableSource, error) {
			infos, err := models.List()
			if err != nil {
				return nil, fmt.Errorf("dense_models: %w", err)
			}
			sortInfos(infos)
			t := &rowsTable{columns: cols}
			for _, in := range infos {
				t.rows = append(t.rows, modelRow(in))
			}
			return t, nil
		},
	}
}

func modelRow(in ModelInfo) []any {
	orNull := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	var created any
	if !in.Created.IsZero() {
		created = in.Created
	}
	inputs, labels := in.Inputs, in.Labels
	if inputs == nil {
		inputs = []string{}
	}
	if labels == nil {
		labels = []string{}
	}
	metrics := duckdb.OrderedMap{}
	keys := make([]string, 0, len(in.Metrics))
	for k := range in.Metrics {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		metrics.Set(k, in.Metrics[k])
	}
	return []any{in.Name, int32(in.Version), orNull(in.Task), inputs, labels, int64(in.Params), created, metrics,
		orNull(in.Path), orNull(in.SHA256)}
}

// dense_layers(model): one row per layer of the model.
func layersFunction(models ModelSource) duckdb.RowTableFunction {
	cols := []duckdb.ColumnInfo{
		{Name: "layer", T: typeInfo(duckdb.TYPE_INTEGER)},
		{Name: "type", T: typeInfo(duckdb.TYPE_VARCHAR)},
		{Name: "input_units", T: typeInfo(duckdb.TYPE_INTEGER)},
		{Name: "output_units", T: typeInfo(duckdb.TYPE_INTEGER)},
		{Name: "activation", T: typeInfo(duckdb.TYPE_VARCHAR)},
		{Name: "weights", T: typeInfo(duckdb.TYPE_BIGINT)},
		{Name: "biases", T: typeInfo(duckdb.TYPE_BIGINT)},
		{Name: "params", T: typeInfo(duckdb.TYPE_BIGINT)},
	}
	return duckdb.RowTableFunction{
		Config: duckdb.TableFunctionConfig{Arguments: []duckdb.TypeInfo{typeInfo(duckdb.TYPE_VARCHAR)}},
		BindArguments: func(_ map[string]any, args ...any) (duckdb.RowTableSource, error) {
			ref, ok := args[0].(string)
			if !ok {
				return nil, errors.New("dense_layers: the model argument is NULL; name a model such as 'churn' or 'churn@3'")
			}
			m, _, err := loadModel(models, ref)
			if err != nil {
				return nil, fmt.Errorf("dense_layers: %w", err)
			}
			return &rowsTable{columns: cols, rows: layerRows(m.Spec())}, nil
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
