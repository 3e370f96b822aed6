package tabular

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/nn"
)

// Task names TargetFit.Resolve accepts: auto (detect the task from the
// target), or one of nn.Tasks.
const (
	TaskAuto       = "auto"
	TaskRegression = string(nn.TaskRegression)
	TaskBinary     = string(nn.TaskBinary)
	TaskMulticlass = string(nn.TaskMulticlass)
)

// ValidTask checks a task name for Resolve: auto or an nn.Task.
func ValidTask(task string) error {
	if task == TaskAuto {
		return nil
	}
	if _, err := nn.ParseTask(task); err != nil {
		return fmt.Errorf("unknown task %q (want %s, %s)", task, TaskAuto, nn.List(nn.Tasks()))
	}
	return nil
}

// MaxAutoClasses is the most distinct values an integer target may have for
// Resolve's note suggesting classification: task "auto" trains an integer
// target with more than two values as regression, and with 3 to
// MaxAutoClasses values it says so (Targets.Note).
const MaxAutoClasses = 20

// maxClasses bounds the classes of a string target under task "auto", to
// catch an ID column picked as the target by mistake.
const maxClasses = 1000

// positiveNames are the labels taken as the positive class of a binary
// string target when one of the two labels is among them (compared
// case-blind). Numeric and bool targets take the larger value.
var positiveNames = []string{"1", "true", "yes", "y", "t", "positive", "pos"}

// TargetFit collects a target column during training's streaming pass
// (Observe each batch), then decides the task and encodes it (Resolve).
type TargetFit struct {
	name    string
	typ     arrow.DataType
	kind    int
	nums    []float64
	strs    []string
	isInt   bool
	isBool  bool
	numbers map[float64]bool // distinct numbers, up to MaxAutoClasses+1
}

func NewTargetFit(schema *arrow.Schema, name string) (*TargetFit, error) {
	idx := schema.FieldIndices(name)
	if len(idx) == 0 {
		return nil, fmt.Errorf("target %q: no such column (columns: %s)", name, ColumnList(schema))
	}
	typ := schema.Field(idx[0]).Type
	t := &TargetFit{name: name, typ: typ, kind: columnKind(typ), isInt: isIntegerType(typ),
		isBool: typ.ID() == arrow.BOOL, numbers: map[float64]bool{}}
	if t.kind != colNumeric && t.kind != colString {
		return nil, fmt.Errorf("target %q: column type %s can't be a target (numbers, bools and strings can)", name, typ)
	}
	return t, nil
}

// Observe appends a batch's targets; offset is the row number of its
// first row, for errors. A missing target is an error naming the row:
// training drops those rows first (DropNullTargets).
func (t *TargetFit) Observe(b arrow.RecordBatch, offset int64) error {
	col, err := batchColumn(b, t.name)
	if err != nil {
		return err
	}
	n := col.Len()
	if t.kind == colString {
		at, err := CategoryGetter(col)
		if err != nil {
			return fmt.Errorf("target %q: %w", t.name, err)
		}
		for i := range n {
			s, ok := at(i)
			if !ok {
				return fmt.Errorf("target %q is NULL at row %d; drop or fill those rows first", t.name, offset+int64(i))
			}
			t.strs = append(t.strs, s)
		}
		return nil
	}
	at, err := NumberGetter(col)
	if err != nil {
		return fmt.Errorf("target %q: %w", t.name, err)
	}
	for i := range n {
		v, ok := at(i)
		if !ok || math.IsNaN(v) {
			return fmt.Errorf("target %q is NULL or NaN at row %d; drop or fill those rows first", t.name, offset+int64(i))
		}
		if math.IsInf(v, 0) {
			return fmt.Errorf("target %q is %v at row %d", t.name, v, offset+int64(i))
		}
		t.nums = append(t.nums, v)
		if len(t.numbers) <= MaxAutoClasses {
			t.numbers[v] = true
		}
	}
	return nil
}

