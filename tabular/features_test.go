package tabular

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/nn"
)

// buildBatch makes a batch from named columns (taking ownership of them).
func buildBatch(names []string, cols ...arrow.Array) arrow.RecordBatch {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: names[i], Type: c.DataType(), Nullable: true}
	}
	b := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, -1)
	for _, c := range cols {
		c.Release()
	}
	return b
}

func f64Col(mem memory.Allocator, vals []float64, valid []bool) arrow.Array {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray()
}

func f32Col(mem memory.Allocator, vals []float32, valid []bool) arrow.Array {
	b := array.NewFloat32Builder(mem)
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray()
}

func strCol(mem memory.Allocator, vals []string, valid []bool) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray()
}

func TestEncodeEveryNumericType(t *testing.T) {
	mem := checkedAlloc(t)
	batch := allTypesBatch(mem, 6) // rows 0..5 have no NULLs
	defer batch.Release()
	names := []string{"i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f16", "f32", "f64", "b", "d128", "d256"}
	want := func(name string, r int) float64 {
		switch name {
		case "i8":
			return float64(r%100 - 50)
		case "i16":
			return float64(r - 1000)
		case "i32":
			return float64(r * 1000)
		case "i64":
			return float64(int64(r) << 33)
		case "u8":
			return float64(r)
		case "u16":
			return float64(r * 3)
		case "u32":
			return float64(r * 100000)
		case "u64":
			return float64(uint64(r) << 40)
		case "f16":
			return float64(r) / 4
		case "f32":
			return float64(float32(r) / 8)
		case "f64":
			return float64(r) / 3
		case "b":
			if r%2 == 0 {
				return 1
			}
			return 0
		case "d128":
			return float64(r*100+25) / 100
		case "d256":
			return float64(-r*1000-5) / 1000
		}
		panic(name)
	}
	// Passthrough (the slice fast paths) and scaled (through the encoder).
	for _, scaled := range []bool{false, true} {
		inputs := make([]nn.Input, len(names))
		for i, n := range names {
			inputs[i] = nn.NumericInput(n)
			if scaled {
				inputs[i].Scale = &nn.Scale{Method: nn.ScaleStandard, Mean: 1, Std: 2}
			}
		}
		f, err := NewFeaturizer(inputs, batch.Schema())
		if err != nil {
			t.Fatal(err)
		}
		x, err := f.Encode(batch, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(x) != 6*len(names) {
			t.Fatalf("len %d", len(x))
		}
		for r := 0; r < 6; r++ {
			for j, n := range names {
				w := want(n, r)
				if scaled {
					w = (w - 1) / 2
				}
				if got := x[r*len(names)+j]; got != float32(w) {
					t.Errorf("scaled=%v %s row %d: %v, want %v", scaled, n, r, got, float32(w))
				}
			}
		}
	}
}

// TestEncodeMatchesEncoder checks the whole conversion against calling
// nn.Encoder by hand, row by row, on a mixed set of inputs with fitted
// preprocessing: the arithmetic is the encoder's.
func TestEncodeMatchesEncoder(t *testing.T) {
	mem := checkedAlloc(t)
	batch := allTypesBatch(mem, 50)
	defer batch.Release()
	inputs := []nn.Input{
		{Name: "f64", Kind: nn.KindNumeric, Impute: &nn.Impute{Strategy: nn.ImputeMean, Value: 7.5, Indicator: true},
			Clip: &nn.Clip{Min: 0, Max: 12}, Log1p: true, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 1.2, Std: 0.7}},
		{Name: "i32", Kind: nn.KindNumeric, Impute: &nn.Impute{Strategy: nn.ImputeMedian, Value: -3}, Scale: &nn.Scale{Method: nn.ScaleMinMax, Min: 0, Max: 49000}},
		{Name: "s", Kind: nn.KindCategorical, Vocabulary: []string{"blue", "red"}, UnknownBucket: true, Impute: &nn.Impute{Strategy: nn.ImputeMostFrequent, Category: "red", Indicator: true}},
		{Name: "dict", Kind: nn.KindCategorical, Vocabulary: []string{"red", "green", "blue"}, Impute: &nn.Impute{Strategy: nn.ImputeConstant, Category: "green"}},
		{Name: "u8", Kind: nn.KindCategorical, Vocabulary: []string{"1", "2", "3"}, UnknownBucket: true, Impute: &nn.Impute{Strategy: nn.ImputeConstant, Category: "1"}},
		{Name: "lst", Kind: nn.KindVector, Length: 2, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 0.5, Std: 4}},
	}
	// Vectors have no imputation: take the rows without NULLs.
	f, err := NewFeaturizer(inputs, batch.Schema())
	if err != nil {
		t.Fatal(err)
	}
	valid := make([]bool, batch.NumRows())
	x, valid, err := f.EncodeMasked(batch, nil, valid)
	if err == nil || !errors.Is(err, nn.ErrMissing) || !strings.Contains(err.Error(), `column "lst" row 6`) {
		t.Fatalf("first error %v, want the NULL list of row 6", err)
	}
	enc, _ := nn.NewEncoder(inputs)
	w := enc.Width()
	if f.Width() != w || w != 2+1+4+3+4+2 {
		t.Fatalf("width %d / %d", f.Width(), w)
	}
	row := make([]float32, w)
	getF64, _ := NumberGetter(batch.Column(10))
	getI32, _ := NumberGetter(batch.Column(2))
	getS, _ := CategoryGetter(batch.Column(12))
	getD, _ := CategoryGetter(batch.Column(18))
	getU8, _ := CategoryGetter(batch.Column(4))
	for r := 0; r < int(batch.NumRows()); r++ {
		if r%7 == 6 {
			if valid[r] {
				t.Errorf("row %d (NULL list) marked valid", r)
			}
			for _, v := range x[r*w : (r+1)*w] {
				if v != 0 {
					t.Fatalf("invalid row %d not zeroed: %v", r, x[r*w:(r+1)*w])
				}
			}
			continue
		}
		if !valid[r] {
			t.Fatalf("row %d invalid", r)
		}
		v, ok := getF64(r)
		must(t, enc.Number(0, v, ok, row))
		v, ok = getI32(r)
		must(t, enc.Number(1, v, ok, row))
		s, ok := getS(r)
		must(t, enc.Category(2, s, ok, row))
		s, ok = getD(r)
		must(t, enc.Category(3, s, ok, row))
		s, ok = getU8(r)
		must(t, enc.Category(4, s, ok, row))
		must(t, enc.Vector(5, []float64{float64(r), 1}, row))
		for j := range row {
			if x[r*w+j] != row[j] {
				t.Fatalf("row %d feature %d: %v, encoder says %v", r, j, x[r*w+j], row[j])
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestEncodeImputationAndReuse(t *testing.T) {
	mem := checkedAlloc(t)
	batch := buildBatch([]string{"x", "c"},
		f64Col(mem, []float64{1, 0, math.NaN(), 4}, []bool{true, false, true, true}),
		strCol(mem, []string{"a", "", "b", "zzz"}, []bool{true, false, true, true}))
	defer batch.Release()
	inputs := []nn.Input{
		{Name: "x", Kind: nn.KindNumeric, Impute: &nn.Impute{Strategy: nn.ImputeMean, Value: 2.5, Indicator: true}},
		{Name: "c", Kind: nn.KindCategorical, Vocabulary: []string{"a", "b"}, UnknownBucket: true, Impute: &nn.Impute{Strategy: nn.ImputeConstant, Category: "b", Indicator: true}},
	}
	f, err := NewFeaturizer(inputs, batch.Schema())
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, 0, 100)
	x, err := f.Encode(batch, dst)
	if err != nil {
		t.Fatal(err)
	}
	if &x[0] != &dst[:1][0] {
		t.Error("dst's memory was not reused")
	}
	want := []float32{
		1, 0, 1, 0, 0, 0,
		2.5, 1, 0, 1, 0, 1, // NULL x: imputed + indicator; NULL c: "b" + indicator
		2.5, 1, 0, 1, 0, 0, // NaN is missing too
		4, 0, 0, 0, 1, 0, // "zzz" → unknown bucket
	}
	for i := range want {
		if x[i] != want[i] {
			t.Fatalf("features\n%v\nwant\n%v", x, want)
		}
	}
}

func TestEncodeRowErrors(t *testing.T) {
	mem := checkedAlloc(t)
	inf := math.Inf(1)
	cases := []struct {
		name   string
		col    arrow.Array
		input  nn.Input
		target error
		row    int
	}{
		{"null without imputation", f64Col(mem, []float64{1, 2, 3}, []bool{true, true, false}), nn.NumericInput("v"), nn.ErrMissing, 2},
		{"NaN without imputation (fast path)", f64Col(mem, []float64{1, math.NaN(), 3}, nil), nn.NumericInput("v"), nn.ErrMissing, 1},
		{"NaN float32 (fast path)", f32Col(mem, []float32{1, 2, float32(math.NaN())}, nil), nn.NumericInput("v"), nn.ErrMissing, 2},
		{"+Inf", f64Col(mem, []float64{inf, 2, 3}, nil), nn.NumericInput("v"), nn.ErrNotFinite, 0},
		{"-Inf float32", f32Col(mem, []float32{1, float32(math.Inf(-1)), 3}, nil), nn.NumericInput("v"), nn.ErrNotFinite, 1},
		{"-Inf scaled", f64Col(mem, []float64{1, 2, -inf}, nil), nn.Input{Name: "v", Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 1, Std: 1}}, nn.ErrNotFinite, 2},
		{"beyond float32", f64Col(mem, []float64{1, 1e300, 3}, nil), nn.NumericInput("v"), ErrFloat32Range, 1},
		{"beyond float32 scaled", f64Col(mem, []float64{1, 1e300, 3}, nil), nn.Input{Name: "v", Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 1, Std: 1}}, ErrFloat32Range, 1},
		{"log1p domain", f64Col(mem, []float64{1, -5, 3}, nil), nn.Input{Name: "v", Kind: nn.KindNumeric, Log1p: true}, nn.ErrDomain, 1},
		{"unknown category", strCol(mem, []string{"a", "b", "c"}, nil), nn.Input{Name: "v", Kind: nn.KindCategorical, Vocabulary: []string{"a", "b"}}, nn.ErrUnknownCategory, 2},
		{"null category", strCol(mem, []string{"a", "", "c"}, []bool{true, false, true}), nn.Input{Name: "v", Kind: nn.KindCategorical, Vocabulary: []string{"a", "c"}}, nn.ErrMissing, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			batch := buildBatch([]string{"v"}, c.col)
			defer batch.Release()
			f, err := NewFeaturizer([]nn.Input{c.input}, batch.Schema())
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.Encode(batch, nil)
			var re *RowError
			if !errors.As(err, &re) || !errors.Is(err, c.target) || re.Row != c.row || re.Column != "v" {
				t.Fatalf("err = %v, want %v at row %d", err, c.target, c.row)
			}
			if !strings.Contains(err.Error(), `column "v" row `) {
				t.Errorf("message %q", err)
			}
			// Masked: only that row is invalid.
			_, valid, err := f.EncodeMasked(batch, nil, nil)
			if !errors.Is(err, c.target) {
				t.Errorf("masked err = %v", err)
			}
			for r, ok := range valid {
				if ok == (r == c.row) {
					t.Errorf("row %d valid=%v", r, ok)
				}
			}
		})
	}
}

