package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/dense-ml/dense/interop"
	pb "github.com/dense-ml/dense/interop/onnx/onnxpb"
	"github.com/dense-ml/dense/nn"
)

// Import builds a model from a serialised ONNX ModelProto holding an MLP:
// one float input [N, features], a chain of Gemm (or MatMul, optionally
// followed by Add of a constant bias), Relu, LeakyRelu, Elu, Sigmoid, Tanh,
// Softmax (over the last axis), Gelu (or torch's Erf form of it, see the
// package doc), BatchNormalization (inference mode), and
// Flatten, Identity and Dropout, which change nothing at inference; one
// output. opts names the inputs and gives the task and labels (see package
// interop). Anything else is refused with an error naming the node and its
// op type.
//
// An activation belongs to the dense layer before it. A BatchNormalization
// right after a Gemm and followed by an activation (PyTorch's Linear →
// BatchNorm1d → ReLU) is folded into that Gemm, since dense has no
// activation outside a dense layer; any other BatchNormalization becomes a
// batch-norm layer.
func Import(data []byte, opts interop.Options) (*nn.Model, error) {
	var mp pb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		return nil, fmt.Errorf("interop/onnx: not an ONNX model: %w", err)
	}
	g := mp.GetGraph()
	if g == nil {
		return nil, fmt.Errorf("interop/onnx: the model has no graph")
	}
	im := &importer{consts: map[string]*constant{}}
	for _, t := range g.GetInitializer() {
		c, err := tensorOf(t)
		if err != nil {
			return nil, err
		}
		im.consts[t.GetName()] = c
	}
	var inputs []*pb.ValueInfoProto
	for _, in := range g.GetInput() {
		if im.consts[in.GetName()] == nil { // IR < 4 lists initializers as inputs too
			inputs = append(inputs, in)
		}
	}
	if len(inputs) != 1 {
		return nil, fmt.Errorf("interop/onnx: the graph has %d inputs; dense imports networks with one float input [N, features]", len(inputs))
	}
	if len(g.GetOutput()) != 1 {
		return nil, fmt.Errorf("interop/onnx: the graph has %d outputs; dense imports networks with one", len(g.GetOutput()))
	}
	in := inputs[0]
	tt := in.GetType().GetTensorType()
	if tt == nil || tt.GetElemType() != int32(pb.TensorProto_FLOAT) {
		return nil, fmt.Errorf("interop/onnx: input %q is not a float tensor", in.GetName())
	}
	im.cur = in.GetName()
	im.width = -1
	if dims := tt.GetShape().GetDim(); len(dims) == 2 && dims[1].GetDimValue() > 0 {
		im.width = int(dims[1].GetDimValue())
	}
	// Constants first, so that the patterns below see the layers' nodes
	// next to each other.
	var nodes []*pb.NodeProto
	for _, n := range g.GetNode() {
		if n.GetOpType() != "Constant" || (n.GetDomain() != "" && n.GetDomain() != "ai.onnx") {
			nodes = append(nodes, n)
			continue
		}
		if err := im.node(n); err != nil {
			return nil, err
		}
	}
	for _, n := range im.fuseGelu(nodes) {
		if err := im.node(n); err != nil {
			return nil, err
		}
	}
	if out := g.GetOutput()[0].GetName(); out != im.cur {
		return nil, fmt.Errorf("interop/onnx: the graph's output %q is not the end of the chain of layers (%q)", out, im.cur)
	}
	if len(im.layers) == 0 {
		return nil, fmt.Errorf("interop/onnx: the graph has no Gemm or MatMul: nothing to import")
	}
	var specs []nn.LayerSpec
	for _, l := range im.layers {
		specs = append(specs, l.spec)
	}
	if opts.Source == "" {
		opts.Source = "onnx"
	}
	spec, err := interop.Spec(im.width, specs, opts)
	if err != nil {
		return nil, err
	}
	m, err := nn.NewModel(spec, 0)
	if err != nil {
		return nil, fmt.Errorf("interop/onnx: %w", err)
	}
	byName := map[string][]float32{}
	for _, t := range m.Tensors() {
		byName[t.Name] = t.Data
	}
	for i, l := range im.layers {
		for name, v := range l.tensors {
			dst := byName[fmt.Sprintf("layers.%d.%s", i, name)]
			if len(dst) != len(v) {
				return nil, fmt.Errorf("interop/onnx: layer %d: %s has %d values, want %d", i, name, len(v), len(dst))
			}
			for j, f := range v {
				if math.IsNaN(f) || math.IsInf(f, 0) {
					return nil, fmt.Errorf("interop/onnx: layer %d (node %q): %s[%d] is %v", i, l.node, name, j, f)
				}
				dst[j] = float32(f)
			}
		}
	}
	return m, nil
}