// Targets is the outcome of task detection: the task, the labels and the
// encoded target of every row observed.
type Targets struct {
	Task    nn.Task
	Labels  []string  // classification: label of each class index
	Y       []float32 // regression: value; classification: class index
	Classes []int     // classification: class index per row (nil for regression)
	// Note is a remark for the user about the detected task ("" if none):
	// an integer target with few distinct values trained as regression.
	Note string
}

// BalancedWeights returns scikit-learn's "balanced" class weights over the
// rows rows (indices into Classes): n / (classes × count of the class), so
// every class carries the same total weight. A class with no row among them
// weighs 0. It returns nil for a regression target.
func (t *Targets) BalancedWeights(rows []int) []float64 {
	if t.Classes == nil {
		return nil
	}
	counts := make([]int, len(t.Labels))
	for _, r := range rows {
		counts[t.Classes[r]]++
	}
	w := make([]float64, len(counts))
	for c, n := range counts {
		if n > 0 {
			w[c] = float64(len(rows)) / (float64(len(counts)) * float64(n))
		}
	}
	return w
}

// Resolve detects the task (when task is auto), builds the label vocabulary
// and encodes the targets. Task auto: bools and integers with two distinct
// values are binary, strings are classes, other numbers are regression (an
// integer target with 3 to MaxAutoClasses values gets a Note saying how to
// classify instead). Labels are sorted (numerically for numeric targets);
// for a binary task Labels[1] is the positive class: positive if given
// (matched like evaluation matches labels, so "yes" names the label "true"
// of a BOOLEAN target); else for a string target the one of the two labels
// named like a positive ("yes", "true", "1", …); else the second in sorted
// order (the larger number, true over false).
func (t *TargetFit) Resolve(task, positive string) (*Targets, error) {
	numeric := t.kind == colNumeric
	note := ""
	if task == "" || task == TaskAuto {
		switch {
		case t.isBool:
			task = TaskBinary
		case numeric && !t.isInt:
			task = TaskRegression
		case numeric && len(t.numbers) > 2:
			task = TaskRegression
			if n := len(t.numbers); n <= MaxAutoClasses {
				note = fmt.Sprintf("target %q: an integer target with %d distinct values is trained as regression; use --task multiclass to classify", t.name, n)
			}
		default:
			task = TaskMulticlass // becomes binary below when there are two classes
		}
		if task == TaskMulticlass {
			if n := t.distinct(); n == 2 {
				task = TaskBinary
			} else if n > maxClasses {
				return nil, fmt.Errorf("target %q has %d distinct values, too many for classification; set the task explicitly", t.name, n)
			}
		}
	}
	switch task {
	case TaskRegression:
		if !numeric {
			return nil, fmt.Errorf("target %q is a %s column; regression needs numbers", t.name, t.typ)
		}
		y := make([]float32, len(t.nums))
		for i, v := range t.nums {
			y[i] = float32(v)
			if y[i]-y[i] != 0 {
				return nil, fmt.Errorf("target %q row %d: %v is outside float32's range (±3.4e38), in which the network computes; rescale the target", t.name, i, v)
			}
		}
		return &Targets{Task: nn.TaskRegression, Y: y, Note: note}, nil
	case TaskBinary, TaskMulticlass:
	default:
		return nil, fmt.Errorf("unknown task %q (want auto, regression, binary or multiclass)", task)
	}

	// Classification: the label of each row as a string.
	if numeric && !t.isInt && !t.isBool {
		for i, v := range t.nums {
			if v != math.Trunc(v) {
				return nil, fmt.Errorf("task %s needs classes, but target %q holds fractional numbers (row %d is %v); for a continuous target use task regression", task, t.name, i, v)
			}
		}
	}
	labelOf := t.strs
	if numeric {
		labelOf = make([]string, len(t.nums))
		for i, v := range t.nums {
			labelOf[i] = formatLabel(v, t.isBool)
		}
	}
	set := map[string]bool{}
	var labels []string
	for _, s := range labelOf {
		if !set[s] {
			set[s] = true
			labels = append(labels, strings.Clone(s)) // t.strs are views of the batches
		}
	}
	if numeric {
		slices.SortFunc(labels, func(a, b string) int {
			x, _ := strconv.ParseFloat(a, 64)
			y, _ := strconv.ParseFloat(b, 64)
			if t.isBool {
				x, y = boolNum(a), boolNum(b)
			}
			return cmp.Compare(x, y)
		})
	} else {
		slices.Sort(labels)
	}
	if len(labels) < 2 {
		return nil, fmt.Errorf("target %q has a single class %q; classification needs at least two", t.name, strings.Join(labels, ""))
	}
	if task == TaskBinary {
		if len(labels) != 2 {
			return nil, fmt.Errorf("task binary needs exactly 2 classes, target %q has %d (%s)", t.name, len(labels), labelSample(labels))
		}
		pos := -1
		if positive != "" {
			var ok bool
			if pos, ok = newLabelIndex(labels).text(positive); !ok {
				return nil, fmt.Errorf("positive label %q is not one of the target's labels (%s)", positive, labelSample(labels))
			}
		} else if !numeric || t.isBool {
			for i, l := range labels {
				if slices.Contains(positiveNames, strings.ToLower(l)) {
					if pos >= 0 { // both look positive: keep the sorted order
						pos = 1
						break
					}
					pos = i
				}
			}
		}
		if pos == 0 {
			labels[0], labels[1] = labels[1], labels[0]
		}
	} else if positive != "" {
		return nil, fmt.Errorf("a positive label is only for binary targets (task is %s)", task)
	}
	index := make(map[string]int, len(labels))
	for i, l := range labels {
		index[l] = i
	}
	r := &Targets{Task: nn.Task(task), Labels: labels, Y: make([]float32, len(labelOf)), Classes: make([]int, len(labelOf))}
	for i, s := range labelOf {
		r.Classes[i] = index[s]
		r.Y[i] = float32(index[s])
	}
	return r, nil
}

