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

// Output formats of dense sql and dense models list.
const (
	formatTable = "table"
	formatCSV   = "csv"
	formatJSON  = "json"
	formatLine  = "line"
)

func checkFormat(f string) error {
	switch f {
	case formatTable, formatCSV, formatJSON, formatLine:
		return nil
	}
	return fmt.Errorf("unknown --format %q (want table, csv, json or line)", f)
}

// defaultMaxRows is how many rows the table format shows when a result
// has more: the first half and the last half, as DuckDB's own shell does.
const defaultMaxRows = 40

// column is a result column: its name and DuckDB's name for its type
// (DATE, INTERVAL, DECIMAL(18,3), …), which decides how values print.
type column struct {
	Name string
	Type string
}

func columnsOf(rows *sql.Rows) ([]column, error) {
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	cols := make([]column, len(types))
	for i, t := range types {
		cols[i] = column{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	return cols, nil
}

// resultSet is a small result held in memory (the models list, the demo's
// queries), printed with every row.
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

// write prints the result in the given format, every row.
func (rs *resultSet) write(w io.Writer, format string) error {
	cols := make([]column, len(rs.Columns))
	for i, c := range rs.Columns {
		cols[i] = column{Name: c}
	}
	out := newRowSink(w, cols, format, sinkOptions{})
	for _, row := range rs.Rows {
		if err := out.write(row); err != nil {
			return err
		}
	}
	return out.close()
}

func (rs *resultSet) writeTable(w io.Writer) error { return rs.write(w, formatTable) }

// sinkOptions limit the table format: MaxRows > 0 shows at most that many
// rows (the first and the last ones), MaxWidth > 0 narrows the widest
// columns (cutting their text with …) until a line fits. JSONNoNewline
// leaves out the newline after a JSON array, for a caller that nests it.
type sinkOptions struct {
	MaxRows       int
	MaxWidth      int
	JSONNoNewline bool
}

// rowSink prints rows one at a time; close ends the output. Every format
// streams: memory does not grow with the number of rows.
type rowSink interface {
	write(row []any) error
	close() error
}

func newRowSink(w io.Writer, cols []column, format string, opts sinkOptions) rowSink {
	switch format {
	case formatCSV, formatJSON:
		return newRowWriter(w, cols, format, opts)
	case formatLine:
		return newLineWriter(w, cols)
	}
	return newTableWriter(w, cols, opts)
}

// streamRows prints rows as they arrive and closes rows.
func streamRows(rows *sql.Rows, w io.Writer, format string, opts sinkOptions) error {
	defer rows.Close()
	cols, err := columnsOf(rows)
	if err != nil {
		return err
	}
	out := newRowSink(w, cols, format, opts)
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
		if err := out.write(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return out.close()
}

// rowWriter writes rows as CSV (a header row first) or as a JSON array of
// objects.
type rowWriter struct {
	bw   *bufio.Writer
	cw   *csv.Writer // nil for JSON
	cols []column
	rec  []string
	n    int
	opts sinkOptions
	err  error // of the CSV header
}

func newRowWriter(w io.Writer, cols []column, format string, opts sinkOptions) *rowWriter {
	rw := &rowWriter{bw: bufio.NewWriterSize(w, 64<<10), cols: cols, opts: opts}
	if format == formatCSV {
		rw.cw = csv.NewWriter(rw.bw)
		rw.rec = make([]string, len(cols))
		for i, c := range cols {
			rw.rec[i] = c.Name
		}
		rw.err = rw.cw.Write(rw.rec)
		return rw
	}
	rw.bw.WriteString("[")
	return rw
}

func (rw *rowWriter) write(row []any) error {
	if rw.err != nil {
		return rw.err
	}
	rw.n++
	if rw.cw != nil {
		for i, v := range row {
			rw.rec[i] = formatCell(v, rw.cols[i].Type, false)
		}
		return rw.cw.Write(rw.rec)
	}
	if rw.n > 1 {
		rw.bw.WriteString(",")
	}
	rw.bw.WriteString("\n  {")
	for i, v := range row {
		if i > 0 {
			rw.bw.WriteString(", ")
		}
		k, _ := json.Marshal(rw.cols[i].Name)
		rw.bw.Write(k)
		rw.bw.WriteString(": ")
		rw.bw.Write(jsonValue(v, rw.cols[i].Type))
	}
	rw.bw.WriteString("}")
	return nil
}

// close ends the output (the JSON array's bracket) and flushes it.
func (rw *rowWriter) close() error {
	if rw.err != nil {
		return rw.err
	}
	if rw.cw != nil {
		rw.cw.Flush()
		if err := rw.cw.Error(); err != nil {
			return err
		}
	} else {
		if rw.n > 0 {
			rw.bw.WriteString("\n")
		}
		rw.bw.WriteString("]")
		if !rw.opts.JSONNoNewline {
			rw.bw.WriteString("\n")
		}
	}
	return rw.bw.Flush()
}

// jsonValue encodes a scanned value; NaN and ±Inf, which JSON cannot hold,
// become null; dates, times and intervals are strings in DuckDB's text form.
func jsonValue(v any, typ string) []byte {
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
			b.Write(jsonValue(vals[i], ""))
		}
		b.WriteString("}")
		return []byte(b.String())
	}
	v = jsonable(v, typ)
	out, err := json.Marshal(v)
	if err != nil {
		out, _ = json.Marshal(fmt.Sprint(v))
	}
	return out
}

func jsonable(v any, typ string) any {
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
			out[i] = jsonable(e, elemType(typ))
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e, "")
		}
		return out
	case *big.Int:
		return json.Number(x.String())
	case duckdb.Decimal:
		return json.Number(formatDecimal(x))
	case []byte:
		if typ == "UUID" && len(x) == 16 {
			return formatUUID(x)
		}
		return fmt.Sprintf("%x", x)
	case time.Time, duckdb.Interval:
		return formatCell(x, typ, false)
	case fmt.Stringer:
		return x.String()
	}
	return v
}

