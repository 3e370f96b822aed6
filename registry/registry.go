package registry

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dense-ml/dense/nn"
)

// EnvDir is the environment variable that overrides the default folder.
const EnvDir = "DENSE_MODELS"

// DefaultDir is the folder used when neither Open's argument nor EnvDir
// says otherwise.
const DefaultDir = "models"

// File names inside a version folder.
const (
	ModelFile   = "model.safetensors"
	EntryFile   = "entry.json"
	DeletedFile = "DELETED"
)

var (
	// ErrNotFound is wrapped by the errors for an unknown model or version.
	ErrNotFound = errors.New("not found")
	// ErrBadRef is wrapped by the errors for an invalid name or reference.
	ErrBadRef = errors.New("invalid model reference")
)

// Registry is a folder of versioned models. It holds no state besides the
// folder's path, so any number of Registry values, goroutines and processes
// may use the same folder at once.
type Registry struct {
	dir string
}

// Entry describes one registered version.
type Entry struct {
	Name    string    `json:"name"`
	Version int       `json:"version"`
	Path    string    `json:"-"` // the model file
	SHA256  string    `json:"sha256"`
	Size    int64     `json:"size"`    // bytes of the model file
	Created time.Time `json:"created"` // when it was registered

	// A summary of the model's spec, so listing needs no model file.
	Task    string             `json:"task"`
	Inputs  []string           `json:"inputs"`
	Target  string             `json:"target,omitempty"`
	Labels  []string           `json:"labels,omitempty"`
	Params  int                `json:"params"`
	Metrics map[string]float64 `json:"metrics,omitempty"`
	Rows    int64              `json:"rows,omitempty"`
	Source  string             `json:"source,omitempty"`
}

// Ref is the reference that names exactly this version: "name@3".
func (e Entry) Ref() string { return e.Name + "@" + strconv.Itoa(e.Version) }

// Dir is the version's folder, where other artefacts of the version (plots,
// reports) may be kept.
func (e Entry) Dir() string {
	if e.Path == "" {
		return ""
	}
	return filepath.Dir(e.Path)
}

// Open returns the registry in dir: dir itself if not empty, else
// $DENSE_MODELS, else ./models. The folder need not exist yet; if it does, it
// must be a folder.
func Open(dir string) (*Registry, error) {
	if dir == "" {
		dir = os.Getenv(EnvDir)
	}
	if dir == "" {
		dir = DefaultDir
	}
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return nil, fmt.Errorf("registry: %s is not a folder", dir)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("registry: %w", err)
	}
	return &Registry{dir: dir}, nil
}

// Dir is the registry's folder.
func (r *Registry) Dir() string { return r.dir }

// ValidName returns an error (wrapping ErrBadRef) unless name can name a model: 1 to 128 letters,
// digits, '_', '-' or '.', starting with a letter or digit.
func ValidName(name string) error {
	if name == "" {
		return fmt.Errorf("registry: %w: empty model name", ErrBadRef)
	}
	if len(name) > 128 {
		return fmt.Errorf("registry: %w: model name is %d bytes, at most 128", ErrBadRef, len(name))
	}
	for i, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			i > 0 && (c == '_' || c == '-' || c == '.')
		if !ok {
			return fmt.Errorf("registry: %w: model name %q: character %q at %d (names hold letters, digits, '_', '-' and '.', starting with a letter or digit)",
				ErrBadRef, name, c, i)
		}
	}
	return nil
}

// ParseRef splits "name", "name@latest" or "name@3"; version 0 means the
// newest.
func ParseRef(ref string) (name string, version int, err error) {
	name, v, has := strings.Cut(ref, "@")
	if err := ValidName(name); err != nil {
		return "", 0, fmt.Errorf("registry: reference %q: %w", ref, unprefix(err))
	}
	if !has || v == "latest" {
		return name, 0, nil
	}
	version, convErr := strconv.Atoi(v)
	if convErr != nil || version < 1 || strconv.Itoa(version) != v {
		return "", 0, fmt.Errorf("registry: %w: reference %q: version %q is not a positive integer or \"latest\"", ErrBadRef, ref, v)
	}
	return name, version, nil
}

