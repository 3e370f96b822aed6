package duckio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// TableMode says what a TableWriter does with an existing table.
type TableMode int

const (
	// TableCreate creates the table and fails if it exists.
	TableCreate TableMode = iota
	// TableReplace creates the table, replacing one that exists (atomically,
	// when the writer is closed).
	TableReplace
	// TableAppend inserts into the table (matching columns by name; table
	// columns the batches lack get their default or NULL), creating it if
	// it does not exist.
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

// ParseTableMode parses "create", "replace" or "append" (any case).
func ParseTableMode(s string) (TableMode, error) {
	switch strings.ToLower(s) {
	case "create":
		return TableCreate, nil
	case "replace":
		return TableReplace, nil
	case "append":
		return TableAppend, nil
	}
	return 0, fmt.Errorf("duckio: table mode %q (want create, replace or append)", s)
}

// TableWriter writes record batches into a DuckDB table through DuckDB's
// appender, one data chunk (2048 rows) at a time, inside one transaction on
// one connection: the table appears (or is replaced, or grows) only when
// Close commits, and a failed write leaves the database as it was. The table
// is created from the first batch's schema (see the package documentation
// for the column types), or from the schema given to SetSchema when no batch
// came. It satisfies arrowio.Writer.
type TableWriter struct {
	ctx     context.Context
	conn    *sql.Conn
	closeDB *sql.DB
	name    string    // as given
	quoted  string    // as SQL
	parts   [3]string // catalog, schema, table ("" = default)
	mode    TableMode
	schema  *arrow.Schema
	started bool
	err     error

	app   mapping.Appender
	chunk mapping.DataChunk
}

// NewTableWriter starts a transaction on a connection of db (opened with
// the "duckdb" driver) for writing table ("name", "schema.name" or
// "catalog.schema.name") in the given mode.
func NewTableWriter(ctx context.Context, db *sql.DB, table string, mode TableMode) (*TableWriter, error) {
	parts, quoted, err := splitTable(table)
	if err != nil {
		return nil, err
	}
	if mode < TableCreate || mode > TableAppend {
		return nil, fmt.Errorf("duckio: bad table mode %v", mode)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("duckio: DuckDB connection: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("duckio: table %s: %w", table, err)
	}
	return &TableWriter{ctx: ctx, conn: conn, name: table, quoted: quoted, parts: parts, mode: mode}, nil
}

// OpenTableWriter opens (or creates) the DuckDB database file path
// read-write and returns a writer for table in it; Close commits and closes
// the database. This is what `--out duckdb:FILE:TABLE` needs.
func OpenTableWriter(ctx context.Context, path, table string, mode TableMode) (*TableWriter, error) {
	if path == "" {
		return nil, errors.New("duckio: no database file for the table")
	}
	db, err := sql.Open("duckdb", path)
	if err != nil {
		return nil, fmt.Errorf("duckio: open DuckDB %s: %w", path, err)
	}
	w, err := NewTableWriter(ctx, db, table, mode)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("duckio: open DuckDB %s: %w", path, err)
	}
	w.closeDB = db
	return w, nil
}

// splitTable splits a table name on dots into catalog, schema and table and
// quotes it as SQL.
func splitTable(table string) ([3]string, string, error) {
	var parts [3]string
	if table == "" {
		return parts, "", errors.New("duckio: empty table name")
	}
	names := strings.Split(table, ".")
	if len(names) > 3 {
		return parts, "", fmt.Errorf("duckio: bad table name %q (want name, schema.name or catalog.schema.name)", table)
	}
	quoted := make([]string, len(names))
	for i, p := range names {
		if p == "" {
			return parts, "", fmt.Errorf("duckio: bad table name %q", table)
		}
		quoted[i] = quoteIdent(p)
	}
	copy(parts[3-len(names):], names)
	return parts, strings.Join(quoted, "."), nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// SetSchema declares the schema of the batches before the first Write, so
// that Close creates an empty table (create and replace modes; append
// creates a missing table) when no batch came. Batches must then have this
// schema.
func (w *TableWriter) SetSchema(schema *arrow.Schema) {
	if !w.started {
		w.schema = schema
	}
}

// Write appends the batch's rows. It does not take ownership of b.
func (w *TableWriter) Write(b arrow.RecordBatch) error {
	if w.err != nil {
		return w.err
	}
	if w.conn == nil {
		return errors.New("duckio: Write after Close")
	}
	if w.schema != nil && !w.schema.Equal(b.Schema()) {
		return fmt.Errorf("duckio: table %s: batch schema differs from the first batch's:\n%s\nwant:\n%s", w.name, b.Schema(), w.schema)
	}
	if !w.started {
		if err := w.start(b.Schema()); err != nil {
			return w.fail(err)
		}
	}
	if err := w.append(b); err != nil {
		return w.fail(fmt.Errorf("duckio: table %s: %w", w.name, err))
	}
	return nil
}

// start creates the table when the mode says so and the appender.
func (w *TableWriter) start(schema *arrow.Schema) error {
	w.schema = schema
	w.started = true
	cols := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		t, err := duckType(f.Type)
		if err != nil {
			return fmt.Errorf("duckio: table %s column %q: %w", w.name, f.Name, err)
		}
		cols[i] = quoteIdent(f.Name) + " " + t
	}
	create := ""
	switch w.mode {
	case TableCreate:
		create = "CREATE TABLE "
	case TableReplace:
		create = "CREATE OR REPLACE TABLE "
	case TableAppend:
		exists, err := w.tableExists()
		if err != nil {
			return err
		}
		if !exists {
			create = "CREATE TABLE "
		}
	}
	if create != "" {
		if _, err := w.conn.ExecContext(w.ctx, create+w.quoted+" ("+strings.Join(cols, ", ")+")"); err != nil {
			return fmt.Errorf("duckio: table %s: %w", w.name, err)
		}
	}
	return withRaw(w.conn, func(c mapping.Connection) error {
		if mapping.AppenderCreateExt(c, w.parts[0], w.parts[1], w.parts[2], &w.app) == mapping.StateError {
			return fmt.Errorf("duckio: table %s: %s", w.name, mapping.AppenderError(w.app))
		}
		types := make([]mapping.LogicalType, schema.NumFields())
		defer func() {
			for i := range types {
				mapping.DestroyLogicalType(&types[i])
			}
		}()
		for i, f := range schema.Fields() {
			// By name: the table may have other columns, in another order.
			if mapping.AppenderAddColumn(w.app, f.Name) == mapping.StateError {
				return fmt.Errorf("duckio: table %s column %q: %s", w.name, f.Name, mapping.AppenderError(w.app))
			}
			types[i] = logicalType(f.Type)
		}
		w.chunk = mapping.CreateDataChunk(types)
		return nil
	})
}

func (w *TableWriter) tableExists() (bool, error) {
	var n int
	// An unqualified name means the current schema and database, as in
	// the appender and CREATE TABLE.
	err := w.conn.QueryRowContext(w.ctx, `SELECT count(*) FROM duckdb_tables()
		WHERE table_name = ? AND schema_name = coalesce(nullif(?, ''), current_schema())
		AND database_name = coalesce(nullif(?, ''), current_database())`,
		w.parts[2], w.parts[1], w.parts[0]).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("duckio: table %s: %w", w.name, err)
	}
	return n > 0, nil
}

