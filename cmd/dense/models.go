package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
)

func (e *env) modelsCommand() *cli.Command {
	list := &cli.Command{
		Name:      "list",
		Usage:     "list every version of every model (the default)",
		UsageText: "dense models list [--models DIR]",
		Description: "One row per registered version: name, version, task, target, number of inputs,\n" +
			"parameters, the main validation metric, training rows, when it was registered and the\n" +
			"aliases that point to it (dense models alias).\n\n" +
			"Examples:\n" +
			"   dense models list\n" +
			"   dense models list --models /srv/models --format json",
		Flags: []cli.Flag{modelsFlag(),
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "output format: table, csv, json or line", Value: formatTable}},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 0); err != nil {
				return err
			}
			return e.modelsList(c.String("models"), c.String("format"))
		},
	}
	show := &cli.Command{
		Name:      "show",
		Usage:     "describe one model version: file, inputs and their preprocessing, layers, metrics",
		UsageText: "dense models show NAME[@VERSION] [--models DIR]",
		Description: "Examples:\n" +
			"   dense models show churn        # the newest version\n" +
			"   dense models show churn@2",
		Flags: []cli.Flag{modelsFlag()},
		Action: func(c *cli.Context) error {
			ref, err := oneRef(c)
			if err != nil {
				return err
			}
			return e.modelsShow(c.String("models"), ref)
		},
	}
	rm := &cli.Command{
		Name:      "rm",
		Usage:     "delete a model version, or every version of a model with --all",
		UsageText: "dense models rm NAME@VERSION | NAME --all [--yes] [--models DIR]",
		Description: "NAME@3 deletes version 3. NAME alone would mean the newest version everywhere else, so\n" +
			"deleting every version of a model takes --all. On a terminal dense asks before deleting\n" +
			"(--yes skips the question); in scripts (standard input not a terminal) it does not ask.\n" +
			"A deleted version's number is never reused: NAME@3 always means the same model.\n" +
			"A version that an alias points to is only deleted with --force, which removes the alias too.\n\n" +
			"Examples:\n" +
			"   dense models rm churn@1                # one version\n" +
			"   dense models rm churn --all --yes      # every version, without asking",
		Flags: []cli.Flag{modelsFlag(),
			&cli.BoolFlag{Name: "all", Usage: "delete every version of NAME"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
			&cli.BoolFlag{Name: "force", Usage: "delete a version that aliases point to, and those aliases"},
		},
		Action: func(c *cli.Context) error {
			ref, err := oneRef(c)
			if err != nil {
				return err
			}
			return e.modelsRm(c.String("models"), ref, c.Bool("all"), c.Bool("yes"), c.Bool("force"))
		},
	}
	alias := &cli.Command{
		Name:      "alias",
		Usage:     "point an alias at a model version (NAME@ALIAS then means it), or remove one",
		UsageText: "dense models alias NAME@VERSION ALIAS | dense models alias --rm ALIAS NAME [--models DIR]",
		Description: "An alias names a version by role: after 'dense models alias churn@3 prod', churn@prod means\n" +
			"churn@3 everywhere a model reference is taken (CLI, Go, SQL). Aliasing again moves it;\n" +
			"the move is atomic, so a reader sees the old version or the new one. Aliases start with a\n" +
			"letter (so they never read as a version number) and may not be \"latest\".\n\n" +
			"Examples:\n" +
			"   dense models alias churn@3 prod\n" +
			"   dense models alias churn@prod staging   # staging: the version prod points to now\n" +
			"   dense models alias --rm prod churn",
		Flags: []cli.Flag{modelsFlag(),
			&cli.BoolFlag{Name: "rm", Usage: "remove the alias ALIAS of model NAME"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return fmt.Errorf("models alias: give NAME@VERSION ALIAS, or --rm ALIAS NAME; got %d arguments", c.NArg())
			}
			return e.modelsAlias(c.String("models"), c.Args().Get(0), c.Args().Get(1), c.Bool("rm"))
		},
	}
	return &cli.Command{
		Name:      "models",
		Usage:     "list, show and delete registered models",
		UsageText: "dense models [list | show NAME[@V] | rm NAME[@V] | alias NAME@V ALIAS] [--models DIR]",
		Description: "The models folder (./models unless --models DIR or $DENSE_MODELS) holds one folder per\n" +
			"model name and one per version: NAME/VERSION/model.safetensors, entry.json and\n" +
			"history.png. NAME means the newest version, NAME@3 version 3, NAME@prod the version\n" +
			"the alias prod points to.\n\n" +
			"Examples:\n" +
			"   dense models\n" +
			"   dense models show segment@1\n" +
			"   dense models rm churn@1",
		Flags:       []cli.Flag{modelsFlag()},
		Subcommands: []*cli.Command{list, show, rm, alias},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("models: unknown subcommand %q (want list, show, rm or alias)", c.Args().First())
			}
			return e.modelsList(c.String("models"), formatTable)
		},
	}
}

