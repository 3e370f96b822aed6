// Package onnxpb is the Go code protoc generates from ONNX's onnx.proto
// (ModelProto, GraphProto, NodeProto, TensorProto, …). Nothing in it is
// written by hand.
//
// onnx.proto is a verbatim copy of /usr/include/onnx/onnx.proto from Debian's
// libonnx-dev 1.12.0 (IR version 8; Apache-2.0, see its header). To
// regenerate onnx.pb.go, with protoc (Debian's protobuf-compiler) and
// protoc-gen-go at the version go.mod requires on PATH:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go generate ./interop/onnx/onnxpb
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/dense-ml/dense/interop/onnx/onnxpb;onnxpb onnx.proto
