package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/chzyer/readline"
	"github.com/urfave/cli/v2"

	"github.com/dense-ml/dense/udf"
)

func modelsFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "models",
		Usage:   "models folder (the registry)",
		Value:   "models",
		EnvVars: []string{"DENSE_MODELS"},
	}
}

func (e *env) sqlCommand() *cli.Command {
	return &cli.Command{
		Name:      "sql",
		Usage:     "run SQL in DuckDB with the dense functions registered",
		UsageText: "dense sql [--db FILE] [--models DIR] [--format table|csv|json|line] [--max-rows N] [-c SQL | FILE.sql]",
		Description: "Runs SQL statements against an in-memory DuckDB database (or --db FILE) in which\n" +
			"dense's functions are registered over the models folder: dense_predict, dense_predict_label,\n" +
			"dense_predict_proba, dense_predict_all, dense_explain, and the table functions dense_models(),\n" +
			"dense_layers, dense_inputs, dense_params, dense_importance, dense_evaluate, dense_confusion and\n" +
			"dense_train (README: \"SQL reference\"). The statements come from -c,\n" +
			"from FILE.sql, or from standard input when it is not a terminal; on a terminal, dense sql\n" +
			"is an interactive shell with line editing and history (~/.dense_history); end statements\n" +
			"with ';', type .help for the shell's commands. In batch mode the first failing statement\n" +
			"stops the run with exit code 1; the shell reports the error and carries on.\n\n" +
			"Output: the table format shows the first and the last rows of a long result (--max-rows,\n" +
			"\"50,000 rows (40 shown)\") and, on a terminal, narrows wide columns with … to fit its\n" +
			"width; csv, json and line print every row. All formats stream: memory does not grow with\n" +
			"the result. The json output of a script of several statements is one array holding each\n" +
			"statement's array of rows, in order ([] for a statement without rows). Dates, times and\n" +
			"intervals print in DuckDB's own text forms; CSV lists as [1.5, 2.0], which DuckDB casts back.\n" +
			"DuckDB reads Parquet, CSV and JSON files by name (FROM 'scores.parquet'); it has no Arrow\n" +
			"IPC reader, so for SQL write dense score's output as .parquet rather than .arrow.\n\n" +
			"Examples:\n" +
			"   dense sql -c \"SELECT name, version, task FROM dense_models()\"\n" +
			"   dense sql -c \"SELECT dense_predict('churn', c) AS p FROM 'customers.csv' c\" --format csv\n" +
			"   dense sql --db shop.duckdb report.sql\n" +
			"   echo \"SELECT * FROM dense_params(784, [128, 10]);\" | dense sql --format json\n" +
			"   dense sql --db shop.duckdb                          # the interactive shell",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "db", Usage: "DuckDB database file (created if missing); default an in-memory database"},
			modelsFlag(),
			&cli.StringFlag{Name: "command", Aliases: []string{"c"}, Usage: "SQL to run (one or more statements separated by ';')"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "output format: table, csv, json or line", Value: formatTable},
			&cli.IntFlag{Name: "max-rows", Usage: "rows the table format shows of a longer result, the first and the last ones (0 = all)", Value: defaultMaxRows},
			&cli.BoolFlag{Name: "shell", Usage: "run the interactive shell even when standard input is not a terminal", Hidden: true},
		},
		Action: func(c *cli.Context) error {
			format := c.String("format")
			if err := checkFormat(format); err != nil {
				return fmt.Errorf("sql: %w", err)
			}
			if c.NArg() > 1 {
				return fmt.Errorf("sql: give at most one SQL file, got %d arguments", c.NArg())
			}
			script, source, interactive := c.String("command"), "-c", false
			switch {
			case c.IsSet("command") && c.NArg() > 0:
				return errors.New("sql: give either -c SQL or a FILE.sql, not both")
			case c.IsSet("command"):
			case c.NArg() == 1:
				source = c.Args().First()
				b, err := os.ReadFile(source)
				if err != nil {
					return fmt.Errorf("sql: cannot read SQL file: %w", err)
				}
				script = string(b)
			case c.Bool("shell") || isTerminal(e.stdin):
				interactive = true
			default:
				source = "standard input"
				b, err := io.ReadAll(e.stdin)
				if err != nil {
					return fmt.Errorf("sql: reading standard input: %w", err)
				}
				script = string(b)
			}
			s, err := openSession(c.Context, c.String("db"), c.String("models"))
			if err != nil {
				return err
			}
			defer s.Close()
			s.format = format
			if s.maxRows = c.Int("max-rows"); s.maxRows < 0 {
				return fmt.Errorf("sql: --max-rows %d: want 0 (all rows) or more", s.maxRows)
			}
			if interactive {
				return e.shell(c.Context, s)
			}
			return s.runScript(c.Context, e.stdout, script, source)
		},
	}
}

