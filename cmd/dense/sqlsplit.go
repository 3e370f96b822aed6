package main

import "strings"

// splitStatements splits a SQL script into statements at semicolons that are
// outside quotes ('…', "…"), dollar-quoted strings ($$…$$, $tag$…$tag$) and
// comments (-- … and /* … */). Statements are trimmed; empty ones (and ones
// that are only comments) are dropped. rest is the unfinished tail after the
// last complete statement ("" if there is none): the shell asks for more
// lines while it is not empty, a script runs it as a last statement.
func splitStatements(script string) (stmts []string, rest string) {
	start := 0
	i := 0
	n := len(script)
	emit := func(end int) {
		s := strings.TrimSpace(script[start:end])
		if s != "" && !onlyComments(s) {
			stmts = append(stmts, s)
		}
	}
	for i < n {
		c := script[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < n {
				if script[j] == c {
					if j+1 < n && script[j+1] == c { // doubled quote escapes itself
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= n {
				return stmts, script[start:]
			}
			i = j + 1
		case c == '-' && i+1 < n && script[i+1] == '-':
			j := strings.IndexByte(script[i:], '\n')
			if j < 0 {
				i = n
			} else {
				i += j + 1
			}
		case c == '/' && i+1 < n && script[i+1] == '*':
			j := strings.Index(script[i+2:], "*/")
			if j < 0 {
				return stmts, script[start:]
			}
			i += 2 + j + 2
		case c == '$':
			tag, ok := dollarTag(script[i:])
			if !ok {
				i++
				continue
			}
			j := strings.Index(script[i+len(tag):], tag)
			if j < 0 {
				return stmts, script[start:]
			}
			i += len(tag) + j + len(tag)
		case c == ';':
			emit(i)
			i++
			start = i
		default:
			i++
		}
	}
	rest = script[start:]
	if onlyComments(strings.TrimSpace(rest)) {
		rest = ""
	}
	return stmts, rest
}

// dollarTag recognises $$ or $name$ at the start of s.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		if c == '$' {
			return s[:j+1], true
		}
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 1 && c >= '0' && c <= '9') {
			return "", false
		}
	}
	return "", false
}

// onlyComments reports whether s holds nothing but whitespace and comments.
func onlyComments(s string) bool {
	for {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			return true
		case strings.HasPrefix(s, "--"):
			j := strings.IndexByte(s, '\n')
			if j < 0 {
				return true
			}
			s = s[j+1:]
		case strings.HasPrefix(s, "/*"):
			j := strings.Index(s, "*/")
			if j < 0 {
				return true
			}
			s = s[j+2:]
		default:
			return false
		}
	}
}
