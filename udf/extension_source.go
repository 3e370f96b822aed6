//go:build dense_extension && !dense_panictest

package udf

import "github.com/dense-ml/dense/registry"

// folderSource is the model source of a models folder in the extension
// (extension_panictest.go replaces it in extension/hosttest's panic build).
func folderSource(reg *registry.Registry) ModelSource { return FromRegistry(reg) }