func (t *TargetFit) distinct() int {
	if t.kind == colNumeric {
		return len(t.numbers)
	}
	set := map[string]bool{}
	for _, s := range t.strs {
		set[s] = true
		if len(set) > maxClasses {
			break
		}
	}
	return len(set)
}

func (t *TargetFit) rows() int {
	if t.kind == colString {
		return len(t.strs)
	}
	return len(t.nums)
}

// formatLabel is the label of a numeric or bool target value: the one text
// form training stores in Spec.Labels and evaluation matches against.
func formatLabel(v float64, isBool bool) string {
	if isBool {
		return strconv.FormatBool(v != 0)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func boolNum(s string) float64 {
	if s == "true" {
		return 1
	}
	return 0
}

func labelSample(labels []string) string {
	if len(labels) > 5 {
		return strings.Join(labels[:5], ", ") + ", …"
	}
	return strings.Join(labels, ", ")
}

// target is a batch's target column: Numbers for numeric and bool columns
// (bool as 0/1), Strings for string and dictionary columns; the other is nil.
type target struct {
	Name    string
	Numbers []float64
	Strings []string
}

// Len is the number of values.
func (t *target) Len() int { return max(len(t.Numbers), len(t.Strings)) }

// readTarget reads the target column name of batch, for TargetValues.
// A NULL (or NaN) target is an error naming the row; a missing column lists
// the columns there are.
func readTarget(batch arrow.RecordBatch, name string) (*target, error) {
	idx := batch.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil, fmt.Errorf("tabular: target %w %q (columns: %s)", ErrNoColumn, name, ColumnList(batch.Schema()))
	}
	col := batch.Column(idx[0])
	rows := int(batch.NumRows())
	t := &target{Name: name}
	switch {
	case IsNumericType(col.DataType()):
		get, _ := NumberGetter(col)
		t.Numbers = make([]float64, rows)
		for r := range t.Numbers {
			v, ok := get(r)
			if !ok || math.IsNaN(v) {
				return nil, fmt.Errorf("tabular: target column %q row %d: %w", name, r, ErrNullTarget)
			}
			if math.IsInf(v, 0) {
				return nil, fmt.Errorf("tabular: target column %q row %d: value is ±Inf", name, r)
			}
			t.Numbers[r] = v
		}
	case IsTextType(col.DataType()):
		get, _ := CategoryGetter(col)
		t.Strings = make([]string, rows)
		for r := range t.Strings {
			s, ok := get(r)
			if !ok {
				return nil, fmt.Errorf("tabular: target column %q row %d: %w", name, r, ErrNullTarget)
			}
			t.Strings[r] = strings.Clone(s) // Value aliases the batch's memory
		}
	default:
		return nil, fmt.Errorf("tabular: target column %q: %w: %s (want numbers, bools or strings)", name, ErrColumnType, col.DataType())
	}
	return t, nil
}

// ErrNullTarget is wrapped when a target value is NULL or NaN.
var ErrNullTarget = fmt.Errorf("target is NULL")

// TargetValues reads batch's target column name as the y of
// nn.EvaluateOutputs for a model with spec: for a classifier, each value's
// index among spec.ClassLabels; for a regression model, the values. offset
// is the row number of the batch's first row, for errors. A NULL or NaN
// target (Evaluate drops those rows first: DropNullTargets), a label the
// model does not know, strings for a regression model and a regression
// model with several outputs are errors.
//
// Labels are matched by their text first (numbers and bools by the text
// training gave them: "3", "0.5", "true"), then by value where that is
// unambiguous, so that one table read with two type inferences evaluates
// the same: when every label reads as a number (and no two as the same
// one), a number or a text holding one ("3.0", "03") is matched by its
// value; when the model has two labels of which one reads as true and the
// other as false, a bool, a 0/1 or a text in DuckDB's boolean spellings
// (true/false, t/f, yes/no, y/n, 1/0, any case) is matched by its truth. A
// model trained on a CSV's yes/no column (DuckDB reads it as BOOLEAN:
// labels false and true) thus evaluates on a JSON copy where the column is
// text, and the other way round.
func TargetValues(batch arrow.RecordBatch, name string, spec *nn.Spec, offset int) ([]float32, error) {
	t, err := readTarget(batch, name)
	if err != nil {
		return nil, err
	}
	y := make([]float32, t.Len())
	if !spec.Task.Classifier() {
		if t.Numbers == nil {
			return nil, fmt.Errorf("tabular: target column %q holds strings; a regression model needs numbers", name)
		}
		if spec.OutputWidth() != 1 {
			return nil, fmt.Errorf("tabular: the model has %d outputs; evaluation handles one-output regression", spec.OutputWidth())
		}
		for i, v := range t.Numbers {
			y[i] = float32(v)
		}
		return y, nil
	}
	labels := spec.ClassLabels()
	index := newLabelIndex(labels)
	isBool := batch.Schema().Field(batch.Schema().FieldIndices(name)[0]).Type.ID() == arrow.BOOL
	for i := range y {
		var k int
		var ok bool
		var s string
		if t.Strings != nil {
			s = t.Strings[i]
			k, ok = index.text(s)
		} else {
			k, ok = index.number(t.Numbers[i], isBool)
			if !ok {
				s = formatLabel(t.Numbers[i], isBool)
			}
		}
		if !ok {
			return nil, fmt.Errorf("tabular: row %d: target %q is not one of the model's labels (%s)", offset+i, s, strings.Join(labels, ", "))
		}
		y[i] = float32(k)
	}
	return y, nil
}

// labelIndex finds a class label by text, then by value (see TargetValues).
type labelIndex struct {
	exact   map[string]int
	numbers map[float64]int // nil unless every label reads as a distinct number
	bools   map[bool]int    // nil unless two labels read as false and true
}

func newLabelIndex(labels []string) *labelIndex {
	li := &labelIndex{exact: make(map[string]int, len(labels))}
	numbers := map[float64]int{}
	for i, l := range labels {
		li.exact[l] = i
		if v, ok := textNumber(l); ok {
			numbers[v] = i
		}
	}
	if len(numbers) == len(labels) {
		li.numbers = numbers
	}
	if len(labels) == 2 {
		b0, ok0 := textBool(labels[0])
		b1, ok1 := textBool(labels[1])
		if ok0 && ok1 && b0 != b1 {
			li.bools = map[bool]int{b0: 0, b1: 1}
		}
	}
	return li
}

// text finds the class of a text value.
func (li *labelIndex) text(s string) (int, bool) {
	if k, ok := li.exact[s]; ok {
		return k, true
	}
	if v, ok := textNumber(s); ok && li.numbers != nil {
		k, ok := li.numbers[v]
		return k, ok
	}
	if b, ok := textBool(s); ok && li.bools != nil {
		return li.bools[b], true
	}
	return 0, false
}

// number finds the class of a number (a bool as 0/1 when isBool).
func (li *labelIndex) number(v float64, isBool bool) (int, bool) {
	if k, ok := li.exact[formatLabel(v, isBool)]; ok {
		return k, true
	}
	if !isBool && li.numbers != nil {
		if k, ok := li.numbers[v]; ok {
			return k, true
		}
	}
	if li.bools != nil && (v == 0 || v == 1) {
		return li.bools[v == 1], true
	}
	return 0, false
}

// textNumber reads a label or a text value as a finite number.
func textNumber(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// textBool reads a text in one of DuckDB's boolean spellings, any case.
func textBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "yes", "y", "1":
		return true, true
	case "false", "f", "no", "n", "0":
		return false, true
	}
	return false, false
}