// elemType is the element type of a LIST or ARRAY type name ("DATE[]" →
// "DATE", "INTEGER[3]" → "INTEGER"), or "" when typ is not one.
func elemType(typ string) string {
	if strings.HasSuffix(typ, "]") {
		if i := strings.LastIndexByte(typ, '['); i > 0 {
			return typ[:i]
		}
	}
	return ""
}

// tableWriter draws a box table like DuckDB's shell: strings left-aligned,
// numbers right-aligned, then the row count. The column widths need the
// rows first, so it keeps the rows it will show: all of them up to
// MaxRows, then the first half and a ring of the last half, whatever the
// number of rows (memory is bounded by MaxRows, not by the result).
type tableWriter struct {
	w       io.Writer
	cols    []column
	opts    sinkOptions
	head    [][]string // the first rows, formatted
	tail    [][]string // a ring of the last rows once there are more than MaxRows
	next    int        // the ring's oldest row
	numeric []bool     // every non-NULL value of the column is a number
	seen    []bool     // the column has a non-NULL value
	n       int64
}

func newTableWriter(w io.Writer, cols []column, opts sinkOptions) *tableWriter {
	return &tableWriter{w: w, cols: cols, opts: opts, numeric: make([]bool, len(cols)), seen: make([]bool, len(cols))}
}

func (t *tableWriter) write(row []any) error {
	cells := make([]string, len(row))
	for i, v := range row {
		cells[i] = formatCell(v, t.cols[i].Type, true)
		if v != nil {
			if !t.seen[i] {
				t.seen[i], t.numeric[i] = true, true
			}
			t.numeric[i] = t.numeric[i] && isNumber(v)
		}
	}
	t.n++
	max := t.opts.MaxRows
	switch {
	case max <= 0 || t.n <= int64(max):
		t.head = append(t.head, cells)
	case t.tail == nil: // the first row past MaxRows: the head's second half starts the ring
		keep := max - max/2
		t.tail = append(make([][]string, 0, max/2), t.head[keep:]...)
		t.head = t.head[:keep:keep]
		t.push(cells)
	default:
		t.push(cells)
	}
	return nil
}

func (t *tableWriter) push(cells []string) {
	if cap(t.tail) == 0 {
		return // MaxRows 1: only the first row shows
	}
	t.tail[t.next] = cells
	t.next = (t.next + 1) % len(t.tail)
}