// session is one DuckDB connection with the dense functions registered. One
// connection (not a pool) so that SET, temporary tables and USE persist
// from one statement to the next, as a user of a shell expects.
type session struct {
	db       *sql.DB
	conn     *sql.Conn
	format   string
	timer    bool
	maxRows  int // the table format's row limit (0 = all)
	maxWidth int // the table format's line width (0 = the terminal's, if any)

	out     io.WriteCloser // .output FILE, nil for standard output
	outName string
	nested  bool // the JSON array of this statement is an element of the script's array
}

func (s *session) Close() {
	s.setOutput(nil, "")
	if s.conn != nil {
		s.conn.Close()
	}
	s.db.Close()
}

// setOutput sends results to out (nil: back to standard output), closing
// the previous .output file.
func (s *session) setOutput(out io.WriteCloser, name string) error {
	var err error
	if s.out != nil {
		err = s.out.Close()
	}
	s.out, s.outName = out, name
	return err
}

// writer is where results go: the .output file, or stdout.
func (s *session) writer(stdout io.Writer) io.Writer {
	if s.out != nil {
		return s.out
	}
	return stdout
}

// sinkOptions are the table format's limits for a result written to w:
// the terminal's width when w is one (or .maxwidth).
func (s *session) sinkOptions(w io.Writer) sinkOptions {
	o := sinkOptions{MaxRows: s.maxRows, MaxWidth: s.maxWidth, JSONNoNewline: s.nested}
	if o.MaxWidth == 0 {
		o.MaxWidth = terminalWidth(w)
	}
	return o
}

// openSession opens (or creates) the database and registers the dense
// functions over the models folder.
func openSession(ctx context.Context, dbPath, models string) (*session, error) {
	db, err := openDuckDB(ctx, dbPath, models, false)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sql: %w", err)
	}
	return &session{db: db, conn: conn, format: formatTable, maxRows: defaultMaxRows}, nil
}

// openDuckDB opens the DuckDB database at path ("" = in memory, created if
// missing unless readOnly) with the dense functions registered over the
// models folder.
func openDuckDB(ctx context.Context, path, models string, readOnly bool) (*sql.DB, error) {
	if path != "" {
		if dir := filepath.Dir(path); dir != "" {
			if _, err := os.Stat(dir); err != nil {
				return nil, fmt.Errorf("database %s: folder %s does not exist", path, dir)
			}
		}
	}
	dsn := path
	if readOnly && path != "" {
		dsn += "?access_mode=read_only"
	}
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening database %q: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening database %q: %w", path, err)
	}
	if err := registerDense(ctx, db, models); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// runScript runs every statement of script, printing the results; it stops
