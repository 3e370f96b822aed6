package onnx

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	pb "github.com/dense-ml/dense/interop/onnx/onnxpb"
	"github.com/dense-ml/dense/nn"
)

// The operator sets an exported graph imports, and its IR version.
const (
	Opset     = 17 // ai.onnx
	OpsetML   = 3  // ai.onnx.ml (LabelEncoder, for categorical inputs)
	IRVersion = 8  // the IR version of opset 17
	domainML  = "ai.onnx.ml"
)

// Names of the graph's outputs (and of the --raw graph's input).
const (
	OutputScore         = "score"         // float [N]
	OutputLabel         = "label"         // string [N], classifiers only
	OutputProbabilities = "probabilities" // float [N, labels], classifiers only
	OutputOutputs       = "outputs"       // float [N, outputs], regression with several outputs only
	RawInput            = "input"         // --raw: float [N, features]
	RawOutput           = "output"        // --raw: float [N, outputs]
)

// MissingCategory is what stands for NULL in a categorical input's string
// tensor (ONNX strings cannot be missing): the empty string.
const MissingCategory = ""

// MetadataSpec is the model-metadata key holding the dense spec as JSON.
const MetadataSpec = "dense_spec"

// ExportOptions tunes Export.
type ExportOptions struct {
	// Raw exports the network alone: one float input "input" [N, features]
	// of encoded features, one output "output" [N, outputs] holding the
	// last layer's activations (probabilities for classifiers).
	Raw bool
	// Name is the graph's name, e.g. the registry reference "churn@3".
	Name string
}

// Export turns a model into a serialised ONNX ModelProto (see the package
// doc for the graph it builds).
func Export(m *nn.Model, opts ExportOptions) ([]byte, error) {
	mp, err := exportProto(m, opts)
	if err != nil {
		return nil, err
	}
	data, err := proto.Marshal(mp)
	if err != nil {
		return nil, fmt.Errorf("interop/onnx: export: %w", err)
	}
	return data, nil
}

func exportProto(m *nn.Model, opts ExportOptions) (*pb.ModelProto, error) {
	spec := m.Spec()
	name := opts.Name
	if name == "" {
		name = "dense"
	}
	b := &builder{g: &pb.GraphProto{Name: proto.String(name)}}
	var features string
	if opts.Raw {
		b.g.Input = append(b.g.Input, valueInfo(RawInput, pb.TensorProto_FLOAT, -1, int64(spec.InputWidth())))
		features = RawInput
	} else {
		var err error
		if features, err = b.preprocess(spec); err != nil {
			return nil, err
		}
	}
	out, err := b.network(m, features)
	if err != nil {
		return nil, err
	}
	if opts.Raw {
		b.opTo(RawOutput, "Identity", []string{out})
		b.g.Output = append(b.g.Output, valueInfo(RawOutput, pb.TensorProto_FLOAT, -1, int64(spec.OutputWidth())))
	} else {
		b.heads(spec, out)
	}
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("interop/onnx: export: %w", err)
	}
	mp := &pb.ModelProto{
		IrVersion:       proto.Int64(IRVersion),
		ProducerName:    proto.String("dense"),
		ProducerVersion: proto.String(strconv.Itoa(nn.FormatVersion)),
		DocString:       proto.String(fmt.Sprintf("dense %s model %s", spec.Task, name)),
		Graph:           b.g,
		OpsetImport:     []*pb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(Opset)}},
		MetadataProps:   []*pb.StringStringEntryProto{{Key: proto.String(MetadataSpec), Value: proto.String(string(specJSON))}},
	}
	if b.ml {
		mp.OpsetImport = append(mp.OpsetImport, &pb.OperatorSetIdProto{Domain: proto.String(domainML), Version: proto.Int64(OpsetML)})
	}
	return mp, nil
}

