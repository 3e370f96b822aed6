package hosttest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// The files the tests need, found or built by TestMain; a reason in
// missing* makes the tests that need it skip (or fail, when required).
var (
	extensionFile string // dense.duckdb_extension
	missingExt    string
	nodeDir       string // the folder of host.mjs, with node_modules
	missingNode   string
	libduckdbDir  string // the folder of the Node API's libduckdb.so
	moduleRoot    string
	hostsRequired = os.Getenv("DENSE_HOSTTEST") == "require"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	_, here, _, _ := runtime.Caller(0)
	moduleRoot = filepath.Join(filepath.Dir(here), "..", "..")
	nodeDir = filepath.Join(filepath.Dir(here), "node")

	if _, err := exec.LookPath("node"); err != nil {
		missingNode = "node is not installed (the tests run DuckDB's Node API: install Node.js 18 or newer, then npm ci in extension/hosttest/node)"
	} else if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "@duckdb", "node-api")); err != nil {
		missingNode = "@duckdb/node-api is not installed: run npm ci in extension/hosttest/node"
	} else {
		libduckdbDir = filepath.Join(nodeDir, "node_modules", "@duckdb", "node-bindings-"+nodePlatform())
	}

	tmp, err := os.MkdirTemp("", "dense-hosttest-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if f := os.Getenv("DENSE_EXTENSION"); f != "" {
		extensionFile = f
	} else if missingNode == "" || hostsRequired {
		// Build only when a host can load it.
		extensionFile = filepath.Join(tmp, "dense.duckdb_extension")
		cmd := exec.Command("go", "run", "./extension/build", "-o", extensionFile)
		cmd.Dir = moduleRoot
		out, err := cmd.CombinedOutput()
		if err != nil {
			missingExt = fmt.Sprintf("go run ./extension/build failed (%v):\n%s", err, out)
		}
	}
	return m.Run()
}

// nodePlatform is the suffix of the Node API's binary package for this machine.
func nodePlatform() string {
	arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	return runtime.GOOS + "-" + arch
}

// need skips (or, with DENSE_HOSTTEST=require, fails) a test whose host or
// extension is missing.
func need(t *testing.T, reasons ...string) {
	t.Helper()
	for _, r := range reasons {
		if r == "" {
			continue
		}
		if hostsRequired {
			t.Fatalf("DENSE_HOSTTEST=require, but %s", r)
		}
		t.Skip(r)
	}
}

// needNode is need for the Node API host and the extension.
func needNode(t *testing.T) {
	t.Helper()
	need(t, missingNode, missingExt)
}
