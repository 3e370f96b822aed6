package udf

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
)

// What a scalar function returns.
type funcKind int

const (
	kindPredict funcKind = iota // DOUBLE
	kindLabel                   // VARCHAR
	kindProba                   // FLOAT[]
	kindAll                     // STRUCT(label, probability, probabilities, prediction)
	kindExplain                 // LIST(STRUCT(input, value, attribution)), explain.go
)

// function is one registered scalar function; it is the C function's extra
// info, alive as long as the database.
type function struct {
	name   string
	kind   funcKind
	models *models
}

// How the feature arguments map onto the model's inputs.
type form int

const (
	formColumns form = iota // one argument per input, in the model's input order
	formList                // one LIST/ARRAY of numbers holding every input's values in order
	formStruct              // one STRUCT whose fields are matched to the inputs by name
)

// plan is a bound call: the model resolved once for the query, and for each
// model input where its values come from. It is immutable after bind and
// shared by every thread that runs the query; per-call scratch memory comes
// from scratch.
type plan struct {
	fn      *function
	call    string // how errors name the call, dense_predict(churn@3): formatted once at bind, not per chunk
	info    registry.Entry
	model   *nn.Model
	enc     *nn.Encoder
	inW     int
	outW    int
	binary  bool
	labels  []string
	spec    *nn.Spec   // the model's, for Classify
	args    []*colType // the feature arguments (chunk columns 1…)
	form    form
	listLen int // formList: elements per list
	feeds   []feed
	fast    *encoding // the folded model's (exec.go)
	exact   *encoding // the model's own
	scratch sync.Pool

	explainer *nn.Explainer // dense_explain

	unresolved bool // bound while preparing a statement, with ? parameters of unknown type
}

// feed says where model input `input` gets its values.
type feed struct {
	input  int
	kind   string // nn.KindNumeric, KindVector, KindCategorical or KindDate
	name   string
	length int  // vector: elements
	arg    int  // formColumns: feature argument index
	field  int  // formStruct: STRUCT field index
	pos    int  // formList: position of the input's first element in the list
	codes  bool // categorical fitted from integers, fed text: parse the codes (dates.go)

	// categorical: the codes of NULL and of an ENUM source's values, or why
	// they cannot be encoded (compileCategories).
	nullCode  nn.CategoryCode
	nullErr   error
	enumCodes []nn.CategoryCode
	enumErrs  []error
}

// bindPlan resolves the model and checks the feature arguments' types.
func bindPlan(fn *function, src ModelSource, ref string, args []*colType) (*plan, error) {
	model, info, err := loadModel(src, ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.name, err)
	}
	spec := model.Spec()
	enc, err := nn.NewEncoder(spec.Inputs)
	if err != nil {
		return nil, fmt.Errorf("%s: model %s: %w", fn.name, info.Ref(), err)
	}
	p := &plan{
		fn: fn, call: fmt.Sprintf("%s(%s)", fn.name, info.Ref()), info: info, model: model, enc: enc,
		inW: model.InputWidth(), outW: model.OutputWidth(),
		binary: spec.Task == nn.TaskBinary, spec: spec, args: args,
	}
	if p.inW != enc.Width() {
		return nil, fmt.Errorf("%s: model's input width %d does not match its inputs' encoded width %d", p.call, p.inW, enc.Width())
	}
	if err := p.checkTask(spec); err != nil {
		return nil, err
	}
	if err := p.bindFeatures(spec.Inputs); err != nil {
		return nil, err
	}
	if err := p.compile(); err != nil {
		return nil, err
	}
	if fn.kind == kindExplain {
		if err := p.bindExplain(); err != nil {
			return nil, err
		}
	}
	p.scratch.New = func() any { return &scratch{ws: model.NewWorkspace()} }
	return p, nil
}

// checkTask checks that the function fits the model and fixes the labels.
func (p *plan) checkTask(spec *nn.Spec) error {
	switch spec.Task {
	case nn.TaskMulticlass:
		if p.fn.kind == kindPredict {
			return fmt.Errorf("%s: the model is a multiclass classifier (%d classes) and dense_predict returns one number; "+
				"use dense_predict_label for the class or dense_predict_proba for the class probabilities", p.call, p.outW)
		}
	case nn.TaskBinary:
	default: // regression
		if p.fn.kind == kindAll && p.outW != 1 {
			return fmt.Errorf("%s: the model has %d outputs and dense_predict_all's prediction is one number; use dense_predict_proba for the whole output vector", p.call, p.outW)
		}
		if p.fn.kind == kindLabel {
			return fmt.Errorf("%s: the model is a regression model and has no class labels; use dense_predict (or dense_predict_proba for several outputs)", p.call)
		}
		if p.fn.kind == kindPredict && p.outW != 1 {
			return fmt.Errorf("%s: the model has %d outputs and dense_predict returns one number; use dense_predict_proba for the whole output vector", p.call, p.outW)
		}
	}
	if p.fn.kind == kindLabel || p.fn.kind == kindAll && spec.Task != nn.TaskRegression {
		p.labels = spec.ClassLabels() // nn's rule: the spec's labels, else "0", "1", …
	}
	return nil
}

