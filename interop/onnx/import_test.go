package onnx

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/dense-ml/dense/interop"
	pb "github.com/dense-ml/dense/interop/onnx/onnxpb"
	"github.com/dense-ml/dense/nn"
)

// torchDir holds the PyTorch fixtures, written by make_fixtures.py there.
const torchDir = "../testdata/torch"

// TestImportTorchONNX imports the graphs torch.onnx.export wrote and
// matches PyTorch's outputs within 1e-5.
func TestImportTorchONNX(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(torchDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Models []struct {
			Name   string    `json:"name"`
			ONNX   bool      `json:"onnx"`
			Inputs int       `json:"inputs"`
			X      []float32 `json:"x"`
			Y      []float64 `json:"y"`
		} `json:"models"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range fx.Models {
		if !c.ONNX {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(torchDir, c.Name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Import(data, interop.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rows := len(c.X) / c.Inputs
			y, err := m.Predict(c.X, rows)
			if err != nil {
				t.Fatal(err)
			}
			if len(y) != len(c.Y) {
				t.Fatalf("%d outputs, PyTorch %d", len(y), len(c.Y))
			}
			for i := range y {
				if math.Abs(float64(y[i])-c.Y[i]) > 1e-5*math.Abs(c.Y[i])+1e-6 {
					t.Errorf("output %d = %v, PyTorch %v", i, y[i], c.Y[i])
				}
			}
		})
	}
	if n < 4 {
		t.Fatalf("the fixture has %d ONNX models, want at least 4", n)
	}
}

// TestImportLayers checks what the torch graphs become: the task implied
// by the last layer and the batch norm folded into the Linear before a ReLU.
func TestImportLayers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		task   nn.Task
		layers []string // type/activation per layer
	}{
		{"multiclass", nn.TaskMulticlass, []string{"dense/relu", "dense/tanh", "dense/softmax"}},
		{"binary_bn", nn.TaskBinary, []string{"dense/relu", "dense/sigmoid"}},
		{"regression", nn.TaskRegression, []string{"dense/leaky_relu", "dense/elu", "batchnorm/", "dense/linear"}},
		{"matmul", nn.TaskRegression, []string{"dense/tanh", "dense/linear"}},
		{"gelu_sigmoid", nn.TaskRegression, []string{"dense/gelu", "dense/sigmoid", "dense/linear"}},
	} {
		data, err := os.ReadFile(filepath.Join(torchDir, tc.name+".onnx"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := Import(data, interop.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range m.Spec().Layers {
			got = append(got, l.Type+"/"+string(l.Activation))
		}
		if s := m.Spec(); s.Task != tc.task || strings.Join(got, " ") != strings.Join(tc.layers, " ") {
			t.Errorf("%s: task %q, layers %v; want %q, %v", tc.name, s.Task, got, tc.task, tc.layers)
		}
	}
}

// TestExportImportRoundTrip: a --raw export imports back to the same
// predictions (batch norm folded, dropout gone).
func TestExportImportRoundTrip(t *testing.T) {
	spec := nn.Spec{Format: nn.FormatName, Version: nn.FormatVersion, Task: nn.TaskMulticlass,
		Inputs: []nn.Input{nn.VectorInput("x", 6)},
		Layers: []nn.LayerSpec{nn.Dense(8, nn.Linear), nn.BatchNorm(), nn.Dense(8, nn.ELU).WithAlpha(0.4), nn.Dropout(0.5),
			nn.BatchNorm(), nn.Dense(5, nn.LeakyReLU), nn.Dense(3, nn.Softmax)},
		Labels: []string{"a", "b", "c"}}
	m, err := nn.NewModel(spec, 5)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tn := range m.Tensors() {
		if strings.HasSuffix(tn.Name, "running_var") {
			for j := range tn.Data {
				tn.Data[j] = float32(0.3 + rng.Float64())
			}
		} else if strings.HasSuffix(tn.Name, "running_mean") {
			for j := range tn.Data {
				tn.Data[j] = float32(rng.NormFloat64())
			}
		}
	}
	data, err := Export(m, ExportOptions{Raw: true})
	if err != nil {
		t.Fatal(err)
	}
	back, err := Import(data, interop.Options{Labels: []string{"a", "b", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(back.Spec().Layers); got != 4 {
		t.Errorf("imported %d layers, want the 4 dense ones (batch norms folded, dropout gone)", got)
	}
	x := make([]float32, 10*6)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	want, _ := m.Predict(x, 10)
	got, err := back.Predict(x, 10)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Errorf("output %d: %v after the round trip, %v before", i, got[i], want[i])
		}
	}
}

// graphOf is a one-input graph of nodes built by f, for refusal tests.
func graphOf(t *testing.T, width int64, f func(b *builder) string) []byte {
	t.Helper()
	b := &builder{g: &pb.GraphProto{Name: proto.String("g")}}
	b.g.Input = append(b.g.Input, valueInfo("x", pb.TensorProto_FLOAT, -1, width))
	out := f(b)
	b.g.Output = append(b.g.Output, valueInfo(out, pb.TensorProto_FLOAT, -1))
	data, err := proto.Marshal(&pb.ModelProto{IrVersion: proto.Int64(IRVersion), Graph: b.g,
		OpsetImport: []*pb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(Opset)}}})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestImportRefuses(t *testing.T) {
	gemm := func(b *builder, x string, in, out int64) string {
		return b.op("Gemm", []string{x, b.floats("w", []int64{out, in}, make([]float32, in*out))}, attrInt("transB", 1))
	}
	for _, tc := range []struct {
		name string
		f    func(b *builder) string
		want string
	}{
		{"abs", func(b *builder) string { return b.op("Abs", []string{gemm(b, "x", 3, 2)}) }, `node "/dense/Abs_3" (Abs): dense runs MLPs`},
		{"conv", func(b *builder) string {
			return b.op("Conv", []string{"x", b.floats("k", []int64{1, 1, 1}, []float32{1})})
		}, `node "/dense/Conv_2" (Conv)`},
		{"branch", func(b *builder) string {
			h := gemm(b, "x", 3, 3)
			return b.op("Gemm", []string{"x", b.floats("w", []int64{3, 3}, make([]float32, 9)), h})
		}, `node "/dense/Gemm_4" (Gemm): its input "x" is not the output of the node before`},
		{"activation first", func(b *builder) string { return gemm(b, b.op("Relu", []string{"x"}), 3, 2) }, `node "/dense/Relu_1" (Relu): an activation before any Gemm`},
		{"two activations", func(b *builder) string {
			return b.op("Sigmoid", []string{b.op("Relu", []string{gemm(b, "x", 3, 2)})})
		}, `node "/dense/Sigmoid_4" (Sigmoid): the dense layer of node "/dense/Gemm_2" already has the activation relu`},
		{"width", func(b *builder) string { return gemm(b, "x", 4, 2) }, `takes 4 features, the tensor before it has 3`},
		{"ml domain", func(b *builder) string { return b.mlOp("Scaler", []string{"x"}) }, `node "/dense/Scaler_1" (Scaler): operators of domain "ai.onnx.ml"`},
		{"not gelu", func(b *builder) string { // x/2 instead of x/√2
			x := gemm(b, "x", 3, 2)
			erf := b.op("Erf", []string{b.op("Div", []string{x, b.floats("two", nil, []float32{2})})})
			mul := b.op("Mul", []string{x, b.op("Add", []string{erf, b.floats("one", nil, []float32{1})})})
			return b.op("Mul", []string{mul, b.floats("half", nil, []float32{0.5})})
		}, `node "/dense/Div_4" (Div): dense runs MLPs`},
		{"softmax axis", func(b *builder) string {
			return b.op("Softmax", []string{gemm(b, "x", 3, 2)}, attrInt("axis", 0))
		}, `(Softmax): axis 0`},
	} {
		_, err := Import(graphOf(t, 3, tc.f), interop.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "interop/onnx: ") {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := Import([]byte("not a model"), interop.Options{}); err == nil || !strings.Contains(err.Error(), "not an ONNX model") {
		t.Errorf("garbage: %v", err)
	}
}

func TestExportRefusesClashingNames(t *testing.T) {
	for _, name := range []string{"score", "label", "/dense/Cast_1"} {
		spec := nn.Spec{Format: nn.FormatName, Version: nn.FormatVersion, Task: nn.TaskRegression,
			Inputs: []nn.Input{nn.NumericInput("a"), nn.NumericInput(name)}, Layers: []nn.LayerSpec{nn.Dense(1, nn.Linear)}}
		m, err := nn.NewModel(spec, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Export(m, ExportOptions{}); err == nil || !strings.Contains(err.Error(), `input "`+name+`"`) {
			t.Errorf("input %q: %v", name, err)
		}
		if _, err := Export(m, ExportOptions{Raw: true}); err != nil {
			t.Errorf("input %q, raw: %v", name, err)
		}
	}
}
