package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dense-ml/dense/internal/safefile"
	"github.com/dense-ml/dense/nn"
)

// AliasDir is the folder, inside a model's folder, that holds its aliases:
// one small file per alias, holding the version number in decimal.
const AliasDir = "aliases"

// ErrAliased is wrapped by Delete's error for a version that an alias
// points to (Delete with force removes those aliases too).
var ErrAliased = errors.New("version has an alias")

// ValidAlias returns an error (wrapping ErrBadRef) unless alias can name an
// alias: a valid name (see ValidName) that starts with a letter, so that it
// can never be read as a version number, and is not "latest".
func ValidAlias(alias string) error {
	if err := ValidName(alias); err != nil {
		return badRef("alias %q: %s", alias, Problem(err))
	}
	if c := alias[0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return badRef("%v: alias %q must start with a letter", ErrBadRef, alias)
	}
	if alias == "latest" {
		return badRef("%v: alias \"latest\" is reserved (it means the newest version)", ErrBadRef)
	}
	return nil
}

// SetAlias points alias (of ref's model) at the version ref names, which
// must be usable: SetAlias("churn@3", "prod") makes "churn@prod" mean
// churn@3. An alias that already exists moves. The alias file is written
// to a temporary file, synced and renamed over the old one, so a reader sees
// the old version or the new one, never a partial file, and of concurrent
// moves of one alias the last rename wins.
func (r *Registry) SetAlias(ref, alias string) (Entry, error) {
	if err := ValidAlias(alias); err != nil {
		return Entry{}, err
	}
	e, err := r.Resolve(ref)
	if err != nil {
		return Entry{}, err
	}
	dir := filepath.Join(r.dir, e.Name, AliasDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Entry{}, fmt.Errorf("registry: alias %s@%s: %w", e.Name, alias, err)
	}
	r.removeStale(e.Name, time.Now())
	if err := writeFileSynced(filepath.Join(dir, alias), []byte(strconv.Itoa(e.Version)+"\n")); err != nil {
		return Entry{}, fmt.Errorf("registry: alias %s@%s: %w", e.Name, alias, err)
	}
	if err := nn.SyncDir(dir); err != nil {
		return Entry{}, fmt.Errorf("registry: alias %s@%s: %w", e.Name, alias, err)
	}
	return e, nil
}

// RemoveAlias removes alias of model name; an alias that does not exist is
// an error wrapping ErrNotFound that lists the model's aliases.
func (r *Registry) RemoveAlias(name, alias string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if err := ValidAlias(alias); err != nil {
		return err
	}
	err := os.Remove(filepath.Join(r.dir, name, AliasDir, alias))
	if errors.Is(err, fs.ErrNotExist) {
		return r.unknownAlias(name, alias)
	}
	if err != nil {
		return fmt.Errorf("registry: remove alias %s@%s: %w", name, alias, err)
	}
	return nil
}

// Aliases returns model name's aliases and the version each points to (an
// empty map when it has none).
func (r *Registry) Aliases(name string) (map[string]int, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	dir := filepath.Join(r.dir, name, AliasDir)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]int{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry: aliases of %s: %w", name, err)
	}
	out := map[string]int{}
	for _, de := range ents {
		if ValidAlias(de.Name()) != nil {
			continue // temporary files (".prod-PID-….tmp") and strangers
		}
		v, err := r.aliasVersion(name, de.Name())
		if err != nil {
			continue // removed while we listed, or damaged: Resolve reports it
		}
		out[de.Name()] = v
	}
	return out, nil
}

// aliasVersion reads the version an alias file holds.
func (r *Registry) aliasVersion(name, alias string) (int, error) {
	path := filepath.Join(r.dir, name, AliasDir, alias)
	b, err := safefile.ReadFile(path, 64)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, r.unknownAlias(name, alias)
	}
	if err != nil {
		return 0, fmt.Errorf("registry: %w: alias %s@%s (%s): %v", ErrDamaged, name, alias, path, err)
	}
	s := strings.TrimSpace(string(b))
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 || strconv.Itoa(v) != s {
		return 0, fmt.Errorf("registry: %w: alias %s@%s (%s) holds %q, not a version number", ErrDamaged, name, alias, path, s)
	}
	return v, nil
}

func (r *Registry) unknownAlias(name, alias string) error {
	have := "it has none"
	if as, err := r.Aliases(name); err == nil && len(as) > 0 {
		have = "aliases: " + strings.Join(sortedKeys(as), ", ")
	}
	return fmt.Errorf("registry: %w: %s@%s: unknown alias %q of model %q (%s) in %s", ErrNotFound, name, alias, alias, name, have, r.dir)
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// aliasesOf lists the aliases in as that point to version v, sorted.
func aliasesOf(as map[string]int, v int) []string {
	var out []string
	for _, a := range sortedKeys(as) {
		if as[a] == v {
			out = append(out, a)
		}
	}
	return out
}
