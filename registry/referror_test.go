package registry

import (
	"errors"
	"strings"
	"testing"
)

// A bad reference is a typed error: callers that report it in their own terms
// (SQL, the YAML spec) take its Problem instead of cutting the prefix off the text.
func TestRefErrorProblem(t *testing.T) {
	for _, ref := range []string{"", "a b@2", "../x", "churn@01", "churn@+3", "churn@1x", "churn@latest@2"} {
		_, err := ParseRef(ref)
		if err == nil {
			t.Errorf("ParseRef(%q) accepted", ref)
			continue
		}
		if !errors.Is(err, ErrBadRef) {
			t.Errorf("ParseRef(%q): %v does not wrap ErrBadRef", ref, err)
		}
		p := Problem(err)
		if strings.HasPrefix(p, "registry:") || !strings.HasSuffix(err.Error(), p) || err.Error() != "registry: "+p {
			t.Errorf("ParseRef(%q): Problem %q, Error %q", ref, p, err)
		}
	}
	if err := ValidName("x/y"); Problem(err) != strings.TrimPrefix(err.Error(), "registry: ") || !errors.Is(err, ErrBadRef) {
		t.Errorf("ValidName: %v", err)
	}
	other := errors.New("registry: something else")
	if Problem(other) != other.Error() {
		t.Errorf("Problem of a foreign error changed it: %q", Problem(other))
	}
}