// preprocess adds one graph input per model input and the nodes that encode
// them as nn.Encoder does; it returns the name of the float [N, features]
// tensor.
func (b *builder) preprocess(spec *nn.Spec) (string, error) {
	var blocks []string
	for i := range spec.Inputs {
		in := &spec.Inputs[i]
		switch {
		case strings.HasPrefix(in.Name, internalPrefix):
			return "", fmt.Errorf("interop/onnx: export: input %q: names starting with %q are the graph's own", in.Name, internalPrefix)
		case slices.Contains([]string{OutputScore, OutputLabel, OutputProbabilities, OutputOutputs}, in.Name):
			return "", fmt.Errorf("interop/onnx: export: input %q has the name of one of the graph's outputs (score, label, probabilities, outputs); export with --raw, or retrain with the column renamed", in.Name)
		}
		switch in.Kind {
		case nn.KindNumeric:
			b.g.Input = append(b.g.Input, valueInfo(in.Name, pb.TensorProto_FLOAT, -1, 1))
			blocks = append(blocks, b.numeric(in)...)
		case nn.KindVector:
			b.g.Input = append(b.g.Input, valueInfo(in.Name, pb.TensorProto_FLOAT, -1, int64(in.Length)))
			blocks = append(blocks, b.vector(in))
		case nn.KindCategorical:
			b.g.Input = append(b.g.Input, valueInfo(in.Name, pb.TensorProto_STRING, -1, 1))
			bl, err := b.categorical(in)
			if err != nil {
				return "", err
			}
			blocks = append(blocks, bl...)
		case nn.KindDate:
			return "", fmt.Errorf("interop/onnx: export: input %q is a date: its weekday and month features have no ONNX form here yet; export with --raw and feed the encoded features", in.Name)
		default:
			return "", fmt.Errorf("interop/onnx: export: input %q: unknown kind %q", in.Name, in.Kind)
		}
	}
	if len(blocks) == 1 {
		return blocks[0], nil
	}
	return b.op("Concat", blocks, attrInt("axis", 1)), nil
}

// numeric encodes a float [N, 1] input in float64, as nn does: imputation
// of NaN, clip, log1p, scale; then the float32 value and the indicator.
func (b *builder) numeric(in *nn.Input) []string {
	if in.Impute == nil && in.Clip == nil && !in.Log1p && in.Scale == nil {
		return []string{in.Name} // passed through as it is
	}
	x := b.op("Cast", []string{in.Name}, attrInt("to", int64(pb.TensorProto_DOUBLE)))
	var indicator string
	if in.Impute != nil {
		nan := b.op("IsNaN", []string{x})
		x = b.op("Where", []string{nan, b.scalar("fill", in.Impute.Value), x})
		if in.Impute.Indicator {
			indicator = b.op("Cast", []string{nan}, attrInt("to", int64(pb.TensorProto_FLOAT)))
		}
	}
	x = b.transform(in, x)
	out := []string{b.op("Cast", []string{x}, attrInt("to", int64(pb.TensorProto_FLOAT)))}
	if indicator != "" {
		out = append(out, indicator)
	}
	return out
}

// vector scales a float [N, Length] input element-wise.
func (b *builder) vector(in *nn.Input) string {
	if in.Scale == nil {
		return in.Name
	}
	x := b.op("Cast", []string{in.Name}, attrInt("to", int64(pb.TensorProto_DOUBLE)))
	x = b.transform(in, x)
	return b.op("Cast", []string{x}, attrInt("to", int64(pb.TensorProto_FLOAT)))
}

// transform is nn's clip, log1p and scale on a double tensor.
func (b *builder) transform(in *nn.Input, x string) string {
	if c := in.Clip; c != nil {
		x = b.op("Max", []string{b.op("Min", []string{x, b.scalar("clip_max", c.Max)}), b.scalar("clip_min", c.Min)})
	}
	if in.Log1p {
		x = b.op("Log", []string{b.op("Add", []string{x, b.scalar("one", 1)})})
	}
	if s := in.Scale; s != nil {
		switch s.Method {
		case nn.ScaleStandard:
			x = b.op("Sub", []string{x, b.scalar("mean", s.Mean)})
			if s.Std > 0 {
				x = b.op("Div", []string{x, b.scalar("std", s.Std)})
			}
		case nn.ScaleMinMax:
			if r := s.Max - s.Min; r > 0 {
				x = b.op("Div", []string{b.op("Sub", []string{x, b.scalar("min", s.Min)}), b.scalar("range", r)})
			} else {
				x = b.op("Mul", []string{x, b.scalar("zero", 0)})
			}
		}
	}
	return x
}

