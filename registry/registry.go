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

	"github.com/dense-ml/dense/internal/safefile"
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

	// Aliases are the aliases that point to this version, sorted (filled
	// in by List and Versions; entry.json never changes, so they are not in it).
	Aliases []string `json:"-"`
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
// must be a folder. The registry keeps the folder's absolute path, so its
// errors and entries say exactly which folder was read.
func Open(dir string) (*Registry, error) {
	if dir == "" {
		dir = os.Getenv(EnvDir)
	}
	if dir == "" {
		dir = DefaultDir
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("registry: models folder %s: %w", dir, err)
	}
	st, err := os.Stat(abs)
	switch {
	case err == nil && !st.IsDir():
		return nil, fmt.Errorf("registry: models folder %s is not a folder", abs)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("registry: models folder %s: %w", abs, err)
	}
	return &Registry{dir: abs}, nil
}

// Dir is the registry's folder, an absolute path.
func (r *Registry) Dir() string { return r.dir }

// ValidName returns an error (wrapping ErrBadRef) unless name can name a model: 1 to 128 letters,
// digits, '_', '-' or '.', starting with a letter or digit.
func ValidName(name string) error {
	if name == "" {
		return badRef("%v: empty model name", ErrBadRef)
	}
	if len(name) > 128 {
		return badRef("%v: model name is %d bytes, at most 128", ErrBadRef, len(name))
	}
	for i, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			i > 0 && (c == '_' || c == '-' || c == '.')
		if !ok {
			return badRef("%v: model name %q: character %q at %d (names hold letters, digits, '_', '-' and '.', starting with a letter or digit)",
				ErrBadRef, name, c, i)
		}
	}
	return nil
}

// Ref is a parsed model reference: Name, and either a Version (0 means
// the newest) or an Alias.
type Ref struct {
	Name    string
	Version int    // 0: the newest version (or the alias's)
	Alias   string // "" unless the reference names an alias
}

// ParseRef parses "name", "name@latest" (both the newest version),
// "name@3" (version 3) or "name@prod" (the version alias prod points to).
// It is the one parser of model references: the CLI, Go callers and the
// SQL functions all use it.
func ParseRef(ref string) (Ref, error) {
	name, v, has := strings.Cut(ref, "@")
	if err := ValidName(name); err != nil {
		return Ref{}, badRef("reference %q: %s", ref, Problem(err))
	}
	if !has || v == "latest" {
		return Ref{Name: name}, nil
	}
	if v != "" && (v[0] >= 'a' && v[0] <= 'z' || v[0] >= 'A' && v[0] <= 'Z') { // an alias starts with a letter
		if err := ValidAlias(v); err != nil {
			return Ref{}, badRef("reference %q: %s (after '@' comes a version number, \"latest\" or an alias)", ref, Problem(err))
		}
		return Ref{Name: name, Alias: v}, nil
	}
	version, convErr := strconv.Atoi(v)
	if convErr != nil || version < 1 || strconv.Itoa(version) != v {
		return Ref{}, badRef("%v: reference %q: version %q is not a positive integer, \"latest\" or an alias", ErrBadRef, ref, v)
	}
	return Ref{Name: name, Version: version}, nil
}

// RefError is a model name, alias or reference that cannot be used. It
// wraps ErrBadRef; Problem gives its message without the package prefix, for
// callers that report it in their own terms (a SQL error, a YAML key).
type RefError struct{ problem string }

func badRef(format string, args ...any) error {
	return &RefError{problem: fmt.Sprintf(format, args...)}
}

func (e *RefError) Error() string { return "registry: " + e.problem }
func (e *RefError) Unwrap() error { return ErrBadRef }

// Problem is err's message without the "registry: " prefix when err is (or
// wraps) a *RefError, else err's whole message.
func Problem(err error) string {
	if re, ok := errors.AsType[*RefError](err); ok {
		return re.problem
	}
	return err.Error()
}

// Limits on the small files the registry reads, so that a damaged or hostile
// models folder (an entry.json that is a link to /dev/zero, a huge sparse
// file) cannot make a listing hang or run out of memory.
const MaxEntryBytes = 8 << 20

// StaleAge is how old a temporary file left by a registration must be before
// a later registration removes it (and then only if no live process on this
// machine owns it). A registration writes its temporary file continuously
// and renames it as soon as it is synced, so an hour-old one is abandoned.
const StaleAge = time.Hour

