package arrowio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// DefaultDuckDBBatchSize is QueryDuckDB's batch size when batchSize ≤ 0.
const DefaultDuckDBBatchSize = DefaultBatchSize

// QueryDuckDB runs query on db (opened with the "duckdb" driver of
// github.com/duckdb/duckdb-go/v2) and streams the result as record batches
// of batchSize rows (the last may be shorter; ≤ 0 means
// DefaultDuckDBBatchSize). The reader holds one connection of db until it
// is closed. Built with the duckdb_arrow tag it uses DuckDB's Arrow
// interface; without it, database/sql rows are converted by NewRowsReader.
func QueryDuckDB(ctx context.Context, db *sql.DB, query string, batchSize int) (Reader, error) {
	return QueryDuckDBOptions(ctx, db, query, Options{BatchSize: batchSize})
}

// QueryDuckDBOptions is QueryDuckDB with Options (BatchSize and Allocator;
// project columns in the SQL instead of Options.Columns).
func QueryDuckDBOptions(ctx context.Context, db *sql.DB, query string, opts Options) (Reader, error) {
	if len(opts.Columns) > 0 {
		return nil, errors.New("arrowio: Options.Columns does not apply to a query; select the columns in SQL")
	}
	opts = opts.withDefaults()
	return queryDuckDB(ctx, db, query, opts)
}

// OpenDuckDBQuery opens the DuckDB database file path read-only, runs query
// and streams the result; closing the reader closes the database. The
// program must link the DuckDB driver (import _
// "github.com/duckdb/duckdb-go/v2"; the duckdb_arrow build links it).
func OpenDuckDBQuery(ctx context.Context, path, query string, opts Options) (Reader, error) {
	if !slices.Contains(sql.Drivers(), "duckdb") {
		return nil, errors.New(`arrowio: the DuckDB driver is not linked into this program (import _ "github.com/duckdb/duckdb-go/v2")`)
	}
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		return nil, fmt.Errorf("arrowio: open DuckDB %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("arrowio: open DuckDB %s: %w", path, err)
	}
	r, err := QueryDuckDBOptions(ctx, db, query, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &closeAlso{Reader: r, also: db.Close}, nil
}

type closeAlso struct {
	Reader
	also func() error
}

func (c *closeAlso) Close() error {
	err := c.Reader.Close()
	if c.also != nil {
		if err2 := c.also(); err == nil {
			err = err2
		}
		c.also = nil
	}
	return err
}

// NewRowsReader converts database/sql rows from DuckDB into record batches
// of batchSize rows, typing the columns by their DuckDB type names (see the
// package documentation's table). It takes ownership of rows and closes
// them on Close. Types without a mapping (STRUCT, MAP, UNION, INTERVAL, …)
// are refused up front; cast them in SQL.
func NewRowsReader(rows *sql.Rows, batchSize int, mem memory.Allocator) (Reader, error) {
	if batchSize <= 0 {
		batchSize = DefaultDuckDBBatchSize
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		return nil, fmt.Errorf("arrowio: %w", err)
	}
	fields := make([]arrow.Field, len(cts))
	for i, ct := range cts {
		t, err := arrowTypeOfDuckDB(ct.DatabaseTypeName())
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("arrowio: query column %q: %w", ct.Name(), err)
		}
		fields[i] = arrow.Field{Name: ct.Name(), Type: t, Nullable: true}
	}
	r := &rowsReader{rows: rows, schema: arrow.NewSchema(fields, nil), batchSize: batchSize, mem: mem}
	r.vals = make([]any, len(cts))
	r.ptrs = make([]any, len(cts))
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r, nil
}

var (
	reDecimal = regexp.MustCompile(`^DECIMAL\((\d+),(\d+)\)$`)
	reArray   = regexp.MustCompile(`^(.*)\[(\d+)\]$`)
)