// constant is an initializer or Constant node's value, as float64.
type constant struct {
	dims []int64
	v    []float64
}

// imLayer is a layer of the network being imported.
type imLayer struct {
	spec    nn.LayerSpec
	node    string               // the node that made it
	tensors map[string][]float64 // "weight" [out, in], "bias", "running_mean", …
	matmul  bool                 // a MatMul still waiting for its Add
	bnAfter bool                 // a batch norm that directly follows a linear dense layer
}

type importer struct {
	consts map[string]*constant
	cur    string // the tensor the chain has reached
	width  int    // features of the input (-1 until the first layer says)
	layers []imLayer
	outW   int // width of cur
}

// node takes one node of the chain.
func (im *importer) node(n *pb.NodeProto) error {
	op := n.GetOpType()
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("interop/onnx: node %q (%s): %s", n.GetName(), op, fmt.Sprintf(format, args...))
	}
	if d := n.GetDomain(); d != "" && d != "ai.onnx" {
		return refuse("operators of domain %q are not supported", d)
	}
	if op == "Constant" {
		if len(n.GetOutput()) != 1 {
			return refuse("want one output")
		}
		for _, a := range n.GetAttribute() {
			if a.GetName() == "value" && a.GetT() != nil {
				c, err := tensorOf(a.GetT())
				if err != nil {
					return refuse("%v", err)
				}
				im.consts[n.GetOutput()[0]] = c
				return nil
			}
		}
		return refuse("only a tensor value is supported")
	}
	// Every other node must continue the chain: its first data input is cur.
	ins := n.GetInput()
	if len(ins) == 0 || len(n.GetOutput()) == 0 {
		return refuse("no inputs or outputs")
	}
	data := ins[0]
	if op == "Add" && len(ins) == 2 && ins[1] == im.cur {
		data = ins[1]
	}
	if data != im.cur {
		return refuse("its input %q is not the output of the node before (%q): dense imports a chain of layers", data, im.cur)
	}
	attrs := map[string]*pb.AttributeProto{}
	for _, a := range n.GetAttribute() {
		attrs[a.GetName()] = a
	}
	intAttr := func(name string, def int64) int64 {
		if a := attrs[name]; a != nil {
			return a.GetI()
		}
		return def
	}
	floatAttr := func(name string, def float64) float64 {
		if a := attrs[name]; a != nil {
			return float64(a.GetF())
		}
		return def
	}
	last := func() *imLayer {
		if len(im.layers) == 0 {
			return nil
		}
		return &im.layers[len(im.layers)-1]
	}
	if l := last(); l != nil && l.matmul && op != "Add" {
		l.matmul = false // a MatMul without a bias
	}
	switch op {
	case "Identity", "Dropout", "Flatten":
		if op == "Flatten" && intAttr("axis", 1) != 1 {
			return refuse("axis %d; only axis 1 keeps the rows", intAttr("axis", 1))
		}
		if op == "Dropout" && len(ins) >= 3 && ins[2] != "" {
			if c := im.consts[ins[2]]; c == nil || len(c.v) != 1 || c.v[0] != 0 {
				return refuse("training mode is not supported")
			}
		}
	case "Gemm":
		if intAttr("transA", 0) != 0 {
			return refuse("transA=1 is not supported")
		}
		w, err := im.weight(ins, 1, refuse)
		if err != nil {
			return err
		}
		if len(w.dims) != 2 {
			return refuse("weight %q has shape %v, want 2-D", ins[1], w.dims)
		}
		out, in := int(w.dims[1]), int(w.dims[0])
		wv := transpose(w.v, in, out) // Gemm's B is [in, out] unless transB
		if intAttr("transB", 0) != 0 {
			out, in = int(w.dims[0]), int(w.dims[1])
			wv = slices.Clone(w.v)
		}
		alpha, beta := floatAttr("alpha", 1), floatAttr("beta", 1)
		for i := range wv {
			wv[i] *= alpha
		}
		layer := nn.Dense(out, nn.Linear)
		t := map[string][]float64{"weight": wv}
		if len(ins) >= 3 && ins[2] != "" {
			c, err := im.weight(ins, 2, refuse)
			if err != nil {
				return err
			}
			b, err := broadcastBias(c, out)
			if err != nil {
				return refuse("bias %q: %v", ins[2], err)
			}
			for i := range b {
				b[i] *= beta
			}
			t["bias"] = b
		} else {
			layer = layer.WithoutBias()
		}
		if err := im.chain(in, refuse); err != nil {
			return err
		}
		im.layers = append(im.layers, imLayer{spec: layer, node: n.GetName(), tensors: t})
		im.outW = out
	case "MatMul":
		w, err := im.weight(ins, 1, refuse)
		if err != nil {
			return err
		}
		if len(w.dims) != 2 {
			return refuse("weight %q has shape %v, want 2-D", ins[1], w.dims)
		}
		in, out := int(w.dims[0]), int(w.dims[1])
		if err := im.chain(in, refuse); err != nil {
			return err
		}
		im.layers = append(im.layers, imLayer{spec: nn.Dense(out, nn.Linear).WithoutBias(), node: n.GetName(),
			tensors: map[string][]float64{"weight": transpose(w.v, in, out)}, matmul: true})
		im.outW = out
	case "Add":
		l := last()
		if l == nil || !l.matmul {
			return refuse("only the bias after a MatMul is supported")
		}
		other := ins[1]
		if other == im.cur {
			other = ins[0]
		}
		c := im.consts[other]
		if c == nil {
			return refuse("the bias %q is not a constant", other)
		}
		b, err := broadcastBias(c, l.spec.Units)
		if err != nil {
			return refuse("bias %q: %v", other, err)
		}
		l.spec.Bias = true
		l.tensors["bias"] = b
		l.matmul = false
	case "BatchNormalization":
		if intAttr("training_mode", 0) != 0 {
			return refuse("training mode is not supported")
		}
		if len(ins) != 5 || len(n.GetOutput()) != 1 {
			return refuse("want 5 inputs and 1 output (inference mode)")
		}
		t := map[string][]float64{}
		for k, name := range []string{"weight", "bias", "running_mean", "running_var"} {
			c, err := im.weight(ins, k+1, refuse)
			if err != nil {
				return err
			}
			t[name] = c.v
		}
		w := len(t["weight"])
		for name, v := range t {
			if len(v) != w {
				return refuse("%s has %d values, scale has %d", name, len(v), w)
			}
		}
		if err := im.chain(w, refuse); err != nil {
			return err
		}
		bn := nn.BatchNorm()
		bn.Epsilon = floatAttr("epsilon", 1e-5)
		bn.Momentum = floatAttr("momentum", 0.9)
		l := last()
		im.layers = append(im.layers, imLayer{spec: bn, node: n.GetName(), tensors: t,
			bnAfter: l != nil && l.spec.Type == nn.LayerDense && l.spec.Activation == nn.Linear})
		im.outW = w
	case "Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Softmax", "Gelu":
		act, alpha := map[string]nn.Activation{"Relu": nn.ReLU, "LeakyRelu": nn.LeakyReLU, "Elu": nn.ELU,
			"Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "Softmax": nn.Softmax, "Gelu": nn.GELU}[op], 0.0
		switch op {
		case "LeakyRelu":
			alpha = floatAttr("alpha", 0.01)
		case "Elu":
			alpha = floatAttr("alpha", 1)
		case "Softmax":
			if a := intAttr("axis", -1); a != 1 && a != -1 {
				return refuse("axis %d; dense's softmax runs over the features (axis 1 or -1)", a)
			}
		case "Gelu":
			if a := attrs["approximate"]; a != nil && string(a.GetS()) != "none" {
				return refuse("approximate=%q; dense's gelu is the exact one", a.GetS())
			}
		}
		if err := im.activate(act, alpha); err != nil {
			return refuse("%v", err)
		}
	default:
		return refuse("dense runs MLPs: Gemm, MatMul, Add (a bias), Relu, LeakyRelu, Elu, Sigmoid, Tanh, Softmax, Gelu, BatchNormalization, Flatten, Identity, Dropout")
	}
	im.cur = n.GetOutput()[0]
	return nil
}

