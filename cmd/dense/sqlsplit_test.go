package main

import (
	"reflect"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	for _, tc := range []struct {
		in    string
		stmts []string
		rest  string
	}{
		{"SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}, ""},
		{"SELECT 1; SELECT 2", []string{"SELECT 1"}, " SELECT 2"},
		{"SELECT ';' AS a; -- comment; here\nSELECT 2;", []string{"SELECT ';' AS a", "-- comment; here\nSELECT 2"}, ""},
		{"SELECT 'it''s;'; /* a ; b */ SELECT \"x;y\";", []string{"SELECT 'it''s;'", "/* a ; b */ SELECT \"x;y\""}, ""},
		{"SELECT $$a;b$$; SELECT $t$c;d$t$;", []string{"SELECT $$a;b$$", "SELECT $t$c;d$t$"}, ""},
		{"SELECT 'open;", nil, "SELECT 'open;"},
		{";; -- only a comment\n", nil, ""},
		{"SELECT $1;", []string{"SELECT $1"}, ""},
	} {
		stmts, rest := splitStatements(tc.in)
		if !reflect.DeepEqual(stmts, tc.stmts) || rest != tc.rest {
			t.Errorf("splitStatements(%q) = %q, %q; want %q, %q", tc.in, stmts, rest, tc.stmts, tc.rest)
		}
	}
}
