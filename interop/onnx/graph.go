package onnx

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	pb "github.com/dense-ml/dense/interop/onnx/onnxpb"
)

// builder appends nodes and constants to a graph, naming what it makes.
type builder struct {
	g    *pb.GraphProto
	next int
	ml   bool // a node of the ai.onnx.ml domain was added
}

// fresh is a new tensor name. Names made here start with internalPrefix,
// which Export refuses in an input's name, so they never clash with one.
func (b *builder) fresh(prefix string) string {
	b.next++
	return fmt.Sprintf("%s%s_%d", internalPrefix, prefix, b.next)
}

// internalPrefix starts the name of every node and tensor Export makes.
const internalPrefix = "/dense/"

// op adds a node of the default domain with one output named after the
// operator and returns that name.
func (b *builder) op(opType string, inputs []string, attrs ...*pb.AttributeProto) string {
	return b.opTo(b.fresh(opType), opType, inputs, attrs...)
}

// opTo is op with the output's name given.
func (b *builder) opTo(out, opType string, inputs []string, attrs ...*pb.AttributeProto) string {
	b.g.Node = append(b.g.Node, &pb.NodeProto{
		Name:      proto.String(out),
		OpType:    proto.String(opType),
		Input:     inputs,
		Output:    []string{out},
		Attribute: attrs,
	})
	return out
}

// mlOp adds a node of the ai.onnx.ml domain.
func (b *builder) mlOp(opType string, inputs []string, attrs ...*pb.AttributeProto) string {
	out := b.op(opType, inputs, attrs...)
	b.g.Node[len(b.g.Node)-1].Domain = proto.String(domainML)
	b.ml = true
	return out
}

// constant adds an initializer and returns its name.
func (b *builder) constant(prefix string, t *pb.TensorProto) string {
	t.Name = proto.String(b.fresh(prefix))
	b.g.Initializer = append(b.g.Initializer, t)
	return t.GetName()
}

func (b *builder) floats(prefix string, dims []int64, v []float32) string {
	return b.constant(prefix, &pb.TensorProto{Dims: dims, DataType: proto.Int32(int32(pb.TensorProto_FLOAT)), FloatData: v})
}

func (b *builder) doubles(prefix string, dims []int64, v []float64) string {
	return b.constant(prefix, &pb.TensorProto{Dims: dims, DataType: proto.Int32(int32(pb.TensorProto_DOUBLE)), DoubleData: v})
}

func (b *builder) int64s(prefix string, dims []int64, v []int64) string {
	return b.constant(prefix, &pb.TensorProto{Dims: dims, DataType: proto.Int32(int32(pb.TensorProto_INT64)), Int64Data: v})
}

func (b *builder) strs(prefix string, dims []int64, v []string) string {
	return b.constant(prefix, &pb.TensorProto{Dims: dims, DataType: proto.Int32(int32(pb.TensorProto_STRING)), StringData: bytesOf(v)})
}

// scalar is a 0-d double constant (the numeric preprocessing runs in float64).
func (b *builder) scalar(prefix string, v float64) string {
	return b.doubles(prefix, nil, []float64{v})
}

func bytesOf(v []string) [][]byte {
	out := make([][]byte, len(v))
	for i, s := range v {
		out[i] = []byte(s)
	}
	return out
}

func attrInt(name string, v int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func attrFloat(name string, v float32) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func attrInts(name string, v ...int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_INTS.Enum(), Ints: v}
}

func attrStrings(name string, v []string) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_STRINGS.Enum(), Strings: bytesOf(v)}
}

// valueInfo describes a graph input or output: a tensor of elem type with
// the given dimensions, -1 standing for the batch dimension "N".
func valueInfo(name string, elem pb.TensorProto_DataType, dims ...int64) *pb.ValueInfoProto {
	shape := &pb.TensorShapeProto{}
	for _, d := range dims {
		dim := &pb.TensorShapeProto_Dimension{}
		if d < 0 {
			dim.Value = &pb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}
		} else {
			dim.Value = &pb.TensorShapeProto_Dimension_DimValue{DimValue: d}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &pb.ValueInfoProto{
		Name: proto.String(name),
		Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{TensorType: &pb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(elem)),
			Shape:    shape,
		}}},
	}
}