// modelsRm deletes ref: one version (NAME@V), or every version of NAME
// with all. On a terminal it asks first unless yes.
func (e *env) modelsRm(dir, ref string, all, yes, force bool) error {
	reg, err := registry.Open(dir)
	if err != nil {
		return fmt.Errorf("models rm: %w", err)
	}
	pr, err := registry.ParseRef(ref)
	if err != nil {
		return fmt.Errorf("models rm: %w", err)
	}
	name := pr.Name
	switch {
	case pr.Version == 0 && pr.Alias == "" && !strings.Contains(ref, "@") && !all:
		return fmt.Errorf("models rm: %q names every version of the model: give %s@VERSION for one, or --all to delete them all", ref, name)
	case (pr.Version != 0 || pr.Alias != "") && all:
		return fmt.Errorf("models rm: --all deletes every version: give %s --all, or %s alone", name, ref)
	}
	what := ref
	if all {
		vs, err := reg.Versions(name)
		if err != nil {
			return fmt.Errorf("models rm: %w", err)
		}
		nums := make([]string, len(vs))
		for i, v := range vs {
			nums[i] = strconv.Itoa(v.Version)
		}
		what = fmt.Sprintf("every version of %s (%s)", name, strings.Join(nums, ", "))
	} else if _, err := reg.Resolve(ref); err != nil && !errors.Is(err, registry.ErrDamaged) {
		return fmt.Errorf("models rm: %w", err)
	}
	if !yes && askOnTerminal(e.stdin) {
		fmt.Fprintf(e.stdout, "Delete %s from %s? [y/N] ", what, reg.Dir())
		answer, _ := bufio.NewReader(e.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(e.stdout, "Nothing deleted.")
			return nil
		}
	}
	if err := reg.Delete(ref, force); err != nil {
		if errors.Is(err, registry.ErrAliased) {
			return fmt.Errorf("models rm: %w (give --force to delete it and its aliases)", err)
		}
		return fmt.Errorf("models rm: %w", err)
	}
	fmt.Fprintf(e.stdout, "Deleted %s from %s\n", what, reg.Dir())
	return nil
}

// modelsAlias points alias at ref's version, or with rm removes the alias
// (then the arguments are ALIAS NAME).
func (e *env) modelsAlias(dir, first, second string, rm bool) error {
	reg, err := registry.Open(dir)
	if err != nil {
		return fmt.Errorf("models alias: %w", err)
	}
	if rm {
		alias, name := first, second
		if err := reg.RemoveAlias(name, alias); err != nil {
			return fmt.Errorf("models alias: %w", err)
		}
		fmt.Fprintf(e.stdout, "Removed alias %s@%s from %s\n", name, alias, reg.Dir())
		return nil
	}
	en, err := reg.SetAlias(first, second)
	if err != nil {
		return fmt.Errorf("models alias: %w", err)
	}
	fmt.Fprintf(e.stdout, "%s@%s → %s in %s\n", en.Name, second, en.Ref(), reg.Dir())
	return nil
}

