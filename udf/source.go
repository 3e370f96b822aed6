package udf

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dense-ml/dense/nn"
)

// ModelInfo identifies one stored version of a model and summarises it, so
// that listing models needs no model file.
type ModelInfo struct {
	Name    string
	Version int
	Path    string // model file; empty for in-memory models
	SHA256  string // of the model file; empty for in-memory models
	Created time.Time

	Task    string
	Inputs  []string // input names, in order
	Labels  []string
	Params  int
	Metrics map[string]float64 // validation metrics
}

// Ref is the reference that names exactly this version: "name@version".
func (m ModelInfo) Ref() string { return m.Name + "@" + strconv.Itoa(m.Version) }

// ModelSource is where the SQL functions find models: the pipeline's
// registry, or a Memory for tests and embedded use. Implementations must be
// safe for concurrent use; they are asked once per query, so a model another
// process registers is seen by the next query.
type ModelSource interface {
	// List returns every version of every model.
	List() ([]ModelInfo, error)
	// Load resolves ref ("name" is the newest version, "name@3" version 3)
	// and loads that model.
	Load(ref string) (*nn.Model, ModelInfo, error)
}

// ParseRef splits "name", "name@latest" or "name@version"; version 0 means
// the newest.
func ParseRef(ref string) (name string, version int, err error) {
	name, version, err = parseRef(ref)
	if err != nil {
		return "", 0, fmt.Errorf("udf: %w", err)
	}
	return name, version, nil
}

func parseRef(ref string) (name string, version int, err error) {
	name, v, hasVersion := strings.Cut(ref, "@")
	if name == "" {
		return "", 0, fmt.Errorf("model reference %q has no name", ref)
	}
	if !hasVersion || v == "latest" {
		return name, 0, nil
	}
	version, err = strconv.Atoi(v)
	if err != nil || version < 1 {
		return "", 0, fmt.Errorf("model reference %q: version %q is not a positive integer", ref, v)
	}
	return name, version, nil
}

// Memory is an in-memory ModelSource: Add a model under a name and it gets
// the next version number. It is safe for concurrent use.
type Memory struct {
	mu     sync.RWMutex
	models map[string][]memoryEntry
}

type memoryEntry struct {
	info  ModelInfo
	model *nn.Model
}

// NewMemory returns an empty in-memory model source.
func NewMemory() *Memory { return &Memory{models: map[string][]memoryEntry{}} }

// Add stores model as the next version of name and returns its info. The
// model must not be modified afterwards: queries share it.
func (m *Memory) Add(name string, model *nn.Model) ModelInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	info := summarize(model)
	info.Name, info.Version, info.Created = name, len(m.models[name])+1, time.Now().UTC()
	m.models[name] = append(m.models[name], memoryEntry{info, model})
	return info
}

// List implements ModelSource.
func (m *Memory) List() ([]ModelInfo, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []ModelInfo
	for _, versions := range m.models {
		for _, e := range versions {
			out = append(out, e.info)
		}
	}
	sortInfos(out)
	return out, nil
}

// ErrNotFound is returned by Memory.Load for an unknown model or version.
var ErrNotFound = errors.New("udf: model not found")

// Load implements ModelSource.
func (m *Memory) Load(ref string) (*nn.Model, ModelInfo, error) {
	name, version, err := ParseRef(ref)
	if err != nil {
		return nil, ModelInfo{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	versions := m.models[name]
	if version == 0 {
		version = len(versions)
	}
	if version < 1 || version > len(versions) {
		return nil, ModelInfo{}, fmt.Errorf("%w: %q", ErrNotFound, ref)
	}
	e := versions[version-1]
	return e.model, e.info, nil
}

// summarize fills in a ModelInfo's summary of the model's spec.
func summarize(m *nn.Model) ModelInfo {
	spec := m.Spec()
	info := ModelInfo{Task: string(spec.Task), Labels: spec.Labels, Params: m.Params().Total, Metrics: spec.Provenance.Metrics}
	for _, in := range spec.Inputs {
		info.Inputs = append(info.Inputs, in.Name)
	}
	return info
}

func sortInfos(infos []ModelInfo) {
	slices.SortFunc(infos, func(a, b ModelInfo) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return a.Version - b.Version
	})
}

// loadModel loads ref from src and, when that fails, explains why in the
// terms a SQL user needs (the caller prefixes the function's name): an
// unknown name lists the models there are, an unknown version lists that
// model's versions, anything else (a corrupt file, say) passes on the
// source's error, which names the file.
func loadModel(src ModelSource, ref string) (*nn.Model, ModelInfo, error) {
	name, version, err := parseRef(ref)
	if err != nil {
		return nil, ModelInfo{}, err
	}
	model, info, loadErr := src.Load(ref)
	if loadErr == nil {
		if model == nil {
			return nil, info, fmt.Errorf("model %q: the model source returned no model", ref)
		}
		return model, info, nil
	}
	infos, listErr := src.List()
	if listErr != nil {
		return nil, ModelInfo{}, fmt.Errorf("model %q: %w (and listing the models failed: %v)", ref, loadErr, listErr)
	}
	sortInfos(infos)
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
		return nil, ModelInfo{}, fmt.Errorf("unknown model %q; %s", name, avail)
	case !found:
		return nil, ModelInfo{}, fmt.Errorf("model %q has no version %d; available versions: %s",
			name, version, strings.Join(versions, ", "))
	}
	return nil, ModelInfo{}, fmt.Errorf("cannot load model %q: %w", ref, loadErr)
}
