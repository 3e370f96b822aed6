package udf

import (
	"sync"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
)

// FromRegistry serves models from a registry folder. Every query
// resolves its model reference against the folder afresh (reading the
// version's small entry.json), so a version that another process registers
// is used by the next query. Loaded models are cached by file and SHA-256:
// versions never change once published, so a cached model is the file's
// model, and a query on a known version does not read and hash the model
// file again. The cache keeps the last few models used.
func FromRegistry(r *registry.Registry) ModelSource {
	return &registrySource{reg: r, cache: map[string]cachedModel{}}
}

const registryCacheSize = 16

type registrySource struct {
	reg   *registry.Registry
	mu    sync.Mutex
	cache map[string]cachedModel // Path + SHA256 → model
	clock uint64
}

type cachedModel struct {
	model *nn.Model
	used  uint64
}

// List implements ModelSource. It lists the usable versions; damaged ones
// (see registry.Damaged) are left out rather than failing the listing.
func (s *registrySource) List() ([]registry.Entry, error) {
	entries, _, err := s.reg.List()
	return entries, err
}

// listAll lists the usable and the damaged versions, for dense_models().
func (s *registrySource) listAll() ([]registry.Entry, []registry.Damaged, error) {
	return s.reg.List()
}

// Dir is the registry's folder, named by the error for an unknown model.
func (s *registrySource) Dir() string { return s.reg.Dir() }

// Load implements ModelSource.
func (s *registrySource) Load(ref string) (*nn.Model, registry.Entry, error) {
	e, err := s.reg.Resolve(ref)
	if err != nil {
		return nil, registry.Entry{}, err
	}
	key := e.Path + "\x00" + e.SHA256
	s.mu.Lock()
	s.clock++
	if c, ok := s.cache[key]; ok {
		c.used = s.clock
		s.cache[key] = c
		s.mu.Unlock()
		return c.model, e, nil
	}
	s.mu.Unlock()

	m, e, err := s.reg.Load(e.Ref()) // checks the file against the recorded SHA-256
	if err != nil {
		return nil, registry.Entry{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cache) >= registryCacheSize {
		oldest, first := "", true
		for k, c := range s.cache {
			if first || c.used < s.cache[oldest].used {
				oldest, first = k, false
			}
		}
		delete(s.cache, oldest)
	}
	s.cache[e.Path+"\x00"+e.SHA256] = cachedModel{model: m, used: s.clock}
	return m, e, nil
}