// dots is the marker row between the first and the last rows.
var dots = []string{"·"}

func (t *tableWriter) close() error {
	n := len(t.cols)
	if n == 0 {
		return nil
	}
	shown := t.head
	if t.tail != nil {
		shown = append(shown[:len(shown):len(shown)], nil, nil, nil) // three rows of dots
		shown = append(shown, t.tail[t.next:]...)
		shown = append(shown, t.tail[:t.next]...)
	}
	widths := make([]int, n)
	for i, c := range t.cols {
		widths[i] = utf8.RuneCountInString(c.Name)
	}
	for _, row := range shown {
		for i, s := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(s))
		}
	}
	fitWidths(widths, t.opts.MaxWidth)
	b := bufio.NewWriterSize(t.w, 64<<10)
	line := func(left, mid, right string) {
		b.WriteString(left)
		for i, wd := range widths {
			if i > 0 {
				b.WriteString(mid)
			}
			b.WriteString(strings.Repeat("─", wd+2))
		}
		b.WriteString(right)
		b.WriteString("\n")
	}
	cell := func(v string, wd int, right, center bool) {
		v = truncate(v, wd)
		pad := wd - utf8.RuneCountInString(v)
		switch {
		case center:
			b.WriteString(" " + strings.Repeat(" ", pad/2) + v + strings.Repeat(" ", pad-pad/2) + " │")
		case right:
			b.WriteString(" " + strings.Repeat(" ", pad) + v + " │")
		default:
			b.WriteString(" " + v + strings.Repeat(" ", pad) + " │")
		}
	}
	line("┌", "┬", "┐")
	b.WriteString("│")
	for i, c := range t.cols {
		cell(c.Name, widths[i], false, false)
	}
	b.WriteString("\n")
	line("├", "┼", "┤")
	for _, row := range shown {
		b.WriteString("│")
		for i := range n {
			if row == nil {
				cell(dots[0], widths[i], false, true)
			} else {
				cell(row[i], widths[i], t.numeric[i], false)
			}
		}
		b.WriteString("\n")
	}
	line("└", "┴", "┘")
	switch {
	case t.n == 1:
		b.WriteString("1 row\n")
	case t.tail != nil:
		fmt.Fprintf(b, "%s rows (%s shown)\n", thousands(int(t.n)), thousands(len(t.head)+len(t.tail)))
	default:
		fmt.Fprintf(b, "%s rows\n", thousands(int(t.n)))
	}
	return b.Flush()
}

// fitWidths narrows the widest columns, one character at a time, until a
// table line (│ cell │ cell │) fits in maxWidth characters or every column
// is down to minColumnWidth. maxWidth 0 leaves the widths alone.
func fitWidths(widths []int, maxWidth int) {
	const minColumnWidth = 5
	if maxWidth <= 0 {
		return
	}
	total := 1
	for _, w := range widths {
		total += w + 3
	}
	for total > maxWidth {
		widest := 0
		for i, w := range widths {
			if w > widths[widest] {
				widest = i
			}
		}
		if widths[widest] <= minColumnWidth {
			return
		}
		widths[widest]--
		total--
	}
}

// truncate cuts s to width characters, the last one an ellipsis.
func truncate(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:max(width-1, 0)]) + "…"
}

// lineWriter prints each row as "column = value" lines, a blank line
// between rows, as DuckDB's .mode line does; it keeps no rows.
type lineWriter struct {
	b     *bufio.Writer
	cols  []column
	width int
	n     int
}

func newLineWriter(w io.Writer, cols []column) *lineWriter {
	lw := &lineWriter{b: bufio.NewWriterSize(w, 64<<10), cols: cols}
	for _, c := range cols {
		lw.width = max(lw.width, utf8.RuneCountInString(c.Name))
	}
	return lw
}

func (lw *lineWriter) write(row []any) error {
	if lw.n > 0 {
		lw.b.WriteString("\n")
	}
	lw.n++
	for i, v := range row {
		name := lw.cols[i].Name
		fmt.Fprintf(lw.b, "%s%s = %s\n", strings.Repeat(" ", lw.width-utf8.RuneCountInString(name)), name, formatCell(v, lw.cols[i].Type, true))
	}
	return nil
}

