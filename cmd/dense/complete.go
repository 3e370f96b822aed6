package main

import (
	"context"
	"slices"
	"strings"
	"unicode"
)

// sqlCompleter completes the word under the cursor in the shell (Tab): SQL
// keywords, the dense functions, dot commands, and the database's tables
// and columns as they were when the shell started.
type sqlCompleter struct {
	words []string // sorted, unique
}

var sqlKeywords = []string{
	"SELECT", "FROM", "WHERE", "GROUP BY", "ORDER BY", "HAVING", "LIMIT", "JOIN", "LEFT JOIN", "ON", "USING",
	"AS", "AND", "OR", "NOT", "IN", "IS NULL", "IS NOT NULL", "DISTINCT", "COUNT", "AVG", "SUM", "MIN", "MAX",
	"CREATE TABLE", "CREATE OR REPLACE TABLE", "INSERT INTO", "VALUES", "COPY", "DESCRIBE", "SUMMARIZE",
	"WITH", "UNION ALL", "CASE", "WHEN", "THEN", "ELSE", "END", "EXCLUDE", "PIVOT", "QUALIFY", "DESC", "ASC",
	"read_csv", "read_parquet",
	"dense_predict(", "dense_predict_label(", "dense_predict_proba(", "dense_predict_all(", "dense_models()", "dense_layers(", "dense_inputs(", "dense_params(",
	"dense_explain(", "dense_importance(", "dense_evaluate(", "dense_confusion(", "dense_train(",
	".help", ".tables", ".models", ".format", ".timer", ".read", ".quit",
}

func newSQLCompleter(ctx context.Context, s *session) *sqlCompleter {
	words := append([]string{}, sqlKeywords...)
	rows, err := s.conn.QueryContext(ctx, `SELECT DISTINCT table_name FROM information_schema.columns
		WHERE table_schema NOT IN ('information_schema', 'pg_catalog')
		UNION SELECT DISTINCT column_name FROM information_schema.columns
		WHERE table_schema NOT IN ('information_schema', 'pg_catalog')`)
	if err == nil {
		for rows.Next() {
			var w string
			if rows.Scan(&w) == nil {
				words = append(words, w)
			}
		}
		rows.Close()
	}
	slices.Sort(words)
	return &sqlCompleter{words: slices.Compact(words)}
}

// Do implements readline.AutoCompleter: the candidates' remaining runes for
// the word that ends at pos, and the length of that word.
func (c *sqlCompleter) Do(line []rune, pos int) ([][]rune, int) {
	start := pos
	for start > 0 && (unicode.IsLetter(line[start-1]) || unicode.IsDigit(line[start-1]) || line[start-1] == '_' || line[start-1] == '.') {
		start--
	}
	prefix := string(line[start:pos])
	if prefix == "" {
		return nil, 0
	}
	lower := strings.ToLower(prefix) == prefix
	var out [][]rune
	for _, w := range c.words {
		if len(w) > len(prefix) && strings.EqualFold(w[:len(prefix)], prefix) {
			rest := w[len(prefix):]
			if lower && strings.ToUpper(w) == w { // keywords follow the user's case
				rest = strings.ToLower(rest)
			}
			out = append(out, []rune(rest))
		}
	}
	return out, len([]rune(prefix))
}
