package main

import (
	"bufio"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Output formats of dense sql.
const (
	formatTable = "table"
	formatCSV   = "csv"
	formatJSON  = "json"
)

func checkFormat(f string) error {
	switch f {
	case formatTable, formatCSV, formatJSON:
		return nil
	}
	return fmt.Errorf("unknown --format %q (want table, csv or json)", f)
}

// resultSet is a query result fully read into memory, ready to print.
type resultSet struct {
	Columns []string
	Rows    [][]any
}

// readRows reads all of rows and closes it.
func readRows(rows *sql.Rows) (*resultSet, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	rs := &resultSet{Columns: cols}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		rs.Rows = append(rs.Rows, vals)
	}
	return rs, rows.Err()
}

// streamRows writes rows as CSV or JSON as they arrive, so that memory
// stays flat however large the result; it closes rows.
func streamRows(rows *sql.Rows, w io.Writer, format string) error {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	rw, err := newRowWriter(w, cols, format)
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		clear(vals)
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := rw.write(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rw.close()
}

// rowWriter writes rows one at a time as CSV (a header row first) or as a
// JSON array of objects; streamRows and resultSet.write share it.
type rowWriter struct {
	bw   *bufio.Writer
	cw   *csv.Writer // nil for JSON
	cols []string
	rec  []string
	n    int
}

func newRowWriter(w io.Writer, cols []string, format string) (*rowWriter, error) {
	rw := &rowWriter{bw: bufio.NewWriterSize(w, 64<<10), cols: cols}
	if format == formatCSV {
		rw.cw = csv.NewWriter(rw.bw)
		rw.rec = make([]string, len(cols))
		return rw, rw.cw.Write(cols)
	}
	rw.bw.WriteString("[")
	return rw, nil
}

func (rw *rowWriter) write(row []any) error {
	rw.n++
	if rw.cw != nil {
		for i, v := range row {
			rw.rec[i] = formatValue(v, false)
		}
		return rw.cw.Write(rw.rec)
	}
	if rw.n > 1 {
		rw.bw.WriteString(",")
	}
	writeJSONRow(rw.bw, rw.cols, row)
	return nil
}

// close ends the output (the JSON array's bracket) and flushes it.
func (rw *rowWriter) close() error {
	if rw.cw != nil {
		rw.cw.Flush()
		if err := rw.cw.Error(); err != nil {
			return err
		}
	} else {
		if rw.n > 0 {
			rw.bw.WriteString("\n")
		}
		rw.bw.WriteString("]\n")
	}
	return rw.bw.Flush()
}

// writeJSONRow writes one row as an object, keys in column order.
func writeJSONRow(b *bufio.Writer, cols []string, row []any) {
	b.WriteString("\n  {")
	for i, v := range row {
		if i > 0 {
			b.WriteString(", ")
		}
		k, _ := json.Marshal(cols[i])
		b.Write(k)
		b.WriteString(": ")
		b.Write(jsonValue(v))
	}
	b.WriteString("}")
}

// write prints the result in the given format.
func (rs *resultSet) write(w io.Writer, format string) error {
	if format != formatCSV && format != formatJSON {
		return rs.writeTable(w)
	}
	rw, err := newRowWriter(w, rs.Columns, format)
	if err != nil {
		return err
	}
	for _, row := range rs.Rows {
		if err := rw.write(row); err != nil {
			return err
		}
	}
	return rw.close()
}

// jsonValue encodes a scanned value; NaN and ±Inf, which JSON cannot hold, become null.
func jsonValue(v any) []byte {
	if m, ok := v.(duckdb.OrderedMap); ok { // an object in key order
		keys, vals := m.Keys(), m.Values()
		var b strings.Builder
		b.WriteString("{")
		for i := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			k, _ := json.Marshal(formatValue(keys[i], false))
			b.Write(k)
			b.WriteString(":")
			b.Write(jsonValue(vals[i]))
		}
		b.WriteString("}")
		return []byte(b.String())
	}
	v = jsonable(v)
	out, err := json.Marshal(v)
	if err != nil {
		out, _ = json.Marshal(fmt.Sprint(v))
	}
	return out
}

