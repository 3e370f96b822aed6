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

// models alias points an alias at a version, moves it and removes it;
// NAME@ALIAS works where a reference does; rm of an aliased version needs
// --force.
func TestModelsAlias(t *testing.T) {
	dir := t.TempDir()
	fixtureModels(t, dir) // churn@1, churn@2, price@1
	r := runIn(t, "", "models", "alias", "churn@1", "prod", "--models", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "churn@prod → churn@1") {
		t.Fatalf("alias: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runIn(t, "", "models", "show", "churn@prod", "--models", dir); r.code != 0 ||
		!strings.HasPrefix(r.stdout, "churn@1\n") || !strings.Contains(r.stdout, "aliases     prod") {
		t.Fatalf("show churn@prod: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	checkUserError(t, runIn(t, "", "models", "alias", "churn@7", "prod", "--models", dir), "unknown version 7")
	checkUserError(t, runIn(t, "", "models", "alias", "churn@1", "latest", "--models", dir), "reserved")
	checkUserError(t, runIn(t, "", "models", "alias", "churn@1", "--models", dir), "NAME@VERSION ALIAS")
	checkUserError(t, runIn(t, "", "models", "rm", "churn@1", "--yes", "--models", dir), "prod → churn@1", "--force")
	if r := runIn(t, "", "models", "alias", "churn@2", "prod", "--models", dir); r.code != 0 {
		t.Fatalf("move: %q", r.stderr)
	}
	if r := runIn(t, "", "models", "show", "churn@prod", "--models", dir); !strings.HasPrefix(r.stdout, "churn@2\n") {
		t.Fatalf("after the move, show churn@prod: %q", r.stdout)
	}
	if r := runIn(t, "", "models", "rm", "churn@1", "--yes", "--models", dir); r.code != 0 {
		t.Fatalf("rm of a version no alias points to: %q", r.stderr)
	}
	if r := runIn(t, "", "models", "alias", "--rm", "prod", "churn", "--models", dir); r.code != 0 || !strings.Contains(r.stdout, "Removed alias churn@prod") {
		t.Fatalf("alias --rm: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	checkUserError(t, runIn(t, "", "models", "alias", "--rm", "prod", "churn", "--models", dir), `unknown alias "prod"`)
	checkUserError(t, runIn(t, "", "models", "show", "churn@prod", "--models", dir), `unknown alias "prod"`)
	// --force deletes an aliased version and its alias.
	runIn(t, "", "models", "alias", "churn@2", "prod", "--models", dir)
	if r := runIn(t, "", "models", "rm", "churn@prod", "--yes", "--force", "--models", dir); r.code != 0 || !strings.Contains(r.stdout, "Deleted churn@prod") {
		t.Fatalf("rm --force: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	checkUserError(t, runIn(t, "", "models", "show", "churn@prod", "--models", dir), `unknown alias "prod"`)
}
