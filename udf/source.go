package udf

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
)

// ModelSource is where the SQL functions find models: a registry folder
// (FromRegistry), or a Memory for tests and embedded use. Models are
// described by registry.Entry, whatever the source (a Memory fills in no
// Path, SHA256 or Size). Implementations must be safe for concurrent use;
// they are asked once per query, so a model another process registers is
// seen by the next query.
type ModelSource interface {
	// List returns every version of every model.
	List() ([]registry.Entry, error)
	// Load resolves ref ("name" is the newest version, "name@3" version 3;
	// registry.ParseRef's syntax) and loads that model.
	Load(ref string) (*nn.Model, registry.Entry, error)
}

// parseRef is registry.ParseRef, the one parser of model references (the
// CLI's too), with its message in the terms of a SQL error.
func parseRef(ref string) (registry.Ref, error) {
	r, err := registry.ParseRef(ref)
	if err != nil {
		return registry.Ref{}, errors.New(registry.Problem(err))
	}
	return r, nil
}

// Memory is an in-memory ModelSource: Add a model under a name and it gets
// the next version number; SetAlias names a version as a registry alias
// does ('churn@prod'). It is safe for concurrent use.
type Memory struct {
	mu      sync.RWMutex
	models  map[string][]memoryEntry
	aliases map[string]map[string]int // name → alias → version
}

type memoryEntry struct {
	info  registry.Entry
	model *nn.Model
}

// NewMemory returns an empty in-memory model source.
func NewMemory() *Memory {
	return &Memory{models: map[string][]memoryEntry{}, aliases: map[string]map[string]int{}}
}

// Add stores model as the next version of name and returns its info. The
// model must not be modified afterwards: queries share it.
func (m *Memory) Add(name string, model *nn.Model) registry.Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	info := summarize(model)
	info.Name, info.Version, info.Created = name, len(m.models[name])+1, time.Now().UTC()
	m.models[name] = append(m.models[name], memoryEntry{info, model})
	return info
}

// List implements ModelSource.
func (m *Memory) List() ([]registry.Entry, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []registry.Entry
	for name, versions := range m.models {
		for _, e := range versions {
			info := e.info
			for alias, v := range m.aliases[name] {
				if v == info.Version {
					info.Aliases = append(info.Aliases, alias)
				}
			}
			slices.Sort(info.Aliases)
			out = append(out, info)
		}
	}
	sortEntries(out)
	return out, nil
}

// SetAlias points alias (of ref's model) at the version ref names, as
// registry.Registry.SetAlias does: SetAlias("churn@3", "prod") makes
// 'churn@prod' mean churn@3; an alias that exists moves. The alias must be
// valid (registry.ValidAlias).
func (m *Memory) SetAlias(ref, alias string) (registry.Entry, error) {
	if err := registry.ValidAlias(alias); err != nil {
		return registry.Entry{}, fmt.Errorf("udf: %w", err)
	}
	_, e, err := m.Load(ref)
	if err != nil {
		return registry.Entry{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.aliases[e.Name] == nil {
		m.aliases[e.Name] = map[string]int{}
	}
	m.aliases[e.Name][alias] = e.Version
	return e, nil
}

// RemoveAlias removes alias of model name; an unknown alias is an error
// wrapping ErrNotFound.
func (m *Memory) RemoveAlias(name, alias string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.aliases[name][alias]; !ok {
		return fmt.Errorf("%w: alias %q of model %q", ErrNotFound, alias, name)
	}
	delete(m.aliases[name], alias)
	return nil
}

// ErrNotFound is returned by Memory.Load for an unknown model or version.
var ErrNotFound = errors.New("udf: model not found")

// Load implements ModelSource.
func (m *Memory) Load(ref string) (*nn.Model, registry.Entry, error) {
	r, err := registry.ParseRef(ref)
	if err != nil {
		return nil, registry.Entry{}, fmt.Errorf("udf: %w", err)
	}
	name, version := r.Name, r.Version
	m.mu.RLock()
	defer m.mu.RUnlock()
	if r.Alias != "" {
		v, ok := m.aliases[name][r.Alias]
		if !ok {
			return nil, registry.Entry{}, fmt.Errorf("%w: unknown alias %q of model %q (aliases: %s)",
				ErrNotFound, r.Alias, name, strings.Join(slices.Sorted(maps.Keys(m.aliases[name])), ", "))
		}
		version = v
	}
	versions := m.models[name]
	if version == 0 {
		version = len(versions)
	}
	if version < 1 || version > len(versions) {
		return nil, registry.Entry{}, fmt.Errorf("%w: %q", ErrNotFound, ref)
	}
	e := versions[version-1]
	return e.model, e.info, nil
}

// summarize fills in an entry's summary of the model's spec.
func summarize(m *nn.Model) registry.Entry {
	spec := m.Spec()
	info := registry.Entry{Task: string(spec.Task), Labels: spec.Labels, Params: m.Params().Total, Metrics: spec.Provenance.Metrics}
	for _, in := range spec.Inputs {
		info.Inputs = append(info.Inputs, in.Name)
	}
	return info
}

func sortEntries(infos []registry.Entry) {
	slices.SortFunc(infos, func(a, b registry.Entry) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return a.Version - b.Version
	})
}

// loadModel loads ref from src and, when that fails, explains why in the
// terms a SQL user needs (the caller prefixes the function's name): an
// unknown name lists the models there are and, for a source with a Dir
// method (FromRegistry's), the folder it reads; an unknown version lists that
// model's versions, anything else (a corrupt file, say) passes on the
// source's error, which names the file.
func loadModel(src ModelSource, ref string) (*nn.Model, registry.Entry, error) {
	r, err := parseRef(ref)
	if err != nil {
		return nil, registry.Entry{}, err
	}
	name, version := r.Name, r.Version
	model, info, loadErr := src.Load(ref)
	if loadErr == nil {
		if model == nil {
			return nil, info, fmt.Errorf("model %q: the model source returned no model", ref)
		}
		return model, info, nil
	}
	infos, listErr := src.List()
	if listErr != nil {
		return nil, registry.Entry{}, fmt.Errorf("model %q: %w (and listing the models failed: %v)", ref, loadErr, listErr)
	}
	sortEntries(infos)
	var names []string
	var versions []string
	found := false
	for _, in := range infos {
		if len(names) == 0 || names[len(names)-1] != in.Name {
			names = append(names, in.Name)
		}
		if in.Name == name {
			versions = append(versions, strconv.Itoa(in.Version))
			found = found || in.Version == version || version == 0
		}
	}
	switch {
	case len(versions) == 0:
		avail := "there are no models"
		if len(names) > 0 {
			avail = "available models: " + strings.Join(names, ", ")
		}
		if d, ok := src.(interface{ Dir() string }); ok && d.Dir() != "" {
			avail += " (models folder: " + d.Dir() + ")"
		}
		return nil, registry.Entry{}, fmt.Errorf("unknown model %q; %s", name, avail)
	case !found:
		return nil, registry.Entry{}, fmt.Errorf("model %q has no version %d; available versions: %s",
			name, version, strings.Join(versions, ", "))
	}
	return nil, registry.Entry{}, fmt.Errorf("cannot load model %q: %w", ref, loadErr)
}
