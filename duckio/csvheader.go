package duckio

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// checkCSVHeader refuses a CSV file whose header names a column twice
// ("a,y,y"). DuckDB's read_csv would rename the second one (y_1), and a
// training run would then take the target's twin as a feature, silently.
// Headers that differ only in case are not duplicates here (see the package
// documentation). A file without a header row, as DuckDB's sniffer sees it,
// is not checked.
func checkCSVHeader(ctx context.Context, conn *sql.Conn, path string) error {
	var hasHeader bool
	if err := conn.QueryRowContext(ctx, "SELECT HasHeader FROM sniff_csv("+quoteString(path)+")").Scan(&hasHeader); err != nil || !hasHeader {
		return nil // the read itself reports a file DuckDB cannot read
	}
	rows, err := conn.QueryContext(ctx, "SELECT * FROM read_csv("+quoteString(path)+", header = false, all_varchar = true) LIMIT 1")
	if err != nil {
		return nil
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil || !rows.Next() {
		return nil
	}
	names := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range names {
		ptrs[i] = &names[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil
	}
	seen := make(map[string]int, len(names))
	for i, n := range names {
		if j, ok := seen[n.String]; ok && n.Valid {
			all := make([]string, len(names))
			for k := range names {
				all[k] = names[k].String
			}
			return fmt.Errorf("duckio: %s: the header names column %q twice (columns %d and %d of: %s); rename one", path, n.String, j+1, i+1, strings.Join(all, ", "))
		}
		seen[n.String] = i
	}
	return nil
}