func vecBatch(mem memory.Allocator) arrow.RecordBatch {
	fb := array.NewFixedSizeListBuilder(mem, 3, arrow.PrimitiveTypes.Float32)
	defer fb.Release()
	fv := fb.ValueBuilder().(*array.Float32Builder)
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
	defer lb.Release()
	lv := lb.ValueBuilder().(*array.Int64Builder)
	rows := [][]int64{{1, 2, 3}, {4, 5, 6}, {7, 8}, {9, 10, 11}, nil, {12, 13, 14}}
	for r, l := range rows {
		fb.Append(true)
		fv.AppendValues([]float32{float32(r), float32(r) + 0.25, float32(-r)}, nil)
		if l == nil {
			lb.AppendNull()
			continue
		}
		lb.Append(true)
		lv.AppendValues(l, nil)
	}
	return buildBatch([]string{"emb", "lst"}, fb.NewArray(), lb.NewArray())
}

func TestEncodeVectors(t *testing.T) {
	mem := checkedAlloc(t)
	batch := vecBatch(mem)
	defer batch.Release()
	for _, scaled := range []bool{false, true} {
		emb := nn.VectorInput("emb", 3)
		if scaled {
			emb.Scale = &nn.Scale{Method: nn.ScaleMinMax, Min: -10, Max: 10}
		}
		inputs := []nn.Input{emb, nn.VectorInput("lst", 3)}
		f, err := NewFeaturizer(inputs, batch.Schema())
		if err != nil {
			t.Fatal(err)
		}
		x, valid, err := f.EncodeMasked(batch, nil, nil)
		if !errors.Is(err, ErrListLength) || !strings.Contains(err.Error(), `column "lst" row 2`) || !strings.Contains(err.Error(), "expected 3 elements, got 2") {
			t.Fatalf("err = %v", err)
		}
		wantValid := []bool{true, true, false, true, false, true}
		for r := range wantValid {
			if valid[r] != wantValid[r] {
				t.Fatalf("valid %v, want %v", valid, wantValid)
			}
		}
		for r := 0; r < 6; r++ {
			if !valid[r] {
				continue
			}
			e := []float32{float32(r), float32(r) + 0.25, float32(-r)}
			for j, v := range e {
				if scaled {
					e[j] = float32((float64(v) + 10) / 20)
				}
			}
			for j := 0; j < 3; j++ {
				if x[r*6+j] != e[j] {
					t.Errorf("scaled=%v row %d emb: %v, want %v", scaled, r, x[r*6:r*6+3], e)
				}
			}
		}
		if x[3*6+3] != 9 || x[5*6+5] != 14 {
			t.Errorf("list features %v", x)
		}
		_, err = f.Encode(batch, nil)
		if !errors.Is(err, ErrListLength) {
			t.Errorf("Encode err = %v", err)
		}
	}
	// A NULL list, and a NULL element.
	only := projectByName(batch, "lst")
	sl := only.NewSlice(3, 5)
	only.Release()
	defer sl.Release()
	f, _ := NewFeaturizer([]nn.Input{nn.VectorInput("lst", 3)}, sl.Schema())
	if _, err := f.Encode(sl, nil); !errors.Is(err, nn.ErrMissing) || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("NULL list: %v", err)
	}
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Float64)
	lb.Append(true)
	lb.ValueBuilder().(*array.Float64Builder).AppendValues([]float64{1, 0}, []bool{true, false})
	nb := buildBatch([]string{"l"}, lb.NewArray())
	lb.Release()
	defer nb.Release()
	f, _ = NewFeaturizer([]nn.Input{nn.VectorInput("l", 2)}, nb.Schema())
	if _, err := f.Encode(nb, nil); !errors.Is(err, nn.ErrMissing) || !strings.Contains(err.Error(), "element 1") {
		t.Errorf("NULL element: %v", err)
	}
	// A fixed-size list of the wrong size is refused up front.
	_, err := NewFeaturizer([]nn.Input{nn.VectorInput("emb", 4)}, batch.Schema())
	if !errors.Is(err, ErrListLength) || !strings.Contains(err.Error(), "fixed_size_list of 3") || !strings.Contains(err.Error(), "length 4") {
		t.Errorf("fixed size mismatch: %v", err)
	}
}