// chain checks that a layer taking in features fits where the chain is.
func (im *importer) chain(in int, refuse func(string, ...any) error) error {
	want := im.outW
	if len(im.layers) == 0 {
		if im.width < 0 {
			im.width = in
		}
		want = im.width
	}
	if in != want {
		return refuse("takes %d features, the tensor before it has %d", in, want)
	}
	return nil
}

// activate gives the last dense layer its activation, folding a batch
// norm in between into it.
func (im *importer) activate(act nn.Activation, alpha float64) error {
	n := len(im.layers)
	if n == 0 {
		return fmt.Errorf("an activation before any Gemm or MatMul")
	}
	l := &im.layers[n-1]
	if l.spec.Type == nn.LayerBatchNorm && l.bnAfter {
		foldInto(&im.layers[n-2], l)
		im.layers = im.layers[:n-1]
		l = &im.layers[n-2]
	}
	if l.spec.Type != nn.LayerDense {
		return fmt.Errorf("dense applies an activation only as part of a dense layer, and this one follows a %s", l.spec.Type)
	}
	if l.spec.Activation != nn.Linear {
		return fmt.Errorf("the dense layer of node %q already has the activation %s", l.node, l.spec.Activation)
	}
	l.spec.Activation = act
	if alpha != 0 {
		l.spec.Alpha = alpha
	}
	return nil
}