// categorical one-hot encodes a string [N, 1] input: LabelEncoder maps
// each category to its slot (unknown ones to the unknown bucket, or to -1,
// which matches no slot, without one), Equal against 0…width-1 makes the
// block. MissingCategory stands for NULL when the input has imputation.
func (b *builder) categorical(in *nn.Input) ([]string, error) {
	keys := slices.Clone(in.Vocabulary)
	vals := make([]int64, len(keys))
	for j := range vals {
		vals[j] = int64(j)
	}
	unknown := int64(-1)
	if in.UnknownBucket {
		unknown = int64(len(in.Vocabulary))
	}
	if in.Impute != nil {
		if slices.Contains(in.Vocabulary, MissingCategory) {
			return nil, fmt.Errorf("interop/onnx: export: input %q: the empty string is one of its categories, and ONNX string tensors mark a missing value with it", in.Name)
		}
		slot := unknown
		if j := slices.Index(in.Vocabulary, in.Impute.Category); j >= 0 {
			slot = int64(j)
		}
		keys = append(keys, MissingCategory)
		vals = append(vals, slot)
	}
	width := len(in.Vocabulary)
	if in.UnknownBucket {
		width++
	}
	if len(keys) == 0 { // only an unknown bucket: every value lands there
		keys, vals = []string{"\x00"}, []int64{unknown}
	}
	idx := b.mlOp("LabelEncoder", []string{in.Name},
		attrStrings("keys_strings", keys), attrInts("values_int64s", vals...), attrInt("default_int64", unknown))
	slots := make([]int64, width)
	for j := range slots {
		slots[j] = int64(j)
	}
	hot := b.op("Equal", []string{idx, b.int64s("slots", []int64{int64(width)}, slots)})
	out := []string{b.op("Cast", []string{hot}, attrInt("to", int64(pb.TensorProto_FLOAT)))}
	if in.Impute != nil && in.Impute.Indicator {
		miss := b.mlOp("LabelEncoder", []string{in.Name},
			attrStrings("keys_strings", []string{MissingCategory}), attrInts("values_int64s", 1), attrInt("default_int64", 0))
		out = append(out, b.op("Cast", []string{miss}, attrInt("to", int64(pb.TensorProto_FLOAT))))
	}
	return out, nil
}

// stage is a dense layer or a batch norm reduced to y = x·scale + shift,
// with float64 weights so that folding rounds once.
type stage struct {
	dense        bool
	in, out      int
	w            []float64 // dense: [out, in]
	b            []float64 // dense: nil without bias
	act          nn.Activation
	alpha        float64
	scale, shift []float64 // batch norm
}

// network adds the layers on the float [N, features] tensor x and returns
// the name of the last layer's output. Dropout is left out; a batch norm
// is folded into the dense layer before it when that layer has no
// activation, else into the dense layer after it; one with neither stays a
// Mul and an Add.
func (b *builder) network(m *nn.Model, x string) (string, error) {
	tensors := map[string][]float32{}
	for _, t := range m.Tensors() {
		tensors[t.Name] = t.Data
	}
	get := func(i int, name string) []float64 {
		v := tensors["layers."+strconv.Itoa(i)+"."+name]
		out := make([]float64, len(v))
		for j, f := range v {
			out[j] = float64(f)
		}
		return out
	}
	spec := m.Spec()
	width := spec.InputWidth()
	var stages []stage
	for i, l := range spec.Layers {
		switch l.Type {
		case nn.LayerDense:
			s := stage{dense: true, in: width, out: l.Units, w: get(i, "weight"), act: l.Activation, alpha: l.Alpha}
			if l.Bias {
				s.b = get(i, "bias")
			}
			stages = append(stages, s)
			width = l.Units
		case nn.LayerBatchNorm:
			gamma, beta, mean, vr := get(i, "weight"), get(i, "bias"), get(i, "running_mean"), get(i, "running_var")
			s := stage{in: width, out: width, scale: make([]float64, width), shift: make([]float64, width)}
			for j := range width {
				s.scale[j] = gamma[j] / math.Sqrt(vr[j]+l.Epsilon)
				s.shift[j] = beta[j] - mean[j]*s.scale[j]
			}
			stages = append(stages, s)
		case nn.LayerDropout:
		default:
			return "", fmt.Errorf("interop/onnx: export: layer %d: unknown type %q", i, l.Type)
		}
	}
	stages = foldBatchNorm(stages)
	for _, s := range stages {
		if !s.dense {
			x = b.op("Add", []string{
				b.op("Mul", []string{x, b.floats("bn_scale", []int64{int64(s.out)}, f32(s.scale))}),
				b.floats("bn_shift", []int64{int64(s.out)}, f32(s.shift))})
			continue
		}
		in := []string{x, b.floats("weight", []int64{int64(s.out), int64(s.in)}, f32(s.w))}
		if s.b != nil {
			in = append(in, b.floats("bias", []int64{int64(s.out)}, f32(s.b)))
		}
		x = b.op("Gemm", in, attrInt("transB", 1))
		var err error
		if x, err = b.activation(x, s.act, s.alpha); err != nil {
			return "", err
		}
	}
	return x, nil
}