func TestNewFeaturizerErrors(t *testing.T) {
	mem := checkedAlloc(t)
	batch := allTypesBatch(mem, 1)
	defer batch.Release()
	s := batch.Schema()
	_, err := NewFeaturizer([]nn.Input{nn.NumericInput("age")}, s)
	if !errors.Is(err, ErrNoColumn) || !strings.Contains(err.Error(), `"age"`) || !strings.Contains(err.Error(), "i8, i16, i32") {
		t.Errorf("missing column: %v", err)
	}
	for _, c := range []struct {
		in   nn.Input
		want string
	}{
		{nn.NumericInput("s"), "type utf8"},
		{nn.NumericInput("vec"), "fixed_size_list"},
		{nn.VectorInput("f64", 2), "type float64"},
		{nn.Input{Name: "f64", Kind: nn.KindCategorical, Vocabulary: []string{"1.5"}}, "type float64"},
		{nn.Input{Name: "d128", Kind: nn.KindCategorical, Vocabulary: []string{"1"}}, "decimal"},
	} {
		_, err := NewFeaturizer([]nn.Input{c.in}, s)
		if !errors.Is(err, ErrColumnType) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `"`+c.in.Name+`"`) {
			t.Errorf("%s as %s: %v", c.in.Name, c.in.Kind, err)
		}
	}
	// A list of strings cannot be a vector.
	lb := array.NewListBuilder(mem, arrow.BinaryTypes.String)
	lb.Append(true)
	lb.ValueBuilder().(*array.StringBuilder).Append("x")
	lbatch := buildBatch([]string{"tags"}, lb.NewArray())
	lb.Release()
	defer lbatch.Release()
	if _, err := NewFeaturizer([]nn.Input{nn.VectorInput("tags", 1)}, lbatch.Schema()); !errors.Is(err, ErrColumnType) {
		t.Errorf("list of strings: %v", err)
	}
	// An invalid input spec.
	if _, err := NewFeaturizer([]nn.Input{{Name: "f64", Kind: "weird"}}, s); err == nil {
		t.Error("unknown kind accepted")
	}
	// A batch of another schema.
	f, err := NewFeaturizer([]nn.Input{nn.NumericInput("f64")}, s)
	if err != nil {
		t.Fatal(err)
	}
	other := projectByName(batch, "s", "f64")
	defer other.Release()
	if _, err := f.Encode(other, nil); !errors.Is(err, ErrSchema) {
		t.Errorf("other schema: %v", err)
	}
}