// foldInto folds batch norm bn into the linear dense layer d before it:
// y = ((x·Wᵀ + b) − mean)·γ/√(var+ε) + β.
func foldInto(d, bn *imLayer) {
	t := bn.tensors
	w := d.tensors["weight"]
	b := d.tensors["bias"]
	if b == nil {
		b = make([]float64, d.spec.Units)
	}
	in := len(w) / d.spec.Units
	for j := range d.spec.Units {
		s := t["weight"][j] / math.Sqrt(t["running_var"][j]+bn.spec.Epsilon)
		for i := range in {
			w[j*in+i] *= s
		}
		b[j] = (b[j]-t["running_mean"][j])*s + t["bias"][j]
	}
	d.tensors["bias"] = b
	d.spec.Bias = true
}

// weight is the constant input k of a node.
func (im *importer) weight(ins []string, k int, refuse func(string, ...any) error) (*constant, error) {
	if k >= len(ins) || ins[k] == "" {
		return nil, refuse("input %d is missing", k)
	}
	c := im.consts[ins[k]]
	if c == nil {
		return nil, refuse("input %q is not a constant (an initializer or a Constant node)", ins[k])
	}
	return c, nil
}

// broadcastBias is a bias of shape [out], [1, out] or a scalar as out values.
func broadcastBias(c *constant, out int) ([]float64, error) {
	switch {
	case len(c.v) == out:
		return slices.Clone(c.v), nil
	case len(c.v) == 1:
		b := make([]float64, out)
		for i := range b {
			b[i] = c.v[0]
		}
		return b, nil
	}
	return nil, fmt.Errorf("shape %v does not broadcast to [%d]", c.dims, out)
}

// transpose turns a row-major [rows, cols] matrix into [cols, rows].
func transpose(v []float64, rows, cols int) []float64 {
	out := make([]float64, len(v))
	for r := range rows {
		for c := range cols {
			out[c*rows+r] = v[r*cols+c]
		}
	}
	return out
}

