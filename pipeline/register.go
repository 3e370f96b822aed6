package pipeline

import (
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
)

// Entry is a registered model version (name, version, file, metrics …).
type Entry = registry.Entry

// register stores m as the next version of name in the registry at dir
// (empty: $DENSE_MODELS or ./models).
func register(dir, name string, m *nn.Model) (Entry, error) {
	reg, err := registry.Open(dir)
	if err != nil {
		return Entry{}, err
	}
	return reg.Register(name, m)
}