// at the first error, naming the statement's position.
func (s *session) runScript(ctx context.Context, w io.Writer, script, source string) error {
	stmts, rest := splitStatements(script)
	if strings.TrimSpace(rest) != "" {
		stmts = append(stmts, strings.TrimSpace(rest))
	}
	if len(stmts) == 0 {
		return fmt.Errorf("sql: no SQL statements in %s", source)
	}
	// JSON: one document, an array of each statement's array of rows.
	s.nested = s.format == formatJSON && len(stmts) > 1
	defer func() { s.nested = false }()
	if s.nested {
		io.WriteString(w, "[")
	}
	for i, q := range stmts {
		if s.nested && i > 0 {
			io.WriteString(w, ",\n")
		}
		if err := s.exec(ctx, w, q); err != nil {
			where := ""
			if len(stmts) > 1 {
				where = fmt.Sprintf(" (statement %d of %d in %s: %s)", i+1, len(stmts), source, abbreviate(q, 60))
			}
			return fmt.Errorf("sql: %s%s%s", trimLineMarker(err.Error()), arrowHint(q), where)
		}
	}
	if s.nested {
		io.WriteString(w, "]\n")
	}
	return nil
}

// exec runs one statement and prints its result, if it has columns.
func (s *session) exec(ctx context.Context, w io.Writer, q string) error {
	start := time.Now()
	// Cancelling ctx (Ctrl-C) interrupts DuckDB, which cannot reach a
	// running dense_train or dense_evaluate: stop those too.
	defer context.AfterFunc(ctx, udf.Interrupt)()
	rows, err := s.conn.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		return err
	}
	if len(cols) == 0 || isCountOnly(q, cols) {
		if _, err := readRows(rows); err != nil { // run it to the end
			return err
		}
		if s.nested {
			io.WriteString(w, "[]")
		}
	} else if err := streamRows(rows, w, s.format, s.sinkOptions(w)); err != nil {
		return err
	}
	if s.timer {
		fmt.Fprintf(w, "Run Time: %.3f s\n", time.Since(start).Seconds())
	}
	return nil
}

// isCountOnly reports whether a statement is DDL/DML whose only result is
// DuckDB's affected-row "Count" column, which a script does not need to see.
func isCountOnly(q string, cols []string) bool {
	if len(cols) != 1 || cols[0] != "Count" {
		return false
	}
	word := strings.ToUpper(firstWord(q))
	switch word {
	case "INSERT", "UPDATE", "DELETE", "CREATE", "COPY", "DROP", "ALTER":
		return true
	}
	return false
}