// foldBatchNorm folds every batch norm it can into a neighbouring dense
// layer (see network).
func foldBatchNorm(stages []stage) []stage {
	var out []stage
	for k := 0; k < len(stages); k++ {
		s := stages[k]
		if s.dense {
			out = append(out, s)
			continue
		}
		if n := len(out); n > 0 && out[n-1].dense && out[n-1].act == nn.Linear {
			// y = (x·Wᵀ + b)·s + t: scale row j of W and b by s[j].
			d := &out[n-1]
			if d.b == nil {
				d.b = make([]float64, d.out)
			}
			for j := range d.out {
				for i := range d.in {
					d.w[j*d.in+i] *= s.scale[j]
				}
				d.b[j] = d.b[j]*s.scale[j] + s.shift[j]
			}
			continue
		}
		if k+1 < len(stages) && stages[k+1].dense {
			// (x·s + t)·Wᵀ + b = x·(W·diag(s))ᵀ + (W·t + b).
			d := &stages[k+1]
			if d.b == nil {
				d.b = make([]float64, d.out)
			}
			for j := range d.out {
				row := d.w[j*d.in : (j+1)*d.in]
				for i := range row {
					d.b[j] += row[i] * s.shift[i]
					row[i] *= s.scale[i]
				}
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// activation adds nn's activation function after x.
func (b *builder) activation(x string, act nn.Activation, alpha float64) (string, error) {
	switch act {
	case nn.Linear, "":
		return x, nil
	case nn.ReLU:
		return b.op("Relu", []string{x}), nil
	case nn.LeakyReLU:
		if alpha == 0 {
			alpha = 0.01
		}
		return b.op("LeakyRelu", []string{x}, attrFloat("alpha", float32(alpha))), nil
	case nn.ELU:
		if alpha == 0 {
			alpha = 1
		}
		return b.op("Elu", []string{x}, attrFloat("alpha", float32(alpha))), nil
	case nn.GELU:
		// x·Φ(x) = 0.5·x·(1 + erf(x/√2)); Gelu itself is opset 20.
		erf := b.op("Erf", []string{b.op("Div", []string{x, b.floats("sqrt2", nil, []float32{math.Sqrt2})})})
		half := b.op("Mul", []string{x, b.floats("half", nil, []float32{0.5})})
		return b.op("Mul", []string{half, b.op("Add", []string{erf, b.floats("one", nil, []float32{1})})}), nil
	case nn.Sigmoid:
		return b.op("Sigmoid", []string{x}), nil
	case nn.Tanh:
		return b.op("Tanh", []string{x}), nil
	case nn.Softmax:
		return b.op("Softmax", []string{x}, attrInt("axis", 1)), nil
	}
	return "", fmt.Errorf("interop/onnx: export: unknown activation %q", act)
}

// heads adds the outputs dense's scoring gives: the score, and for
// classifiers the label and the probabilities (see the package doc).
func (b *builder) heads(spec *nn.Spec, out string) {
	width := spec.OutputWidth()
	first := func(to string) string {
		return b.opTo(to, "Gather", []string{out, b.int64s("first", nil, []int64{0})}, attrInt("axis", 1))
	}
	labels := spec.ClassLabels()
	switch spec.Task {
	case nn.TaskBinary:
		p := first(OutputScore)
		idx := b.op("Cast", []string{b.op("GreaterOrEqual", []string{p, b.floats("threshold", nil, []float32{float32(spec.DecisionThreshold())})})}, attrInt("to", int64(pb.TensorProto_INT64)))
		b.opTo(OutputLabel, "Gather", []string{b.strs("labels", []int64{2}, labels), idx}, attrInt("axis", 0))
		q := b.op("Sub", []string{b.floats("one", nil, []float32{1}), out})
		b.opTo(OutputProbabilities, "Concat", []string{q, out}, attrInt("axis", 1))
		b.g.Output = append(b.g.Output,
			valueInfo(OutputScore, pb.TensorProto_FLOAT, -1),
			valueInfo(OutputLabel, pb.TensorProto_STRING, -1),
			valueInfo(OutputProbabilities, pb.TensorProto_FLOAT, -1, 2))
	case nn.TaskMulticlass:
		b.opTo(OutputScore, "ReduceMax", []string{out}, attrInts("axes", 1), attrInt("keepdims", 0))
		idx := b.op("ArgMax", []string{out}, attrInt("axis", 1), attrInt("keepdims", 0))
		b.opTo(OutputLabel, "Gather", []string{b.strs("labels", []int64{int64(width)}, labels), idx}, attrInt("axis", 0))
		b.opTo(OutputProbabilities, "Identity", []string{out})
		b.g.Output = append(b.g.Output,
			valueInfo(OutputScore, pb.TensorProto_FLOAT, -1),
			valueInfo(OutputLabel, pb.TensorProto_STRING, -1),
			valueInfo(OutputProbabilities, pb.TensorProto_FLOAT, -1, int64(width)))
	default:
		first(OutputScore)
		b.g.Output = append(b.g.Output, valueInfo(OutputScore, pb.TensorProto_FLOAT, -1))
		if width > 1 {
			b.opTo(OutputOutputs, "Identity", []string{out})
			b.g.Output = append(b.g.Output, valueInfo(OutputOutputs, pb.TensorProto_FLOAT, -1, int64(width)))
		}
	}
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, f := range v {
		out[i] = float32(f)
	}
	return out
}
