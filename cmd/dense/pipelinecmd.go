package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dense-ml/dense/pipeline"
)

func (e *env) pipelineCommand() *cli.Command {
	run := &cli.Command{
		Name:      "run",
		Usage:     "train, register and optionally score, as a YAML spec says",
		UsageText: "dense pipeline run SPEC.yaml [--quiet] [--no-plot]",
		Description: "The spec names the source (a file, or a DuckDB database and query), the target and\n" +
			"task, the features and their transforms, the architecture, the training settings, the\n" +
			"registry name and optionally a scoring source and sink. It is validated before any data\n" +
			"is read; errors name the key. Relative paths are relative to the spec's folder. See\n" +
			"examples/churn/churn.yaml for every key.\n\n" +
			"Examples:\n" +
			"   go run ./examples/churn -dir /tmp/churn    # writes the data and a copy of the spec\n" +
			"   dense pipeline run /tmp/churn/churn.yaml\n" +
			"   dense pipeline validate nightly.yaml && dense pipeline run nightly.yaml --quiet",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-plot", Usage: "do not draw history.png next to the model"},
			quietFlag(),
		},
		Action: func(c *cli.Context) error {
			_, spec, err := loadSpecArg(c)
			if err != nil {
				return err
			}
			prog := e.newTrainProgress(!c.Bool("quiet"), spec.Registry.Name)
			spec.OnEvent = prog.event
			start := time.Now()
			res, err := pipeline.Run(c.Context, spec)
			prog.clear()
			if err != nil {
				return prog.interrupted(c.Context, err)
			}
			if err := e.reportTraining(res.Train, time.Since(start), !c.Bool("no-plot"), prog.started); err != nil {
				return err
			}
			if res.Sink != "" {
				fmt.Fprintf(e.stdout, "Scored %s rows → %s\n", thousands(int(res.Scored)), res.Sink)
			}
			return nil
		},
	}
	validate := &cli.Command{
		Name:      "validate",
		Usage:     "check a spec without reading any data",
		UsageText: "dense pipeline validate SPEC.yaml",
		Description: "Examples:\n" +
			"   dense pipeline validate examples/churn/churn.yaml",
		Action: func(c *cli.Context) error {
			path, spec, err := loadSpecArg(c)
			if err != nil {
				return err
			}
			if err := spec.Validate(); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			fmt.Fprintf(e.stdout, "%s is valid\n", path)
			return nil
		},
	}
	return &cli.Command{
		Name:      "pipeline",
		Usage:     "run a declarative training (and scoring) pipeline from a YAML spec",
		UsageText: "dense pipeline run SPEC.yaml | dense pipeline validate SPEC.yaml",
		Description: "Examples:\n" +
			"   dense pipeline run /tmp/churn/churn.yaml   # after go run ./examples/churn -dir /tmp/churn",
		Subcommands: []*cli.Command{run, validate},
	}
}

// loadSpecArg loads the spec file named by the command's one argument.
func loadSpecArg(c *cli.Context) (string, *pipeline.Spec, error) {
	path, err := oneArg(c, "spec file", "give the spec file: dense %s SPEC.yaml")
	if err != nil {
		return "", nil, err
	}
	spec, err := pipeline.LoadSpec(path)
	return path, spec, err
}
