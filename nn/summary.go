package nn

import (
	"fmt"
	"strconv"
	"strings"
)

// Summary renders a Keras-style table: layer name and type, output shape
// and parameter count per layer, then the Total / Trainable / Non-trainable
// parameter counts. Layers are named like Keras names them (dense, dense_1,
// dropout, batch_normalization, …). Batch norm counts 4×units parameters, of
// which 2×units (the running mean and variance) are non-trainable.
func (m *Model) Summary() string {
	type row struct{ name, shape, params string }
	rows := make([]row, len(m.layers))
	seen := map[string]int{}
	w0, w1 := len("Layer (type)"), len("Output Shape")
	for i := range m.layers {
		l := &m.layers[i]
		var base, typ string
		switch l.kind {
		case kindDense:
			base, typ = "dense", "Dense"
		case kindDropout:
			base, typ = "dropout", "Dropout"
		case kindBatchNorm:
			base, typ = "batch_normalization", "BatchNormalization"
		}
		name := base
		if k := seen[base]; k > 0 {
			name = base + "_" + strconv.Itoa(k)
		}
		seen[base]++
		rows[i] = row{
			name:   fmt.Sprintf("%s (%s)", name, typ),
			shape:  fmt.Sprintf("(None, %d)", l.out),
			params: Thousands(m.layerParams(i)),
		}
		w0, w1 = max(w0, len(rows[i].name)), max(w1, len(rows[i].shape))
	}
	w0, w1 = max(w0+2, 28), max(w1+2, 26) // Keras's column widths
	total := 1 + w0 + w1 + 10
	var b strings.Builder
	b.WriteString("Model: \"sequential\"\n")
	b.WriteString(strings.Repeat("_", total) + "\n")
	fmt.Fprintf(&b, " %-*s%-*s%s\n", w0, "Layer (type)", w1, "Output Shape", "Param #")
	b.WriteString(strings.Repeat("=", total) + "\n")
	for _, r := range rows {
		fmt.Fprintf(&b, " %-*s%-*s%s\n", w0, r.name, w1, r.shape, r.params)
	}
	b.WriteString(strings.Repeat("=", total) + "\n")
	p := m.Params()
	fmt.Fprintf(&b, "Total params: %s\n", Thousands(p.Total))
	fmt.Fprintf(&b, "Trainable params: %s\n", Thousands(p.Trainable))
	fmt.Fprintf(&b, "Non-trainable params: %s\n", Thousands(p.NonTrainable))
	b.WriteString(strings.Repeat("_", total) + "\n")
	return b.String()
}