// arrowTypeOfDuckDB maps a DuckDB type name to the Arrow type DuckDB's own
// Arrow export uses for it (ENUM aside: a string here, a dictionary there).
func arrowTypeOfDuckDB(name string) (arrow.DataType, error) {
	switch name {
	case "BOOLEAN":
		return arrow.FixedWidthTypes.Boolean, nil
	case "TINYINT":
		return arrow.PrimitiveTypes.Int8, nil
	case "SMALLINT":
		return arrow.PrimitiveTypes.Int16, nil
	case "INTEGER":
		return arrow.PrimitiveTypes.Int32, nil
	case "BIGINT":
		return arrow.PrimitiveTypes.Int64, nil
	case "UTINYINT":
		return arrow.PrimitiveTypes.Uint8, nil
	case "USMALLINT":
		return arrow.PrimitiveTypes.Uint16, nil
	case "UINTEGER":
		return arrow.PrimitiveTypes.Uint32, nil
	case "UBIGINT":
		return arrow.PrimitiveTypes.Uint64, nil
	case "FLOAT":
		return arrow.PrimitiveTypes.Float32, nil
	case "DOUBLE":
		return arrow.PrimitiveTypes.Float64, nil
	case "HUGEINT":
		return &arrow.Decimal128Type{Precision: 38, Scale: 0}, nil
	case "VARCHAR", "ENUM", "JSON", "UUID":
		return arrow.BinaryTypes.String, nil
	case "BLOB":
		return arrow.BinaryTypes.Binary, nil
	case "DATE":
		return arrow.FixedWidthTypes.Date32, nil
	case "TIME":
		return arrow.FixedWidthTypes.Time64us, nil
	case "TIMESTAMP":
		return &arrow.TimestampType{Unit: arrow.Microsecond}, nil
	case "TIMESTAMP_S":
		return &arrow.TimestampType{Unit: arrow.Second}, nil
	case "TIMESTAMP_MS":
		return &arrow.TimestampType{Unit: arrow.Millisecond}, nil
	case "TIMESTAMP_NS":
		return &arrow.TimestampType{Unit: arrow.Nanosecond}, nil
	case "TIMESTAMPTZ":
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, nil
	}
	if m := reDecimal.FindStringSubmatch(name); m != nil {
		p, _ := strconv.Atoi(m[1])
		s, _ := strconv.Atoi(m[2])
		return &arrow.Decimal128Type{Precision: int32(p), Scale: int32(s)}, nil
	}
	if elem, ok := strings.CutSuffix(name, "[]"); ok {
		et, err := arrowTypeOfDuckDB(elem)
		if err != nil {
			return nil, err
		}
		return arrow.ListOf(et), nil
	}
	if m := reArray.FindStringSubmatch(name); m != nil {
		et, err := arrowTypeOfDuckDB(m[1])
		if err != nil {
			return nil, err
		}
		n, _ := strconv.Atoi(m[2])
		return arrow.FixedSizeListOf(int32(n), et), nil
	}
	return nil, fmt.Errorf("%w: DuckDB type %s has no Arrow mapping without the duckdb_arrow build tag (cast it in SQL)", ErrColumnType, name)
}

type rowsReader struct {
	rows      *sql.Rows
	schema    *arrow.Schema
	batchSize int
	mem       memory.Allocator
	vals      []any
	ptrs      []any
	row       int64
	done      bool
}

func (r *rowsReader) Schema() *arrow.Schema { return r.schema }

func (r *rowsReader) Read() (arrow.RecordBatch, error) {
	if r.done {
		return nil, io.EOF
	}
	b := array.NewRecordBuilder(r.mem, r.schema)
	defer b.Release()
	b.Reserve(r.batchSize)
	appenders := make([]func(any) error, len(r.vals))
	for j := range appenders {
		appenders[j] = appenderFor(b.Field(j))
	}
	n := 0
	for n < r.batchSize {
		if !r.rows.Next() {
			r.done = true
			if err := r.rows.Err(); err != nil {
				return nil, fmt.Errorf("arrowio: query: %w", err)
			}
			break
		}
		if err := r.rows.Scan(r.ptrs...); err != nil {
			return nil, fmt.Errorf("arrowio: query row %d: %w", r.row, err)
		}
		for j, v := range r.vals {
			if err := appenders[j](v); err != nil {
				return nil, fmt.Errorf("arrowio: query row %d column %q: %w", r.row, r.schema.Field(j).Name, err)
			}
		}
		r.row++
		n++
	}
	if n == 0 {
		r.rows.Close()
		return nil, io.EOF
	}
	return b.NewRecordBatch(), nil
}