// Register stores m as the next version of name and returns its entry. The
// model is written and synced before a version is claimed, so a model that
// cannot be saved uses up no version number. It first removes the stale
// temporary files of earlier registrations of name that crashed (see
// StaleAge).
func (r *Registry) Register(name string, m *nn.Model) (Entry, error) {
	if err := ValidName(name); err != nil {
		return Entry{}, err
	}
	fail := func(err error) (Entry, error) {
		return Entry{}, fmt.Errorf("registry: register %s in %s: %w", name, r.dir, err)
	}
	nameDir := filepath.Join(r.dir, name)
	if err := os.MkdirAll(nameDir, 0o755); err != nil {
		return fail(err)
	}
	r.removeStale(name, time.Now())
	tmp, err := os.CreateTemp(nameDir, tempPattern(".register"))
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

// tempPattern is the os.CreateTemp pattern of the registry's temporary
// files: prefix, this process's id, a random part. The id lets a later
// registration tell an abandoned file from one a live process is writing.
func tempPattern(prefix string) string {
	return prefix + "-" + strconv.Itoa(os.Getpid()) + "-*.tmp"
}

// tempOwner parses a temporary file's name: whether it is one of the
// registry's (".register-…" in a name folder, ".entry.json-…" or
// ".DELETED-…" in a version folder, ending in ".tmp") and the process id in
// it (0 when the name has none: files of older versions of dense).
func tempOwner(name string) (pid int, ok bool) {
	var rest string
	found := false
	for _, p := range []string{".register-", "." + EntryFile + "-", "." + DeletedFile + "-"} {
		if rest, found = strings.CutPrefix(name, p); found {
			break
		}
	}
	if !found || !strings.HasSuffix(rest, ".tmp") {
		return 0, false
	}
	if id, _, ok := strings.Cut(rest, "-"); ok {
		if pid, err := strconv.Atoi(id); err == nil && pid > 0 {
			return pid, true
		}
	}
	return 0, true
}

// removeStale removes the registry's temporary files under name's folder
// (and its version folders) that are older than StaleAge and not owned by a
// live process on this machine. It is best effort: a file it cannot remove
// is left for the next time.
func (r *Registry) removeStale(name string, now time.Time) {
	nameDir := filepath.Join(r.dir, name)
	sweep := func(dir string, owner func(string) (int, bool)) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, de := range ents {
			pid, ok := owner(de.Name())
			if !ok || !de.Type().IsRegular() {
				continue
			}
			info, err := de.Info()
			if err != nil || now.Sub(info.ModTime()) < StaleAge {
				continue
			}
			if pid != 0 && pid != os.Getpid() && processAlive(pid) {
				continue
			}
			os.Remove(filepath.Join(dir, de.Name()))
		}
	}
	sweep(nameDir, tempOwner)
	sweep(filepath.Join(nameDir, AliasDir), aliasTempOwner)
	vs, _ := r.versionDirs(name)
	for _, v := range vs {
		sweep(filepath.Join(nameDir, strconv.Itoa(v)), tempOwner)
	}
}

// aliasTempOwner parses the name of a temporary file in a model's alias
// folder, written by SetAlias (writeFileSynced): "." + alias + "-PID-" +
// digits + ".tmp". ok is false for anything else, which is never removed.
func aliasTempOwner(name string) (pid int, ok bool) {
	rest, found := strings.CutPrefix(name, ".")
	if !found {
		return 0, false
	}
	if rest, found = strings.CutSuffix(rest, ".tmp"); !found {
		return 0, false
	}
	i := strings.LastIndexByte(rest, '-')
	if i < 0 || !allDigits(rest[i+1:]) {
		return 0, false
	}
	rest = rest[:i]
	j := strings.LastIndexByte(rest, '-')
	if j < 0 || !allDigits(rest[j+1:]) || ValidAlias(rest[:j]) != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(rest[j+1:])
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// writeFileSynced writes a small file atomically (temp, fsync, rename).
func writeFileSynced(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), tempPattern("."+filepath.Base(path)))
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
	published state = iota // a model file is there: usable, or damaged
	deleted
	pending // being written, or abandoned by a crash: no model file
)

// versionState looks at a version folder without reading any file. Anything
// named model.safetensors (a FIFO, a folder, a dangling link) makes the
// version published, so that a damaged file is reported, not skipped.
func (r *Registry) versionState(name string, v int) state {
	vdir := filepath.Join(r.dir, name, strconv.Itoa(v))
	if _, err := os.Lstat(filepath.Join(vdir, DeletedFile)); err == nil {
		return deleted
	}
	if _, err := os.Lstat(filepath.Join(vdir, ModelFile)); err == nil {
		return published
	}
	return pending
}

// published lists the published versions of name (usable or damaged),
// ascending.
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

