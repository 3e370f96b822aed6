// Command build builds dense's loadable DuckDB extension:
//
//	go run ./extension/build -o dense.duckdb_extension
//
// It compiles package github.com/dense-ml/dense/extension with
// go build -buildmode=c-shared against DuckDB's C extension API and appends
// the metadata footer DuckDB checks when it loads a file (see footer.go):
// platform (linux_amd64 on this machine), C API version v1.5.6, ABI type
// C_STRUCT, the extension's version, and an empty signature, so DuckDB
// loads it only with allow_unsigned_extensions.
//
// # The header
//
// The compilation needs DuckDB's C headers duckdb_extension.h and duckdb.h
// (C extension API v1.5.6 or newer; the build pins the API to v1.5.6). They
// are in no Go module, and this repository does not copy DuckDB's files.
// The builder looks for them, in order, in
//
//  1. the folder given with -include,
//  2. the folder in $DENSE_DUCKDB_INCLUDE,
//  3. its cache folder, <user cache dir>/dense/duckdb-v1.5.6/include
//     (~/.cache/dense/… on Linux),
//  4. /usr/local/include and /usr/include.
//
// If none has them, it fetches them once into the cache folder from
// Debian's unstable suite, which ships them in the package libduckdb-dev,
// without installing anything: it writes an apt sources file for sid in a
// private folder, runs apt-get update and apt-get download with that
// folder as apt's sources and lists (about 20 MB of package lists,
// deleted afterwards), and unpacks the two headers with dpkg-deb -x. That
// needs apt-get, dpkg-deb and Debian's archive keyring
// (/usr/share/keyrings/debian-archive-keyring.gpg). Elsewhere, or with
// -fetch=false, a missing header is an error that says how to get it.
//
// # Flags
//
//	-o file          the extension to write (default dense.duckdb_extension); its
//	                 name must start with "dense.", DuckDB derives the entry point from it
//	-include dir     the folder holding duckdb_extension.h and duckdb.h
//	-fetch           fetch the headers from Debian when they are not found (default true)
//	-version v       the extension's version in the footer (default: git describe, else "dev")
//	-platform p      DuckDB's platform name (default: this machine's, e.g. linux_amd64)
//	-tags t,u        extra build tags (extension/hosttest adds dense_panictest for its panic test)
//	-print-include   find (or fetch) the headers, print their folder and build nothing:
//	                 CGO_CFLAGS=-I$(go run ./extension/build -print-include) go vet -tags dense_extension ./extension
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// The C API the extension is built for, and how package extension is
// compiled (the contract is in extension/doc.go).
const (
	capiMajor, capiMinor, capiPatch = 1, 5, 6

	extensionPackage = "github.com/dense-ml/dense/extension"
	extensionName    = "dense"
)

// buildTags are the tags package extension and udf need for the extension
// build (extension/doc.go).
var buildTags = []string{"dense_extension"}

var capiVersion = fmt.Sprintf("v%d.%d.%d", capiMajor, capiMinor, capiPatch)

