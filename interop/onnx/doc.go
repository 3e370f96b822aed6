// Package onnx exports dense models as ONNX graphs and imports MLPs from
// ONNX files. The protobuf code is generated (package onnxpb).
//
// # Export
//
// Export(model, opts) writes one ONNX ModelProto, IR version 8, importing
// opset 17 of ai.onnx and, when the model has categorical inputs, opset 3
// of ai.onnx.ml. Every operator used (Cast, IsNaN, Where, Min, Max, Add,
// Sub, Mul, Div, Log, Concat, Equal, Gemm, the activations, Gather,
// GreaterOrEqual, ArgMax, ReduceMax, Identity and ai.onnx.ml's
// LabelEncoder) runs in ONNX Runtime; the tests run every exported graph
// there (npm onnxruntime-node 1.30) and match dense's own scoring within
// 1e-5.
//
// The graph takes the raw inputs by name, one graph input per model input,
// with a batch dimension "N":
//
//   - numeric: float [N, 1]; NaN is NULL. The fitted preprocessing runs in
//     float64 exactly as nn.Encoder runs it: NaN becomes the imputed value
//     (and the indicator feature 1), then clip, log1p (as Log(1+x)) and the
//     scaling, then a cast to float32. The input itself is float32: a
//     DOUBLE value, which dense encodes at full precision, is rounded to
//     float32 on the way in (a relative difference of at most 6e-8).
//   - categorical: string [N, 1]; the empty string is NULL (MissingCategory,
//     ONNX strings cannot be missing), so a model whose vocabulary holds ""
//     and that imputes is refused. ai.onnx.ml LabelEncoder maps each
//     category to its one-hot slot, unknown ones to the unknown bucket.
//   - vector: float [N, Length], scaled element-wise.
//
// Where dense's scoring refuses a row (NULL without imputation, ±Inf, a
// value outside log1p's domain, an unknown category without an unknown
// bucket), the graph does not fail: it computes with NaN or ±Inf, or with
// an all-zero one-hot block for the unknown category. Check such rows
// before scoring if they can occur.
//
// The network follows: one Gemm per dense layer (weights [out, in],
// transB=1) and its activation (Relu, LeakyRelu, Elu, Sigmoid, Tanh,
// Softmax over axis 1; gelu as 0.5·x·(1+Erf(x/√2)), since Gelu is opset
// 20). Dropout is left out. A batch norm is folded into the Gemm before it
// when that layer has no activation, otherwise into the Gemm after it;
// only one with neither (the last layer, say) stays, as a Mul and an Add.
// Folding is done in float64 and rounds once.
//
// The outputs are what dense's scoring gives (tabular.PredictionColumns):
//
//   - "score" float [N]: regression, the first output; binary,
//     P(Labels[1]); multiclass, the probability of the predicted label.
//   - "label" string [N], classifiers: binary, Labels[1] when the
//     probability is ≥ 0.5, else Labels[0]; multiclass, the label with the
//     highest probability (the first one on ties). Without labels in the
//     spec, "0", "1", ….
//   - "probabilities" float [N, labels], classifiers: binary [1-p, p],
//     multiclass the softmax outputs, in label order.
//   - "outputs" float [N, outputs], regression models with several outputs.
//
// With ExportOptions.Raw the graph is the network alone: input "input"
// float [N, features] of encoded features, output "output" float [N,
// outputs], the last layer's activations (probabilities for classifiers).
// The model's metadata holds the dense spec as JSON under "dense_spec".
//
// # Import
//
// Import(data, opts) reads a graph that is a chain of layers on one float
// input [N, features] with one output (see Import for the operators). Each
// node must take the previous node's output; weights must be initializers
// or Constant nodes stored in the file (float, double or int64). What the
// graph does not say — input names, task, labels — comes from
// interop.Options. Anything else — another op type, another domain, a
// branch, an activation after an activation, training-mode batch norm — is
// refused with an error naming the node and its op type.
//
// PyTorch's torch.onnx.export of an nn.Sequential of Linear, BatchNorm1d,
// the activations dense has, Dropout and Flatten imports as is. Before
// opset 20 ONNX has no Gelu, and torch writes nn.GELU as
// Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5): the import recognises exactly
// that sequence (operands of Add and Mul in either order) as one gelu.
// The tests import fixtures torch.onnx.export wrote
// (interop/testdata/torch/make_fixtures.py) and match PyTorch within 1e-5.
package onnx
