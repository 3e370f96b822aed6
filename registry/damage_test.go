package registry

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func mustGetwd(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// within fails the test if f does not return in time: the damages below
// include files that hang a naive reader (a FIFO, /dev/zero).
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still running after 10s", what)
	}
}

// Each damage to version 2 of three leaves versions 1 and 3 usable and
// listed, reports version 2 as damaged with its folder and the reason, and
// makes loading it an error that says why; nothing hangs or reads without
// bound.
func TestDamagedVersion(t *testing.T) {
	entryOf := func(t *testing.T, vdir string) []byte {
		b, err := os.ReadFile(filepath.Join(vdir, EntryFile))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	write := func(t *testing.T, path string, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	replace := func(t *testing.T, path string, make func(string) error) {
		if err := os.RemoveAll(path); err != nil {
			t.Fatal(err)
		}
		if err := make(path); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		damage func(t *testing.T, vdir string)
		want   string
	}{
		{"entry missing", func(t *testing.T, vdir string) { os.Remove(filepath.Join(vdir, EntryFile)) }, "entry.json is missing"},
		{"entry empty", func(t *testing.T, vdir string) { write(t, filepath.Join(vdir, EntryFile), nil) }, "is not a registry entry"},
		{"entry garbage", func(t *testing.T, vdir string) { write(t, filepath.Join(vdir, EntryFile), []byte("{\x00garbage")) }, "is not a registry entry"},
		{"entry of another model", func(t *testing.T, vdir string) {
			b := strings.Replace(string(entryOf(t, vdir)), `"name": "churn"`, `"name": "other"`, 1)
			write(t, filepath.Join(vdir, EntryFile), []byte(b))
		}, "describes other@2"},
		{"entry without sha256", func(t *testing.T, vdir string) {
			b := string(entryOf(t, vdir))
			i := strings.Index(b, `"sha256": "`)
			b = b[:i] + `"sha256": ""` + b[i+len(`"sha256": "`)+65:]
			write(t, filepath.Join(vdir, EntryFile), []byte(b))
		}, "has no valid sha256"},
		{"entry links to /dev/zero", func(t *testing.T, vdir string) {
			replace(t, filepath.Join(vdir, EntryFile), func(p string) error { return os.Symlink("/dev/zero", p) })
		}, "is a device, not a regular file"},
		{"entry is a FIFO", func(t *testing.T, vdir string) {
			replace(t, filepath.Join(vdir, EntryFile), func(p string) error { return syscall.Mkfifo(p, 0o644) })
		}, "is a FIFO, not a regular file"},
		{"entry is a folder", func(t *testing.T, vdir string) {
			replace(t, filepath.Join(vdir, EntryFile), func(p string) error { return os.Mkdir(p, 0o755) })
		}, "is a folder, not a regular file"},
		{"entry is huge and sparse", func(t *testing.T, vdir string) {
			p := filepath.Join(vdir, EntryFile)
			if err := os.Truncate(p, 200<<20); err != nil {
				t.Fatal(err)
			}
		}, "over the 8388608-byte limit"},
		{"model is a FIFO", func(t *testing.T, vdir string) {
			replace(t, filepath.Join(vdir, ModelFile), func(p string) error { return syscall.Mkfifo(p, 0o644) })
		}, "model.safetensors is a FIFO"},
		{"model is a folder", func(t *testing.T, vdir string) {
			replace(t, filepath.Join(vdir, ModelFile), func(p string) error { return os.Mkdir(p, 0o755) })
		}, "model.safetensors is a folder"},
		{"model is a dangling link", func(t *testing.T, vdir string) {
			replace(t, filepath.Join(vdir, ModelFile), func(p string) error { return os.Symlink(filepath.Join(vdir, "gone"), p) })
		}, "which does not exist"},
		{"model truncated and no entry", func(t *testing.T, vdir string) {
			os.Remove(filepath.Join(vdir, EntryFile))
			if err := os.Truncate(filepath.Join(vdir, ModelFile), 100); err != nil {
				t.Fatal(err)
			}
		}, "entry.json is missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustOpen(t, t.TempDir())
			for i := range 3 {
				if _, err := r.Register("churn", testModel(t, int64(i+1))); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := r.Register("price", testModel(t, 9)); err != nil {
				t.Fatal(err)
			}
			vdir := filepath.Join(r.Dir(), "churn", "2")
			c.damage(t, vdir)
			within(t, "List", func() {
				list, bad, err := r.List()
				if err != nil {
					t.Fatalf("List: %v", err)
				}
				var refs []string
				for _, e := range list {
					refs = append(refs, e.Ref())
				}
				if strings.Join(refs, " ") != "churn@1 churn@3 price@1" {
					t.Errorf("healthy versions listed: %v", refs)
				}
				if len(bad) != 1 || bad[0].Ref() != "churn@2" || bad[0].Dir != vdir || !errors.Is(bad[0].Err, ErrDamaged) ||
					!strings.Contains(bad[0].Err.Error(), c.want) || !strings.Contains(bad[0].Err.Error(), vdir) {
					t.Errorf("damaged versions: %+v, want churn@2 in %s: …%s…", bad, vdir, c.want)
				}
			})
			within(t, "Load", func() {
				_, _, err := r.Load("churn@2")
				if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("Load churn@2: %v, want …%s…", err, c.want)
				}
				if _, e, err := r.Load("churn"); err != nil || e.Version != 3 {
					t.Errorf("Load churn: %+v %v", e, err)
				}
				if vs, err := r.Versions("churn"); err != nil || len(vs) != 2 {
					t.Errorf("Versions: %v %v", vs, err)
				}
			})
			// The damaged version can be deleted, and then it is gone.
			if err := r.Delete("churn@2", false); err != nil {
				t.Fatalf("delete the damaged version: %v", err)
			}
			if _, bad, err := r.List(); err != nil || len(bad) != 0 {
				t.Fatalf("after delete: %v %v", bad, err)
			}
		})
	}
}

// The newest version being damaged is an error for "name", not a silent
// fall back to an older model.
func TestDamagedNewest(t *testing.T) {
	r := mustOpen(t, t.TempDir())
	for i := range 2 {
		if _, err := r.Register("churn", testModel(t, int64(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(r.Dir(), "churn", "2", EntryFile))
	_, _, err := r.Load("churn")
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "churn@2") || !strings.Contains(err.Error(), "(versions: 1, 2)") {
		t.Fatalf("Load churn with a damaged newest version: %v", err)
	}
}

// Errors that involve the models folder name it as an absolute path.
func TestErrorsNameAbsoluteFolder(t *testing.T) {
	tmp := t.TempDir()
	t.Chdir(tmp)
	r := mustOpen(t, "rel")
	abs := filepath.Join(tmp, "rel")
	for _, ref := range []string{"nope", "nope@2"} {
		if _, err := r.Resolve(ref); err == nil || !strings.Contains(err.Error(), " in "+abs+" ") {
			t.Errorf("Resolve(%q): %v, want the folder %s", ref, err, abs)
		}
	}
	if _, err := r.Register("x", testModel(t, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve("x@5"); err == nil || !strings.HasSuffix(err.Error(), " in "+abs) {
		t.Errorf("Resolve(x@5): %v, want the folder %s", err, abs)
	}
}

// deadPid returns the id of a process that has exited.
func deadPid(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Skipf("cannot start /bin/true: %v", err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return p.Pid
}

// A registration removes the temporaries of crashed registrations that are
// older than StaleAge and whose process is gone, and nothing else.
func TestStaleTemporariesRemoved(t *testing.T) {
	r := mustOpen(t, t.TempDir())
	if _, err := r.Register("churn", testModel(t, 1)); err != nil {
		t.Fatal(err)
	}
	nameDir := filepath.Join(r.Dir(), "churn")
	abandoned := filepath.Join(nameDir, "2") // a crash after claiming version 2
	if err := os.Mkdir(abandoned, 0o755); err != nil {
		t.Fatal(err)
	}
	aliasDir := filepath.Join(nameDir, AliasDir)
	if err := os.Mkdir(aliasDir, 0o755); err != nil {
		t.Fatal(err)
	}
	dead, alive := strconv.Itoa(deadPid(t)), strconv.Itoa(os.Getppid())
	old := time.Now().Add(-StaleAge - time.Minute)
	files := map[string]bool{ // path → removed
		filepath.Join(nameDir, ".register-"+dead+"-123.tmp"):           true,
		filepath.Join(nameDir, ".register-4567890.tmp"):                true, // an older dense's name: age decides
		filepath.Join(abandoned, ".entry.json-"+dead+"-99.tmp"):        true,
		filepath.Join(nameDir, "1", ".DELETED-"+dead+"-5.tmp"):         true,
		filepath.Join(nameDir, ".register-"+alive+"-123.tmp"):          false, // its process still runs
		filepath.Join(nameDir, "1", "history.png"):                     false,
		filepath.Join(nameDir, "notes.tmp"):                            false,
		filepath.Join(nameDir, ".register-"+dead+"-fresh.tmp.partial"): false,
		filepath.Join(aliasDir, ".prod-"+dead+"-42.tmp"):               true, // an alias move that crashed
		filepath.Join(aliasDir, ".blue-green-"+dead+"-42.tmp"):         true,
		filepath.Join(aliasDir, ".prod-"+alive+"-42.tmp"):              false,
		filepath.Join(aliasDir, ".prod-x-42.tmp"):                      false, // not an alias temporary
		filepath.Join(aliasDir, "prod"):                                false,
	}
	for p := range files {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	fresh := filepath.Join(nameDir, ".register-"+dead+"-777.tmp") // young: maybe another machine's
	if err := os.WriteFile(fresh, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	files[fresh] = false
	e, err := r.Register("churn", testModel(t, 2))
	if err != nil || e.Version != 3 {
		t.Fatalf("register: %+v %v", e, err)
	}
	for p, removed := range files {
		_, err := os.Stat(p)
		if gone := errors.Is(err, os.ErrNotExist); gone != removed {
			t.Errorf("%s: removed %v, want %v", p, gone, removed)
		}
	}
}

// An alias move also removes the stale temporaries of crashed alias moves.
func TestSetAliasRemovesStaleTemporaries(t *testing.T) {
	r := mustOpen(t, t.TempDir())
	if _, err := r.Register("churn", testModel(t, 1)); err != nil {
		t.Fatal(err)
	}
	aliasDir := filepath.Join(r.Dir(), "churn", AliasDir)
	if err := os.Mkdir(aliasDir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(aliasDir, ".prod-"+strconv.Itoa(deadPid(t))+"-7.tmp")
	if err := os.WriteFile(stale, []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-StaleAge - time.Minute)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SetAlias("churn@1", "prod"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there (%v)", stale, err)
	}
}