// logicalType is the DuckDB type for an Arrow type that duckType accepts.
func logicalType(t arrow.DataType) mapping.LogicalType {
	switch t := t.(type) {
	case *arrow.Decimal128Type:
		return mapping.CreateDecimalType(uint8(t.Precision), uint8(t.Scale))
	case *arrow.ListType:
		c := logicalType(t.Elem())
		defer mapping.DestroyLogicalType(&c)
		return mapping.CreateListType(c)
	case *arrow.FixedSizeListType:
		c := logicalType(t.Elem())
		defer mapping.DestroyLogicalType(&c)
		return mapping.CreateArrayType(c, mapping.IdxT(t.Len()))
	}
	return mapping.CreateLogicalType(typeIDs[mustDuckType(t)])
}

func mustDuckType(t arrow.DataType) string {
	s, err := duckType(t)
	if err != nil {
		panic(err) // start checked every column
	}
	return s
}

var typeIDs = map[string]mapping.Type{
	"BOOLEAN": mapping.TypeBoolean, "TINYINT": mapping.TypeTinyInt, "SMALLINT": mapping.TypeSmallInt,
	"INTEGER": mapping.TypeInteger, "BIGINT": mapping.TypeBigInt, "UTINYINT": mapping.TypeUTinyInt,
	"USMALLINT": mapping.TypeUSmallInt, "UINTEGER": mapping.TypeUInteger, "UBIGINT": mapping.TypeUBigInt,
	"FLOAT": mapping.TypeFloat, "DOUBLE": mapping.TypeDouble, "VARCHAR": mapping.TypeVarchar, "BLOB": mapping.TypeBlob,
	"DATE": mapping.TypeDate, "TIME": mapping.TypeTime, "TIMESTAMP": mapping.TypeTimestamp,
	"TIMESTAMP_S": mapping.TypeTimestampS, "TIMESTAMP_MS": mapping.TypeTimestampMS, "TIMESTAMP_NS": mapping.TypeTimestampNS,
	"TIMESTAMPTZ": mapping.TypeTimestampTZ,
}

