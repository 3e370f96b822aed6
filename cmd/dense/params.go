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
		UsageText: "dense params --inputs N --units U1,U2,... [--no-bias]",
		Description: "Prints one row per dense layer (inputs, units, weights, biases, parameters, MB at\n" +
			"float32) and the totals. Nothing is trained or loaded.\n\n" +
			"Examples:\n" +
			"   dense params --inputs 784 --units 128,10          # 101,770 parameters, 0.407 MB\n" +
			"   dense params --inputs 20 --units 64,32,1 --no-bias\n\n" +
			"The same calculator is available in SQL: SELECT * FROM dense_params(784, [128, 10]);",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "inputs", Usage: "number of input features (required)"},
			&cli.StringFlag{Name: "units", Usage: "comma-separated widths of the layers, e.g. 128,10 (required)"},
			&cli.BoolFlag{Name: "no-bias", Usage: "layers without bias vectors"},
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 0, "inputs", "units"); err != nil {
				return err
			}
			units, err := parseInts("units", c.String("units"))
			if err != nil {
				return fmt.Errorf("params: %w", err)
			}
			rep, err := nn.ParamTable(c.Int("inputs"), units, !c.Bool("no-bias"))
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(e.stdout, rep.String())
			return err
		},
	}
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