func inputNames(inputs []nn.Input) string {
	names := make([]string, len(inputs))
	for i := range inputs {
		names[i] = inputs[i].Name
	}
	return strings.Join(names, ", ")
}

// bindFeatures picks the feature form from the argument types and maps every
// model input to its source.
func (p *plan) bindFeatures(inputs []nn.Input) error {
	args := p.args
	if len(args) == 0 {
		return fmt.Errorf("%s: no features given; the model takes %d inputs (%s)", p.call, len(inputs), inputNames(inputs))
	}
	p.feeds = make([]feed, len(inputs))
	for i := range inputs {
		in := &inputs[i]
		p.feeds[i] = feed{input: i, kind: in.Kind, name: in.Name, length: 1, field: -1}
		if in.Kind == nn.KindVector {
			p.feeds[i].length = in.Length
		}
	}
	switch {
	case len(args) == 1 && args[0].id == typeStruct:
		return p.bindStruct(inputs, args[0])
	case len(args) == 1 && args[0].listOfNumbers():
		return p.bindList(inputs, args[0])
	}
	if len(args) != len(inputs) {
		return fmt.Errorf("%s: wrong feature count: expected %d feature arguments (%s), got %d; "+
			"pass one value per input in this order, one LIST of numbers, or one STRUCT with these fields",
			p.call, len(inputs), inputNames(inputs), len(args))
	}
	p.form = formColumns
	for i := range p.feeds {
		p.feeds[i].arg = i
		if err := p.checkType(&p.feeds[i], args[i], fmt.Sprintf("argument %d", i+2)); err != nil {
			return err
		}
	}
	return nil
}

func (p *plan) bindList(inputs []nn.Input, t *colType) error {
	p.form = formList
	for i := range p.feeds {
		f := &p.feeds[i]
		if f.kind == nn.KindCategorical {
			what := "VARCHAR" // a LIST of numbers cannot carry its categories, not even integer codes
			if text, known := inputs[f.input].TextSource(); known && !text {
				what = "fitted from " + inputs[f.input].Source
			}
			return fmt.Errorf("%s: input %q is categorical (%s) and cannot be part of a LIST of numbers; "+
				"pass the features as separate arguments or as a STRUCT", p.call, f.name, what)
		}
		if f.kind == nn.KindDate {
			return fmt.Errorf("%s: input %q is a date and cannot be part of a LIST of numbers; "+
				"pass the features as separate arguments or as a STRUCT", p.call, f.name)
		}
		f.pos = p.listLen
		p.listLen += f.length
	}
	if t.id == typeArray && t.size != p.listLen {
		return fmt.Errorf("%s: wrong feature count: expected %d features (%s), got %s",
			p.call, p.listLen, inputNames(inputs), t.name)
	}
	return nil
}

func (p *plan) bindStruct(inputs []nn.Input, t *colType) error {
	p.form = formStruct
	if err := p.matchFields(t); err != nil {
		return err
	}
	var missing []string
	for i := range p.feeds {
		f := &p.feeds[i]
		if f.field < 0 {
			missing = append(missing, f.name)
			continue
		}
		fld := t.fields[f.field]
		if err := p.checkType(f, fld.typ, fmt.Sprintf("STRUCT field %q", fld.name)); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: the STRUCT is missing field(s) %s needed by the model (it has: %s)",
			p.call, strings.Join(missing, ", "), fieldNames(t.fields))
	}
	return nil
}

func fieldNames(fields []colField) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