func unprefix(err error) error { return trimmed{err} }

type trimmed struct{ err error }

func (t trimmed) Error() string { return strings.TrimPrefix(t.err.Error(), "registry: ") }
func (t trimmed) Unwrap() error { return t.err }

// Register stores m as the next version of name and returns its entry. The
// model is written and synced before a version is claimed, so a model that
// cannot be saved uses up no version number.
func (r *Registry) Register(name string, m *nn.Model) (Entry, error) {
	if err := ValidName(name); err != nil {
		return Entry{}, err
	}
	fail := func(err error) (Entry, error) {
		return Entry{}, fmt.Errorf("registry: register %s: %w", name, err)
	}
	nameDir := filepath.Join(r.dir, name)
	if err := os.MkdirAll(nameDir, 0o755); err != nil {
		return fail(err)
	}
	tmp, err := os.CreateTemp(nameDir, ".register-*.tmp")
	if err != nil {
		return fail(err)
	}
	tmpName := tmp.Name()
	published := false
	defer func() {
		if !published {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, h), 1<<20)
	size, err := m.WriteTo(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		err = tmp.Close()
	}
	if err != nil {
		return fail(err)
	}
	e := describe(m)
	e.Name, e.SHA256, e.Size, e.Created = name, hex.EncodeToString(h.Sum(nil)), size, time.Now().UTC()
	// Claim the next free version: mkdir succeeds for exactly one claimant.
	for attempt := 0; ; attempt++ {
		if attempt == 1000 {
			return fail(errors.New("could not claim a version after 1000 attempts"))
		}
		next, err := r.maxVersion(name)
		if err != nil {
			return fail(err)
		}
		e.Version = next + 1
		err = os.Mkdir(filepath.Join(nameDir, strconv.Itoa(e.Version)), 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return fail(err)
		}
	}
	vdir := filepath.Join(nameDir, strconv.Itoa(e.Version))
	e.Path = filepath.Join(vdir, ModelFile)
	eb, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fail(err)
	}
	if err := writeFileSynced(filepath.Join(vdir, EntryFile), append(eb, '\n')); err != nil {
		return fail(err)
	}
	// Publish: the model file appears whole, with its entry already there.
	if err := os.Rename(tmpName, e.Path); err != nil {
		return fail(err)
	}
	published = true
	if err := nn.SyncDir(vdir); err != nil {
		return fail(err)
	}
	if err := nn.SyncDir(nameDir); err != nil {
		return fail(err)
	}
	return e, nil
}

