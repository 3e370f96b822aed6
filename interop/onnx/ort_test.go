package onnx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/tabular"
)

// ortDir holds the npm project with onnxruntime-node and run.js.
const ortDir = "testdata/ort"

// needORT skips the test unless Node and onnxruntime-node are installed;
// with DENSE_ORT=require (as .ci/run sets it) it fails instead.
func needORT(t *testing.T) {
	t.Helper()
	skip := t.Skip
	if os.Getenv("DENSE_ORT") == "require" {
		skip = t.Fatal
	}
	if _, err := exec.LookPath("node"); err != nil {
		skip("node is not on PATH: this test runs exported models in ONNX Runtime (npm onnxruntime-node); .ci/run installs it")
	}
	if _, err := os.Stat(filepath.Join(ortDir, "node_modules", "onnxruntime-node")); err != nil {
		skip("onnxruntime-node is not installed: run `npm ci --ignore-scripts --prefix interop/onnx/testdata/ort` (.ci/run does)")
	}
}

// feed is one graph input for run.js; Data holds float64s (nil for NaN) or strings.
type feed struct {
	Type string `json:"type"`
	Dims []int  `json:"dims"`
	Data []any  `json:"data"`
}

type ortTensor struct {
	Type string `json:"type"`
	Dims []int  `json:"dims"`
	Data []any  `json:"data"`
}