func TestCategoricalFromNumbersAndDictionaries(t *testing.T) {
	mem := checkedAlloc(t)
	batch := allTypesBatch(mem, 4)
	defer batch.Release()
	inputs := []nn.Input{
		{Name: "b", Kind: nn.KindCategorical, Vocabulary: []string{"false", "true"}},
		{Name: "i16", Kind: nn.KindCategorical, Vocabulary: []string{"-1000", "-999", "-998", "-997"}},
		{Name: "dict", Kind: nn.KindCategorical, Vocabulary: []string{"blue", "green", "red"}},
		{Name: "ls", Kind: nn.KindCategorical, Vocabulary: []string{"row 0", "row 3"}, UnknownBucket: true},
	}
	f, err := NewFeaturizer(inputs, batch.Schema())
	if err != nil {
		t.Fatal(err)
	}
	x, err := f.Encode(batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := f.Width()
	for r := 0; r < 4; r++ {
		row := x[r*w : (r+1)*w]
		bslot := 1 - r%2                // true for even rows
		dict := []int{2, 1, 0}[(r+1)%3] // red, green, blue → vocabulary slots
		lsSlot := map[int]int{0: 0, 3: 1}
		ls, ok := lsSlot[r]
		if !ok {
			ls = 2
		}
		want := make([]float32, w)
		want[bslot] = 1
		want[2+r] = 1
		want[6+dict] = 1
		want[9+ls] = 1
		for j := range want {
			if row[j] != want[j] {
				t.Fatalf("row %d: %v, want %v", r, row, want)
			}
		}
	}
}

func TestTargetColumn(t *testing.T) {
	mem := checkedAlloc(t)
	batch := allTypesBatch(mem, 8)
	defer batch.Release()
	tg, err := readTarget(batch, "d128")
	if !errors.Is(err, ErrNullTarget) || !strings.Contains(err.Error(), "row 6") {
		t.Errorf("NULL target: %v", err)
	}
	head := batch.NewSlice(0, 6)
	defer head.Release()
	if tg, err = readTarget(head, "d128"); err != nil || tg.Numbers[2] != 2.25 || tg.Strings != nil || tg.Len() != 6 {
		t.Errorf("numeric target %+v %v", tg, err)
	}
	if tg, err = readTarget(head, "b"); err != nil || tg.Numbers[0] != 1 || tg.Numbers[1] != 0 {
		t.Errorf("bool target %+v %v", tg, err)
	}
	if tg, err = readTarget(head, "dict"); err != nil || tg.Strings[0] != "green" || tg.Numbers != nil {
		t.Errorf("dictionary target %+v %v", tg, err)
	}
	if tg, err = readTarget(head, "ls"); err != nil || tg.Strings[5] != "row 5" {
		t.Errorf("string target %+v %v", tg, err)
	}
	if _, err = readTarget(head, "nope"); !errors.Is(err, ErrNoColumn) || !strings.Contains(err.Error(), "i8") {
		t.Errorf("missing target: %v", err)
	}
	if _, err = readTarget(head, "vec"); !errors.Is(err, ErrColumnType) {
		t.Errorf("list target: %v", err)
	}
	nan := buildBatch([]string{"y"}, f64Col(mem, []float64{1, math.NaN()}, nil))
	defer nan.Release()
	if _, err = readTarget(nan, "y"); !errors.Is(err, ErrNullTarget) || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("NaN target: %v", err)
	}
}