func main() {
	log := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "extension/build: "+format+"\n", args...) }
	if err := run(os.Args[1:], log); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string, log func(string, ...any)) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	out := fs.String("o", "dense.duckdb_extension", "the extension `file` to write")
	include := fs.String("include", "", "the `folder` holding duckdb_extension.h and duckdb.h (default $DENSE_DUCKDB_INCLUDE, the cache, /usr/include)")
	fetch := fs.Bool("fetch", true, "fetch the headers from Debian's libduckdb-dev when they are not found")
	version := fs.String("version", "", "the extension's `version` in the footer (default: git describe, else dev)")
	platform := fs.String("platform", "", "DuckDB's `platform` name (default: this machine's)")
	extraTags := fs.String("tags", "", "extra comma-separated build `tags` (for tests)")
	printInclude := fs.Bool("print-include", false, "find (or fetch) the headers, print their folder and build nothing")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("extension/build: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("extension/build: unexpected arguments %q (the flags are -o, -include, -fetch, -version, -platform, -tags, -print-include)", fs.Args())
	}
	if *printInclude {
		dir, err := findHeaders(*include, *fetch, log)
		if err == nil {
			fmt.Println(dir)
		}
		return err
	}
	if base := filepath.Base(*out); !strings.HasPrefix(base, extensionName+".") {
		return fmt.Errorf("extension/build: the output file is named %q, but DuckDB finds the entry point by the name before the first dot: call it %s.duckdb_extension", base, extensionName)
	}
	if *platform == "" {
		*platform = hostPlatform()
	}
	if *version == "" {
		*version = gitVersion()
	}
	meta := Metadata{Platform: *platform, CAPIVersion: capiVersion, ExtensionVersion: *version, ABIType: abiCStruct}
	footer, err := Footer(meta)
	if err != nil {
		return fmt.Errorf("extension/build: %w", err)
	}

	dir, err := findHeaders(*include, *fetch, log)
	if err != nil {
		return err
	}
	log("using the DuckDB headers in %s", dir)

	tmp, err := os.MkdirTemp("", "dense-extension-*")
	if err != nil {
		return fmt.Errorf("extension/build: %w", err)
	}
	defer os.RemoveAll(tmp)
	lib := filepath.Join(tmp, "libdense.so")
	tags := buildTags
	if *extraTags != "" {
		tags = append(append([]string{}, buildTags...), strings.Split(*extraTags, ",")...)
	}
	if err := goBuild(lib, dir, tags, log); err != nil {
		return err
	}
	so, err := os.ReadFile(lib)
	if err != nil {
		return fmt.Errorf("extension/build: %w", err)
	}
	file := append(so, footer...)
	if got, err := readFooter(file); err != nil || got != meta {
		return fmt.Errorf("extension/build: the footer reads back as %+v (%v), want %+v", got, err, meta)
	}
	if err := writeFile(*out, file); err != nil {
		return fmt.Errorf("extension/build: %w", err)
	}
	log("wrote %s (%.1f MB): platform %s, C API %s, ABI %s, version %s, unsigned",
		*out, float64(len(file))/1e6, meta.Platform, meta.CAPIVersion, meta.ABIType, meta.ExtensionVersion)
	return nil
}

// hostPlatform is DuckDB's name for the platform Go builds for.
func hostPlatform() string {
	goos := os.Getenv("GOOS")
	if goos == "" {
		goos = runtime.GOOS
	}
	goarch := os.Getenv("GOARCH")
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	if goos == "darwin" {
		goos = "osx"
	}
	return goos + "_" + goarch
}

// gitVersion describes the checked-out commit, or says "dev".
func gitVersion() string {
	out, err := exec.Command("git", "describe", "--tags", "--always", "--dirty").Output()
	v := strings.TrimSpace(string(out))
	if err != nil || v == "" {
		return "dev"
	}
	if len(v) > fieldSize-1 {
		v = v[:fieldSize-1]
	}
	return v
}

// goBuild compiles package extension as a C shared library.
func goBuild(lib, include string, tags []string, log func(string, ...any)) error {
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		goCmd = "go"
	}
	cmd := exec.Command(goCmd, "build", "-buildmode=c-shared", "-trimpath",
		"-tags", strings.Join(tags, ","), "-o", lib, extensionPackage)
	cflags := strings.TrimSpace(os.Getenv("CGO_CFLAGS") + " -I" + include + " " + capiDefines())
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "CGO_CFLAGS="+cflags)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	log("CGO_CFLAGS=%q go build -buildmode=c-shared -tags %s %s", cflags, strings.Join(tags, ","), extensionPackage)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("extension/build: go build -buildmode=c-shared %s: %w", extensionPackage, err)
	}
	return nil
}