// matchFields sets each feed's STRUCT field, by these rules (a wrong match
// would score silently wrong, so every doubt is an error):
//   - a field whose name equals the input's name feeds it;
//   - otherwise the field whose name equals it ignoring case (SQL identifiers
//     ignore case), only if it is the one such field and no other input takes
//     that field, exactly or ignoring case;
//   - every field feeds at most one input.
//
// An input with no field is left at -1 (reported as missing by the caller).
func (p *plan) matchFields(t *colType) error {
	owner := make([]int, len(t.fields)) // field → input + 1 that takes it exactly
	for i := range p.feeds {
		for j, fld := range t.fields {
			if fld.name == p.feeds[i].name {
				p.feeds[i].field = j
				owner[j] = i + 1
				break
			}
		}
	}
	folded := make([]int, len(t.fields)) // field → input + 1 that takes it ignoring case
	for i := range p.feeds {
		f := &p.feeds[i]
		if f.field >= 0 {
			continue
		}
		var cands []int
		for j, fld := range t.fields {
			if strings.EqualFold(fld.name, f.name) {
				cands = append(cands, j)
			}
		}
		switch {
		case len(cands) == 0:
			continue
		case len(cands) > 1:
			names := make([]string, len(cands))
			for k, j := range cands {
				names[k] = strconv.Quote(t.fields[j].name)
			}
			return fmt.Errorf("%s: input %q has no STRUCT field of that exact name and matches several ignoring case (%s); "+
				"name the field exactly %q", p.call, f.name, strings.Join(names, ", "), f.name)
		}
		j := cands[0]
		fld := t.fields[j]
		if o := owner[j]; o > 0 {
			return fmt.Errorf("%s: input %q has no STRUCT field of that exact name; field %q matches it only ignoring case "+
				"and already feeds input %q (names that differ only in case are ambiguous in SQL); "+
				"give input %q its own field named exactly %q, e.g. {%q: …, %q: …}",
				p.call, f.name, fld.name, p.feeds[o-1].name, f.name, f.name, p.feeds[o-1].name, f.name)
		}
		if o := folded[j]; o > 0 {
			return fmt.Errorf("%s: STRUCT field %q matches both input %q and input %q ignoring case; "+
				"name the fields exactly %q and %q", p.call, fld.name, p.feeds[o-1].name, f.name, p.feeds[o-1].name, f.name)
		}
		f.field = j
		folded[j] = i + 1
	}
	return nil
}

// checkType checks that a value of type t can feed input f.
func (p *plan) checkType(f *feed, t *colType, what string) error {
	ok := false
	want := ""
	switch f.kind {
	case nn.KindNumeric:
		ok, want = t.numeric(), accepts(&p.spec.Inputs[f.input])
	case nn.KindCategorical:
		ok, want = t.id == typeVarchar || t.id == typeEnum || t.id == typeSQLNull, accepts(&p.spec.Inputs[f.input])
		if text, known := p.spec.Inputs[f.input].TextSource(); known && !text {
			// Fitted from integers or booleans: the categories are their text.
			ok = t.integer() || t.id == typeSQLNull
			if p.spec.Inputs[f.input].IntegerSource() && (t.id == typeVarchar || t.id == typeEnum) {
				ok, f.codes = true, true // text holding the integer codes (dates.go)
			}
		}
	case nn.KindDate:
		ok, want = checkDateType(t), accepts(&p.spec.Inputs[f.input])
	case nn.KindVector:
		ok, want = t.listOfNumbers() || t.id == typeSQLNull, accepts(&p.spec.Inputs[f.input])
		if ok && t.id == typeArray && t.size != f.length {
			return fmt.Errorf("%s: wrong feature count for input %q: expected %d elements, got %s", p.call, f.name, f.length, t.name)
		}
	}
	in := &p.spec.Inputs[f.input]
	fitted := ""
	if in.Source != "" {
		fitted = ", fitted from " + in.Source
	}
	// The feature contract: text for an input fitted from booleans would make
	// otherwise spelled values ('TRUE', 't') unknown categories. (Text for
	// one fitted from integers is read as the integer it holds: f.codes.)
	if text, known := in.TextSource(); known && !text && !f.codes && (t.id == typeVarchar || t.id == typeEnum) {
		return fmt.Errorf("%s: wrong type: %s for input %q (categorical, fitted from %s values: the categories are their text) is %s; "+
			"text such as 'TRUE' would not match the category true; pass the value, e.g. %s::%s",
			p.call, what, f.name, in.Source, t.name, quoteIdent(f.name), in.Source)
	}
	if !ok {
		return fmt.Errorf("%s: wrong type: %s for input %q (%s%s) is %s; want %s", p.call, what, f.name, f.kind, fitted, t.name, want)
	}
	return nil
}

// accepts says which SQL types can feed input in (error messages and
// dense_inputs).
func accepts(in *nn.Input) string {
	switch in.Kind {
	case nn.KindNumeric:
		return "a number (INTEGER, BIGINT, FLOAT, DOUBLE, DECIMAL …)"
	case nn.KindVector:
		return fmt.Sprintf("a LIST or ARRAY of %d numbers", in.Length)
	case nn.KindDate:
		return acceptsDate
	}
	if in.IntegerSource() {
		return in.Source + ", another integer type, or VARCHAR holding the integer code"
	}
	if text, known := in.TextSource(); known && !text {
		return in.Source + " or another integer type"
	}
	return "VARCHAR or ENUM (cast other types with ::VARCHAR)"
}

// quoteIdent quotes a SQL identifier when it needs it, for error hints.
func quoteIdent(s string) string {
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
	}
	return s
}
