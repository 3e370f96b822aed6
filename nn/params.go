package nn

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// BytesPerParam is the size of one parameter in memory and in the model file
// (float32).
const BytesPerParam = 4

// ParamRow is one Dense layer in a ParamReport.
type ParamRow struct {
	Layer   int     // 1-based position among the dense layers
	Inputs  int     // width coming in
	Units   int     // width going out
	Weights int     // Inputs × Units
	Biases  int     // Units, or 0 without bias
	Params  int     // Weights + Biases
	MB      float64 // Params × 4 bytes / 1e6
}

// ParamReport is the result of ParamTable: one row per layer and the totals.
type ParamReport struct {
	Rows    []ParamRow
	Weights int
	Biases  int
	Params  int
	MB      float64
}

// ParamTable computes the parameter count of a stack of Dense layers: inputs
// features go into the first layer, units[i] is the width of layer i, and
// bias says whether every layer has a bias vector. Memory is reported in MB
// (10⁶ bytes) at 4 bytes per parameter. 784→128→10 with bias gives
// 100,480 + 1,290 = 101,770 parameters.
//
// Sizes must be positive, and the counts must fit in an int; otherwise
// ParamTable returns an error naming the offending size: "nn: params: "
// followed by a *ParamsError (errors.As gives the message without prefix).
func ParamTable(inputs int, units []int, bias bool) (ParamReport, error) {
	var r ParamReport
	if inputs <= 0 {
		return r, paramsErr("inputs must be positive, got %d", inputs)
	}
	if len(units) == 0 {
		return r, paramsErr("no layers (units is empty)")
	}
	in := inputs
	for i, u := range units {
		if u <= 0 {
			return r, paramsErr("layer %d: units must be positive, got %d", i+1, u)
		}
		w, ok := mulCheck(in, u)
		if !ok {
			return r, paramsErr("layer %d: %d×%d weights overflow", i+1, in, u)
		}
		b := 0
		if bias {
			b = u
		}
		p, ok1 := addCheck(w, b)
		tw, ok2 := addCheck(r.Weights, w)
		tb, ok3 := addCheck(r.Biases, b)
		tp, ok4 := addCheck(r.Params, p)
		if !(ok1 && ok2 && ok3 && ok4) {
			return r, paramsErr("layer %d: parameter count overflows", i+1)
		}
		r.Rows = append(r.Rows, ParamRow{
			Layer: i + 1, Inputs: in, Units: u, Weights: w, Biases: b, Params: p,
			MB: float64(p) * BytesPerParam / 1e6,
		})
		r.Weights, r.Biases, r.Params = tw, tb, tp
		in = u
	}
	r.MB = float64(r.Params) * BytesPerParam / 1e6
	return r, nil
}

// String renders the report as an aligned text table with thousands
// separators, one row per layer and a total row.
func (r ParamReport) String() string {
	header := []string{"layer", "inputs", "units", "weights", "biases", "params", "MB"}
	cells := [][]string{header}
	for _, row := range r.Rows {
		cells = append(cells, []string{
			strconv.Itoa(row.Layer), Thousands(row.Inputs), Thousands(row.Units),
			Thousands(row.Weights), Thousands(row.Biases), Thousands(row.Params), formatMB(row.MB),
		})
	}
	cells = append(cells, []string{"total", "", "", Thousands(r.Weights), Thousands(r.Biases), Thousands(r.Params), formatMB(r.MB)})
	width := make([]int, len(header))
	for _, row := range cells {
		for j, c := range row {
			width[j] = max(width[j], len(c))
		}
	}
	var b strings.Builder
	line := func(row []string) {
		for j, c := range row {
			if j > 0 {
				b.WriteString("  ")
			}
			if j == 0 {
				b.WriteString(c + strings.Repeat(" ", width[j]-len(c)))
			} else {
				b.WriteString(strings.Repeat(" ", width[j]-len(c)) + c)
			}
		}
		b.WriteByte('\n')
	}
	rule := func() {
		n := 2 * (len(width) - 1)
		for _, w := range width {
			n += w
		}
		b.WriteString(strings.Repeat("-", n) + "\n")
	}
	line(cells[0])
	rule()
	for _, row := range cells[1 : len(cells)-1] {
		line(row)
	}
	rule()
	line(cells[len(cells)-1])
	return b.String()
}

// formatMB shows megabytes with three decimals (kilobyte resolution).
func formatMB(mb float64) string { return strconv.FormatFloat(mb, 'f', 3, 64) }

// Thousands formats n with commas between groups of three digits: 101770 →
// "101,770".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mulCheck multiplies non-negative ints, reporting overflow.
func mulCheck(a, b int) (int, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt {
		return 0, false
	}
	return int(lo), true
}

// addCheck adds non-negative ints, reporting overflow.
func addCheck(a, b int) (int, bool) {
	if a < 0 || b < 0 || a > math.MaxInt-b {
		return 0, false
	}
	return a + b, true
}

// ParamsError is why ParamTable refused its arguments.
type ParamsError struct{ Msg string }

func (e *ParamsError) Error() string { return e.Msg }

func paramsErr(format string, args ...any) error {
	return fmt.Errorf("nn: params: %w", &ParamsError{Msg: fmt.Sprintf(format, args...)})
}