func jsonable(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case *big.Int:
		return json.Number(x.String())
	case duckdb.Decimal:
		return json.Number(x.String())
	case []byte:
		return fmt.Sprintf("%x", x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case fmt.Stringer:
		return x.String()
	}
	return v
}

// writeTable draws a box table like DuckDB's shell: strings left-aligned,
// numbers right-aligned, then the row count.
func (rs *resultSet) writeTable(w io.Writer) error {
	n := len(rs.Columns)
	if n == 0 {
		return nil
	}
	cells := make([][]string, len(rs.Rows))
	numeric := make([]bool, n)
	for i := range numeric {
		numeric[i] = len(rs.Rows) > 0
	}
	widths := make([]int, n)
	for i, c := range rs.Columns {
		widths[i] = utf8.RuneCountInString(c)
	}
	for r, row := range rs.Rows {
		cells[r] = make([]string, n)
		for i, v := range row {
			s := formatValue(v, true)
			cells[r][i] = s
			if v != nil && !isNumber(v) {
				numeric[i] = false
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(s))
		}
	}
	line := func(left, mid, right string) string {
		var b strings.Builder
		b.WriteString(left)
		for i, wd := range widths {
			if i > 0 {
				b.WriteString(mid)
			}
			b.WriteString(strings.Repeat("─", wd+2))
		}
		b.WriteString(right)
		b.WriteString("\n")
		return b.String()
	}
	row := func(vals []string, header bool) string {
		var b strings.Builder
		b.WriteString("│")
		for i, v := range vals {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(v))
			if numeric[i] && !header {
				b.WriteString(" " + pad + v + " │")
			} else {
				b.WriteString(" " + v + pad + " │")
			}
		}
		b.WriteString("\n")
		return b.String()
	}
	var b strings.Builder
	b.WriteString(line("┌", "┬", "┐"))
	b.WriteString(row(rs.Columns, true))
	b.WriteString(line("├", "┼", "┤"))
	for _, c := range cells {
		b.WriteString(row(c, false))
	}
	b.WriteString(line("└", "┴", "┘"))
	if len(rs.Rows) == 1 {
		b.WriteString("1 row\n")
	} else {
		fmt.Fprintf(&b, "%d rows\n", len(rs.Rows))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, *big.Int:
		return true
	}
	return false
}

// formatValue renders one scanned value. In a table, floats are rounded to
// six decimals to stay readable; CSV gets the shortest exact representation.
func formatValue(v any, table bool) string {
	switch x := v.(type) {
	case nil:
		if table {
			return "NULL"
		}
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return formatFloat(x, 64, table)
	case float32:
		return formatFloat(float64(x), 32, table)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32, int16, int8, int, uint8, uint16, uint32, uint64, uint:
		return fmt.Sprint(x)
	case *big.Int:
		return x.String()
	case []byte:
		return fmt.Sprintf("\\x%x", x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05.999999")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatNested(e, table)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case duckdb.OrderedMap: // a DuckDB MAP: {key=value, …} as DuckDB prints it
		keys, vals := x.Keys(), x.Values()
		parts := make([]string, len(keys))
		for i := range keys {
			parts[i] = formatValue(keys[i], table) + "=" + formatValue(vals[i], table)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = "'" + k + "': " + formatNested(x[k], table)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case fmt.Stringer:
		return x.String()
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = formatNested(rv.Index(i).Interface(), table)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

func formatNested(v any, table bool) string {
	if s, ok := v.(string); ok {
		return "'" + s + "'"
	}
	if v == nil {
		return "NULL"
	}
	return formatValue(v, table)
}

func formatFloat(f float64, bits int, table bool) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if table {
		a := math.Abs(f)
		if a != 0 && (a >= 1e15 || a < 1e-4) {
			return strconv.FormatFloat(f, 'g', 6, bits)
		}
		r := math.Round(f*1e6) / 1e6
		if r == 0 {
			r = 0 // no "-0"
		}
		return strconv.FormatFloat(r, 'f', -1, bits)
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}