func firstWord(q string) string {
	q = strings.TrimSpace(q)
	for strings.HasPrefix(q, "--") || strings.HasPrefix(q, "/*") {
		if strings.HasPrefix(q, "--") {
			j := strings.IndexByte(q, '\n')
			if j < 0 {
				return ""
			}
			q = strings.TrimSpace(q[j+1:])
		} else {
			j := strings.Index(q, "*/")
			if j < 0 {
				return ""
			}
			q = strings.TrimSpace(q[j+2:])
		}
	}
	end := strings.IndexFunc(q, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') })
	if end < 0 {
		return q
	}
	return q[:end]
}

// trimLineMarker drops the "LINE 1: … ^" excerpt DuckDB appends to syntax
// and binder errors: useful on a terminal, noise in a one-line error.
func trimLineMarker(msg string) string {
	if i := strings.Index(msg, "\n\nLINE "); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimSpace(msg)
}

func abbreviate(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
			lines = append(lines, l)
		}
	}
	s = strings.Join(strings.Fields(strings.Join(lines, " ")), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

const shellHelp = `Statements end with ';' and may span lines; Ctrl-C stops a running one. Shell commands:
  .help                      this help
  .tables                    list the tables
  .schema [TABLE]            the CREATE statements of the tables and views (or of one)
  .models                    list the registered models (SELECT * FROM dense_models())
  .mode table|csv|json|line  change the output format (.format is the same)
  .maxrows N                 rows a table shows, the first and the last ones (0 = all; default 40)
  .maxwidth N                width a table fits in (0 = the terminal's)
  .output [FILE]             write results to FILE (created or truncated); no FILE: back to the screen
  .timer on|off              print each statement's run time
  .read FILE                 run the statements in FILE
  .quit / .exit              leave (Ctrl-D works too)
`

// shell is the interactive loop: line editing and history through readline,
// statements run as soon as they are complete, errors printed and the loop
// carries on.
func (e *env) shell(ctx context.Context, s *session) error {
	history := os.Getenv("DENSE_HISTORY")
	if history == "" {
		if home, err := os.UserHomeDir(); err == nil {
			history = filepath.Join(home, ".dense_history")
		}
	}
	cfg := &readline.Config{
		Prompt:      "dense> ",
		HistoryFile: history,
		// A statement typed over several lines is saved as one entry, so
		// that ↑ brings back the whole statement.
		DisableAutoSaveHistory: true,
		InterruptPrompt:        "^C",
		EOFPrompt:              "",
		Stdout:                 e.stdout,
		Stderr:                 e.stderr,
		AutoComplete:           newSQLCompleter(ctx, s),
	}
	if rc, ok := e.stdin.(io.ReadCloser); ok {
		cfg.Stdin = rc
	} else {
		cfg.Stdin = io.NopCloser(e.stdin)
	}
	rl, err := readline.NewEx(cfg)
	if err != nil {
		return fmt.Errorf("sql: starting the shell: %w", err)
	}
	defer rl.Close()
	if isTerminal(e.stdin) {
		fmt.Fprintln(e.stdout, "dense SQL shell on DuckDB: statements end with ';', .help for help, Ctrl-D to quit.")
	}
	var buf strings.Builder
	for {
		line, err := rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			if buf.Len() == 0 {
				fmt.Fprintln(e.stdout, "(.quit or Ctrl-D to leave)")
			}
			buf.Reset()
			rl.SetPrompt("dense> ")
			continue
		}
		if err != nil { // io.EOF: Ctrl-D or the end of piped input
			if rest := strings.TrimSpace(buf.String()); rest != "" {
				e.shellRun(ctx, s, rest)
			}
			return nil
		}
		if buf.Len() == 0 && strings.HasPrefix(strings.TrimSpace(line), ".") {
			rl.SaveHistory(strings.TrimSpace(line))
			if quit := e.dotCommand(ctx, s, strings.TrimSpace(line)); quit {
				return nil
			}
			continue
		}
		buf.WriteString(line)
		buf.WriteString("\n")
		stmts, rest := splitStatements(buf.String())
		if len(stmts) > 0 {
			rl.SaveHistory(strings.Join(strings.Fields(strings.TrimSuffix(buf.String(), rest)), " "))
		}
		for _, q := range stmts {
			e.shellRun(ctx, s, q)
		}
		buf.Reset()
		if strings.TrimSpace(rest) != "" {
			buf.WriteString(rest)
			rl.SetPrompt("   ...> ")
		} else {
			rl.SetPrompt("dense> ")
		}
	}
}

// shellRun runs one statement of the shell. Ctrl-C cancels that statement
// only: the shell's context ignores the interrupt that ends batch commands.
func (e *env) shellRun(ctx context.Context, s *session, q string) {
	stmtCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	go func() {
		select {
		case <-sig:
			cancel()
		case <-stmtCtx.Done():
		}
	}()
	err := s.exec(stmtCtx, s.writer(e.stdout), q)
	switch {
	case err == nil:
	case stmtCtx.Err() != nil: // Ctrl-C: DuckDB's and Go's messages say the same thing twice
		if isTerminal(e.stderr) {
			fmt.Fprint(e.stderr, "\r") // over the terminal's ^C
		}
		fmt.Fprintln(e.stderr, "Interrupted")
	default:
		fmt.Fprintln(e.stderr, "Error: "+oneLine(trimLineMarker(err.Error()))+arrowHint(q))
	}
}

