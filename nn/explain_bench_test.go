package nn

import (
	"hash/fnv"
	"math"
	"strings"
	"syscall"
	"testing"
	"time"
)

// explain20 is udf's BenchmarkExplain model: a 20→64→32→1 binary
// classifier over standardised inputs with random biases and a baseline
// at the mean, and its rows (already encoded).
func explain20(tb testing.TB, rows int) (*Explainer, []float32) {
	tb.Helper()
	var in []Input
	var base []Baseline
	for i := range 20 {
		name := "f" + string(rune('a'+i))
		in = append(in, Input{Name: name, Kind: KindNumeric, Scale: &Scale{Method: ScaleStandard, Std: 5.8}})
		zero := 0.0
		base = append(base, Baseline{Input: name, Number: &zero})
	}
	spec := Spec{Format: FormatName, Version: FormatVersion, Task: TaskBinary, Inputs: in,
		Layers:  []LayerSpec{Dense(64, ReLU).WithInit(InitHeNormal), Dense(32, ReLU).WithInit(InitHeNormal), Dense(1, Sigmoid)},
		Explain: &Explain{Baseline: base}}
	m, err := NewModel(spec, 11)
	if err != nil {
		tb.Fatal(err)
	}
	for _, ts := range m.Tensors() {
		if strings.HasSuffix(ts.Name, "bias") {
			for j := range ts.Data {
				ts.Data[j] = float32((j*37)%11-5) * 0.05
			}
		}
	}
	e, err := NewExplainer(m)
	if err != nil {
		tb.Fatal(err)
	}
	x := make([]float32, rows*20)
	for r := range rows {
		for j := range 20 {
			x[r*20+j] = (float32(((r*(31+j*17)+7)%201))/10 - 10) / 5.8
		}
	}
	return e, x
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkExplain20 is nn.Explainer alone on udf's BenchmarkExplain rows,
// 2048 at a time on one goroutine: CPU time per row (steadier than wall
// time on a shared machine) and trapezoid steps per row.
func BenchmarkExplain20(b *testing.B) {
	const rows = 50_000
	e, x := explain20(b, rows)
	var a Attributions
	ws := e.NewExplainWorkspace()
	steps := 0
	h := fnv.New64a()
	cpu0 := cpuNow()
	for b.Loop() {
		steps = 0
		h.Reset()
		for r := 0; r < rows; r += 2048 {
			n := min(2048, rows-r)
			if err := e.Explain(&a, x[r*20:(r+n)*20], n, ws); err != nil {
				b.Fatal(err)
			}
			for _, s := range a.Steps[:n] {
				steps += s
			}
			for _, v := range a.Values[:n*20] {
				u := math.Float64bits(v)
				h.Write([]byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24), byte(u >> 32), byte(u >> 40), byte(u >> 48), byte(u >> 56)})
			}
		}
	}
	b.ReportMetric(float64((cpuNow()-cpu0).Nanoseconds())/float64(rows*b.N), "cpu-ns/row")
	b.ReportMetric(float64(steps)/rows, "steps/row")
	b.Logf("attributions digest %x", h.Sum64())
}

// TestAxpySameBits: the vector axpy computes the Go loop's bits, in place
// too, at every length around the vector width.
func TestAxpySameBits(t *testing.T) {
	for n := range 40 {
		x, y := make([]float32, n), make([]float32, n)
		for i := range n {
			x[i], y[i] = float32(math.Sin(float64(i)*1.7))*3, float32(math.Cos(float64(i)*0.3))/7
		}
		want := make([]float32, n)
		for i := range n {
			want[i] = x[i] + 0.37*y[i]
		}
		got := make([]float32, n)
		axpy(got, x, y, 0.37)
		axpy(x, x, y, 0.37)
		for i := range n {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) || math.Float32bits(x[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n %d, element %d: %v and in place %v, want %v", n, i, got[i], x[i], want[i])
			}
		}
	}
}
