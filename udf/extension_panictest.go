//go:build dense_extension && dense_panictest

package udf

import (
	"path/filepath"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
)

// This file exists only in the extension that extension/hosttest builds
// with the extra tag dense_panictest, to prove that a Go panic inside a
// callback becomes the query's error and leaves the host process running:
// a models folder named "dense-panic" gives a model source that panics.

// PanicFolder is the base name of the models folder whose source panics.
const PanicFolder = "dense-panic"

func folderSource(reg *registry.Registry) ModelSource {
	if filepath.Base(reg.Dir()) == PanicFolder {
		return panickingSource{}
	}
	return FromRegistry(reg)
}

type panickingSource struct{}

func (panickingSource) List() ([]registry.Entry, error) { panic("dense_panictest: List exploded") }

func (panickingSource) Load(string) (*nn.Model, registry.Entry, error) {
	panic("dense_panictest: Load exploded")
}
