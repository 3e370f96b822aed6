package udf

import "errors"

// The functions a registration adds, in both hosts.

// registerAll registers the dense functions on conn, finding models
// through m.
func registerAll(conn connection, m *models) error {
	for _, fn := range []*function{
		{name: "dense_predict", kind: kindPredict, models: m},
		{name: "dense_predict_label", kind: kindLabel, models: m},
		{name: "dense_predict_proba", kind: kindProba, models: m},
		{name: "dense_predict_all", kind: kindAll, models: m},
		{name: "dense_explain", kind: kindExplain, models: m},
	} {
		if err := registerScalar(conn, fn); err != nil {
			return err
		}
	}
	return registerTables(conn, m)
}

// ErrRegistered is returned by Register for a database that has the dense
// functions already.
var ErrRegistered = errors.New("udf: the dense functions are already registered on this database")

// registerScalar registers fn as name(VARCHAR model, ANY…): the feature
// arguments are variadic and of any type, and the bind callback sorts them
// out. Special NULL handling keeps DuckDB from short-cutting NULL inputs to
// NULL outputs: a model may impute a missing feature.
func registerScalar(conn connection, fn *function) error {
	f := createScalarFunction()
	defer destroyScalarFunction(&f)
	scalarFunctionSetName(f, fn.name)

	model := newLogicalType(typeVarchar)
	scalarFunctionAddParameter(f, model)
	destroyLogicalType(&model)
	anyType := newLogicalType(typeAny)
	scalarFunctionSetVarargs(f, anyType)
	destroyLogicalType(&anyType)

	var ret logicalType
	switch fn.kind {
	case kindPredict:
		ret = newLogicalType(typeDouble)
	case kindLabel:
		ret = newLogicalType(typeVarchar)
	case kindProba:
		elem := newLogicalType(typeFloat)
		ret = newListType(elem)
		destroyLogicalType(&elem)
	case kindAll:
		elem := newLogicalType(typeFloat)
		fields := []logicalType{newLogicalType(typeVarchar), newLogicalType(typeDouble), newListType(elem), newLogicalType(typeDouble)}
		ret = newStructType([]string{"label", "probability", "probabilities", "prediction"}, fields)
		destroyLogicalType(&elem)
		for i := range fields {
			destroyLogicalType(&fields[i])
		}
	case kindExplain:
		ret = explainReturnType()
	}
	scalarFunctionSetReturnType(f, ret)
	destroyLogicalType(&ret)

	scalarFunctionSetSpecialHandling(f)
	scalarFunctionSetCallbacks(f, bindCallback, execCallback)
	scalarFunctionSetExtraInfo(f, newCHandle(fn), deleteCallback)
	if !registerScalarFunction(conn, f) {
		return errors.New("udf: registering " + fn.name + " failed (is it registered on this database already?)")
	}
	return nil
}