// runORT runs the ONNX model in data through ONNX Runtime.
func runORT(t *testing.T, data []byte, feeds map[string]feed) map[string]ortTensor {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	req, err := json.Marshal(map[string]any{"model": path, "feeds": feeds})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "run.js")
	cmd.Dir = ortDir
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ONNX Runtime: %v\n%s", err, stderr.String())
	}
	var res struct {
		Outputs map[string]ortTensor `json:"outputs"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("run.js output: %v", err)
	}
	return res.Outputs
}

// ortFloat is element i of a float output (NaN for null).
func ortFloat(t *testing.T, o ortTensor, i int) float64 {
	t.Helper()
	if o.Data[i] == nil {
		return math.NaN()
	}
	return o.Data[i].(float64)
}

// close is the tolerance of the comparisons: 1e-5 absolute plus 1e-5
// relative (regression scores can be large).
func close(got, want float64) bool { return math.Abs(got-want) <= 1e-5+1e-5*math.Abs(want) }

// row is one raw input row: numeric values (NaN for NULL), categories
// (nil for NULL) and vectors.
type row struct {
	num map[string]float64
	cat map[string]*string
	vec map[string][]float64
}

func str(s string) *string { return &s }

// testInputs are inputs with every kind of preprocessing dense fits.
func testInputs() []nn.Input {
	return []nn.Input{
		{Name: "age", Kind: nn.KindNumeric, Impute: &nn.Impute{Strategy: nn.ImputeMedian, Value: 41, Indicator: true},
			Clip: &nn.Clip{Min: 18, Max: 90}, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 43.5, Std: 12.25}},
		{Name: "income", Kind: nn.KindNumeric, Impute: &nn.Impute{Strategy: nn.ImputeMean, Value: 52000.5},
			Log1p: true, Scale: &nn.Scale{Method: nn.ScaleMinMax, Min: 8.5, Max: 12.25}},
		{Name: "visits", Kind: nn.KindNumeric},
		{Name: "flat", Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 3, Std: 0}},
		{Name: "plan", Kind: nn.KindCategorical, Vocabulary: []string{"basic", "pro", "max"}, UnknownBucket: true,
			Impute: &nn.Impute{Strategy: nn.ImputeMostFrequent, Category: "basic", Indicator: true}},
		{Name: "region", Kind: nn.KindCategorical, Vocabulary: []string{"north", "south"}},
		{Name: "device", Kind: nn.KindCategorical, Vocabulary: []string{"ios", "android"}, UnknownBucket: true,
			Impute: &nn.Impute{Strategy: nn.ImputeConstant, Category: "web"}},
		{Name: "emb", Kind: nn.KindVector, Length: 3, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 0.5, Std: 2}},
	}
}

// testRows are rows for testInputs, with NULLs, imputed and unknown values.
func testRows(n int, rng *rand.Rand) []row {
	plans := []*string{str("basic"), str("pro"), str("max"), str("enterprise"), nil}
	regions := []*string{str("north"), str("south")}
	devices := []*string{str("ios"), str("android"), str("web"), str("tv"), nil}
	rows := make([]row, n)
	for i := range rows {
		r := row{
			num: map[string]float64{
				"age":    float64(float32(10 + rng.Float64()*90)),
				"income": float64(float32(1000 + rng.Float64()*200000)),
				"visits": float64(float32(rng.NormFloat64() * 3)),
				"flat":   float64(float32(rng.NormFloat64())),
			},
			cat: map[string]*string{"plan": plans[i%len(plans)], "region": regions[i%2], "device": devices[(i/2)%len(devices)]},
			vec: map[string][]float64{"emb": {float64(float32(rng.NormFloat64())), float64(float32(rng.NormFloat64())), float64(float32(rng.NormFloat64()))}},
		}
		if i%4 == 1 {
			r.num["age"] = math.NaN()
		}
		if i%5 == 2 {
			r.num["income"] = math.NaN()
		}
		rows[i] = r
	}
	return rows
}

// denseOutputs encodes rows as dense does and predicts.
func denseOutputs(t *testing.T, m *nn.Model, rows []row) []float32 {
	t.Helper()
	spec := m.Spec()
	enc, err := nn.NewEncoder(spec.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, len(rows)*enc.Width())
	for r, rw := range rows {
		dst := x[r*enc.Width() : (r+1)*enc.Width()]
		for i, in := range spec.Inputs {
			switch in.Kind {
			case nn.KindNumeric:
				v := rw.num[in.Name]
				err = enc.Number(i, v, !math.IsNaN(v), dst)
			case nn.KindCategorical:
				s := rw.cat[in.Name]
				if s == nil {
					err = enc.Category(i, "", false, dst)
				} else {
					err = enc.Category(i, *s, true, dst)
				}
			case nn.KindVector:
				err = enc.Vector(i, rw.vec[in.Name], dst)
			}
			if err != nil {
				t.Fatalf("row %d: %v", r, err)
			}
		}
	}
	out, err := m.Predict(x, len(rows))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// feeds is rows as ONNX Runtime inputs: NaN for a NULL number,
// MissingCategory for a NULL category.
func feeds(spec *nn.Spec, rows []row) map[string]feed {
	f := map[string]feed{}
	for _, in := range spec.Inputs {
		var data []any
		dims := []int{len(rows), 1}
		for _, rw := range rows {
			switch in.Kind {
			case nn.KindNumeric:
				if v := rw.num[in.Name]; !math.IsNaN(v) {
					data = append(data, v)
				} else {
					data = append(data, nil)
				}
			case nn.KindCategorical:
				if s := rw.cat[in.Name]; s != nil {
					data = append(data, *s)
				} else {
					data = append(data, MissingCategory)
				}
			case nn.KindVector:
				for _, v := range rw.vec[in.Name] {
					data = append(data, v)
				}
				dims = []int{len(rows), in.Length}
			}
		}
		typ := "float32"
		if in.Kind == nn.KindCategorical {
			typ = "string"
		}
		f[in.Name] = feed{Type: typ, Dims: dims, Data: data}
	}
	return f
}

// testModel is a network over testInputs with batch norms to fold (after a
// linear layer, after an activation, and last), dropout, and weights and
// running statistics drawn from seed.
func testModel(t *testing.T, task nn.Task, layers []nn.LayerSpec, labels []string, seed uint64) *nn.Model {
	t.Helper()
	spec := nn.Spec{Format: nn.FormatName, Version: nn.FormatVersion, Task: task, Inputs: testInputs(), Layers: layers, Labels: labels}
	m, err := nn.NewModel(spec, int64(seed))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	for _, tn := range m.Tensors() {
		for j := range tn.Data {
			switch filepath.Ext(tn.Name) {
			case ".running_var":
				tn.Data[j] = float32(0.2 + rng.Float64())
			case ".running_mean", ".bias":
				tn.Data[j] = float32(rng.NormFloat64() * 0.3)
			default:
				if len(tn.Shape) == 1 { // gamma
					tn.Data[j] = float32(0.5 + rng.Float64())
				}
			}
		}
	}
	return m
}

// predictions is what dense's scoring appends for outputs (score, label, proba).
func predictions(t *testing.T, spec *nn.Spec, outputs []float32, rows int) (score []float64, label []string, proba [][]float32) {
	t.Helper()
	empty := array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, int64(rows))
	defer empty.Release()
	b, err := tabular.AppendPredictions(empty, outputs, spec, tabular.PredictionColumns{Score: "score", Label: "label", Proba: "proba"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	for i, f := range b.Schema().Fields() {
		col := b.Column(i)
		switch f.Name {
		case "score":
			score = col.(*array.Float64).Float64Values()
		case "label":
			for r := range rows {
				label = append(label, col.(*array.String).Value(r))
			}
		case "proba":
			l := col.(*array.FixedSizeList)
			vals := l.ListValues().(*array.Float32).Float32Values()
			n := len(vals) / rows
			for r := range rows {
				proba = append(proba, vals[r*n:(r+1)*n])
			}
		}
	}
	return score, label, proba
}

// TestExportMatchesORT exports models with every preprocessing step and
// layer type and checks ONNX Runtime's outputs against dense's scoring.
func TestExportMatchesORT(t *testing.T) {
	needORT(t)
	cases := []struct {
		name   string
		task   nn.Task
		layers []nn.LayerSpec
		labels []string
	}{
		{"regression", nn.TaskRegression, []nn.LayerSpec{
			nn.Dense(8, nn.Linear), nn.BatchNorm(), nn.Dense(8, nn.ReLU), nn.BatchNorm(), nn.Dense(6, nn.GELU),
			nn.Dropout(0.3), nn.Dense(4, nn.ELU).WithAlpha(0.7), nn.Dense(1, nn.Linear)}, nil},
		{"regression_multi_output_bn_last", nn.TaskRegression, []nn.LayerSpec{
			nn.Dense(5, nn.LeakyReLU).WithoutBias(), nn.Dense(3, nn.Tanh), nn.BatchNorm()}, nil},
		{"binary", nn.TaskBinary, []nn.LayerSpec{
			nn.BatchNorm(), nn.Dense(8, nn.Tanh), nn.Dropout(0.1), nn.Dense(6, nn.LeakyReLU).WithAlpha(0.2), nn.BatchNorm(),
			nn.Dense(1, nn.Sigmoid)}, []string{"stay", "churn"}},
		{"multiclass", nn.TaskMulticlass, []nn.LayerSpec{
			nn.Dense(10, nn.ELU), nn.BatchNorm(), nn.Dense(7, nn.Sigmoid), nn.Dense(4, nn.Softmax)}, []string{"a", "b", "c", "d"}},
		{"multiclass_no_labels", nn.TaskMulticlass, []nn.LayerSpec{nn.Dense(6, nn.ReLU), nn.Dense(3, nn.Softmax)}, nil},
		// The model's own decision threshold (set below) goes into the graph.
		{"binary_threshold", nn.TaskBinary, []nn.LayerSpec{nn.Dense(6, nn.Tanh), nn.Dense(1, nn.Sigmoid)}, []string{"no", "yes"}},
	}
	rows := testRows(40, rand.New(rand.NewPCG(1, 2)))
	for k, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := testModel(t, tc.task, tc.layers, tc.labels, uint64(k+10))
			if tc.name == "binary_threshold" {
				m.Spec().Threshold = thresholdBetween(t, m, rows)
			}
			data, err := Export(m, ExportOptions{Name: tc.name})
			if err != nil {
				t.Fatal(err)
			}
			spec := m.Spec()
			outputs := denseOutputs(t, m, rows)
			score, label, proba := predictions(t, spec, outputs, len(rows))
			got := runORT(t, data, feeds(spec, rows))
			for r := range rows {
				if g := ortFloat(t, got[OutputScore], r); !close(g, score[r]) {
					t.Errorf("row %d: score %v, dense %v", r, g, score[r])
				}
			}
			if tc.task == nn.TaskRegression {
				if _, ok := got[OutputLabel]; ok {
					t.Error("a regression graph has a label output")
				}
				if w := spec.OutputWidth(); w > 1 {
					for i, want := range outputs {
						if g := ortFloat(t, got[OutputOutputs], i); !close(g, float64(want)) {
							t.Errorf("outputs[%d] = %v, dense %v", i, g, want)
						}
					}
				}
				return
			}
			if len(label) != len(rows) || len(proba) != len(rows) {
				t.Fatalf("dense gave %d labels and %d probability rows for %d rows", len(label), len(proba), len(rows))
			}
			n := len(proba[0])
			if d := got[OutputProbabilities].Dims; len(d) != 2 || d[0] != len(rows) || d[1] != n {
				t.Fatalf("probabilities have dims %v, want [%d %d]", d, len(rows), n)
			}
			for r := range rows {
				if g := got[OutputLabel].Data[r]; g != label[r] {
					t.Errorf("row %d: label %v, dense %q", r, g, label[r])
				}
				for j := range n {
					if g := ortFloat(t, got[OutputProbabilities], r*n+j); !close(g, float64(proba[r][j])) {
						t.Errorf("row %d: probability %d = %v, dense %v", r, j, g, proba[r][j])
					}
				}
			}
		})
	}
}

// TestExportRawMatchesORT checks the network-only graph on encoded rows.
func TestExportRawMatchesORT(t *testing.T) {
	needORT(t)
	m := testModel(t, nn.TaskMulticlass, []nn.LayerSpec{nn.Dense(8, nn.ReLU), nn.BatchNorm(), nn.Dense(3, nn.Softmax)}, nil, 3)
	rng := rand.New(rand.NewPCG(3, 4))
	const rows = 16
	w := m.InputWidth()
	x := make([]float32, rows*w)
	data := make([]any, len(x))
	for i := range x {
		x[i] = float32(rng.NormFloat64())
		data[i] = float64(x[i])
	}
	want, err := m.Predict(x, rows)
	if err != nil {
		t.Fatal(err)
	}
	onnx, err := Export(m, ExportOptions{Raw: true})
	if err != nil {
		t.Fatal(err)
	}
	got := runORT(t, onnx, map[string]feed{RawInput: {Type: "float32", Dims: []int{rows, w}, Data: data}})[RawOutput]
	if len(got.Data) != len(want) {
		t.Fatalf("%d outputs, want %d", len(got.Data), len(want))
	}
	for i := range want {
		if g := ortFloat(t, got, i); !close(g, float64(want[i])) {
			t.Errorf("output %d = %v, dense %v", i, g, want[i])
		}
	}
}

// TestExportPassesONNXChecker runs the ONNX project's own checker, with
// full shape and type inference, on every exported graph (Debian's
// python3-onnx 1.12 knows opset 17 and ai.onnx.ml 3).
func TestExportPassesONNXChecker(t *testing.T) {
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import onnx").Run(); err != nil {
		if os.Getenv("DENSE_ORT") == "require" {
			t.Fatalf("%s cannot import onnx (python3-onnx): %v", python, err)
		}
		t.Skipf("%s cannot import onnx: install Debian's python3-onnx (.ci/run does) to run the ONNX checker", python)
	}
	dir := t.TempDir()
	var paths []string
	for k, task := range []nn.Task{nn.TaskRegression, nn.TaskBinary, nn.TaskMulticlass} {
		out := map[nn.Task]int{nn.TaskRegression: 2, nn.TaskBinary: 1, nn.TaskMulticlass: 3}[task]
		act := map[nn.Task]nn.Activation{nn.TaskRegression: nn.Linear, nn.TaskBinary: nn.Sigmoid, nn.TaskMulticlass: nn.Softmax}[task]
		m := testModel(t, task, []nn.LayerSpec{nn.Dense(4, nn.GELU), nn.BatchNorm(), nn.Dense(out, act), nn.BatchNorm()}, nil, uint64(k))
		for _, raw := range []bool{false, true} {
			data, err := Export(m, ExportOptions{Raw: raw})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, fmt.Sprintf("%s_%v.onnx", task, raw))
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, path)
		}
	}
	script := "import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\n    print('ok', p)"
	out, err := exec.Command(python, append([]string{"-c", script}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx.checker: %v\n%s", err, out)
	}
	if n := bytes.Count(out, []byte("ok ")); n != len(paths) {
		t.Fatalf("the checker passed %d of %d graphs:\n%s", n, len(paths), out)
	}
}

// thresholdBetween picks a decision threshold that labels some of the rows
// otherwise than 0.5 does: the midpoint between 0.5 and the median score.
func thresholdBetween(t *testing.T, m *nn.Model, rows []row) float64 {
	t.Helper()
	out := denseOutputs(t, m, rows)
	s := slices.Clone(out)
	slices.Sort(s)
	th := (0.5 + float64(s[len(s)/2])) / 2
	moved := 0
	for _, p := range out {
		if (float64(p) >= th) != (p >= 0.5) {
			moved++
		}
	}
	if moved == 0 {
		t.Fatalf("threshold %v labels every row as 0.5 does (scores %v)", th, s)
	}
	return th
}