// capiDefines pins the C API version the headers compile for.
func capiDefines() string {
	return fmt.Sprintf("-DDUCKDB_EXTENSION_API_VERSION_MAJOR=%d -DDUCKDB_EXTENSION_API_VERSION_MINOR=%d -DDUCKDB_EXTENSION_API_VERSION_PATCH=%d",
		capiMajor, capiMinor, capiPatch)
}

// writeFile writes data to path through a temporary file in the same folder.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o755)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// cacheDir is the builder's folder for the fetched headers.
func cacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "dense", "duckdb-"+capiVersion), nil
}

var headerFiles = []string{"duckdb_extension.h", "duckdb.h"}

// findHeaders returns the folder with DuckDB's headers, fetching them when
// allowed.
func findHeaders(flagDir string, fetch bool, log func(string, ...any)) (string, error) {
	var tried []string
	check := func(dir, from string) (bool, error) {
		tried = append(tried, dir)
		err := checkHeaders(dir)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, os.ErrNotExist) && from == "":
			return false, nil
		case errors.Is(err, os.ErrNotExist):
			return false, fmt.Errorf("extension/build: %s (%s) has no %s", dir, from, strings.Join(headerFiles, " and "))
		}
		return false, fmt.Errorf("extension/build: %w", err)
	}
	if flagDir != "" {
		_, err := check(flagDir, "-include")
		return flagDir, err
	}
	if env := os.Getenv("DENSE_DUCKDB_INCLUDE"); env != "" {
		_, err := check(env, "$DENSE_DUCKDB_INCLUDE")
		return env, err
	}
	cache, cacheErr := cacheDir()
	dirs := []string{"/usr/local/include", "/usr/include"}
	if cacheErr == nil {
		dirs = append([]string{filepath.Join(cache, "include")}, dirs...)
	}
	for _, dir := range dirs {
		ok, err := check(dir, "")
		if err != nil && dir != "/usr/include" && dir != "/usr/local/include" {
			return "", err
		}
		if ok {
			return dir, nil
		}
	}
	how := "get duckdb_extension.h and duckdb.h (C API v1.5.6 or newer: Debian unstable's libduckdb-dev, or DuckDB's release of libduckdb) and pass their folder with -include or $DENSE_DUCKDB_INCLUDE"
	if !fetch {
		return "", fmt.Errorf("extension/build: DuckDB's headers are not in %s; %s", strings.Join(tried, ", "), how)
	}
	if cacheErr != nil {
		return "", fmt.Errorf("extension/build: DuckDB's headers are not found and there is no cache folder to fetch them into (%v); %s", cacheErr, how)
	}
	if err := fetchHeaders(cache, log); err != nil {
		return "", fmt.Errorf("extension/build: DuckDB's headers are not found and fetching them from Debian failed: %w; %s", err, how)
	}
	dir := filepath.Join(cache, "include")
	_, err := check(dir, "fetched")
	return dir, err
}

var apiVersionRE = regexp.MustCompile(`(?m)^#define DUCKDB_EXTENSION_API_VERSION_(MAJOR|MINOR|PATCH) (\d+)`)

// checkHeaders says whether dir holds both headers with a C extension API
// of v1.5.6 or newer. A missing file wraps os.ErrNotExist.
func checkHeaders(dir string) error {
	for _, name := range headerFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, name), os.ErrNotExist)
		}
	}
	path := filepath.Join(dir, "duckdb_extension.h")
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	v := map[string]int{}
	for _, m := range apiVersionRE.FindAllStringSubmatch(string(src), -1) {
		if _, seen := v[m[1]]; !seen {
			v[m[1]], _ = strconv.Atoi(m[2])
		}
	}
	if len(v) != 3 {
		return fmt.Errorf("%s does not define DUCKDB_EXTENSION_API_VERSION_MAJOR/MINOR/PATCH: not the header of DuckDB's C extension API v1.x", path)
	}
	got := [3]int{v["MAJOR"], v["MINOR"], v["PATCH"]}
	if got[0] != capiMajor || got[1] < capiMinor || got[1] == capiMinor && got[2] < capiPatch {
		return fmt.Errorf("%s is for C extension API v%d.%d.%d; the extension needs %s or a newer 1.x", path, got[0], got[1], got[2], capiVersion)
	}
	return nil
}