// append writes b through the appender, one chunk of VectorSize rows at a
// time.
func (w *TableWriter) append(b arrow.RecordBatch) error {
	return withRaw(w.conn, func(mapping.Connection) error {
		step := int(mapping.VectorSize())
		rows := int(b.NumRows())
		for off := 0; off < rows; off += step {
			n := min(step, rows-off)
			mapping.DataChunkReset(w.chunk)
			for j, col := range b.Columns() {
				if err := fill(mapping.DataChunkGetVector(w.chunk, mapping.IdxT(j)), col, off, n); err != nil {
					return fmt.Errorf("column %q: %w", b.Schema().Field(j).Name, err)
				}
			}
			mapping.DataChunkSetSize(w.chunk, mapping.IdxT(n))
			if mapping.AppendDataChunk(w.app, w.chunk) == mapping.StateError {
				return errors.New(mapping.AppenderError(w.app))
			}
		}
		return nil
	})
}

// fill writes rows [off, off+n) of a into rows [0, n) of v.
func fill(v mapping.Vector, a arrow.Array, off, n int) error {
	start := a.Data().Offset() + off
	if a.NullN() > 0 {
		mapping.VectorEnsureValidityWritable(v)
		mask := unsafe.Slice((*byte)(mapping.VectorGetValidity(v)), (n+7)/8)
		bitutil.CopyBitmap(a.NullBitmapBytes(), start, n, mask, 0)
	} else if p := mapping.VectorGetValidity(v); p != nil {
		bitutil.SetBitsTo(unsafe.Slice((*byte)(p), (n+7)/8), 0, int64(n), true)
	}
	data := mapping.VectorGetData(v)
	switch a := a.(type) {
	case *array.Boolean:
		dst := unsafe.Slice((*byte)(data), n)
		for i := range n {
			dst[i] = 0
			if a.Value(off + i) {
				dst[i] = 1
			}
		}
		return nil
	case *array.Decimal128:
		prec := a.DataType().(*arrow.Decimal128Type).Precision
		vals := a.Values()[off : off+n]
		switch {
		case prec <= 4:
			narrow[int16](data, vals)
		case prec <= 9:
			narrow[int32](data, vals)
		case prec <= 18:
			narrow[int64](data, vals)
		default:
			copy(unsafe.Slice((*[2]uint64)(data), n), unsafe.Slice((*[2]uint64)(unsafe.Pointer(unsafe.SliceData(vals))), n))
		}
		return nil
	case *array.String:
		for i := range n {
			if a.IsValid(off + i) {
				s := a.Value(off + i)
				mapping.VectorAssignStringElementLen(v, mapping.IdxT(i), unsafe.Slice(unsafe.StringData(s), len(s)))
			}
		}
		return nil
	case *array.LargeString:
		for i := range n {
			if a.IsValid(off + i) {
				s := a.Value(off + i)
				mapping.VectorAssignStringElementLen(v, mapping.IdxT(i), unsafe.Slice(unsafe.StringData(s), len(s)))
			}
		}
		return nil
	case array.BinaryLike:
		type valuer interface{ Value(int) []byte }
		bin, ok := a.(valuer)
		if !ok {
			break
		}
		for i := range n {
			if a.IsValid(off + i) {
				mapping.VectorAssignStringElementLen(v, mapping.IdxT(i), bin.Value(off+i))
			}
		}
		return nil
	case *array.Dictionary:
		dict, ok := a.Dictionary().(interface{ Value(int) string })
		if !ok {
			break
		}
		for i := range n {
			if a.IsValid(off + i) {
				s := dict.Value(a.GetValueIndex(off + i))
				mapping.VectorAssignStringElementLen(v, mapping.IdxT(i), unsafe.Slice(unsafe.StringData(s), len(s)))
			}
		}
		return nil
	case *array.List:
		offs := a.Offsets()[off : off+n+1]
		first, total := int(offs[0]), int(offs[n]-offs[0])
		if mapping.ListVectorReserve(v, mapping.IdxT(total)) == mapping.StateError {
			return fmt.Errorf("cannot reserve %d list elements", total)
		}
		entries := unsafe.Slice((*[2]uint64)(data), n)
		for i := range n {
			entries[i] = [2]uint64{uint64(int(offs[i]) - first), uint64(offs[i+1] - offs[i])}
		}
		if err := fill(mapping.ListVectorGetChild(v), a.ListValues(), first, total); err != nil {
			return err
		}
		mapping.ListVectorSetSize(v, mapping.IdxT(total))
		return nil
	case *array.FixedSizeList:
		size := int(a.DataType().(*arrow.FixedSizeListType).Len())
		return fill(mapping.ArrayVectorGetChild(v), a.ListValues(), start*size, n*size)
	default:
		if fw, ok := a.DataType().(arrow.FixedWidthDataType); ok && fw.BitWidth()%8 == 0 && len(a.Data().Buffers()) == 2 {
			width := fw.BitWidth() / 8
			src := a.Data().Buffers()[1].Bytes()[start*width : (start+n)*width]
			copy(unsafe.Slice((*byte)(data), n*width), src)
			return nil
		}
	}
	return fmt.Errorf("%w %s", ErrType, a.DataType())
}

