package hosttest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dense-ml/dense/internal/sqllogic"
)

// nodeHost is one Node.js process running node/host.mjs: an in-memory
// DuckDB of the official Node API with one connection.
type nodeHost struct {
	t     *testing.T
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Reader
	dead  error
	stder *strings.Builder
}

// startNode starts a host with DuckDB config (allow_unsigned_extensions
// unless the config says otherwise) and the environment variables env
// ("DENSE_MODELS=…"); it stops when the test ends.
func startNode(t *testing.T, config map[string]string, env ...string) *nodeHost {
	t.Helper()
	needNode(t)
	if config == nil {
		config = map[string]string{"allow_unsigned_extensions": "true"}
	}
	cfg, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join(nodeDir, "host.mjs"), string(cfg))
	cmd.Dir = t.TempDir() // ./models of the host process is empty unless a test says otherwise
	cmd.Env = append(os.Environ(), env...)
	h := &nodeHost{t: t, cmd: cmd, stder: &strings.Builder{}}
	cmd.Stderr = h.stder
	if h.in, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	h.out = bufio.NewReaderSize(stdout, 1<<20)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.in.Close()
		if err := cmd.Wait(); err != nil && h.dead == nil {
			t.Errorf("the Node host ended with %v; stderr:\n%s", err, h.stder)
		}
	})
	return h
}

// load runs LOAD of the extension.
func (h *nodeHost) load() {
	h.t.Helper()
	if err := h.Exec(loadSQL(extensionFile)); err != nil {
		h.t.Fatal(err)
	}
}

func loadSQL(file string) string { return "LOAD '" + strings.ReplaceAll(file, "'", "''") + "'" }

type nodeAnswer struct {
	Error *string             `json:"error"`
	Types []string            `json:"types"`
	Rows  [][]json.RawMessage `json:"rows"`
}

// roundTrip sends one statement and reads the answer. A host that died
// (the extension crashed it) fails the test with its stderr.
func (h *nodeHost) roundTrip(sql string) (nodeAnswer, error) {
	h.t.Helper()
	if h.dead != nil {
		h.t.Fatalf("the Node host is dead: %v", h.dead)
	}
	req, err := json.Marshal(map[string]string{"sql": sql})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.in.Write(append(req, '\n')); err != nil {
		h.dead = err
	}
	line, err := h.out.ReadBytes('\n')
	if err != nil {
		h.dead = fmt.Errorf("no answer to %q: %w", sql, err)
		werr := h.cmd.Wait()
		h.t.Fatalf("the Node host died running %q (%v); stderr:\n%s", sql, werr, h.stder)
	}
	var a nodeAnswer
	if err := json.Unmarshal(line, &a); err != nil {
		h.t.Fatalf("the Node host's answer %q: %v", line, err)
	}
	if a.Error != nil {
		return a, errors.New(*a.Error)
	}
	return a, nil
}

// Exec runs a statement and reads its whole result (sqllogic.Host).
func (h *nodeHost) Exec(sql string) error {
	_, err := h.roundTrip(sql)
	return err
}

// Query runs a query (sqllogic.Host).
func (h *nodeHost) Query(sql string) (sqllogic.Result, error) {
	a, err := h.roundTrip(sql)
	if err != nil {
		return sqllogic.Result{}, err
	}
	res := sqllogic.Result{Columns: len(a.Types)}
	for _, row := range a.Rows {
		vals := make([]any, len(row))
		for i, raw := range row {
			v, err := decodeValue(raw)
			if err != nil {
				return sqllogic.Result{}, fmt.Errorf("column %d (%s): %w", i+1, a.Types[i], err)
			}
			vals[i] = v
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, nil
}

// decodeValue turns host.mjs's encoding into the Go values duckdb-go
// gives: float32 for FLOAT, float64 for DOUBLE, int64 (or *big.Int) for
// integers, []any for lists.
func decodeValue(raw json.RawMessage) (any, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return decodeAny(v)
}

func decodeAny(v any) (any, error) {
	switch v := v.(type) {
	case nil, string, bool:
		return v, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			d, err := decodeAny(e)
			if err != nil {
				return nil, err
			}
			out[i] = d
		}
		return out, nil
	case map[string]any:
		for tag, x := range v {
			s, _ := x.(string)
			switch tag {
			case "f32":
				// The JS number is the FLOAT widened exactly to a double; its
				// shortest text reads back to that double.
				f, err := strconv.ParseFloat(s, 64)
				return float32(f), err
			case "f64":
				return strconv.ParseFloat(s, 64)
			case "int":
				if i, err := strconv.ParseInt(s, 10, 64); err == nil {
					return i, nil
				}
				b, ok := new(big.Int).SetString(s, 10)
				if !ok {
					return nil, fmt.Errorf("integer %q", s)
				}
				return b, nil
			case "text":
				return s, nil
			}
		}
	}
	return nil, fmt.Errorf("unexpected value %v", v)
}

// queryStrings runs a query on h and formats every value as the SQL suite
// does (sqllogic.Format): equal strings are equal bits for floats.
func queryStrings(t *testing.T, h sqllogic.Host, sql string) [][]string {
	t.Helper()
	res, err := h.Query(sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	out := make([][]string, len(res.Rows))
	for i, row := range res.Rows {
		out[i] = make([]string, len(row))
		for j, v := range row {
			out[i][j] = sqllogic.Format(v)
		}
	}
	return out
}
