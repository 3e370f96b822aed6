package sqllogic

import (
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dense-ml/dense/registry"
)

func TestParseFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x.test")
	text := "# comment\nstatement ok\nCREATE TABLE t AS\nSELECT 1 AS a\n\n" +
		"statement error unknown model \"nope\"\nSELECT 1\n\n" +
		"query IT rowsort\nSELECT a, 'x' FROM t\n----\n1\tx\n2 y\n"
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, err := ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3: %+v", len(recs), recs)
	}
	if r := recs[0]; r.Kind != "statement ok" || r.Line != 2 || r.SQL != "CREATE TABLE t AS\nSELECT 1 AS a" {
		t.Errorf("record 1: %+v", r)
	}
	if r := recs[1]; r.Kind != "statement error" || r.Arg != `unknown model "nope"` {
		t.Errorf("record 2: %+v", r)
	}
	if r := recs[2]; r.Kind != "query" || r.Arg != "IT" || !r.RowSort || len(r.Expected) != 2 {
		t.Errorf("record 3: %+v", r)
	}
	if err := os.WriteFile(file, []byte("querry I\nSELECT 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFile(file); err == nil || !strings.Contains(err.Error(), `x.test:1: unknown record "querry I"`) {
		t.Errorf("bad record: %v", err)
	}
}

func TestFormatAndCompare(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{nil, "NULL"}, {float32(0.1), "0.1"}, {0.1, "0.1"}, {float32(1e3), "1000"},
		{[]any{float32(0.25), nil}, "[0.25, NULL]"}, {[]any{}, "[]"}, {int64(-3), "-3"},
		{new(big.Int).Lsh(big.NewInt(1), 100), "1267650600228229401496703205376"}, {true, "true"}, {[]byte("ab"), "ab"},
	} {
		if got := Format(c.v); got != c.want {
			t.Errorf("Format(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
	got := [][]string{{"1", "0.30000000000000004", "[a, b]"}}
	if msg := Compare(got, []string{"1\t0.3\t[a, b]"}, "IRT"); msg != "" {
		t.Errorf("within 1e-6: %s", msg)
	}
	if msg := Compare(got, []string{"1\t0.301\t[a, b]"}, "IRT"); !strings.Contains(msg, "column 2") {
		t.Errorf("0.3 vs 0.301: %q", msg)
	}
	if msg := Compare(got, []string{"1 0.3 [a, b]"}, "IRT"); !strings.Contains(msg, "does not have 3 columns") {
		t.Errorf("spaces inside a list: %q", msg)
	}
	if msg := Compare(got, nil, "IRT"); msg != "got 1 rows, want 0" {
		t.Errorf("row count: %q", msg)
	}
}

func TestWriteModels(t *testing.T) {
	dir := t.TempDir()
	if err := WriteModels(dir); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, damaged, err := reg.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(damaged) != 0 {
		t.Errorf("damaged entries %v, want none (broken's entry is sound, its model file is not)", damaged)
	}
	var refs []string
	for _, e := range entries {
		refs = append(refs, e.Ref())
	}
	want := "bn@1 broken@1 codes@1 gate@1 imputed@1 lin3@1 lin3@2 pick3@1 scaled@1 sgate@1 svec@1 twoout@1 vec4@1 when@1"
	if got := strings.Join(refs, " "); got != want {
		t.Errorf("models %s, want %s", got, want)
	}
	m, _, err := reg.Load("lin3@1")
	if err != nil {
		t.Fatal(err)
	}
	if w := m.Tensors()[0].Data; len(w) != 3 || w[0] != 1 || w[1] != 2 || w[2] != 3 {
		t.Errorf("lin3@1 weights %v, want [1 2 3]", w)
	}
	_, _, err = reg.Load("broken")
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "broken/1/model.safetensors")+" has SHA-256") {
		t.Errorf("loading broken: %v, want the SHA-256 error", err)
	}
	if err := WriteModels(dir); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("WriteModels on a used folder: %v, want an error", err)
	}
}
