package nn

// PyTorch state dicts: a plain safetensors file of an nn.Sequential MLP's
// weights, mapped onto the dense and batch-norm layers of a Spec.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/dense-ml/dense/internal/safefile"
)

// LoadStateDict builds a model from spec and the weights of a plain
// safetensors file written by PyTorch (safetensors.torch.save_file of an
// nn.Sequential MLP's state_dict()). Keys look like "0.weight",
// "layers.2.weight" or "net.4.bias": a common prefix, the module's index in
// the Sequential (activations and dropout take indices but have no
// weights), and the parameter name. The modules with weights are taken in
// index order and assigned to the spec's dense and batch-norm layers in
// order: a Linear (2-D weight, optional bias) to a dense layer, a
// BatchNorm1d (weight, bias, running_mean, running_var) to a batch-norm
// layer; num_batches_tracked is ignored. Counts, kinds, bias presence and
// shapes must all agree. Tensors may be F32, F16, BF16 or F64. The
// activations come from the spec: PyTorch does not store them.
//
// A spec with an empty Format and Version gets the current ones. Our own
// model files load too (their metadata is ignored).
func LoadStateDict(path string, spec Spec) (*Model, error) {
	f, st, err := safefile.Open(path)
	if err != nil {
		if se := (*safefile.Error)(nil); errors.As(err, &se) {
			return nil, &FileError{Where: path, Msg: se.Problem}
		}
		return nil, fmt.Errorf("nn: load state dict: %w", err)
	}
	defer f.Close()
	return decodeStateDict(bufio.NewReaderSize(f, 1<<20), st.Size(), spec, path)
}

// ReadStateDict is LoadStateDict on bytes in memory.
func ReadStateDict(data []byte, spec Spec) (*Model, error) {
	return decodeStateDict(bytes.NewReader(data), int64(len(data)), spec, "")
}

// stModule is one Sequential module with weights: its key prefix and index.
type stModule struct {
	prefix string
	index  int
	params map[string]*stEntry // "weight", "bias", "running_mean", "running_var"
}

func decodeStateDict(r io.Reader, size int64, spec Spec, where string) (*Model, error) {
	bad := func(format string, args ...any) error {
		return &FileError{Where: where, Msg: fmt.Sprintf(format, args...)}
	}
	if spec.Format == "" && spec.Version == 0 {
		spec.Format, spec.Version = FormatName, FormatVersion
	}
	h, err := readHeader(r, size, where)
	if err != nil {
		return nil, err
	}
	modules := map[string]*stModule{}
	stem, stemKey := "", ""
	for i := range h.entries {
		e := &h.entries[i]
		dot := strings.LastIndexByte(e.name, '.')
		if dot < 0 {
			return nil, bad("key %q is not <module>.<parameter>", e.name)
		}
		prefix, param := e.name[:dot], e.name[dot+1:]
		switch param {
		case "num_batches_tracked":
			continue
		case "weight", "bias", "running_mean", "running_var":
		default:
			return nil, bad("key %q: parameter %q is not one of weight, bias, running_mean, running_var", e.name, param)
		}
		idxStart := strings.LastIndexByte(prefix, '.') + 1
		idx, err := strconv.Atoi(prefix[idxStart:])
		if err != nil || idx < 0 || strings.HasPrefix(prefix[idxStart:], "+") {
			return nil, bad("key %q: %q is not a Sequential index", e.name, prefix[idxStart:])
		}
		if stemKey == "" {
			stem, stemKey = prefix[:idxStart], e.name
		} else if prefix[:idxStart] != stem {
			return nil, bad("keys %q and %q come from different modules; want one nn.Sequential", stemKey, e.name)
		}
		mod := modules[prefix]
		if mod == nil {
			mod = &stModule{prefix: prefix, index: idx, params: map[string]*stEntry{}}
			modules[prefix] = mod
		}
		mod.params[param] = e
	}
	var mods []*stModule
	for _, mod := range modules {
		mods = append(mods, mod)
	}
	slices.SortFunc(mods, func(a, b *stModule) int {
		if a.index != b.index {
			return a.index - b.index
		}
		return strings.Compare(a.prefix, b.prefix) // "01" and "1": refused below
	})
	for i := 1; i < len(mods); i++ {
		if mods[i].index == mods[i-1].index {
			return nil, bad("modules %q and %q have the same index", mods[i-1].prefix, mods[i].prefix)
		}
	}
	var specLayers []int // indices into spec.Layers of the layers with weights
	for i, l := range spec.Layers {
		if l.Type == LayerDense || l.Type == LayerBatchNorm {
			specLayers = append(specLayers, i)
		}
	}
	if len(mods) != len(specLayers) {
		var names []string
		for _, mod := range mods {
			names = append(names, mod.prefix)
		}
		return nil, bad("the state dict has %d modules with weights (%s), the spec has %d dense and batch-norm layers",
			len(mods), strings.Join(names, ", "), len(specLayers))
	}
	// Check kinds before building, so a mismatch is reported as such.
	for k, mod := range mods {
		li := specLayers[k]
		isBN := mod.params["running_mean"] != nil || mod.params["running_var"] != nil
		w := mod.params["weight"]
		if w == nil {
			return nil, bad("module %s has no weight", mod.prefix)
		}
		switch spec.Layers[li].Type {
		case LayerDense:
			if isBN || len(w.shape) != 2 {
				return nil, bad("module %s (weight shape %v) is not a Linear, but spec layer %d is dense", mod.prefix, w.shape, li)
			}
			if b := mod.params["bias"]; b != nil && !spec.Layers[li].Bias {
				return nil, bad("module %s has a bias but spec layer %d is dense without bias", mod.prefix, li)
			} else if b == nil && spec.Layers[li].Bias {
				return nil, bad("module %s has no bias but spec layer %d is dense with a bias", mod.prefix, li)
			}
		case LayerBatchNorm:
			for _, p := range []string{"weight", "bias", "running_mean", "running_var"} {
				if mod.params[p] == nil {
					return nil, bad("module %s has no %s, but spec layer %d is a batch norm (affine, with running statistics)", mod.prefix, p, li)
				}
			}
		}
	}
	m, err := buildFor(spec, h, where)
	if err != nil {
		return nil, err
	}
	model := map[string]Tensor{}
	for _, t := range m.Tensors() {
		model[t.Name] = t
	}
	dest := map[string][]float32{}
	for k, mod := range mods {
		li := specLayers[k]
		for _, p := range []string{"weight", "bias", "running_mean", "running_var"} {
			e := mod.params[p]
			if e == nil {
				continue
			}
			t, ok := model[fmt.Sprintf("layers.%d.%s", li, p)]
			if !ok {
				return nil, bad("tensor %s has no place in spec layer %d", e.name, li)
			}
			if !slices.Equal(e.shape, t.Shape) {
				return nil, bad("tensor %s: shape %v in the file, spec layer %d (%s) needs %v", e.name, e.shape, li, t.Name, t.Shape)
			}
			if !loadableDtype(e.dtype) {
				return nil, bad("tensor %s: dtype %s cannot be loaded (want F32, F16, BF16 or F64)", e.name, e.dtype)
			}
			dest[e.name] = t.Data
		}
	}
	if len(dest) != len(model) {
		return nil, bad("the state dict fills %d of the model's %d tensors", len(dest), len(model))
	}
	if err := readTensors(r, h, dest, where); err != nil {
		return nil, err
	}
	return m, nil
}
