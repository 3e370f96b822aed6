package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// writeHeaders makes a folder with the two headers, the extension header
// declaring API version maj.min.patch.
func writeHeaders(t *testing.T, version [3]int) string {
	t.Helper()
	dir := t.TempDir()
	ext := "#pragma once\n#include \"duckdb.h\"\n" +
		"#define DUCKDB_EXTENSION_API_VERSION_MAJOR " + strconv.Itoa(version[0]) + "\n" +
		"#define DUCKDB_EXTENSION_API_VERSION_MINOR " + strconv.Itoa(version[1]) + "\n" +
		"#define DUCKDB_EXTENSION_API_VERSION_PATCH " + strconv.Itoa(version[2]) + "\n"
	for name, text := range map[string]string{"duckdb_extension.h": ext, "duckdb.h": "#pragma once\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCheckHeaders(t *testing.T) {
	for _, v := range [][3]int{{1, 5, 6}, {1, 5, 9}, {1, 6, 0}} {
		if err := checkHeaders(writeHeaders(t, v)); err != nil {
			t.Errorf("API %v: %v", v, err)
		}
	}
	for _, v := range [][3]int{{1, 5, 5}, {1, 4, 9}, {2, 0, 0}} {
		err := checkHeaders(writeHeaders(t, v))
		if err == nil || !strings.Contains(err.Error(), "the extension needs v1.5.6") {
			t.Errorf("API %v: %v, want an error asking for v1.5.6", v, err)
		}
	}
	if err := checkHeaders(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty folder: %v, want ErrNotExist", err)
	}
}

func TestFindHeaders(t *testing.T) {
	quiet := func(string, ...any) {}
	good := writeHeaders(t, [3]int{1, 5, 6})
	if dir, err := findHeaders(good, false, quiet); err != nil || dir != good {
		t.Errorf("-include %s: %q, %v", good, dir, err)
	}
	t.Setenv("DENSE_DUCKDB_INCLUDE", good)
	if dir, err := findHeaders("", false, quiet); err != nil || dir != good {
		t.Errorf("$DENSE_DUCKDB_INCLUDE: %q, %v", dir, err)
	}
	empty := t.TempDir()
	_, err := findHeaders(empty, false, quiet)
	if err == nil || !strings.Contains(err.Error(), empty+" (-include) has no duckdb_extension.h and duckdb.h") {
		t.Errorf("-include of an empty folder: %v", err)
	}

	// Nothing anywhere and no fetching: one line that says how to get them.
	t.Setenv("DENSE_DUCKDB_INCLUDE", "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	if checkHeaders("/usr/include") == nil || checkHeaders("/usr/local/include") == nil {
		t.Skip("this machine has DuckDB's headers in /usr/include")
	}
	_, err = findHeaders("", false, quiet)
	if err == nil || strings.Contains(err.Error(), "\n") ||
		!strings.Contains(err.Error(), "libduckdb-dev") || !strings.Contains(err.Error(), "-include") {
		t.Errorf("missing headers without fetching: %v, want one line naming libduckdb-dev and -include", err)
	}
}

func TestRunChecksTheOutputName(t *testing.T) {
	err := run([]string{"-o", filepath.Join(t.TempDir(), "my_ext.so")}, func(string, ...any) {})
	if err == nil || !strings.Contains(err.Error(), "call it dense.duckdb_extension") {
		t.Errorf("run with a wrong name: %v", err)
	}
}