func (r *rowsReader) Close() error {
	r.done = true
	return r.rows.Close()
}

// appenderFor returns appendAny for b, specialised for the common types.
func appenderFor(b array.Builder) func(any) error {
	switch b := b.(type) {
	case *array.Float64Builder:
		return func(v any) error {
			if x, ok := v.(float64); ok {
				b.UnsafeAppend(x) // Read reserved batchSize rows
				return nil
			}
			return appendAny(b, v)
		}
	case *array.Int64Builder:
		return func(v any) error {
			if x, ok := v.(int64); ok {
				b.UnsafeAppend(x) // Read reserved batchSize rows
				return nil
			}
			return appendAny(b, v)
		}
	case *array.Int32Builder:
		return func(v any) error {
			if x, ok := v.(int32); ok {
				b.UnsafeAppend(x) // Read reserved batchSize rows
				return nil
			}
			return appendAny(b, v)
		}
	case *array.StringBuilder:
		return func(v any) error {
			if x, ok := v.(string); ok {
				b.Append(x)
				return nil
			}
			return appendAny(b, v)
		}
	}
	return func(v any) error { return appendAny(b, v) }
}

// appendAny appends a database/sql value as DuckDB's driver returns it.
func appendAny(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	bad := func() error { return fmt.Errorf("%w: unexpected %T value for %s", ErrColumnType, v, b.Type()) }
	switch b := b.(type) {
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Int8Builder:
		x, ok := v.(int8)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Int16Builder:
		x, ok := v.(int16)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Int32Builder:
		x, ok := v.(int32)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Int64Builder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Uint8Builder:
		x, ok := v.(uint8)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Uint16Builder:
		x, ok := v.(uint16)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Uint32Builder:
		x, ok := v.(uint32)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Uint64Builder:
		x, ok := v.(uint64)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Float32Builder:
		x, ok := v.(float32)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Float64Builder:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.StringBuilder:
		switch x := v.(type) {
		case string:
			b.Append(x)
		case []byte:
			if len(x) == 16 { // UUID
				b.Append(fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16]))
			} else {
				b.Append(string(x))
			}
		default:
			if s, ok := v.(fmt.Stringer); ok {
				b.Append(s.String())
				return nil
			}
			return bad()
		}
	case *array.BinaryBuilder:
		x, ok := v.([]byte)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Date32Builder:
		x, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		b.Append(arrow.Date32FromTime(x))
	case *array.Time64Builder:
		x, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		h, m, s := x.Clock()
		b.Append(arrow.Time64((int64(h)*3600+int64(m)*60+int64(s))*1e6 + int64(x.Nanosecond())/1e3))
	case *array.TimestampBuilder:
		x, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		ts, err := arrow.TimestampFromTime(x, b.Type().(*arrow.TimestampType).Unit)
		if err != nil {
			return err
		}
		b.Append(ts)
	case *array.Decimal128Builder:
		var n *big.Int
		switch x := v.(type) {
		case *big.Int:
			n = x
		default:
			// duckdb.Decimal{Width, Scale uint8; Value *big.Int}, read by
			// reflection so this file needs no import of the driver.
			rv := reflect.ValueOf(v)
			if rv.Kind() == reflect.Struct {
				if f := rv.FieldByName("Value"); f.IsValid() {
					n, _ = f.Interface().(*big.Int)
				}
			}
		}
		if n == nil {
			return bad()
		}
		if n.BitLen() > 127 {
			return fmt.Errorf("%w: %s does not fit a decimal128", ErrColumnType, n)
		}
		b.Append(decimal128.FromBigInt(n))
	case *array.ListBuilder:
		x, ok := v.([]any)
		if !ok {
			return bad()
		}
		b.Append(true)
		for _, e := range x {
			if err := appendAny(b.ValueBuilder(), e); err != nil {
				return err
			}
		}
	case *array.FixedSizeListBuilder:
		x, ok := v.([]any)
		if !ok {
			return bad()
		}
		if n := b.Type().(*arrow.FixedSizeListType).Len(); int32(len(x)) != n {
			return fmt.Errorf("%w: expected %d elements, got %d", ErrListLength, n, len(x))
		}
		b.Append(true)
		for _, e := range x {
			if err := appendAny(b.ValueBuilder(), e); err != nil {
				return err
			}
		}
	default:
		return bad()
	}
	return nil
}