// DropNullTargets returns batch without the rows whose column name is NULL
// (or NaN, for a number), and how many rows it left out. Training and
// evaluation call it on every batch before anything else, so such rows
// neither train, nor fit the preprocessing, nor get evaluated: a target
// that is missing is not a label. The result is batch itself, retained,
// when no row goes; the caller releases the result either way.
func DropNullTargets(batch arrow.RecordBatch, name string) (arrow.RecordBatch, int, error) {
	idx := batch.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil, 0, fmt.Errorf("tabular: target %w %q (columns: %s)", ErrNoColumn, name, ColumnList(batch.Schema()))
	}
	col := batch.Column(idx[0])
	n := col.Len()
	var valid func(i int) bool
	switch {
	case IsNumericType(col.DataType()):
		get, _ := NumberGetter(col)
		valid = func(i int) bool { v, ok := get(i); return ok && !math.IsNaN(v) }
	case IsTextType(col.DataType()):
		if col.NullN() == 0 {
			batch.Retain()
			return batch, 0, nil
		}
		valid = col.IsValid
	default:
		return nil, 0, fmt.Errorf("tabular: target column %q: %w: %s (want numbers, bools or strings)", name, ErrColumnType, col.DataType())
	}
	kept, err := KeepRows(batch, valid)
	if err != nil {
		return nil, 0, fmt.Errorf("tabular: dropping NULL targets: %w", err)
	}
	return kept, n - int(kept.NumRows()), nil
}