// askOnTerminal reports whether a command may ask the user a question:
// standard input is a terminal. Tests replace it.
var askOnTerminal = func(stdin io.Reader) bool { return isTerminal(stdin) }

// oneRef returns the single NAME[@V] argument of show and rm.
func oneRef(c *cli.Context) (string, error) {
	return oneArg(c, "model", "which model? give NAME or NAME@VERSION (see 'dense %s --help')")
}

// oneArg returns a command's single positional argument, a what; missing
// is the error when there is none, with %s standing for the command.
func oneArg(c *cli.Context, what, missing string) (string, error) {
	name := commandName(c)
	switch c.NArg() {
	case 1:
		return c.Args().First(), nil
	case 0:
		return "", fmt.Errorf("%s: "+missing, name, name)
	default:
		return "", fmt.Errorf("%s: give one %s, got %d arguments", name, what, c.NArg())
	}
}

func (e *env) modelsList(dir, format string) error {
	if err := checkFormat(format); err != nil {
		return fmt.Errorf("models list: %w", err)
	}
	reg, err := registry.Open(dir)
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	entries, damaged, err := reg.List()
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	for _, d := range damaged {
		fmt.Fprintf(e.stderr, "warning: %s is damaged and not listed: %s\n", d.Ref(), strings.TrimPrefix(d.Err.Error(), "registry: "))
	}
	if len(entries) == 0 && format == formatTable {
		fmt.Fprintf(e.stdout, "No models in %s yet: train one with dense train, or run dense demo.\n", reg.Dir())
		return nil
	}
	rs := &resultSet{Columns: []string{"name", "version", "task", "target", "inputs", "params", "metric", "rows", "registered", "aliases"}}
	for _, en := range entries {
		metric := ""
		if k, v, ok := mainMetric(en.Metrics); ok {
			metric = k + " " + formatMetric(v)
		}
		rs.Rows = append(rs.Rows, []any{
			en.Name, int64(en.Version), en.Task, en.Target, int64(len(en.Inputs)), int64(en.Params), metric,
			int64(en.Rows), en.Created.UTC().Format("2006-01-02 15:04"), strings.Join(en.Aliases, ", "),
		})
	}
	return rs.write(e.stdout, format)
}

// mainMetric picks the metric to show for a model in one column.
func mainMetric(m map[string]float64) (string, float64, bool) {
	for _, k := range []string{"accuracy", "r2", "roc_auc", "mae", "loss"} {
		if v, ok := m[k]; ok {
			return k, v, true
		}
	}
	return "", 0, false
}