// debianKeyring verifies Debian's archive.
const debianKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg"

// fetchHeaders downloads libduckdb-dev from Debian unstable and unpacks
// its two headers into cache/include, leaving the system's apt state alone.
func fetchHeaders(cache string, log func(string, ...any)) error {
	for _, tool := range []string{"apt-get", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed", tool)
		}
	}
	if _, err := os.Stat(debianKeyring); err != nil {
		return fmt.Errorf("the Debian archive keyring %s is missing", debianKeyring)
	}
	work, err := os.MkdirTemp(filepath.Dir(cache), "fetch-*")
	if err != nil {
		if err = os.MkdirAll(filepath.Dir(cache), 0o755); err == nil {
			work, err = os.MkdirTemp(filepath.Dir(cache), "fetch-*")
		}
		if err != nil {
			return err
		}
	}
	defer os.RemoveAll(work)
	sources := filepath.Join(work, "sources")
	lists := filepath.Join(work, "lists")
	for _, d := range []string{sources, filepath.Join(lists, "partial"), filepath.Join(work, "cache", "archives", "partial")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	src := "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: sid\nComponents: main\nSigned-By: " + debianKeyring + "\n"
	if err := os.WriteFile(filepath.Join(sources, "debian-sid.sources"), []byte(src), 0o644); err != nil {
		return err
	}
	opts := []string{
		"-o", "Dir::Etc::SourceList=/dev/null",
		"-o", "Dir::Etc::SourceParts=" + sources,
		"-o", "Dir::State::Lists=" + lists,
		"-o", "Dir::Cache=" + filepath.Join(work, "cache"),
		"-o", "Debug::NoLocking=1",
		"-q",
	}
	apt := func(args ...string) error {
		cmd := exec.Command("apt-get", append(opts, args...)...)
		cmd.Dir = work
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("apt-get %s: %w: %s", strings.Join(args, " "), err, lastLines(out, 3))
		}
		return nil
	}
	log("fetching DuckDB's C headers from Debian unstable's libduckdb-dev into %s", cache)
	log("apt-get update with a private sources folder for sid (the system's apt state is not touched)")
	if err := apt("update"); err != nil {
		return err
	}
	log("apt-get download libduckdb-dev")
	if err := apt("download", "libduckdb-dev"); err != nil {
		return err
	}
	debs, _ := filepath.Glob(filepath.Join(work, "libduckdb-dev_*.deb"))
	if len(debs) != 1 {
		return fmt.Errorf("apt-get download left %d libduckdb-dev packages in %s", len(debs), work)
	}
	log("dpkg-deb -x %s", filepath.Base(debs[0]))
	unpacked := filepath.Join(work, "x")
	if out, err := exec.Command("dpkg-deb", "-x", debs[0], unpacked).CombinedOutput(); err != nil {
		return fmt.Errorf("dpkg-deb -x: %w: %s", err, lastLines(out, 3))
	}
	staged := filepath.Join(work, "include")
	if err := os.MkdirAll(staged, 0o755); err != nil {
		return err
	}
	for _, name := range headerFiles {
		if err := copyFile(filepath.Join(unpacked, "usr", "include", name), filepath.Join(staged, name)); err != nil {
			return fmt.Errorf("the package has no usr/include/%s: %w", name, err)
		}
	}
	note := "Unpacked from Debian unstable's " + filepath.Base(debs[0]) + " by go run ./extension/build.\n"
	if err := os.WriteFile(filepath.Join(staged, "SOURCE"), []byte(note), 0o644); err != nil {
		return err
	}
	if err := checkHeaders(staged); err != nil {
		return err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return err
	}
	os.RemoveAll(filepath.Join(cache, "include"))
	return os.Rename(staged, filepath.Join(cache, "include"))
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// lastLines is the end of a command's output, on one line.
func lastLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