// Resolve finds the entry a reference names. "name" is the newest
// published version; if that version is damaged, Resolve says so (and
// which versions there are) rather than falling back to an older model.
func (r *Registry) Resolve(ref string) (Entry, error) {
	pr, err := ParseRef(ref)
	if err != nil {
		return Entry{}, err
	}
	name, version := pr.Name, pr.Version
	if pr.Alias != "" {
		if version, err = r.aliasVersion(name, pr.Alias); err != nil {
			return Entry{}, err
		}
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
		if pr.Alias != "" {
			why = "alias " + pr.Alias + " points to " + why
		}
		return Entry{}, fmt.Errorf("registry: %w: %s %d of model %q (versions: %s) in %s", ErrNotFound, why, version, name, joinInts(vs), r.dir)
	}
	e, err := r.entry(name, version)
	if err != nil {
		return Entry{}, fmt.Errorf("%w (versions: %s)", err, joinInts(vs))
	}
	return e, nil
}

// ErrDamaged is wrapped by the error for a published version whose
// entry.json or model file is missing, unreadable, not a regular file or
// does not match.
var ErrDamaged = errors.New("damaged version")

// Damaged is a published version that cannot be used, with the reason.
type Damaged struct {
	Name    string
	Version int
	Dir     string // the version's folder
	Err     error  // wraps ErrDamaged
}

// Ref is the reference that names the damaged version: "name@3".
func (d Damaged) Ref() string { return d.Name + "@" + strconv.Itoa(d.Version) }

// entry reads and checks a published version's entry.json. A version
// whose entry.json is missing, not a regular file, over MaxEntryBytes, not
// an entry, for another model or version, or without a SHA-256 and size is
// damaged: without it the model file cannot be checked, and a model is
// never loaded unchecked. So is one whose model file is not a regular file.
func (r *Registry) entry(name string, v int) (Entry, error) {
	vdir := filepath.Join(r.dir, name, strconv.Itoa(v))
	damaged := func(format string, args ...any) (Entry, error) {
		return Entry{}, fmt.Errorf("registry: %w %s@%d (%s): %s", ErrDamaged, name, v, vdir, fmt.Sprintf(format, args...))
	}
	path := filepath.Join(vdir, ModelFile)
	if f, _, err := safefile.Open(path); err != nil {
		return damaged("model file: %v", err)
	} else {
		f.Close()
	}
	entryPath := filepath.Join(vdir, EntryFile)
	b, err := safefile.ReadFile(entryPath, MaxEntryBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return damaged("%s is missing, so the model file cannot be checked", EntryFile)
	}
	if err != nil {
		return damaged("%v", err)
	}
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return damaged("%s is not a registry entry: %v", entryPath, err)
	}
	switch {
	case e.Name != name || e.Version != v:
		return damaged("%s describes %s@%d", entryPath, e.Name, e.Version)
	case len(e.SHA256) != 64 || strings.Trim(e.SHA256, "0123456789abcdef") != "":
		return damaged("%s has no valid sha256 (got %q), so the model file cannot be checked", entryPath, e.SHA256)
	case e.Size <= 0:
		return damaged("%s has no valid size (got %d)", entryPath, e.Size)
	}
	e.Path = path
	return e, nil
}

