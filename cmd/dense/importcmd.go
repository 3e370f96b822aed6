package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dense-ml/dense/interop"
	"github.com/dense-ml/dense/interop/onnx"
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
)

func (e *env) importCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "register a network trained elsewhere: an ONNX MLP or a PyTorch state dict",
		UsageText: "dense import (--onnx FILE | --safetensors FILE --layers LIST) --name NAME [--inputs a,b,c] [--task T] [--labels a,b]",
		Description: "Registers the network as a new version of NAME, scorable at once with dense score and\n" +
			"dense_predict in SQL. --onnx takes a graph of Gemm or MatMul(+Add), Relu, LeakyRelu, Elu,\n" +
			"Sigmoid, Tanh, Softmax, Gelu (or torch's Erf form of it), BatchNormalization, Flatten,\n" +
			"Identity and Dropout, such as torch.onnx.export writes for an nn.Sequential MLP; any other\n" +
			"node is refused by name.\n" +
			"--safetensors takes the state_dict of an nn.Sequential of Linear (and BatchNorm1d) layers,\n" +
			"with --layers giving one word per Linear, its activation (relu, leaky_relu:0.1, elu,\n" +
			"gelu, sigmoid, tanh, softmax, linear), or batchnorm for a BatchNorm1d.\n" +
			"Each feature becomes a numeric input named by --inputs (else x0, x1, …) with no\n" +
			"preprocessing; the task is --task, else implied by the last layer (softmax: multiclass,\n" +
			"one sigmoid unit: binary, else regression); --labels names the classes.\n\n" +
			"Examples:\n" +
			"   dense import --onnx mlp.onnx --name iris --inputs sl,sw,pl,pw --labels setosa,versicolor,virginica\n" +
			"   dense import --safetensors mlp.safetensors --layers relu,relu,sigmoid --name churn_torch",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "onnx", Usage: "ONNX file of an MLP"},
			&cli.StringFlag{Name: "safetensors", Usage: "safetensors file of a PyTorch nn.Sequential state_dict"},
			&cli.StringFlag{Name: "layers", Usage: "with --safetensors: one word per Linear or BatchNorm1d, comma-separated"},
			&cli.StringFlag{Name: "name", Usage: "model name to register under (required)"},
			&cli.StringFlag{Name: "inputs", Usage: "comma-separated input names, one per feature (default x0, x1, …)"},
			&cli.StringFlag{Name: "task", Usage: "regression, binary or multiclass (default: implied by the last layer)"},
			&cli.StringFlag{Name: "labels", Usage: "comma-separated class labels (default 0, 1, …)"},
			modelsFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 0, "name"); err != nil {
				return err
			}
			return e.importModel(c)
		},
	}
}

func (e *env) importModel(c *cli.Context) error {
	onnxPath, stPath, layers := c.String("onnx"), c.String("safetensors"), c.String("layers")
	switch {
	case (onnxPath == "") == (stPath == ""):
		return fmt.Errorf("import: give one of --onnx FILE and --safetensors FILE (see 'dense import --help')")
	case stPath != "" && layers == "":
		return fmt.Errorf("import: --safetensors needs --layers, one activation per Linear (e.g. relu,relu,softmax): a state dict holds no activations")
	case onnxPath != "" && layers != "":
		return fmt.Errorf("import: --layers goes with --safetensors; an ONNX graph names its own activations")
	}
	var task nn.Task
	if t := c.String("task"); t != "" {
		var err error
		if task, err = nn.ParseTask(t); err != nil {
			return fmt.Errorf("import: --task: %w", err)
		}
	}
	reg, err := registry.Open(c.String("models"))
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	name := c.String("name")
	if err := registry.ValidName(name); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	opts := interop.Options{Inputs: splitList(c.String("inputs")), Task: task, Labels: splitList(c.String("labels"))}
	var m *nn.Model
	if onnxPath != "" {
		data, err := os.ReadFile(onnxPath)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		opts.Source = "onnx:" + onnxPath
		if m, err = onnx.Import(data, opts); err != nil {
			return fmt.Errorf("import: %s: %w", onnxPath, err)
		}
	} else if m, err = interop.ImportStateDict(stPath, strings.Split(layers, ","), opts); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	entry, err := reg.Register(name, m)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	s := m.Spec()
	fmt.Fprintf(e.stdout, "%s: %s, %d inputs → %d outputs, %s parameters\n",
		entry.Ref(), s.Task, len(s.Inputs), s.OutputWidth(), thousands(m.Params().Total))
	fmt.Fprintf(e.stdout, "Registered %s in %s\n", entry.Ref(), entry.Dir())
	return nil
}