func (lw *lineWriter) close() error { return lw.b.Flush() }

// numText is a number already formatted for people (101,770): a table
// aligns it to the right like a number.
type numText string

func (n numText) String() string { return string(n) }

func isNumber(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, *big.Int, numText, duckdb.Decimal:
		return true
	}
	return false
}

// formatCell renders one scanned value of a column of DuckDB type typ
// ("" when unknown) in DuckDB's own text form: DATE 2024-03-01, TIMESTAMP
// 2024-03-01 12:30:00, TIMESTAMP WITH TIME ZONE 2024-03-01 12:30:00+00,
// TIME 12:30:00, INTERVAL 1 year 2 months 3 days 04:05:06, UUID in its
// dashed form.
func formatCell(v any, typ string, table bool) string {
	switch x := v.(type) {
	case time.Time:
		return formatTime(x, typ)
	case duckdb.Interval:
		return formatInterval(x)
	case duckdb.Decimal:
		return formatDecimal(x)
	case []byte:
		if typ == "UUID" && len(x) == 16 {
			return formatUUID(x)
		}
	case []any:
		if et := elemType(typ); et != "" {
			parts := make([]string, len(x))
			for i, e := range x {
				if e == nil {
					parts[i] = "NULL"
				} else if _, ok := e.(string); ok {
					parts[i] = formatNested(e, table)
				} else {
					parts[i] = formatCell(e, et, table)
				}
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
	}
	return formatValue(v, table)
}

// formatTime renders a DATE, TIME, TIMESTAMP or TIMESTAMPTZ value as DuckDB
// does; without the type, a value at midnight is taken for a date.
func formatTime(t time.Time, typ string) string {
	switch {
	case typ == "DATE":
		return t.Format("2006-01-02")
	case typ == "TIME":
		return t.Format("15:04:05.999999")
	case typ == "TIME WITH TIME ZONE" || typ == "TIMETZ":
		return t.Format("15:04:05.999999-07")
	case typ == "TIMESTAMP WITH TIME ZONE" || typ == "TIMESTAMPTZ":
		return t.Format("2006-01-02 15:04:05.999999-07")
	case strings.HasPrefix(typ, "TIMESTAMP"):
		if typ == "TIMESTAMP_NS" {
			return t.Format("2006-01-02 15:04:05.999999999")
		}
		return t.Format("2006-01-02 15:04:05.999999")
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05.999999")
}

// formatInterval renders an INTERVAL as DuckDB does: "1 year 2 months 3
// days 04:05:06.5", "00:00:00" for zero.
func formatInterval(iv duckdb.Interval) string {
	var parts []string
	unit := func(n int64, name string) {
		if n == 0 {
			return
		}
		if n != 1 && n != -1 {
			name += "s"
		}
		parts = append(parts, strconv.FormatInt(n, 10)+" "+name)
	}
	unit(int64(iv.Months/12), "year")
	unit(int64(iv.Months%12), "month")
	unit(int64(iv.Days), "day")
	if iv.Micros != 0 || len(parts) == 0 {
		us := iv.Micros
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		h, m, sec, frac := us/3_600_000_000, us/60_000_000%60, us/1_000_000%60, us%1_000_000
		clock := fmt.Sprintf("%s%02d:%02d:%02d", sign, h, m, sec)
		if frac != 0 {
			clock += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
		}
		parts = append(parts, clock)
	}
	return strings.Join(parts, " ")
}

// formatDecimal renders a DECIMAL with its scale's digits, as DuckDB does
// (DECIMAL(3,1) 3 prints as 3.0).
func formatDecimal(d duckdb.Decimal) string {
	if d.Value == nil {
		return "NULL"
	}
	digits := new(big.Int).Abs(d.Value).String()
	sign := ""
	if d.Value.Sign() < 0 {
		sign = "-"
	}
	scale := int(d.Scale)
	if scale == 0 {
		return sign + digits
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
}

// formatUUID renders 16 bytes as 8-4-4-4-12 hexadecimal digits.
func formatUUID(b []byte) string {
	h := fmt.Sprintf("%x", b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
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
		return formatTime(x, "")
	case duckdb.Interval:
		return formatInterval(x)
	case duckdb.Decimal:
		return formatDecimal(x)
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