// KeepRows returns the rows i of batch for which keep(i) is true, in order,
// as one batch of the same schema (possibly of no rows). When every row is
// kept it is batch itself, retained; the caller releases the result either
// way. Runs of kept rows are sliced, and the slices concatenated.
func KeepRows(batch arrow.RecordBatch, keep func(i int) bool) (arrow.RecordBatch, error) {
	n := int(batch.NumRows())
	var runs [][2]int
	kept := 0
	for i := 0; i < n; {
		for i < n && !keep(i) {
			i++
		}
		lo := i
		for i < n && keep(i) {
			i++
		}
		if i > lo {
			runs = append(runs, [2]int{lo, i})
			kept += i - lo
		}
	}
	if kept == n {
		batch.Retain()
		return batch, nil
	}
	cols := make([]arrow.Array, batch.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for c := range cols {
		parts := make([]arrow.Array, 0, max(len(runs), 1))
		if len(runs) == 0 {
			parts = append(parts, array.NewSlice(batch.Column(c), 0, 0))
		}
		for _, r := range runs {
			parts = append(parts, array.NewSlice(batch.Column(c), int64(r[0]), int64(r[1])))
		}
		if len(parts) == 1 {
			cols[c] = parts[0]
			continue
		}
		var err error
		cols[c], err = array.Concatenate(parts, memory.DefaultAllocator)
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			return nil, err
		}
	}
	return array.NewRecordBatch(batch.Schema(), cols, int64(kept)), nil
}