// describe is the part of an entry the model itself tells: task, target,
// labels, parameters, inputs, provenance and its finite metrics (JSON has
// no NaN or Inf).
func describe(m *nn.Model) Entry {
	spec := m.Spec()
	e := Entry{Task: string(spec.Task), Target: spec.Target, Labels: spec.Labels, Params: m.Params().Total,
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

// Load resolves ref and loads its model, checking the file's size and
// SHA-256 against the ones recorded at registration (and nn's own checks,
// among them the digest the model file carries).
func (r *Registry) Load(ref string) (*nn.Model, Entry, error) {
	e, err := r.Resolve(ref)
	if err != nil {
		return nil, Entry{}, err
	}
	f, st, err := safefile.Open(e.Path)
	if err != nil {
		return nil, Entry{}, fmt.Errorf("registry: load %s: %w", e.Ref(), err)
	}
	defer f.Close()
	if st.Size() != e.Size {
		return nil, Entry{}, fmt.Errorf("registry: load %s: %s is %d bytes, %d when registered: the file was changed or damaged", e.Ref(), e.Path, st.Size(), e.Size)
	}
	changed := func(got string) error {
		return fmt.Errorf("registry: load %s: %s has SHA-256 %s, %s when registered: the file was changed or damaged", e.Ref(), e.Path, got, e.SHA256)
	}
	h := sha256.New()
	m, err := nn.Decode(io.TeeReader(bufio.NewReaderSize(f, 1<<20), h), st.Size())
	if err != nil {
		// A file that no longer is the registered one is reported as such,
		// whatever nn found wrong in it first.
		if _, serr := f.Seek(0, io.SeekStart); serr == nil {
			h.Reset()
			if _, cerr := io.Copy(h, f); cerr == nil {
				if got := hex.EncodeToString(h.Sum(nil)); got != e.SHA256 {
					return nil, Entry{}, changed(got)
				}
			}
		}
		return nil, Entry{}, fmt.Errorf("registry: load %s (%s): %w", e.Ref(), e.Path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != e.SHA256 {
		return nil, Entry{}, changed(got)
	}
	return m, e, nil
}

// List returns every usable published version of every model, sorted by
// name and version, and the damaged ones (sorted the same way) with the
// reason each cannot be used: one damaged version hides nothing else. The
// error is for a models folder that cannot be read at all.
func (r *Registry) List() ([]Entry, []Damaged, error) {
	names, err := r.names()
	if err != nil {
		return nil, nil, err
	}
	var out []Entry
	var bad []Damaged
	for _, name := range names {
		vs, err := r.published(name)
		if err != nil {
			return nil, nil, fmt.Errorf("registry: %s: %w", r.dir, err)
		}
		as, err := r.Aliases(name)
		if err != nil {
			return nil, nil, err
		}
		for _, v := range vs {
			e, err := r.entry(name, v)
			e.Aliases = aliasesOf(as, v)
			if err != nil {
				if r.versionState(name, v) == deleted {
					continue // deleted while we listed
				}
				bad = append(bad, Damaged{Name: name, Version: v, Dir: filepath.Join(r.dir, name, strconv.Itoa(v)), Err: err})
				continue
			}
			out = append(out, e)
		}
	}
	return out, bad, nil
}

// Versions returns the usable published versions of one model, ascending;
// an unknown name is an error that lists the models there are.
func (r *Registry) Versions(name string) ([]Entry, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	vs, err := r.published(name)
	if err != nil {
		return nil, fmt.Errorf("registry: %s: %w", r.dir, err)
	}
	if len(vs) == 0 {
		_, err := r.Resolve(name) // the unknown-model error
		return nil, err
	}
	as, err := r.Aliases(name)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, v := range vs {
		if e, err := r.entry(name, v); err == nil {
			e.Aliases = aliasesOf(as, v)
			out = append(out, e)
		}
	}
	return out, nil
}

// Delete removes a version ("name@3" or "name@prod"), or every version of
// a model ("name"), damaged ones included. A deleted version's folder stays
// behind with a DELETED marker, so its number is never given to another
// model. A version an alias points to is only deleted with force (the
// error wraps ErrAliased), which removes those aliases too. Readers that
// already opened the file finish reading it.
func (r *Registry) Delete(ref string, force bool) error {
	pr, err := ParseRef(ref)
	if err != nil {
		return err
	}
	name, version := pr.Name, pr.Version
	if version == 0 && pr.Alias == "" && strings.Contains(ref, "@") {
		return fmt.Errorf("registry: %w: delete %q: name a version (%s@3) or the whole model (%s)", ErrBadRef, ref, name, name)
	}
	e, err := r.Resolve(ref)
	if err != nil && !errors.Is(err, ErrDamaged) {
		return err
	}
	if pr.Alias != "" {
		if err != nil {
			return err // a damaged alias file: there is no version to delete
		}
		version = e.Version
	}
	targets := []int{version}
	if version == 0 {
		if targets, err = r.published(name); err != nil {
			return fmt.Errorf("registry: delete %s: %w", ref, err)
		}
	}
	as, err := r.Aliases(name)
	if err != nil {
		return fmt.Errorf("registry: delete %s: %w", ref, err)
	}
	var aliased []string
	for _, v := range targets {
		for _, a := range aliasesOf(as, v) {
			aliased = append(aliased, fmt.Sprintf("%s → %s@%d", a, name, v))
		}
	}
	if len(aliased) > 0 && !force {
		return fmt.Errorf("registry: %w: delete %s: aliases point to it (%s): move or remove them first, or force", ErrAliased, ref, strings.Join(aliased, ", "))
	}
	for _, v := range targets {
		vdir := filepath.Join(r.dir, name, strconv.Itoa(v))
		if err := writeFileSynced(filepath.Join(vdir, DeletedFile), []byte(time.Now().UTC().Format(time.RFC3339Nano)+"\n")); err != nil {
			return fmt.Errorf("registry: delete %s@%d: %w", name, v, err)
		}
		for _, f := range []string{ModelFile, EntryFile} {
			if err := os.RemoveAll(filepath.Join(vdir, f)); err != nil {
				return fmt.Errorf("registry: delete %s@%d: %w", name, v, err)
			}
		}
		if err := nn.SyncDir(vdir); err != nil {
			return fmt.Errorf("registry: delete %s@%d: %w", name, v, err)
		}
		for _, a := range aliasesOf(as, v) {
			if err := os.Remove(filepath.Join(r.dir, name, AliasDir, a)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("registry: delete %s@%d: alias %s: %w", name, v, a, err)
			}
		}
	}
	return nil
}
