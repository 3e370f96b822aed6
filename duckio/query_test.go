package duckio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func openDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func checkedAlloc(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func readAll(t testing.TB, r *Reader) []arrow.RecordBatch {
	t.Helper()
	var out []arrow.RecordBatch
	for {
		b, err := r.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

func releaseAll(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// typesQuery has a column of every type dense reads, with NULLs in each
// (row i is NULL in every nullable column when i % 11 == 10).
const typesQuery = `
SELECT i,
       CASE WHEN i % 11 = 10 THEN NULL ELSE i END::INTEGER AS i32,
       CASE WHEN i % 11 = 10 THEN NULL ELSE i * 1000000000 END::BIGINT AS i64,
       CASE WHEN i % 11 = 10 THEN NULL ELSE (i % 100) - 50 END::TINYINT AS i8,
       CASE WHEN i % 11 = 10 THEN NULL ELSE i % 300 END::SMALLINT AS i16,
       CASE WHEN i % 11 = 10 THEN NULL ELSE i % 200 END::UTINYINT AS u8,
       CASE WHEN i % 11 = 10 THEN NULL ELSE i END::USMALLINT AS u16,
       CASE WHEN i % 11 = 10 THEN NULL ELSE i END::UINTEGER AS u32,
       CASE WHEN i % 11 = 10 THEN NULL ELSE i + 18000000000000000000 END::UBIGINT AS u64,
       CASE WHEN i % 11 = 10 THEN NULL ELSE (i - 2000)::HUGEINT * 100000000000000000000 END AS huge,
       CASE WHEN i % 11 = 10 THEN NULL ELSE i::UHUGEINT * 1000000000000000000000 END AS uhuge,
       CASE WHEN i % 11 = 10 THEN NULL ELSE i / 4 END::FLOAT AS f32,
       CASE WHEN i % 11 = 10 THEN NULL ELSE i / 3 END::DOUBLE AS f64,
       CASE WHEN i % 11 = 10 THEN NULL ELSE (i % 100 - 50) * 0.25 END::DECIMAL(4,2) AS dec16,
       CASE WHEN i % 11 = 10 THEN NULL ELSE (i - 2000) * 1.25 END::DECIMAL(9,2) AS dec32,
       CASE WHEN i % 11 = 10 THEN NULL ELSE (i - 2000) * 1.25 END::DECIMAL(18,3) AS dec64,
       CASE WHEN i % 11 = 10 THEN NULL ELSE (i - 2000) * 1.25 END::DECIMAL(38,10) AS dec128,
       CASE WHEN i % 11 = 10 THEN NULL ELSE i % 2 = 0 END AS b,
       CASE WHEN i % 11 = 10 THEN NULL ELSE 'name-' || (i % 3) || CASE WHEN i % 4 = 0 THEN ' with a long tail past twelve bytes' ELSE '' END END AS s,
       CASE WHEN i % 11 = 10 THEN NULL ELSE ['red', 'green', 'blue'][1 + i % 3] END::ENUM('red', 'green', 'blue') AS e,
       CASE WHEN i % 11 = 10 THEN NULL ELSE DATE '2024-01-01' + (i % 30)::INTEGER END AS day,
       CASE WHEN i % 11 = 10 THEN NULL ELSE TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) SECOND END AS ts,
       CASE WHEN i % 11 = 10 THEN NULL ELSE TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i) SECOND END AS tstz,
       (CASE WHEN i % 11 = 10 THEN NULL ELSE [i, i + 1, i + 2] END)::FLOAT[3] AS emb,
       CASE WHEN i % 11 = 10 THEN NULL ELSE list_transform(range(i % 4), x -> CASE WHEN x = 2 THEN NULL ELSE x / 2 END)::DOUBLE[] END AS lst,
       CASE WHEN i % 11 = 10 THEN NULL ELSE [i % 5, NULL]::BIGINT[] END AS ilst,
       CASE WHEN i % 11 = 10 THEN NULL ELSE ('b' || i)::BLOB END AS bl,
       CASE WHEN i % 11 = 10 THEN NULL ELSE TIME '00:00:00' + INTERVAL (i) SECOND END AS tm,
       CASE WHEN i % 11 = 10 THEN NULL ELSE (TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) SECOND)::TIMESTAMP_S END AS ts_s,
       CASE WHEN i % 11 = 10 THEN NULL ELSE (TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) SECOND)::TIMESTAMP_MS END AS ts_ms,
       CASE WHEN i % 11 = 10 THEN NULL ELSE (TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) SECOND)::TIMESTAMP_NS END AS ts_ns
FROM range(5000) t(i)`

// checkTypesRow checks row r of batch b, which holds global row i.
func checkTypesRow(t *testing.T, b arrow.RecordBatch, r int) {
	t.Helper()
	col := func(name string) arrow.Array {
		idx := b.Schema().FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("no column %s in %s", name, b.Schema())
		}
		return b.Column(idx[0])
	}
	i := col("i").(*array.Int64).Value(r)
	null := i%11 == 10
	for j, f := range b.Schema().Fields() {
		if f.Name != "i" && b.Column(j).IsNull(r) != null {
			t.Fatalf("row %d column %s: null %v", i, f.Name, b.Column(j).IsNull(r))
		}
	}
	if null {
		return
	}
	fail := func(name string, got, want any) {
		t.Helper()
		t.Fatalf("row %d column %s: got %v, want %v", i, name, got, want)
	}
	check := func(name string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			fail(name, got, want)
		}
	}
	check("i32", col("i32").(*array.Int32).Value(r), i)
	check("i64", col("i64").(*array.Int64).Value(r), i*1e9)
	check("i8", col("i8").(*array.Int8).Value(r), i%100-50)
	check("i16", col("i16").(*array.Int16).Value(r), i%300)
	check("u8", col("u8").(*array.Uint8).Value(r), i%200)
	check("u16", col("u16").(*array.Uint16).Value(r), i)
	check("u32", col("u32").(*array.Uint32).Value(r), i)
	check("u64", col("u64").(*array.Uint64).Value(r), uint64(i)+18000000000000000000)
	huge := decimal128.FromI64(i - 2000).Mul(decimal128.FromU64(1e17)).Mul(decimal128.FromU64(1000))
	check("huge", col("huge").(*array.Decimal128).Value(r), huge)
	check("uhuge", col("uhuge").(*array.Decimal128).Value(r), decimal128.FromI64(i).Mul(decimal128.FromU64(1e18)).Mul(decimal128.FromU64(1000)))
	check("f32", col("f32").(*array.Float32).Value(r), float32(float64(i)/4))
	check("f64", col("f64").(*array.Float64).Value(r), float64(i)/3)
	for _, d := range []struct {
		name  string
		scale int32
		want  float64
	}{{"dec16", 2, float64(i%100-50) * 0.25}, {"dec32", 2, float64(i-2000) * 1.25}, {"dec64", 3, float64(i-2000) * 1.25}, {"dec128", 10, float64(i-2000) * 1.25}} {
		a := col(d.name).(*array.Decimal128)
		if got := a.Value(r).ToFloat64(d.scale); got != d.want {
			fail(d.name, got, d.want)
		}
	}
	check("b", col("b").(*array.Boolean).Value(r), i%2 == 0)
	ws := fmt.Sprintf("name-%d", i%3)
	if i%4 == 0 {
		ws += " with a long tail past twelve bytes"
	}
	check("s", col("s").(*array.String).Value(r), ws)
	check("e", col("e").(*array.String).Value(r), []string{"red", "green", "blue"}[i%3])
	check("day", col("day").(*array.Date32).Value(r).ToTime().Format(time.DateOnly), time.Date(2024, 1, 1+int(i%30), 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
	ts := col("ts").(*array.Timestamp)
	check("ts", ts.Value(r).ToTime(arrow.Microsecond).UTC(), time.Date(2024, 1, 1, 0, 0, int(i), 0, time.UTC))
	tstz := col("tstz").(*array.Timestamp)
	check("tstz", tstz.Value(r).ToTime(arrow.Microsecond).UTC(), time.Date(2024, 1, 1, 0, 0, int(i), 0, time.UTC))
	emb := col("emb").(*array.FixedSizeList)
	s, e := emb.ValueOffsets(r)
	check("emb", emb.ListValues().(*array.Float32).Float32Values()[s:e], []float32{float32(i), float32(i + 1), float32(i + 2)})
	lst := col("lst").(*array.List)
	s, e = lst.ValueOffsets(r)
	vals := lst.ListValues().(*array.Float64)
	var got []string
	for k := s; k < e; k++ {
		if vals.IsNull(int(k)) {
			got = append(got, "NULL")
		} else {
			got = append(got, fmt.Sprint(vals.Value(int(k))))
		}
	}
	want := []string{"0", "0.5", "NULL"}[:min(i%4, 3)]
	check("lst", got, want)
	check("bl", string(col("bl").(*array.Binary).Value(r)), fmt.Sprintf("b%d", i))
	check("tm", int64(col("tm").(*array.Time64).Value(r)), i*1e6)
	for _, c := range []struct {
		name string
		unit arrow.TimeUnit
	}{{"ts_s", arrow.Second}, {"ts_ms", arrow.Millisecond}, {"ts_ns", arrow.Nanosecond}} {
		a := col(c.name).(*array.Timestamp)
		if a.DataType().(*arrow.TimestampType).Unit != c.unit {
			fail(c.name, a.DataType(), c.unit)
		}
		check(c.name, a.Value(r).ToTime(c.unit).UTC(), time.Date(2024, 1, 1, 0, 0, int(i), 0, time.UTC))
	}
	il := col("ilst").(*array.List)
	s, e = il.ValueOffsets(r)
	iv := il.ListValues().(*array.Int64)
	if e-s != 2 || iv.Value(int(s)) != i%5 || !iv.IsNull(int(s)+1) {
		fail("ilst", il.ValueStr(r), "[i%5, NULL]")
	}
}

func TestQueryTypesNullsAndBatches(t *testing.T) {
	db := openDB(t)
	mem := checkedAlloc(t)
	r, err := Query(context.Background(), db, typesQuery, Options{BatchSize: 1500, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := map[string]string{"i32": "int32", "i64": "int64", "i8": "int8", "i16": "int16", "u8": "uint8", "u16": "uint16",
		"u32": "uint32", "u64": "uint64", "huge": "decimal(38, 0)", "uhuge": "decimal(38, 0)", "f32": "float32", "f64": "float64",
		"dec16": "decimal(4, 2)", "dec32": "decimal(9, 2)", "dec64": "decimal(18, 3)", "dec128": "decimal(38, 10)",
		"b": "bool", "s": "utf8", "e": "utf8", "day": "date32", "ts": "timestamp[us]", "tstz": "timestamp[us, tz=UTC]",
		"emb": "fixed_size_list<item: float32, nullable>[3]", "lst": "list<item: float64, nullable>", "ilst": "list<item: int64, nullable>",
		"bl": "binary", "tm": "time64[us]", "ts_s": "timestamp[s]", "ts_ms": "timestamp[ms]", "ts_ns": "timestamp[ns]"}
	for name, typ := range want {
		idx := r.Schema().FieldIndices(name)
		if len(idx) != 1 || r.Schema().Field(idx[0]).Type.String() != typ {
			t.Errorf("column %s: want %s in %s", name, typ, r.Schema())
		}
	}
	bs := readAll(t, r)
	defer releaseAll(bs)
	var sizes []int64
	for _, b := range bs {
		for row := range int(b.NumRows()) {
			checkTypesRow(t, b, row)
		}
		sizes = append(sizes, b.NumRows())
	}
	if fmt.Sprint(sizes) != "[1500 1500 1500 500]" {
		t.Errorf("batch sizes %v, want 1500s", sizes)
	}
	if _, err := r.Read(); err != io.EOF {
		t.Errorf("read after the end: %v", err)
	}
}

func TestQueryUnsupportedType(t *testing.T) {
	db := openDB(t)
	for _, c := range []struct{ sql, col, typ string }{
		{"SELECT 1 AS a, {'x': 1} AS st", "st", "STRUCT"},
		{"SELECT INTERVAL 1 DAY AS iv", "iv", "INTERVAL"},
		{"SELECT [{'x': 1}] AS ls", "ls", "STRUCT"},
		{"SELECT MAP {'a': 1} AS m", "m", "MAP"},
	} {
		_, err := Query(context.Background(), db, c.sql, Options{})
		if !errors.Is(err, ErrType) || !strings.Contains(err.Error(), `"`+c.col+`"`) || !strings.Contains(err.Error(), c.typ) {
			t.Errorf("%s: %v", c.sql, err)
		}
	}
	// A HUGEINT beyond decimal128(38, 0).
	r, err := Query(context.Background(), db, "SELECT 170141183460469231731687303715884105727::HUGEINT AS h", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Read(); !errors.Is(err, ErrType) || !strings.Contains(err.Error(), `"h"`) || !strings.Contains(err.Error(), "39 digits") {
		t.Errorf("huge hugeint: %v", err)
	}
}

func TestQueryEmptyAndErrors(t *testing.T) {
	db := openDB(t)
	mem := checkedAlloc(t)
	ctx := context.Background()
	if _, err := Query(ctx, db, "SELECT nope FROM nowhere", Options{}); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("bad SQL: %v", err)
	}
	if _, err := Query(ctx, db, "SELECT 1", Options{Columns: []string{"a"}}); err == nil {
		t.Error("Columns accepted for a query")
	}
	// An empty result: a schema, then io.EOF.
	r, err := Query(ctx, db, "SELECT 1::INTEGER AS a, 'x' AS s, [1.5] AS l WHERE false", Options{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Schema().String(); !strings.Contains(got, "a: type=int32") || !strings.Contains(got, "l: type=list<item: decimal(2, 1)") {
		t.Errorf("schema %s", got)
	}
	if b, err := r.Read(); err != io.EOF {
		t.Errorf("empty result: %v %v", b, err)
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// A runtime error surfaces from Read, naming the query's problem.
	r, err = Query(ctx, db, "SELECT CASE WHEN i < 5000 THEN i ELSE error('boom at ' || i) END AS v FROM range(10000) t(i)", Options{Allocator: mem, BatchSize: 1000})
	if err == nil {
		var rerr error
		for rerr == nil {
			var b arrow.RecordBatch
			if b, rerr = r.Read(); rerr == nil {
				b.Release()
			}
		}
		err = rerr
		r.Close()
	}
	if err == nil || err == io.EOF || !strings.Contains(err.Error(), "boom at") {
		t.Errorf("runtime error: %v", err)
	}
}

// TestQueryCancel: cancelling the context stops the stream with the
// context's error.
func TestQueryCancel(t *testing.T) {
	db := openDB(t)
	mem := checkedAlloc(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := Query(ctx, db, "SELECT i FROM range(10000000) t(i)", Options{BatchSize: 1000, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	b.Release()
	cancel()
	if _, err = r.Read(); !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v", err)
	}
	// The connection went back to the pool usable.
	r.Close()
	var n int
	if err := db.QueryRow("SELECT 42").Scan(&n); err != nil || n != 42 {
		t.Errorf("the pool after a cancelled query: %v %v", n, err)
	}
}

func TestQueryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.duckdb")
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t AS SELECT i, i * 2.0 AS y FROM range(10) t(i)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	mem := checkedAlloc(t)
	r, err := QueryFile(context.Background(), path, "SELECT sum(y)::DOUBLE AS s FROM t", Options{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	bs := readAll(t, r)
	if v := bs[0].Column(0).(*array.Float64).Value(0); v != 90 {
		t.Errorf("sum %v", v)
	}
	releaseAll(bs)
	if err := r.Close(); err != nil {
		t.Error(err)
	}
	if _, err := QueryFile(context.Background(), filepath.Join(t.TempDir(), "missing.duckdb"), "SELECT 1", Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing database file: %v", err)
	}
}

// TestQueryStreamsFlat reads 1M rows in 8Ki-row batches (489 DuckDB
// chunks): the live Arrow memory while a batch is held stays at a batch's
// worth, the same in the second half as in the first.
func TestQueryStreamsFlat(t *testing.T) {
	db := openDB(t)
	mem := checkedAlloc(t)
	const batch = 8192
	r, err := Query(context.Background(), db,
		"SELECT i, i / 2 AS half, 'v' || (i % 10) AS s, [i, i + 1] AS l FROM range(1000000) t(i)", Options{BatchSize: batch, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var peak, firstHalf, rows int64
	for {
		b, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.NumRows() != batch && rows+b.NumRows() != 1000000 {
			t.Fatalf("batch of %d rows at row %d", b.NumRows(), rows)
		}
		rows += b.NumRows()
		peak = max(peak, int64(mem.CurrentAlloc()))
		if rows <= 500000 {
			firstHalf = peak
		}
		b.Release()
	}
	if rows != 1000000 {
		t.Fatalf("%d rows", rows)
	}
	t.Logf("peak %d KiB while holding an 8Ki-row batch (first half %d KiB); the result is ~%d MiB", peak>>10, firstHalf>>10, (rows*(8+8+6+16+8+4))>>20)
	if peak > 2<<20 || peak > firstHalf+firstHalf/4 {
		t.Errorf("memory peaked at %d bytes (first half %d)", peak, firstHalf)
	}
}