func (e *env) modelsShow(dir, ref string) error {
	reg, err := registry.Open(dir)
	if err != nil {
		return fmt.Errorf("models show: %w", err)
	}
	m, en, err := reg.Load(ref)
	if err != nil {
		return fmt.Errorf("models show: %w", err)
	}
	w := e.stdout
	spec := m.Spec()
	fmt.Fprintf(w, "%s\n", en.Ref())
	fmt.Fprintf(w, "  file        %s (%s bytes)\n", en.Path, thousands(int(en.Size)))
	fmt.Fprintf(w, "  sha256      %s\n", en.SHA256)
	fmt.Fprintf(w, "  registered  %s\n", en.Created.UTC().Format("2006-01-02 15:04:05 UTC"))
	task := string(spec.Task)
	if spec.Target != "" {
		task += ", target " + spec.Target
	}
	if len(spec.Labels) > 0 {
		task += ", labels " + strings.Join(spec.Labels, ", ")
	}
	fmt.Fprintf(w, "  task        %s\n", task)
	if p := spec.Provenance; p.Rows > 0 || p.Source != "" {
		how := fmt.Sprintf("seed %d", p.Seed)
		if p.Epochs > 0 {
			how += fmt.Sprintf(", %d epochs", p.Epochs)
		}
		fmt.Fprintf(w, "  trained on  %s rows of %s (%s)\n", thousands(int(p.Rows)), p.Source, how)
	}
	if t := spec.Provenance.Training; t != nil && t.Summary != "" {
		fmt.Fprintf(w, "  settings    %s\n", t.Summary)
	}
	writeTargetProvenance(w, spec)
	if png := filepath.Join(en.Dir(), "history.png"); fileExists(png) {
		fmt.Fprintf(w, "  history     %s\n", png)
	}
	if vs, err := reg.Versions(en.Name); err == nil {
		nums := make([]string, len(vs))
		for i, v := range vs {
			nums[i] = strconv.Itoa(v.Version)
		}
		fmt.Fprintf(w, "  versions    %s\n", strings.Join(nums, ", "))
	}
	if as, err := reg.Aliases(en.Name); err == nil {
		var mine []string
		for a, v := range as {
			if v == en.Version {
				mine = append(mine, a)
			}
		}
		if len(mine) > 0 {
			slices.Sort(mine)
			fmt.Fprintf(w, "  aliases     %s\n", strings.Join(mine, ", "))
		}
	}
	fmt.Fprintf(w, "\nInputs (%d, encoded to %d features):\n", len(spec.Inputs), spec.InputWidth())
	writeInputs(w, spec.Inputs)
	if len(spec.Provenance.Metrics) > 0 {
		fmt.Fprintln(w, "\nValidation metrics:")
		writeMetricTable(w, spec.Provenance.Metrics)
	}
	if cv := spec.Provenance.CV; cv != nil {
		fmt.Fprintf(w, "\nCross-validated metrics (%d folds, mean ± std):\n", cv.Folds)
		writeCVTable(w, cv)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, m.Summary())
	return nil
}

// writeInputs describes each input and its fitted preprocessing.
func writeInputs(w io.Writer, inputs []nn.Input) {
	width := 0
	for _, in := range inputs {
		width = max(width, len(in.Name))
	}
	for _, in := range inputs {
		var parts []string
		switch in.Kind {
		case nn.KindVector:
			parts = append(parts, fmt.Sprintf("vector[%d]", in.Length))
		default:
			parts = append(parts, in.Kind)
		}
		if in.Source != "" {
			parts = append(parts, "from "+in.Source)
		}
		if im := in.Impute; im != nil {
			s := "impute " + im.Strategy
			if in.Kind == nn.KindCategorical {
				s += " " + strconv.Quote(im.Category)
			} else {
				s += " " + formatNumber(im.Value)
			}
			if im.Indicator {
				s += " + missing indicator"
			}
			parts = append(parts, s)
		}
		if in.Clip != nil {
			parts = append(parts, fmt.Sprintf("clip [%s, %s]", formatNumber(in.Clip.Min), formatNumber(in.Clip.Max)))
		}
		if in.Log1p {
			parts = append(parts, "log1p")
		}
		if s := in.Scale; s != nil {
			switch s.Method {
			case nn.ScaleStandard:
				parts = append(parts, fmt.Sprintf("standard (mean %s, std %s)", formatNumber(s.Mean), formatNumber(s.Std)))
			case nn.ScaleMinMax:
				parts = append(parts, fmt.Sprintf("min-max [%s, %s]", formatNumber(s.Min), formatNumber(s.Max)))
			}
		}
		if len(in.Cycles) > 0 {
			parts = append(parts, "cycles "+strings.Join(in.Cycles, ", "))
		}
		if in.Kind == nn.KindCategorical {
			vocab := in.Vocabulary
			more := ""
			if len(vocab) > 8 {
				vocab, more = vocab[:8], fmt.Sprintf(", … (%d in all)", len(in.Vocabulary))
			}
			s := "one-hot {" + strings.Join(vocab, ", ") + more + "}"
			if in.UnknownBucket {
				s += " + unknown"
			}
			parts = append(parts, s)
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, in.Name, strings.Join(parts, ", "))
	}
}

// formatNumber shows a fitted statistic: whole numbers in full, others with
// five significant digits.
func formatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 5, 64)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
