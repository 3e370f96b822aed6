// Package interop brings networks trained elsewhere into dense and takes
// dense's models elsewhere.
//
//   - ImportStateDict reads the state dict of a PyTorch nn.Sequential of
//     Linear (and BatchNorm1d) modules saved with safetensors, given the
//     activations PyTorch does not store.
//   - Package interop/onnx exports a registered model (preprocessing
//     included) as one ONNX graph and imports MLP graphs from ONNX files.
//
// An imported network becomes an nn.Model like any trained one: register
// it with the registry package and it scores in Go and in SQL at once.
//
// # Inputs, task and labels of an imported network
//
// A network file knows its weights, not what its features mean. Options
// supplies the rest: one numeric input per feature, named by Inputs or
// x0, x1, … when Inputs is empty, with no preprocessing (the network gets
// the values as they are); the task, or, when Task is empty, the one the
// last dense layer implies (softmax → multiclass, one sigmoid unit →
// binary, anything else → regression, as nn.NewSequential decides); and
// the class labels, or "0", "1", … when Labels is empty.
//
// # Errors
//
// Errors start with "interop: " (or "interop/onnx: ") and name what is
// wrong: the module, node or op type dense cannot run, the count of names
// that does not match the features.
package interop
