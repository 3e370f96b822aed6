package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"
)

// Exit codes.
const (
	exitOK          = 0
	exitUser        = 1   // bad input: a missing file, an unknown column or model, a bad flag
	exitPanic       = 2   // a bug in dense: reported as one line, with the stack only if DENSE_DEBUG is set
	exitInterrupted = 130 // Ctrl-C, as shells report a SIGINT
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program with its inputs and outputs passed in, so tests
// can drive it in-process. It never panics: a panic is turned into a
// one-line message and exit code 2.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "dense: internal error: %v (this is a bug in dense; set DENSE_DEBUG=1 for the stack trace)\n", r)
			if os.Getenv("DENSE_DEBUG") != "" {
				stderr.Write(debug.Stack())
			}
			code = exitPanic
		}
	}()
	app := newApp(stdin, stdout, stderr)
	if err := app.RunContext(ctx, flagsFirst(app, args)); err != nil {
		if ctx.Err() != nil {
			var ie *interruptedError
			if errors.As(err, &ie) {
				fmt.Fprintln(stderr, "dense: "+ie.msg)
			} else {
				fmt.Fprintln(stderr, "dense: interrupted")
			}
			return exitInterrupted
		}
		fmt.Fprintln(stderr, "dense: "+oneLine(trimLineMarker(err.Error())))
		return exitUser
	}
	return exitOK
}

// oneLine folds a possibly multi-line error message into one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	var parts []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// env is what every command needs besides its flags: where to read and write.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	cmds := []*cli.Command{
		e.trainCommand(),
		e.scoreCommand(),
		e.sqlCommand(),
		e.modelsCommand(),
		e.paramsCommand(),
		e.evalCommand(),
		e.exportCommand(),
		e.importCommand(),
		e.pipelineCommand(),
		e.demoCommand(),
		benchCommand(),
	}
	cmds = append(cmds, testCommands...)
	for _, c := range cmds {
		setUsageErrors(c)
	}
	app := &cli.App{
		Name:  "dense",
		Usage: "train dense neural networks on tables and score them in SQL",
		Description: "dense reads Parquet, CSV, Arrow IPC files or DuckDB queries, fits the preprocessing into\n" +
			"the model, trains a fully connected network in Go, registers it in a versioned models\n" +
			"folder and scores it from Go or from SQL with dense_predict(...).\n\n" +
			"Start with:\n" +
			"   dense demo                                     generated customers, two models, SQL scoring\n" +
			"   dense train --data customers.csv --target churned --name churn\n" +
			"   dense sql -c \"SELECT dense_predict('churn', c) FROM 'customers.csv' c\"\n\n" +
			"Models live in ./models unless --models DIR or $DENSE_MODELS says otherwise.",
		Commands:        cmds,
		HideVersion:     true,
		Reader:          stdin,
		Writer:          stdout,
		ErrWriter:       stderr,
		Suggest:         true,
		ExitErrHandler:  func(*cli.Context, error) {}, // run() reports errors and picks the exit code
		OnUsageError:    usageError,
		CommandNotFound: nil,
	}
	app.Action = func(c *cli.Context) error {
		if c.NArg() > 0 {
			return fmt.Errorf("unknown command %q (run 'dense --help' for the list)", c.Args().First())
		}
		return cli.ShowAppHelp(c)
	}
	return app
}

// flagsFirst lets flags follow positional arguments, as in
// `dense models show churn --models /srv/models`: urfave/cli (like Go's
// flag package) stops at the first positional argument, so the command's
// flags and their values are moved in front of its positional arguments.
// Everything after "--" stays as it is.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	cmds := app.Commands
	i := 1
	var cmd *cli.Command
	for i < len(args) { // walk down to the (sub)command
		var next *cli.Command
		for _, c := range cmds {
			if c.HasName(args[i]) {
				next = c
			}
		}
		if next == nil {
			break
		}
		cmd, cmds = next, next.Subcommands
		i++
	}
	if cmd == nil || len(cmd.Subcommands) > 0 && i < len(args) && !strings.HasPrefix(args[i], "-") {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	var flags, positional []string
	rest := args[i:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		if a == "--" {
			positional = append(positional, rest[j:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if !strings.Contains(name, "=") && takesValue[name] && j+1 < len(rest) {
			flags = append(flags, rest[j+1])
			j++
		}
	}
	out := append([]string{}, args[:i]...)
	out = append(out, flags...)
	return append(out, positional...)
}

// testCommands are extra commands the tests add (one that panics, to check
// the exit code of a bug).
var testCommands []*cli.Command

// usageError turns a flag parsing error into a one-line error instead of
// urfave/cli's default "Incorrect Usage" followed by the whole help.
func usageError(c *cli.Context, err error, _ bool) error {
	name := commandName(c)
	if name == "" {
		return fmt.Errorf("%v (see 'dense --help')", err)
	}
	return fmt.Errorf("%s: %v (see 'dense %s --help')", name, err, name)
}

// commandName is the full name of the running command, "models show" say.
func commandName(c *cli.Context) string {
	var names []string
	for _, ctx := range c.Lineage() {
		// The app's own root command (named like the app) is in the lineage too.
		if ctx.Command != nil && ctx.Command.Name != "" && ctx.Command.Name != c.App.Name {
			names = append([]string{ctx.Command.Name}, names...)
		}
	}
	return strings.Join(names, " ")
}

// checkArgs checks that the command got at most maxArgs positional
// arguments and that every one of the required flags was given, with an
// error that names what is missing.
func checkArgs(c *cli.Context, maxArgs int, required ...string) error {
	name := commandName(c)
	var missing []string
	for _, f := range required {
		if !c.IsSet(f) {
			missing = append(missing, "--"+f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: missing %s (see 'dense %s --help')", name, strings.Join(missing, ", "), name)
	}
	if c.NArg() > maxArgs {
		return fmt.Errorf("%s: unexpected argument %q (see 'dense %s --help')", name, c.Args().Get(maxArgs), name)
	}
	return nil
}

func setUsageErrors(c *cli.Command) {
	if c.OnUsageError == nil {
		c.OnUsageError = usageError
	}
	for _, s := range c.Subcommands {
		setUsageErrors(s)
	}
}