func TestAppendPredictions(t *testing.T) {
	mem := checkedAlloc(t)
	batch := buildBatch([]string{"id"}, f64Col(mem, []float64{1, 2, 3}, nil))
	defer batch.Release()
	cols := PredictionColumns{Score: "score", Label: "label", Proba: "proba", Allocator: mem}

	reg := &nn.Spec{Task: nn.TaskRegression, Inputs: []nn.Input{nn.NumericInput("id")}, Layers: []nn.LayerSpec{nn.Dense(1, nn.Linear)}}
	out, err := AppendPredictions(batch, []float32{0.5, -1, 2}, reg, cols, []bool{true, false, true})
	if err != nil {
		t.Fatal(err)
	}
	if out.NumCols() != 3 || out.ColumnName(1) != "score" || out.ColumnName(2) != "proba" {
		t.Errorf("regression columns: %s", out.Schema())
	}
	sc := out.Column(1).(*array.Float64)
	if sc.Value(0) != 0.5 || sc.IsValid(1) || sc.Value(2) != 2 {
		t.Errorf("regression scores %v", sc)
	}
	out.Release()

	bin := &nn.Spec{Task: nn.TaskBinary, Labels: []string{"stay", "churn"}, Inputs: reg.Inputs, Layers: []nn.LayerSpec{nn.Dense(1, nn.Sigmoid)}}
	out, err = AppendPredictions(batch, []float32{0.2, 0.5, 0.9}, bin, cols, nil)
	if err != nil {
		t.Fatal(err)
	}
	lab := out.Column(2).(*array.String)
	if lab.Value(0) != "stay" || lab.Value(1) != "churn" || lab.Value(2) != "churn" {
		t.Errorf("binary labels %v", lab)
	}
	if sc := out.Column(1).(*array.Float64); float32(sc.Value(0)) != 0.2 {
		t.Errorf("binary score %v", sc)
	}
	pr := out.Column(3).(*array.FixedSizeList)
	pv := pr.ListValues().(*array.Float32).Float32Values()
	if pr.DataType().(*arrow.FixedSizeListType).Len() != 2 || pv[0] != 0.8 || pv[1] != 0.2 || pv[5] != 0.9 {
		t.Errorf("binary proba %v", pr)
	}
	out.Release()

	multi := &nn.Spec{Task: nn.TaskMulticlass, Inputs: reg.Inputs, Layers: []nn.LayerSpec{nn.Dense(3, nn.Softmax)}}
	probs := []float32{0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.1, 0.1, 0.8}
	out, err = AppendPredictions(batch, probs, multi, PredictionColumns{Label: "class", Proba: "p", Allocator: mem}, []bool{true, true, false})
	if err != nil {
		t.Fatal(err)
	}
	if out.NumCols() != 3 {
		t.Errorf("columns %s", out.Schema())
	}
	lab = out.Column(1).(*array.String)
	if lab.Value(0) != "1" || lab.Value(1) != "0" || lab.IsValid(2) {
		t.Errorf("multiclass labels %v", lab)
	}
	if p := out.Column(2); p.IsValid(2) || p.NullN() != 1 {
		t.Errorf("proba of the invalid row %v", p)
	}
	// The result, with a NULL probability vector, goes to Parquet and back.
	path := filepath.Join(t.TempDir(), "pred.parquet")
	writeFile(t, path, arrowio.WriterOptions{Allocator: mem}, out)
	_, back := readAllFile(t, path, arrowio.Options{Allocator: mem})
	sameRows(t, mem, out, back)
	releaseAll(back)
	out.Release()

	// The multiclass score is the probability of the predicted label; a
	// row with a NaN output has no label (nn.Spec.Classify's rule): NULL,
	// and its score is NaN. A binary NaN probability has no label either.
	nan := float32(math.NaN())
	out, err = AppendPredictions(batch, []float32{nan, 0.3, 0.6, 0.5, 0.3, 0.2, 0.1, 0.1, 0.8}, multi, PredictionColumns{Score: "s", Label: "c", Allocator: mem}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sc, lab := out.Column(1).(*array.Float64), out.Column(2).(*array.String); !math.IsNaN(sc.Value(0)) || float32(sc.Value(1)) != 0.5 || float32(sc.Value(2)) != 0.8 ||
		lab.IsValid(0) || lab.Value(1) != "0" || lab.Value(2) != "2" {
		t.Errorf("multiclass scores %v, labels %v", sc, lab)
	}
	out.Release()
	binSpec := &nn.Spec{Task: nn.TaskBinary, Layers: []nn.LayerSpec{nn.Dense(1, nn.Sigmoid)}, Inputs: []nn.Input{nn.NumericInput("x")}, Labels: []string{"no", "yes"}}
	out, err = AppendPredictions(batch, []float32{0.7, nan, 0.2}, binSpec, PredictionColumns{Label: "c", Allocator: mem}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lab := out.Column(1).(*array.String); lab.Value(0) != "yes" || lab.IsValid(1) || lab.Value(2) != "no" {
		t.Errorf("binary labels %v", lab)
	}
	out.Release()

	// Errors.
	if _, err := AppendPredictions(batch, probs[:5], multi, cols, nil); err == nil {
		t.Error("short outputs accepted")
	}
	if _, err := AppendPredictions(batch, probs, multi, PredictionColumns{Score: "id", Allocator: mem}, nil); err == nil || !strings.Contains(err.Error(), `"id" already exists`) {
		t.Errorf("name clash: %v", err)
	}
	if _, err := AppendPredictions(batch, probs, multi, cols, []bool{true}); err == nil {
		t.Error("short mask accepted")
	}
}

// TestEncodeAcrossTiles uses a wide input so that a batch spans many tiles
// of rows, with a bad value in a later tile.
func TestEncodeAcrossTiles(t *testing.T) {
	mem := checkedAlloc(t)
	const rows, length, bad = 500, 1000, 300
	xs := make([]float32, rows)
	ys := make([]float64, rows)
	yValid := make([]bool, rows)
	fb := array.NewFixedSizeListBuilder(mem, length, arrow.PrimitiveTypes.Float32)
	defer fb.Release()
	fv := fb.ValueBuilder().(*array.Float32Builder)
	for r := 0; r < rows; r++ {
		xs[r] = float32(r)
		ys[r] = float64(r) / 2
		yValid[r] = r != bad
		fb.Append(true)
		for j := 0; j < length; j++ {
			fv.Append(float32(r*length + j))
		}
	}
	batch := buildBatch([]string{"x", "y", "emb"}, f32Col(mem, xs, nil), f64Col(mem, ys, yValid), fb.NewArray())
	defer batch.Release()
	inputs := []nn.Input{nn.NumericInput("x"), {Name: "y", Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 1, Std: 2}}, nn.VectorInput("emb", length)}
	f, err := NewFeaturizer(inputs, batch.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if tile := encodeTileBytes / (4 * f.Width()); tile >= bad {
		t.Fatalf("tile of %d rows: the test needs the bad row in a later tile", tile)
	}
	var re *RowError
	if _, err := f.Encode(batch, nil); !errors.As(err, &re) || re.Row != bad || re.Column != "y" {
		t.Fatalf("err = %v", err)
	}
	x, valid, err := f.EncodeMasked(batch, nil, nil)
	if !errors.As(err, &re) || re.Row != bad {
		t.Fatalf("masked err = %v", err)
	}
	w := f.Width()
	for r := 0; r < rows; r++ {
		row := x[r*w : (r+1)*w]
		if r == bad {
			if valid[r] || row[0] != 0 || row[w-1] != 0 {
				t.Errorf("bad row valid=%v features %v…", valid[r], row[:3])
			}
			continue
		}
		if !valid[r] || row[0] != float32(r) || row[1] != float32((float64(r)/2-1)/2) || row[2] != float32(r*length) || row[w-1] != float32(r*length+length-1) {
			t.Fatalf("row %d: valid=%v %v … %v", r, valid[r], row[:3], row[w-1])
		}
	}
}

// TestDecimalsDivide checks decimals are unscaled/10^scale (as the SQL
// functions compute them), not unscaled·10^-scale: 7·0.1 is 0.7000000000000001.
func TestDecimalsDivide(t *testing.T) {
	mem := checkedAlloc(t)
	b128 := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 10, Scale: 1})
	defer b128.Release()
	b128.Append(decimal128.FromI64(7))
	b128.Append(decimal128.FromI64(-7))
	b256 := array.NewDecimal256Builder(mem, &arrow.Decimal256Type{Precision: 40, Scale: 1})
	defer b256.Release()
	b256.Append(decimal256.FromI64(7))
	b256.Append(decimal256.FromI64(-7))
	for _, col := range []arrow.Array{b128.NewArray(), b256.NewArray()} {
		get, err := NumberGetter(col)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := get(0); v != 0.7 {
			t.Errorf("%s: 7 at scale 1 reads %v", col.DataType(), v)
		}
		if v, _ := get(1); v != -0.7 {
			t.Errorf("%s: -7 at scale 1 reads %v", col.DataType(), v)
		}
		col.Release()
	}
}