// dotCommand runs one of the shell's dot commands; it reports whether the
// shell should quit.
func (e *env) dotCommand(ctx context.Context, s *session, line string) bool {
	fields := strings.Fields(line)
	arg := ""
	if len(fields) > 1 {
		arg = fields[1]
	}
	switch fields[0] {
	case ".quit", ".exit", ".q":
		return true
	case ".help":
		fmt.Fprint(e.stdout, shellHelp)
	case ".tables":
		e.shellRun(ctx, s, "SELECT table_name AS name FROM information_schema.tables WHERE table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY 1")
	case ".models":
		e.shellRun(ctx, s, "SELECT * FROM dense_models()")
	case ".format", ".mode":
		if err := checkFormat(arg); err != nil {
			fmt.Fprintf(e.stderr, "Error: unknown mode %q (want %s table|csv|json|line)\n", arg, fields[0])
		} else {
			s.format = arg
		}
	case ".maxrows", ".maxwidth":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			fmt.Fprintf(e.stderr, "Error: %s N: want a number, 0 or more (got %q)\n", fields[0], arg)
			break
		}
		if fields[0] == ".maxrows" {
			s.maxRows = n
		} else {
			s.maxWidth = n
		}
	case ".schema":
		q := "SELECT sql FROM (SELECT schema_name, table_name AS name, sql FROM duckdb_tables() WHERE NOT internal " +
			"UNION ALL SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal)"
		if arg != "" {
			q += " WHERE name = " + sqlString(arg)
		}
		e.printSchema(ctx, s, q+" ORDER BY schema_name, name")
	case ".output":
		if arg == "" {
			if err := s.setOutput(nil, ""); err != nil {
				fmt.Fprintln(e.stderr, "Error: "+err.Error())
			}
			break
		}
		f, err := os.Create(arg)
		if err != nil {
			fmt.Fprintln(e.stderr, "Error: "+err.Error())
			break
		}
		if err := s.setOutput(f, arg); err != nil {
			fmt.Fprintln(e.stderr, "Error: "+err.Error())
		}
	case ".timer":
		switch arg {
		case "on":
			s.timer = true
		case "off":
			s.timer = false
		default:
			fmt.Fprintln(e.stderr, "Error: .timer on|off")
		}
	case ".read":
		b, err := os.ReadFile(arg)
		if err != nil {
			fmt.Fprintln(e.stderr, "Error: "+err.Error())
			break
		}
		stmts, rest := splitStatements(string(b))
		if strings.TrimSpace(rest) != "" {
			stmts = append(stmts, rest)
		}
		for _, q := range stmts {
			e.shellRun(ctx, s, q)
		}
	default:
		fmt.Fprintf(e.stderr, "Error: unknown command %s (.help lists them)\n", fields[0])
	}
	return false
}

// printSchema prints the statements of q's single sql column, each ending
// with a semicolon, as DuckDB's .schema does.
func (e *env) printSchema(ctx context.Context, s *session, q string) {
	rows, err := s.conn.QueryContext(ctx, q)
	if err != nil {
		fmt.Fprintln(e.stderr, "Error: "+oneLine(err.Error()))
		return
	}
	rs, err := readRows(rows)
	if err != nil {
		fmt.Fprintln(e.stderr, "Error: "+oneLine(err.Error()))
		return
	}
	w := s.writer(e.stdout)
	for _, r := range rs.Rows {
		stmt, _ := r[0].(string)
		if stmt = strings.TrimSpace(stmt); stmt != "" {
			fmt.Fprintln(w, strings.TrimSuffix(stmt, ";")+";")
		}
	}
}

// sqlString quotes s as a SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// terminalWidth is the width of w in columns when w is a terminal, else 0.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !readline.IsTerminal(int(f.Fd())) {
		return 0
	}
	width, _, err := readline.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}

// arrowFile finds an Arrow IPC file name or read_arrow in a statement.
var arrowFile = regexp.MustCompile(`(?i)(\.(arrow|arrows|feather|ipc)'|\bread_arrow\s*\()`)

// arrowHint explains a failed statement that reads an Arrow IPC file:
// DuckDB has no reader for them (its arrow extension is not bundled).
func arrowHint(q string) string {
	if !arrowFile.MatchString(q) {
		return ""
	}
	return " (DuckDB reads no Arrow IPC files: write dense score's output as .parquet, or into a table with --out duckdb:FILE.duckdb:TABLE)"
}
