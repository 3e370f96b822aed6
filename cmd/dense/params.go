package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dense-ml/dense/nn"
	"github.com/urfave/cli/v2"
)

func (e *env) paramsCommand() *cli.Command {
	return &cli.Command{
		Name:      "params",
		Usage:     "count the parameters of a stack of dense layers",
		UsageText: "dense params --inputs N --units U1,U2,... [--no-bias] [--format table|csv|json|line]",
		Description: "Prints one row per dense layer and a last row of totals, with the columns of SQL's\n" +
			"dense_params: layer, inputs, units, weights, biases, total (weights + biases) and mb\n" +
			"(megabytes at float32, 10⁶ bytes). Nothing is trained or loaded.\n\n" +
			"Examples:\n" +
			"   dense params --inputs 784 --units 128,10          # 101,770 parameters, 0.407 MB\n" +
			"   dense params --inputs 20 --units 64,32,1 --no-bias --format csv\n\n" +
			"The same calculator is available in SQL: SELECT * FROM dense_params(784, [128, 10]);",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "inputs", Usage: "number of input features (required)"},
			&cli.StringFlag{Name: "units", Usage: "comma-separated widths of the layers, e.g. 128,10 (required)"},
			&cli.BoolFlag{Name: "no-bias", Usage: "layers without bias vectors"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "output format: table, csv, json or line", Value: formatTable},
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 0, "inputs", "units"); err != nil {
				return err
			}
			units, err := parseInts("units", c.String("units"))
			if err != nil {
				return fmt.Errorf("params: %w", err)
			}
			if err := checkFormat(c.String("format")); err != nil {
				return fmt.Errorf("params: %w", err)
			}
			rep, err := nn.ParamTable(c.Int("inputs"), units, !c.Bool("no-bias"))
			if err != nil {
				return err
			}
			return paramTable(rep, c.String("format") == formatTable).write(e.stdout, c.String("format"))
		},
	}
}

// paramTable is the report with dense_params' columns and a last row whose
// layer is "total". For people (display), counts get thousands separators
// and megabytes three decimals; otherwise the values are exact numbers.
func paramTable(r nn.ParamReport, display bool) *resultSet {
	rs := &resultSet{Columns: []string{"layer", "inputs", "units", "weights", "biases", "total", "mb"}}
	num := func(n int) any {
		if display {
			return numText(nn.Thousands(n))
		}
		return int64(n)
	}
	mb := func(v float64) any {
		if display {
			return numText(strconv.FormatFloat(v, 'f', 3, 64))
		}
		return v
	}
	for _, row := range r.Rows {
		rs.Rows = append(rs.Rows, []any{strconv.Itoa(row.Layer), num(row.Inputs), num(row.Units),
			num(row.Weights), num(row.Biases), num(row.Params), mb(row.MB)})
	}
	var blank any
	if display {
		blank = numText("")
	}
	rs.Rows = append(rs.Rows, []any{"total", blank, blank, num(r.Weights), num(r.Biases), num(r.Params), mb(r.MB)})
	return rs
}

// parseInts parses a comma-separated list of positive integers such as
// "128,10", naming the flag and the bad element in its error.
func parseInts(flag, s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("--%s is empty (want comma-separated integers like 64,32)", flag)
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("--%s: %q is not a positive integer", flag, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// splitList parses a comma-separated list of names, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