// TableMode says what NewDuckDBWriter does with an existing table.
type TableMode int

const (
	// TableCreate creates the table and fails if it exists.
	TableCreate TableMode = iota
	// TableReplace creates the table, replacing one that exists (atomically,
	// when the writer is closed).
	TableReplace
	// TableAppend inserts into the table (matching columns by name),
	// creating it if it does not exist.
	TableAppend
)

func (m TableMode) String() string {
	switch m {
	case TableCreate:
		return "create"
	case TableReplace:
		return "replace"
	case TableAppend:
		return "append"
	}
	return fmt.Sprintf("TableMode(%d)", int(m))
}

// ParseTableMode parses "create", "replace" or "append".
func ParseTableMode(s string) (TableMode, error) {
	switch strings.ToLower(s) {
	case "create":
		return TableCreate, nil
	case "replace":
		return TableReplace, nil
	case "append":
		return TableAppend, nil
	}
	return 0, fmt.Errorf("arrowio: table mode %q (want create, replace or append)", s)
}

// quoteTable quotes a table name, "name" or "schema.name", as SQL
// identifiers.
func quoteTable(table string) (string, error) {
	if table == "" {
		return "", errors.New("arrowio: empty table name")
	}
	parts := strings.Split(table, ".")
	for i, p := range parts {
		if p == "" {
			return "", fmt.Errorf("arrowio: bad table name %q", table)
		}
		parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(parts, "."), nil
}

// DuckDBWriter writes batches into a DuckDB table inside one transaction on
// one connection: the table appears (or is replaced, or grows) only when
// Close commits. The table is created from the first batch's schema; a
// stream with no batches creates nothing unless SetSchema was called.
type DuckDBWriter struct {
	ctx     context.Context
	conn    *sql.Conn
	table   string // quoted
	name    string
	mode    TableMode
	started bool
	err     error
	schema  *arrow.Schema
	insert  batchInserter
}

// batchInserter runs "<prefix> SELECT * FROM <source of b>"; it differs by
// build tag (an Arrow view or a temporary Parquet file).
type batchInserter interface {
	exec(ctx context.Context, conn *sql.Conn, prefix string, b arrow.RecordBatch) error
	close()
}

// NewDuckDBWriter starts a transaction on a connection of db for writing
// the table (a name or schema.name) in the given mode.
func NewDuckDBWriter(ctx context.Context, db *sql.DB, table string, mode TableMode) (*DuckDBWriter, error) {
	q, err := quoteTable(table)
	if err != nil {
		return nil, err
	}
	if mode < TableCreate || mode > TableAppend {
		return nil, fmt.Errorf("arrowio: bad table mode %v", mode)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("arrowio: DuckDB connection: %w", err)
	}
	ins, err := newBatchInserter(conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		ins.close()
		conn.Close()
		return nil, fmt.Errorf("arrowio: DuckDB: %w", err)
	}
	return &DuckDBWriter{ctx: ctx, conn: conn, table: q, name: table, mode: mode, insert: ins}, nil
}

// SetSchema declares the schema of the batches before the first Write, so
// that Close creates an empty table (create and replace modes; append
// creates a missing table) when no batch came. Batches must then have this
// schema.
func (w *DuckDBWriter) SetSchema(schema *arrow.Schema) {
	if !w.started {
		w.schema = schema
	}
}

// emptyBatch is a batch of schema with no rows.
func emptyBatch(schema *arrow.Schema) arrow.RecordBatch {
	cols := make([]arrow.Array, schema.NumFields())
	for i, f := range schema.Fields() {
		cols[i] = array.MakeArrayOfNull(memory.DefaultAllocator, f.Type, 0)
	}
	b := array.NewRecordBatch(schema, cols, 0)
	for _, c := range cols {
		c.Release()
	}
	return b
}

// Write inserts the batch's rows.
func (w *DuckDBWriter) Write(b arrow.RecordBatch) error {
	if w.err != nil {
		return w.err
	}
	if w.conn == nil {
		return errors.New("arrowio: write after Close")
	}
	if w.schema != nil && !w.schema.Equal(b.Schema()) {
		return fmt.Errorf("arrowio: table %s: batch schema differs from the first batch's:\n%s\nwant:\n%s", w.name, b.Schema(), w.schema)
	}
	if b.NumRows() == 0 && w.started {
		return nil
	}
	var prefix string
	if !w.started {
		switch w.mode {
		case TableCreate:
			prefix = "CREATE TABLE " + w.table + " AS"
		case TableReplace:
			prefix = "CREATE OR REPLACE TABLE " + w.table + " AS"
		case TableAppend:
			exists, err := w.tableExists()
			if err != nil {
				return w.fail(err)
			}
			if exists {
				prefix = "INSERT INTO " + w.table + " BY NAME"
			} else {
				prefix = "CREATE TABLE " + w.table + " AS"
			}
		}
		w.schema = b.Schema()
	} else {
		prefix = "INSERT INTO " + w.table + " BY NAME"
	}
	if err := w.insert.exec(w.ctx, w.conn, prefix, b); err != nil {
		return w.fail(fmt.Errorf("arrowio: writing table %s: %w", w.name, err))
	}
	w.started = true
	return nil
}

func (w *DuckDBWriter) tableExists() (bool, error) {
	rows, err := w.conn.QueryContext(w.ctx, "SELECT 1 FROM "+w.table+" LIMIT 0")
	if err != nil {
		// DuckDB says "Catalog Error: Table with name … does not exist".
		if strings.Contains(err.Error(), "does not exist") {
			return false, nil
		}
		return false, fmt.Errorf("arrowio: table %s: %w", w.name, err)
	}
	rows.Close()
	return true, nil
}

// fail rolls the transaction back; the writer is then unusable.
func (w *DuckDBWriter) fail(err error) error {
	w.err = err
	w.conn.ExecContext(context.WithoutCancel(w.ctx), "ROLLBACK")
	return err
}

// Close commits the transaction (or, after a failed Write, returns that
// error; nothing was written) and returns the connection to db's pool.
func (w *DuckDBWriter) Close() error {
	if w.conn == nil {
		return w.err
	}
	defer func() {
		w.insert.close()
		w.conn.Close()
		w.conn = nil
	}()
	if w.err != nil {
		return w.err
	}
	if !w.started && w.schema != nil {
		// No batch came: create (or replace with) an empty table.
		empty := emptyBatch(w.schema)
		err := w.Write(empty)
		empty.Release()
		if err != nil {
			return err
		}
	}
	if _, err := w.conn.ExecContext(w.ctx, "COMMIT"); err != nil {
		w.err = fmt.Errorf("arrowio: table %s: commit: %w", w.name, err)
		w.conn.ExecContext(context.WithoutCancel(w.ctx), "ROLLBACK")
		return w.err
	}
	return nil
}