// tensorOf reads a float, double or integer TensorProto stored in the file.
func tensorOf(t *pb.TensorProto) (*constant, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("interop/onnx: tensor %q: %s", t.GetName(), fmt.Sprintf(format, args...))
	}
	if t.GetDataLocation() == pb.TensorProto_EXTERNAL || len(t.GetExternalData()) > 0 {
		return nil, bad("external data is not supported")
	}
	n := int64(1)
	for _, d := range t.GetDims() {
		if d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return nil, bad("dims %v out of range", t.GetDims())
		}
		n *= d
	}
	c := &constant{dims: t.GetDims(), v: make([]float64, 0, n)}
	raw := t.GetRawData()
	switch dt := pb.TensorProto_DataType(t.GetDataType()); dt {
	case pb.TensorProto_FLOAT:
		if raw != nil {
			if int64(len(raw)) != 4*n {
				return nil, bad("%d bytes of raw data for %d floats", len(raw), n)
			}
			for i := int64(0); i < n; i++ {
				c.v = append(c.v, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))))
			}
		} else {
			for _, f := range t.GetFloatData() {
				c.v = append(c.v, float64(f))
			}
		}
	case pb.TensorProto_DOUBLE:
		if raw != nil {
			if int64(len(raw)) != 8*n {
				return nil, bad("%d bytes of raw data for %d doubles", len(raw), n)
			}
			for i := int64(0); i < n; i++ {
				c.v = append(c.v, math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
			}
		} else {
			c.v = append(c.v, t.GetDoubleData()...)
		}
	case pb.TensorProto_INT64:
		if raw != nil {
			if int64(len(raw)) != 8*n {
				return nil, bad("%d bytes of raw data for %d int64s", len(raw), n)
			}
			for i := int64(0); i < n; i++ {
				c.v = append(c.v, float64(int64(binary.LittleEndian.Uint64(raw[8*i:]))))
			}
		} else {
			for _, v := range t.GetInt64Data() {
				c.v = append(c.v, float64(v))
			}
		}
	case pb.TensorProto_BOOL:
		if raw != nil {
			for _, v := range raw {
				c.v = append(c.v, float64(v))
			}
		} else {
			for _, v := range t.GetInt32Data() {
				c.v = append(c.v, float64(v))
			}
		}
	default:
		return nil, bad("data type %s is not supported", strings.ToLower(dt.String()))
	}
	if int64(len(c.v)) != n {
		return nil, bad("%d values for dims %v", len(c.v), t.GetDims())
	}
	return c, nil
}

// fuseGelu replaces the arithmetic torch.onnx.export writes for nn.GELU
// before opset 20, Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5), with one
// Gelu node (named after the Erf), so that the chain sees one activation.
// Operands of Add and Mul may come in either order.
func (im *importer) fuseGelu(nodes []*pb.NodeProto) []*pb.NodeProto {
	isConst := func(name string, v float64) bool {
		c := im.consts[name]
		return c != nil && len(c.v) == 1 && math.Abs(c.v[0]-v) <= 1e-6*math.Abs(v)
	}
	// other is the operand of a two-input node that is not in, or "" when
	// in is not one of them.
	other := func(n *pb.NodeProto, in string) string {
		switch ins := n.GetInput(); {
		case len(ins) != 2 || len(n.GetOutput()) != 1:
			return ""
		case ins[0] == in:
			return ins[1]
		case ins[1] == in:
			return ins[0]
		}
		return ""
	}
	out := func(n *pb.NodeProto) string { return n.GetOutput()[0] }
	var fused []*pb.NodeProto
	for i := 0; i < len(nodes); i++ {
		if i+5 <= len(nodes) {
			div, erf, add, mul, half := nodes[i], nodes[i+1], nodes[i+2], nodes[i+3], nodes[i+4]
			ops := div.GetOpType() + erf.GetOpType() + add.GetOpType() + mul.GetOpType() + half.GetOpType()
			if ops == "DivErfAddMulMul" && len(div.GetInput()) == 2 && len(div.GetOutput()) == 1 && len(erf.GetOutput()) == 1 {
				x := div.GetInput()[0]
				if isConst(div.GetInput()[1], math.Sqrt2) && len(erf.GetInput()) == 1 && erf.GetInput()[0] == out(div) &&
					isConst(other(add, out(erf)), 1) && other(mul, out(add)) == x && isConst(other(half, out(mul)), 0.5) {
					fused = append(fused, &pb.NodeProto{Name: proto.String(erf.GetName()), OpType: proto.String("Gelu"),
						Input: []string{x}, Output: []string{out(half)}})
					i += 4
					continue
				}
			}
		}
		fused = append(fused, nodes[i])
	}
	return fused
}
