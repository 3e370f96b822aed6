package main

import (
	"io"
	"strings"
	"testing"
)

// NAME alone means the newest version everywhere, so rm NAME needs --all;
// on a terminal rm asks first unless --yes.
func TestModelsRmAsksAndNeedsAll(t *testing.T) {
	dir := t.TempDir()
	fixtureModels(t, dir) // churn@1, churn@2, price@1
	checkUserError(t, runIn(t, "", "models", "rm", "churn", "--models", dir), "every version", "churn@VERSION", "--all")
	checkUserError(t, runIn(t, "", "models", "rm", "churn@1", "--all", "--models", dir), "--all deletes every version")
	checkUserError(t, runIn(t, "", "models", "rm", "nosuch", "--all", "--models", dir), "nosuch")

	defer func(f func(io.Reader) bool) { askOnTerminal = f }(askOnTerminal)
	askOnTerminal = func(io.Reader) bool { return true }
	r := runIn(t, "n\n", "models", "rm", "churn", "--all", "--models", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Delete every version of churn (1, 2) from "+dir+"? [y/N] ") ||
		!strings.Contains(r.stdout, "Nothing deleted.") {
		t.Fatalf("answer n: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	r = runIn(t, "", "models", "rm", "churn@1", "--models", dir) // no answer (end of input) is no
	if !strings.Contains(r.stdout, "Nothing deleted.") {
		t.Fatalf("no answer: %q", r.stdout)
	}
	if r := runIn(t, "", "models", "list", "--models", dir, "--format", "csv"); strings.Count(r.stdout, "churn,") != 2 {
		t.Fatalf("a refused rm deleted something:\n%s", r.stdout)
	}
	r = runIn(t, "yes\n", "models", "rm", "churn@1", "--models", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Deleted churn@1") {
		t.Fatalf("answer yes: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	r = runIn(t, "", "models", "rm", "churn", "--all", "--yes", "--models", dir)
	if r.code != 0 || strings.Contains(r.stdout, "[y/N]") || !strings.Contains(r.stdout, "Deleted every version of churn (2)") {
		t.Fatalf("--yes: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runIn(t, "", "models", "list", "--models", dir, "--format", "csv"); strings.Contains(r.stdout, "churn,") || !strings.Contains(r.stdout, "price,") {
		t.Fatalf("after rm churn --all:\n%s", r.stdout)
	}
}
