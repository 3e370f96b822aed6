package dense

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
)

// Model is a model file carried inside the job: workers need no shared
// disk and no registry. Each worker checks the bytes against SHA256 before
// it loads them, once per process (see load).
type Model struct {
	// Ref names the model in messages: "churn@3", or the file it was read from.
	Ref string `json:"ref"`
	// SHA256 is the hex SHA-256 of Bytes: the registry's recorded checksum
	// for a registered model, the file's own for a file.
	SHA256 string `json:"sha256"`
	// Bytes is the model file (safetensors with the dense spec).
	Bytes []byte `json:"bytes"`
}

// ReadModel reads the model that ref names, for shipping in a job:
//
//   - a path or URL that exists on one of Beam's filesystems ("models/churn.safetensors",
//     "gs://bucket/churn.safetensors"; local paths need no scheme): its bytes, checksum computed here;
//   - otherwise a registry reference, NAME (the newest version) or NAME@V, in
//     the registry folder dir ("" → $DENSE_MODELS, else ./models): its file,
//     checked against the checksum the registry recorded.
//
// The model is parsed once here too, so a bad file fails before the job
// starts; the parsed model is returned for the launcher's own checks.
func ReadModel(ctx context.Context, ref, dir string) (Model, *nn.Model, error) {
	if ref == "" {
		return Model{}, nil, errors.New("dense: no model given")
	}
	if isFile(ctx, ref) {
		data, err := readAll(ctx, ref)
		if err != nil {
			return Model{}, nil, fmt.Errorf("dense: model %s: %w", ref, err)
		}
		sum := sha256.Sum256(data)
		m := Model{Ref: ref, SHA256: hex.EncodeToString(sum[:]), Bytes: data}
		nm, err := nn.Read(data)
		if err != nil {
			return Model{}, nil, fmt.Errorf("dense: model %s: %w", ref, err)
		}
		return m, nm, nil
	}
	reg, err := registry.Open(dir)
	if err != nil {
		return Model{}, nil, fmt.Errorf("dense: %w", err)
	}
	e, err := reg.Resolve(ref)
	if err != nil {
		return Model{}, nil, fmt.Errorf("dense: model %q is neither a file nor a registered model: %w", ref, err)
	}
	data, err := os.ReadFile(e.Path)
	if err != nil {
		return Model{}, nil, fmt.Errorf("dense: model %s: %w", e.Ref(), err)
	}
	m := Model{Ref: e.Ref(), SHA256: e.SHA256, Bytes: data}
	nm, err := m.parse()
	if err != nil {
		return Model{}, nil, err
	}
	return m, nm, nil
}

// isFile reports whether ref names an existing file: a local path, or a
// URL with a scheme one of Beam's registered filesystems serves.
func isFile(ctx context.Context, ref string) bool {
	if !strings.Contains(ref, "://") {
		st, err := os.Stat(ref)
		return err == nil && st.Mode().IsRegular()
	}
	fs, err := filesystem.New(ctx, ref)
	if err != nil {
		return false
	}
	defer fs.Close()
	_, err = fs.Size(ctx, ref)
	return err == nil
}

func readAll(ctx context.Context, path string) ([]byte, error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// parse checks the bytes against the checksum and decodes them.
func (m Model) parse() (*nn.Model, error) {
	sum := sha256.Sum256(m.Bytes)
	if got := hex.EncodeToString(sum[:]); got != m.SHA256 {
		return nil, fmt.Errorf("dense: model %s: the %d bytes shipped have SHA-256 %s, want %s: the model was changed or damaged", m.Ref, len(m.Bytes), got, m.SHA256)
	}
	nm, err := nn.Read(m.Bytes)
	if err != nil {
		return nil, fmt.Errorf("dense: model %s: %w", m.Ref, err)
	}
	return nm, nil
}

// The models a worker process has loaded, by checksum: every DoFn instance
// (Beam makes one per concurrent bundle) shares one read-only nn.Model,
// which is safe for concurrent use with a Workspace per instance.
var (
	loadedMu sync.Mutex
	loaded   = map[string]*loadedModel{}
)

type loadedModel struct {
	once sync.Once
	m    *nn.Model
	err  error
}

// load returns the worker's copy of the model, verifying and decoding the
// bytes the first time.
func (m Model) load() (*nn.Model, error) {
	loadedMu.Lock()
	l, ok := loaded[m.SHA256]
	if !ok {
		l = &loadedModel{}
		loaded[m.SHA256] = l
	}
	loadedMu.Unlock()
	l.once.Do(func() { l.m, l.err = m.parse() })
	return l.m, l.err
}
