package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/dense-ml/dense/interop/onnx"
	"github.com/dense-ml/dense/registry"
)

func (e *env) exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write a registered model as an ONNX graph, preprocessing included",
		UsageText: "dense export --model NAME[@V] [--format onnx] -o FILE.onnx [--raw] [--models DIR]",
		Description: fmt.Sprintf("One ONNX graph (opset %d, ai.onnx.ml opset %d) that takes the raw inputs by name —\n", onnx.Opset, onnx.OpsetML) +
			"numeric as float [N,1] (NaN for NULL), categorical as string [N,1] (\"\" for NULL), lists as\n" +
			"float [N,length] — applies the model's fitted preprocessing and the network (batch norm\n" +
			"folded, dropout removed) and outputs what dense score gives: score, and for classifiers\n" +
			"label and probabilities. --raw exports the network alone: float input \"input\" [N,features]\n" +
			"of encoded features, output \"output\" [N,outputs]. Runs in ONNX Runtime; see the\n" +
			"interop/onnx package doc for the exact graph.\n\n" +
			"Examples:\n" +
			"   dense export --model churn -o churn.onnx\n" +
			"   dense export --model churn@2 --raw -o churn_network.onnx",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "model to export: NAME (newest version) or NAME@VERSION (required)"},
			&cli.StringFlag{Name: "format", Usage: "output format (only onnx)", Value: "onnx"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output file (required)"},
			&cli.BoolFlag{Name: "raw", Usage: "export the network alone, without preprocessing and output heads"},
			modelsFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 0, "model", "out"); err != nil {
				return err
			}
			if f := c.String("format"); f != "onnx" {
				return fmt.Errorf("export: unknown format %q (dense exports onnx)", f)
			}
			return e.export(c.String("models"), c.String("model"), c.String("out"), c.Bool("raw"))
		},
	}
}

func (e *env) export(models, ref, out string, raw bool) error {
	reg, err := registry.Open(models)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	m, entry, err := reg.Load(ref)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	data, err := onnx.Export(m, onnx.ExportOptions{Raw: raw, Name: entry.Ref()})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := writeFileAtomic(out, data); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	what := "model"
	if raw {
		what = "network"
	}
	fmt.Fprintf(e.stdout, "Exported %s %s to %s (ONNX opset %d, %s bytes)\n", entry.Ref(), what, out, onnx.Opset, thousands(len(data)))
	return nil
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it over path, so a failed export leaves no half-written file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = f.Chmod(0o644)
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