// narrow stores decimal128 values in DuckDB's smaller decimal storage; the
// precision guarantees that they fit.
func narrow[T int16 | int32 | int64](data unsafe.Pointer, vals []decimal128.Num) {
	dst := unsafe.Slice((*T)(data), len(vals))
	for i, v := range vals {
		dst[i] = T(int64(v.LowBits()))
	}
}

// Close commits the transaction (or, after a failed Write, returns that
// error; nothing was written) and returns the connection to its pool (and
// closes the database OpenTableWriter opened).
func (w *TableWriter) Close() error {
	if w.conn == nil {
		return w.err
	}
	defer func() {
		w.conn.Close()
		w.conn = nil
		if w.closeDB != nil {
			w.closeDB.Close()
			w.closeDB = nil
		}
	}()
	if w.err != nil {
		return w.err
	}
	if !w.started && w.schema != nil {
		if err := w.start(w.schema); err != nil {
			return w.fail(err)
		}
	}
	if err := w.closeAppender(); err != nil {
		return w.fail(fmt.Errorf("duckio: table %s: %w", w.name, err))
	}
	if _, err := w.conn.ExecContext(w.ctx, "COMMIT"); err != nil {
		return w.fail(fmt.Errorf("duckio: table %s: commit: %w", w.name, err))
	}
	return nil
}

// closeAppender flushes and frees the appender and the chunk.
func (w *TableWriter) closeAppender() error {
	var err error
	werr := withRaw(w.conn, func(mapping.Connection) error {
		if w.app.Ptr != nil {
			if mapping.AppenderClose(w.app) == mapping.StateError {
				err = errors.New(mapping.AppenderError(w.app))
			}
			mapping.AppenderDestroy(&w.app)
		}
		mapping.DestroyDataChunk(&w.chunk)
		return nil
	})
	return errors.Join(err, werr)
}

// fail rolls the transaction back; the writer is then unusable.
func (w *TableWriter) fail(err error) error {
	w.err = err
	w.closeAppender()
	w.conn.ExecContext(context.WithoutCancel(w.ctx), "ROLLBACK")
	return err
}
