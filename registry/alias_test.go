package registry

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestParseRefAliases(t *testing.T) {
	for ref, want := range map[string]Ref{
		"churn":        {Name: "churn"},
		"churn@latest": {Name: "churn"},
		"churn@3":      {Name: "churn", Version: 3},
		"churn@prod":   {Name: "churn", Alias: "prod"},
		"churn@Prod-2": {Name: "churn", Alias: "Prod-2"},
	} {
		got, err := ParseRef(ref)
		if err != nil || got != want {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v", ref, got, err, want)
		}
	}
	for _, bad := range []string{"churn@3x", "churn@_x", "churn@", "churn@a/b", "churn@.x"} {
		if _, err := ParseRef(bad); !errors.Is(err, ErrBadRef) {
			t.Errorf("ParseRef(%q): %v, want ErrBadRef", bad, err)
		}
	}
	for _, bad := range []string{"latest", "3", "_a", ""} {
		if err := ValidAlias(bad); !errors.Is(err, ErrBadRef) {
			t.Errorf("ValidAlias(%q): %v, want ErrBadRef", bad, err)
		}
	}
}

func TestAliasSetMoveRemove(t *testing.T) {
	r, _ := Open(t.TempDir())
	for seed := int64(1); seed <= 3; seed++ {
		if _, err := r.Register("churn", testModel(t, seed)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Resolve("churn@prod"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `unknown alias "prod" of model "churn" (it has none)`) {
		t.Fatalf("unset alias: %v", err)
	}
	if e, err := r.SetAlias("churn@2", "prod"); err != nil || e.Version != 2 {
		t.Fatalf("SetAlias: %+v, %v", e, err)
	}
	m, e, err := r.Load("churn@prod")
	if err != nil || e.Version != 2 || fingerprint(t, m) != fingerprint(t, testModel(t, 2)) {
		t.Fatalf("Load(churn@prod) = %+v, %v; want churn@2", e, err)
	}
	// An alias of an alias's version, and a move.
	if _, err := r.SetAlias("churn@prod", "staging"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SetAlias("churn@1", "prod"); err != nil {
		t.Fatal(err)
	}
	as, err := r.Aliases("churn")
	if err != nil || fmt.Sprint(as) != "map[prod:1 staging:2]" {
		t.Fatalf("Aliases = %v, %v", as, err)
	}
	list, _, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range list {
		got = append(got, fmt.Sprintf("%s:%v", e.Ref(), e.Aliases))
	}
	if want := "[churn@1:[prod] churn@2:[staging] churn@3:[]]"; fmt.Sprint(got) != want {
		t.Errorf("List aliases = %v, want %s", got, want)
	}
	// Aliases only point to usable versions.
	if _, err := r.SetAlias("churn@9", "prod"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetAlias to a missing version: %v", err)
	}
	if _, err := r.SetAlias("churn@1", "latest"); !errors.Is(err, ErrBadRef) {
		t.Errorf("SetAlias latest: %v", err)
	}
	if err := r.RemoveAlias("churn", "staging"); err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveAlias("churn", "staging"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "aliases: prod") {
		t.Errorf("removing a missing alias: %v", err)
	}
	// Deleting an aliased version needs force, which removes the alias.
	if err := r.Delete("churn@1", false); !errors.Is(err, ErrAliased) || !strings.Contains(err.Error(), "prod → churn@1") {
		t.Fatalf("Delete aliased: %v", err)
	}
	if err := r.Delete("churn", false); !errors.Is(err, ErrAliased) {
		t.Fatalf("Delete all, aliased: %v", err)
	}
	if _, err := r.Resolve("churn@1"); err != nil {
		t.Fatalf("a refused Delete deleted: %v", err)
	}
	if err := r.Delete("churn@prod", true); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve("churn@1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("churn@1 after forced delete: %v", err)
	}
	if as, _ := r.Aliases("churn"); len(as) != 0 {
		t.Errorf("aliases after forced delete: %v", as)
	}
	// An alias left pointing at a deleted version (a deletion racing a
	// move) is an error naming it, not another model.
	if _, err := r.SetAlias("churn@2", "prod"); err != nil {
		t.Fatal(err)
	}
	if err := writeFileSynced(r.Dir()+"/churn/"+AliasDir+"/prod", []byte("1\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve("churn@prod"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "alias prod points to deleted version 1") {
		t.Errorf("alias to a deleted version: %v", err)
	}
}

// Concurrent moves of one alias, with readers resolving it all along: every
// read sees one of the versions it was moved to (never an error, a partial
// file or another model), and the alias ends at one of them.
func TestAliasConcurrentMoves(t *testing.T) {
	r, _ := Open(t.TempDir())
	prints := map[int]float32{}
	for seed := int64(1); seed <= 4; seed++ {
		e, err := r.Register("churn", testModel(t, seed))
		if err != nil {
			t.Fatal(err)
		}
		prints[e.Version] = fingerprint(t, testModel(t, seed))
	}
	if _, err := r.SetAlias("churn@1", "prod"); err != nil {
		t.Fatal(err)
	}
	const movers, moves, readers = 4, 25, 3
	var wg sync.WaitGroup
	errs := make(chan error, movers*moves+readers*moves)
	for w := 0; w < movers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			other, _ := Open(r.Dir()) // as another process would
			for i := 0; i < moves; i++ {
				if _, err := other.SetAlias(fmt.Sprintf("churn@%d", 1+(w+i)%4), "prod"); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	for w := 0; w < readers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < moves; i++ {
				m, e, err := r.Load("churn@prod")
				if err != nil {
					errs <- err
					continue
				}
				if fingerprint(t, m) != prints[e.Version] {
					errs <- fmt.Errorf("churn@prod gave %s with another model's weights", e.Ref())
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	as, err := r.Aliases("churn")
	if err != nil || len(as) != 1 || as["prod"] < 1 || as["prod"] > 4 {
		t.Fatalf("after concurrent moves: %v, %v", as, err)
	}
}
