package interop

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/dense-ml/dense/nn"
)

// LayerBatchNorm is the word for a BatchNorm1d module in ImportStateDict's
// layer list.
const LayerBatchNorm = "batchnorm"

// ImportStateDict builds a model from a PyTorch state dict saved with
// safetensors (safetensors.torch.save_file(model.state_dict(), path)) of
// an nn.Sequential of Linear and BatchNorm1d modules (activations and
// dropout have no weights and take no entry).
//
// layers has one word per module with weights, in order: the activation
// that follows a Linear (relu, leaky_relu, elu, gelu, sigmoid, tanh,
// softmax, or linear for none), or "batchnorm" for a BatchNorm1d.
// leaky_relu and elu take their slope or alpha after a colon, as in
// "leaky_relu:0.1" or "elu:0.5" (defaults 0.01 and 1, PyTorch's). The
// units of each layer come from the weights' shapes; dense applies an
// activation only as part of a dense layer, so a network with an
// activation right after a BatchNorm1d is not one this can describe (its
// ONNX export can be: see interop/onnx). Batch-norm layers get PyTorch's
// default epsilon 1e-5. nn.LoadStateDict then checks every tensor.
func ImportStateDict(path string, layers []string, opts Options) (*nn.Model, error) {
	mods, err := stateDictModules(path)
	if err != nil {
		return nil, err
	}
	if len(layers) != len(mods) {
		var names []string
		for _, m := range mods {
			names = append(names, m.prefix+" ("+m.kind()+")")
		}
		return nil, fmt.Errorf("interop: %s: %d layers given for %d modules with weights: %s", path, len(layers), len(mods), strings.Join(names, ", "))
	}
	var specLayers []nn.LayerSpec
	for i, word := range layers {
		m := mods[i]
		word = strings.TrimSpace(word)
		alpha := 0.0
		if act, a, ok := strings.Cut(word, ":"); ok {
			if act != string(nn.LeakyReLU) && act != string(nn.ELU) {
				return nil, fmt.Errorf("interop: %s: layer %d: %q: only leaky_relu and elu take a parameter", path, i+1, word)
			}
			v, err := strconv.ParseFloat(a, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("interop: %s: layer %d: %q: %q is not a number", path, i+1, word, a)
			}
			word, alpha = act, v
		}
		switch {
		case m.bn:
			if word != LayerBatchNorm {
				return nil, fmt.Errorf("interop: %s: module %s is a BatchNorm1d, layer %d says %q (want %q)", path, m.prefix, i+1, word, LayerBatchNorm)
			}
			specLayers = append(specLayers, nn.BatchNorm())
		case word == LayerBatchNorm:
			return nil, fmt.Errorf("interop: %s: module %s is a Linear, layer %d says %q (want an activation)", path, m.prefix, i+1, word)
		default:
			act, err := nn.ParseActivation(word)
			if err != nil {
				return nil, fmt.Errorf("interop: %s: layer %d: %w (or %s for a BatchNorm1d)", path, i+1, err, LayerBatchNorm)
			}
			l := nn.Dense(m.out, act).WithAlpha(alpha)
			if !m.bias {
				l = l.WithoutBias()
			}
			specLayers = append(specLayers, l)
		}
	}
	if opts.Source == "" {
		opts.Source = "safetensors:" + path
	}
	spec, err := Spec(mods[0].in, specLayers, opts)
	if err != nil {
		return nil, err
	}
	m, err := nn.LoadStateDict(path, spec)
	if err != nil {
		return nil, fmt.Errorf("interop: %w", err)
	}
	return m, nil
}

// sdModule is one module of a state dict, as far as its shapes tell.
type sdModule struct {
	prefix  string
	index   int
	bn      bool // has running statistics: a BatchNorm1d
	bias    bool
	in, out int // Linear: weight [out, in]; BatchNorm1d: in = out = features
}

func (m sdModule) kind() string {
	if m.bn {
		return "BatchNorm1d"
	}
	return "Linear"
}

// maxHeader is the largest safetensors header read (nn refuses larger ones too).
const maxHeader = 100 << 20

// stateDictModules reads the file's safetensors header and lists its
// modules in Sequential order, with the shapes that give the layers'
// sizes. nn.LoadStateDict checks the rest.
func stateDictModules(path string) ([]sdModule, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("interop: %w", err)
	}
	defer f.Close()
	var n uint64
	if err := binary.Read(f, binary.LittleEndian, &n); err != nil {
		return nil, fmt.Errorf("interop: %s: not a safetensors file: %w", path, err)
	}
	if n == 0 || n > maxHeader {
		return nil, fmt.Errorf("interop: %s: safetensors header length %d out of range", path, n)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(f, raw); err != nil {
		return nil, fmt.Errorf("interop: %s: safetensors header: %w", path, err)
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw, &header); err != nil {
		return nil, fmt.Errorf("interop: %s: safetensors header: %w", path, err)
	}
	byPrefix := map[string]*sdModule{}
	for key, val := range header {
		if key == "__metadata__" {
			continue
		}
		var t struct {
			Shape []int `json:"shape"`
		}
		if err := json.Unmarshal(val, &t); err != nil {
			return nil, fmt.Errorf("interop: %s: tensor %q: %w", path, key, err)
		}
		dot := strings.LastIndexByte(key, '.')
		if dot < 0 {
			return nil, fmt.Errorf("interop: %s: key %q is not <module>.<parameter>", path, key)
		}
		prefix, param := key[:dot], key[dot+1:]
		if param == "num_batches_tracked" {
			continue
		}
		idx, err := strconv.Atoi(prefix[strings.LastIndexByte(prefix, '.')+1:])
		if err != nil {
			return nil, fmt.Errorf("interop: %s: key %q: module %q does not end in a Sequential index", path, key, prefix)
		}
		m := byPrefix[prefix]
		if m == nil {
			m = &sdModule{prefix: prefix, index: idx}
			byPrefix[prefix] = m
		}
		switch param {
		case "running_mean", "running_var":
			m.bn = true
		case "bias":
			m.bias = true
		case "weight":
			switch len(t.Shape) {
			case 2:
				m.out, m.in = t.Shape[0], t.Shape[1]
			case 1:
				m.out, m.in = t.Shape[0], t.Shape[0]
			default:
				return nil, fmt.Errorf("interop: %s: %q has shape %v; want a Linear's [out, in] or a BatchNorm1d's [features]", path, key, t.Shape)
			}
		}
	}
	if len(byPrefix) == 0 {
		return nil, fmt.Errorf("interop: %s: no tensors", path)
	}
	var mods []sdModule
	for _, m := range byPrefix {
		mods = append(mods, *m)
	}
	slices.SortFunc(mods, func(a, b sdModule) int {
		if a.index != b.index {
			return a.index - b.index
		}
		return strings.Compare(a.prefix, b.prefix)
	})
	return mods, nil
}