// TestEncodeSlicedBatch checks that a sliced batch (non-zero array offsets)
// encodes to the same rows as the whole batch, on every fast path.
func TestEncodeSlicedBatch(t *testing.T) {
	mem := checkedAlloc(t)
	full := allTypesBatch(mem, 60)
	defer full.Release()
	inputs := []nn.Input{
		nn.NumericInput("f32"), nn.NumericInput("i64"), nn.NumericInput("d128"),
		nn.VectorInput("vec", 3), nn.VectorInput("lst", 2),
		{Name: "dict", Kind: nn.KindCategorical, Vocabulary: []string{"red", "green", "blue"}},
		{Name: "s", Kind: nn.KindCategorical, Vocabulary: []string{"red", "green", "blue"}},
	}
	f, err := NewFeaturizer(inputs, full.Schema())
	if err != nil {
		t.Fatal(err)
	}
	// Rows 7..12 and 14..19 have no NULLs (every 7th row is NULL).
	for _, b := range [][2]int64{{7, 13}, {14, 20}, {8, 9}} {
		part := full.NewSlice(b[0], b[1])
		x, err := f.Encode(part, nil)
		if err != nil {
			t.Fatal(err)
		}
		one := make([]float32, f.Width())
		for r := b[0]; r < b[1]; r++ {
			row := full.NewSlice(r, r+1)
			one, err = f.Encode(row, one)
			row.Release()
			if err != nil {
				t.Fatal(err)
			}
			got := x[(r-b[0])*int64(f.Width()) : (r-b[0]+1)*int64(f.Width())]
			for j := range one {
				if got[j] != one[j] {
					t.Fatalf("slice %v row %d: %v, row alone %v", b, r, got, one)
				}
			}
			if one[0] != float32(r)/8 || one[3] != float32(r) || one[5] != -float32(r) || one[6] != float32(r) || one[7] != 1 {
				t.Fatalf("row %d features %v", r, one)
			}
		}
		part.Release()
	}
}

// TestFeaturizerConcurrent encodes from several goroutines at once (run
// with -race): the featurizer keeps no per-call state.
func TestFeaturizerConcurrent(t *testing.T) {
	mem := checkedAlloc(t)
	batch := allTypesBatch(mem, 6)
	defer batch.Release()
	f, err := NewFeaturizer([]nn.Input{nn.NumericInput("f32"), nn.VectorInput("vec", 3),
		{Name: "s", Kind: nn.KindCategorical, Vocabulary: []string{"red", "green", "blue"}}}, batch.Schema())
	if err != nil {
		t.Fatal(err)
	}
	want, err := f.Encode(batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			var x []float32
			for i := 0; i < 50; i++ {
				var err error
				if x, err = f.Encode(batch, x); err != nil {
					errs <- err
					return
				}
				for j := range want {
					if x[j] != want[j] {
						errs <- fmt.Errorf("feature %d: %v, want %v", j, x[j], want[j])
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
