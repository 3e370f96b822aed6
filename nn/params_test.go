package nn

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestParamTableMNIST(t *testing.T) {
	r, err := ParamTable(784, []int{128, 10}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []ParamRow{
		{Layer: 1, Inputs: 784, Units: 128, Weights: 100352, Biases: 128, Params: 100480, MB: 0.40192},
		{Layer: 2, Inputs: 128, Units: 10, Weights: 1280, Biases: 10, Params: 1290, MB: 0.00516},
	}
	if len(r.Rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(r.Rows), len(want))
	}
	for i := range want {
		g, w := r.Rows[i], want[i]
		if g.Layer != w.Layer || g.Inputs != w.Inputs || g.Units != w.Units || g.Weights != w.Weights ||
			g.Biases != w.Biases || g.Params != w.Params || math.Abs(g.MB-w.MB) > 1e-12 {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
	if r.Params != 101770 || r.Weights != 101632 || r.Biases != 138 {
		t.Errorf("totals = %d params, %d weights, %d biases; want 101770, 101632, 138", r.Params, r.Weights, r.Biases)
	}
	if math.Abs(r.MB-0.40708) > 1e-12 {
		t.Errorf("MB = %v, want 0.40708", r.MB)
	}
}

func TestParamTableNoBias(t *testing.T) {
	r, err := ParamTable(20, []int{64, 32, 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	// 20·64 + 64·32 + 32·1 = 1280 + 2048 + 32
	if r.Params != 3360 || r.Biases != 0 || r.Rows[2].Inputs != 32 {
		t.Errorf("got %+v", r)
	}
}

func TestParamTableErrors(t *testing.T) {
	cases := []struct {
		inputs int
		units  []int
		want   string
	}{
		{0, []int{3}, "inputs must be positive, got 0"},
		{-4, []int{3}, "inputs must be positive, got -4"},
		{4, nil, "no layers"},
		{4, []int{3, 0}, "layer 2: units must be positive, got 0"},
		{4, []int{-1}, "layer 1: units must be positive, got -1"},
		{math.MaxInt / 2, []int{3}, "layer 1: 4611686018427387903×3 weights overflow"},
		{1 << 31, []int{1 << 31, 1 << 31, 1 << 31}, "overflow"},
	}
	for _, c := range cases {
		_, err := ParamTable(c.inputs, c.units, true)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "nn: params: ") {
			t.Errorf("ParamTable(%d, %v): err = %v, want it to contain %q", c.inputs, c.units, err, c.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 101770: "101,770",
		1234567: "1,234,567", -1234: "-1,234", 100000: "100,000"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func ExampleParamTable() {
	r, err := ParamTable(784, []int{128, 10}, true)
	if err != nil {
		panic(err)
	}
	fmt.Print(r)
	// Output:
	// layer  inputs  units  weights  biases   params     MB
	// -----------------------------------------------------
	// 1         784    128  100,352     128  100,480  0.402
	// 2         128     10    1,280      10    1,290  0.005
	// -----------------------------------------------------
	// total                 101,632     138  101,770  0.407
}
