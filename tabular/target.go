package tabular

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

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
// task "auto" to treat it as classes; with more it is a regression target.
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
// first row, for errors. A missing target is an error naming the row.
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
}

// Resolve detects the task (when task is auto), builds the label vocabulary
// and encodes the targets. Labels are sorted (numerically for numeric
// targets); for a binary task Labels[1] is the positive class: positive if
// given; else for a string target the one of the two labels named like a
// positive ("yes", "true", "1", …); else the second in sorted order (the
// larger number, true over false).
func (t *TargetFit) Resolve(task, positive string) (*Targets, error) {
	numeric := t.kind == colNumeric
	if task == "" || task == TaskAuto {
		switch {
		case t.isBool:
			task = TaskBinary
		case numeric && !t.isInt:
			task = TaskRegression
		case numeric && len(t.numbers) > MaxAutoClasses:
			task = TaskRegression
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
		return &Targets{Task: nn.TaskRegression, Y: y}, nil
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
			pos = slices.Index(labels, positive)
			if pos < 0 {
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
// index among spec.ClassLabels (numbers and bools are matched by the text
// training gave them: "3", "0.5", "true"); for a regression model, the
// values. offset is the row number of the batch's first row, for errors. A
// NULL or NaN target, a label the model does not know, strings for a
// regression model and a regression model with several outputs are errors.
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
	index := make(map[string]int, len(labels))
	for i, l := range labels {
		index[l] = i
	}
	isBool := batch.Schema().Field(batch.Schema().FieldIndices(name)[0]).Type.ID() == arrow.BOOL
	for i := range y {
		var s string
		if t.Strings != nil {
			s = t.Strings[i]
		} else {
			s = formatLabel(t.Numbers[i], isBool)
		}
		k, ok := index[s]
		if !ok {
			return nil, fmt.Errorf("tabular: row %d: target %q is not one of the model's labels (%s)", offset+i, s, strings.Join(labels, ", "))
		}
		y[i] = float32(k)
	}
	return y, nil
}