// writeFileSynced writes a small file atomically (temp, fsync, rename).
func writeFileSynced(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// versionDirs lists the version numbers claimed under name (published,
// in progress, abandoned or deleted), ascending. A missing name folder is no
// versions.
func (r *Registry) versionDirs(name string) ([]int, error) {
	ents, err := os.ReadDir(filepath.Join(r.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var vs []int
	for _, de := range ents {
		v, err := strconv.Atoi(de.Name())
		if err != nil || v < 1 || strconv.Itoa(v) != de.Name() || !de.IsDir() {
			continue
		}
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs, nil
}

func (r *Registry) maxVersion(name string) (int, error) {
	vs, err := r.versionDirs(name)
	if err != nil || len(vs) == 0 {
		return 0, err
	}
	return vs[len(vs)-1], nil
}

// state of one claimed version folder.
type state int

const (
	published state = iota
	deleted
	pending // being written, or abandoned by a crash
)

func (r *Registry) versionState(name string, v int) state {
	vdir := filepath.Join(r.dir, name, strconv.Itoa(v))
	if _, err := os.Stat(filepath.Join(vdir, DeletedFile)); err == nil {
		return deleted
	}
	if st, err := os.Stat(filepath.Join(vdir, ModelFile)); err == nil && st.Mode().IsRegular() {
		return published
	}
	return pending
}

// published lists the published versions of name, ascending.
func (r *Registry) published(name string) ([]int, error) {
	vs, err := r.versionDirs(name)
	if err != nil {
		return nil, err
	}
	out := vs[:0]
	for _, v := range vs {
		if r.versionState(name, v) == published {
			out = append(out, v)
		}
	}
	return out, nil
}

// names lists the model names with at least one published version.
func (r *Registry) names() ([]string, error) {
	ents, err := os.ReadDir(r.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	var out []string
	for _, de := range ents {
		if !de.IsDir() || ValidName(de.Name()) != nil {
			continue
		}
		vs, err := r.published(de.Name())
		if err != nil {
			return nil, fmt.Errorf("registry: %w", err)
		}
		if len(vs) > 0 {
			out = append(out, de.Name())
		}
	}
	return out, nil
}

func joinInts(vs []int) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ", ")
}

// Resolve finds the entry a reference names.
func (r *Registry) Resolve(ref string) (Entry, error) {
	name, version, err := ParseRef(ref)
	if err != nil {
		return Entry{}, err
	}
	vs, err := r.published(name)
	if err != nil {
		return Entry{}, fmt.Errorf("registry: %s: %w", ref, err)
	}
	if len(vs) == 0 {
		names, err := r.names()
		if err != nil {
			return Entry{}, err
		}
		avail := "there are none"
		if len(names) > 0 {
			avail = "available: " + strings.Join(names, ", ")
		}
		return Entry{}, fmt.Errorf("registry: %w: unknown model %q in %s (%s)", ErrNotFound, name, r.dir, avail)
	}
	if version == 0 {
		version = vs[len(vs)-1]
	} else if !slices.Contains(vs, version) {
		why := "unknown version"
		if _, err := os.Stat(filepath.Join(r.dir, name, strconv.Itoa(version))); err == nil {
			why = "unfinished version" // being registered right now, or abandoned by a crash
			if r.versionState(name, version) == deleted {
				why = "deleted version"
			}
		}
		return Entry{}, fmt.Errorf("registry: %w: %s %d of model %q (versions: %s)", ErrNotFound, why, version, name, joinInts(vs))
	}
	return r.entry(name, version)
}

// entry reads a published version's entry.json; when it is missing or
// unreadable (a model file copied in by hand) the entry is rebuilt from the
// model file itself.
func (r *Registry) entry(name string, v int) (Entry, error) {
	vdir := filepath.Join(r.dir, name, strconv.Itoa(v))
	path := filepath.Join(vdir, ModelFile)
	var e Entry
	if b, err := os.ReadFile(filepath.Join(vdir, EntryFile)); err == nil && json.Unmarshal(b, &e) == nil &&
		e.Name == name && e.Version == v && e.SHA256 != "" {
		e.Path = path
		return e, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return Entry{}, fmt.Errorf("registry: %s@%d: %w", name, v, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Entry{}, fmt.Errorf("registry: %s@%d: %w", name, v, err)
	}
	h := sha256.New()
	m, err := nn.Decode(io.TeeReader(bufio.NewReader(f), h), st.Size())
	if err != nil {
		return Entry{}, fmt.Errorf("registry: %s@%d has no %s and its model file does not load: %w", name, v, EntryFile, err)
	}
	e = describe(m)
	e.Name, e.Version, e.Path, e.SHA256, e.Size, e.Created = name, v, path, hex.EncodeToString(h.Sum(nil)), st.Size(), st.ModTime().UTC()
	return e, nil
}

// describe is the part of an entry the model itself tells: task, target,
// labels, parameters, inputs, provenance and its finite metrics (JSON has
// no NaN or Inf).
func describe(m *nn.Model) Entry {
	spec := m.Spec()
	e := Entry{Task: spec.Task, Target: spec.Target, Labels: spec.Labels, Params: m.Params().Total,
		Rows: spec.Provenance.Rows, Source: spec.Provenance.Source}
	for _, in := range spec.Inputs {
		e.Inputs = append(e.Inputs, in.Name)
	}
	for k, v := range spec.Provenance.Metrics {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			if e.Metrics == nil {
				e.Metrics = map[string]float64{}
			}
			e.Metrics[k] = v
		}
	}
	return e
}

// Load resolves ref and loads its model, checking the file's SHA-256
// against the one recorded at registration.
func (r *Registry) Load(ref string) (*nn.Model, Entry, error) {
	e, err := r.Resolve(ref)
	if err != nil {
		return nil, Entry{}, err
	}
	f, err := os.Open(e.Path)
	if err != nil {
		return nil, Entry{}, fmt.Errorf("registry: load %s: %w", e.Ref(), err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, Entry{}, fmt.Errorf("registry: load %s: %w", e.Ref(), err)
	}
	if st.Size() != e.Size {
		return nil, Entry{}, fmt.Errorf("registry: load %s: %s is %d bytes, %d when registered: the file was changed or damaged", e.Ref(), e.Path, st.Size(), e.Size)
	}
	h := sha256.New()
	m, err := nn.Decode(io.TeeReader(bufio.NewReaderSize(f, 1<<20), h), st.Size())
	if err != nil {
		return nil, Entry{}, fmt.Errorf("registry: load %s (%s): %w", e.Ref(), e.Path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != e.SHA256 {
		return nil, Entry{}, fmt.Errorf("registry: load %s: %s has SHA-256 %s, %s when registered: the file was changed or damaged", e.Ref(), e.Path, got, e.SHA256)
	}
	return m, e, nil
}

// List returns every published version of every model, sorted by name and
// version.
func (r *Registry) List() ([]Entry, error) {
	names, err := r.names()
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, name := range names {
		vs, err := r.published(name)
		if err != nil {
			return nil, fmt.Errorf("registry: %w", err)
		}
		for _, v := range vs {
			e, err := r.entry(name, v)
			if err != nil {
				if r.versionState(name, v) == deleted {
					continue // deleted while we listed
				}
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// Versions returns the published versions of one model, ascending; an
// unknown name is an error that lists the models there are.
func (r *Registry) Versions(name string) ([]Entry, error) {
	if _, err := r.Resolve(name); err != nil {
		return nil, err
	}
	all, err := r.List()
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, e := range all {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out, nil
}

// Delete removes a version ("name@3"), or every version of a model
// ("name"). A deleted version's folder stays behind with a DELETED marker,
// so its number is never given to another model. Readers that already
// opened the file finish reading it.
func (r *Registry) Delete(ref string) error {
	name, version, err := ParseRef(ref)
	if err != nil {
		return err
	}
	if version == 0 && strings.Contains(ref, "@") {
		return fmt.Errorf("registry: %w: delete %q: name a version (%s@3) or the whole model (%s)", ErrBadRef, ref, name, name)
	}
	if _, err := r.Resolve(ref); err != nil {
		return err
	}
	targets := []int{version}
	if version == 0 {
		if targets, err = r.published(name); err != nil {
			return fmt.Errorf("registry: delete %s: %w", ref, err)
		}
	}
	for _, v := range targets {
		vdir := filepath.Join(r.dir, name, strconv.Itoa(v))
		if err := writeFileSynced(filepath.Join(vdir, DeletedFile), []byte(time.Now().UTC().Format(time.RFC3339Nano)+"\n")); err != nil {
			return fmt.Errorf("registry: delete %s@%d: %w", name, v, err)
		}
		for _, f := range []string{ModelFile, EntryFile} {
			if err := os.Remove(filepath.Join(vdir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("registry: delete %s@%d: %w", name, v, err)
			}
		}
		if err := nn.SyncDir(vdir); err != nil {
			return fmt.Errorf("registry: delete %s@%d: %w", name, v, err)
		}
	}
	return nil
}
