package duckdbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dense-ml/dense/arrowio"
	"github.com/dense-ml/dense/nn"
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

const typesQuery = `
SELECT i::INTEGER AS i32,
       (i * 1000000000)::BIGINT AS i64,
       (i % 100)::TINYINT AS i8,
       (i % 200)::UTINYINT AS u8,
       i::UBIGINT AS u64,
       (i / 4)::FLOAT AS f32,
       CASE WHEN i % 5 = 4 THEN NULL ELSE i / 3 END::DOUBLE AS f64,
       (i % 2 = 0) AS b,
       'name-' || (i % 3) AS s,
       (i * 1.25)::DECIMAL(12,2) AS dec,
       i::HUGEINT AS huge,
       DATE '2024-01-01' + (i % 30)::INTEGER AS day,
       TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) SECOND AS ts,
       [i, i + 1, i + 2]::FLOAT[3] AS emb,
       CASE WHEN i % 7 = 6 THEN NULL ELSE [i::DOUBLE, 0.5] END AS lst
FROM range(5000) t(i)`

// checkTypesBatch checks row r (global index i) of a typesQuery batch.
func checkTypesRow(t *testing.T, b arrow.RecordBatch, r int, i int64) {
	t.Helper()
	col := func(name string) arrow.Array { return b.Column(b.Schema().FieldIndices(name)[0]) }
	fail := func(name string, got any) { t.Fatalf("row %d column %s: got %v", i, name, got) }
	if v := col("i32").(*array.Int32).Value(r); int64(v) != i {
		fail("i32", v)
	}
	if v := col("i64").(*array.Int64).Value(r); v != i*1e9 {
		fail("i64", v)
	}
	if v := col("i8").(*array.Int8).Value(r); int64(v) != i%100 {
		fail("i8", v)
	}
	if v := col("u8").(*array.Uint8).Value(r); int64(v) != i%200 {
		fail("u8", v)
	}
	if v := col("u64").(*array.Uint64).Value(r); int64(v) != i {
		fail("u64", v)
	}
	if v := col("f32").(*array.Float32).Value(r); v != float32(float64(i)/4) {
		fail("f32", v)
	}
	f64 := col("f64").(*array.Float64)
	if (i%5 == 4) != f64.IsNull(r) || (f64.IsValid(r) && f64.Value(r) != float64(i)/3) {
		fail("f64", f64.Value(r))
	}
	if v := col("b").(*array.Boolean).Value(r); v != (i%2 == 0) {
		fail("b", v)
	}
	get, err := arrowio.CategoryGetter(col("s"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := get(r); v != fmt.Sprintf("name-%d", i%3) {
		fail("s", v)
	}
	num, _ := arrowio.NumberGetter(col("dec"))
	if v, _ := num(r); v != float64(i)*1.25 {
		fail("dec", v)
	}
	num, _ = arrowio.NumberGetter(col("huge"))
	if v, _ := num(r); v != float64(i) {
		fail("huge", v)
	}
	if v := col("day").(*array.Date32).Value(r).ToTime(); !v.Equal(time.Date(2024, 1, 1+int(i%30), 0, 0, 0, 0, time.UTC)) {
		fail("day", v)
	}
	ts := col("ts").(*array.Timestamp)
	if v := ts.Value(r).ToTime(ts.DataType().(*arrow.TimestampType).Unit); !v.Equal(time.Date(2024, 1, 1, 0, 0, int(i), 0, time.UTC)) {
		fail("ts", v)
	}
	emb := col("emb").(*array.FixedSizeList)
	s, e := emb.ValueOffsets(r)
	ev := emb.ListValues().(*array.Float32).Float32Values()[s:e]
	if len(ev) != 3 || ev[0] != float32(i) || ev[2] != float32(i+2) {
		fail("emb", ev)
	}
	lst := col("lst").(*array.List)
	if (i%7 == 6) != lst.IsNull(r) {
		fail("lst", lst.IsNull(r))
	}
}

func TestQueryDuckDBTypesAndBatches(t *testing.T) {
	db := openDB(t)
	mem := checkedAlloc(t)
	r, err := arrowio.QueryDuckDBOptions(context.Background(), db, typesQuery, arrowio.Options{BatchSize: 1500, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := map[string]arrow.Type{"i32": arrow.INT32, "i64": arrow.INT64, "i8": arrow.INT8, "u8": arrow.UINT8,
		"u64": arrow.UINT64, "f32": arrow.FLOAT32, "f64": arrow.FLOAT64, "b": arrow.BOOL, "dec": arrow.DECIMAL128,
		"huge": arrow.DECIMAL128, "day": arrow.DATE32, "ts": arrow.TIMESTAMP, "emb": arrow.FIXED_SIZE_LIST, "lst": arrow.LIST}
	for name, id := range want {
		idx := r.Schema().FieldIndices(name)
		if len(idx) != 1 || r.Schema().Field(idx[0]).Type.ID() != id {
			t.Errorf("column %s: schema %s", name, r.Schema())
		}
	}
	if !isText(r.Schema().Field(8).Type) {
		t.Errorf("s is %s", r.Schema().Field(8).Type)
	}
	var sizes []int64
	var i int64
	for {
		b, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for row := 0; row < int(b.NumRows()); row++ {
			checkTypesRow(t, b, row, i)
			i++
		}
		sizes = append(sizes, b.NumRows())
		b.Release()
	}
	if fmt.Sprint(sizes) != "[1500 1500 1500 500]" {
		t.Errorf("batch sizes %v, want 1500s (arrow path: %v)", sizes, arrowio.DuckDBArrow)
	}
	if _, err := r.Read(); err != io.EOF {
		t.Errorf("read after the end: %v", err)
	}
}

func isText(t arrow.DataType) bool {
	return t.ID() == arrow.STRING || t.ID() == arrow.LARGE_STRING || t.ID() == arrow.STRING_VIEW
}

// TestRowsReader exercises the database/sql path in both builds.
func TestRowsReader(t *testing.T) {
	db := openDB(t)
	mem := checkedAlloc(t)
	rows, err := db.Query(typesQuery + " LIMIT 300")
	if err != nil {
		t.Fatal(err)
	}
	r, err := arrowio.NewRowsReader(rows, 128, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	bs, err := arrowio.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var i int64
	for _, b := range bs {
		for row := 0; row < int(b.NumRows()); row++ {
			checkTypesRow(t, b, row, i)
			i++
		}
		b.Release()
	}
	if len(bs) != 3 || i != 300 {
		t.Errorf("%d batches, %d rows", len(bs), i)
	}
	// A STRUCT has no mapping on this path.
	rows, err = db.Query("SELECT {'a': 1} AS st")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := arrowio.NewRowsReader(rows, 10, mem); !errors.Is(err, arrowio.ErrColumnType) || !strings.Contains(err.Error(), `"st"`) || !strings.Contains(err.Error(), "STRUCT") {
		t.Errorf("struct: %v", err)
	}
}

func TestQueryDuckDBErrors(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	if _, err := arrowio.QueryDuckDB(ctx, db, "SELECT nope FROM nowhere", 10); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("bad SQL: %v", err)
	}
	if _, err := arrowio.QueryDuckDBOptions(ctx, db, "SELECT 1", arrowio.Options{Columns: []string{"a"}}); err == nil {
		t.Error("Columns accepted for a query")
	}
	// An empty result: a schema and io.EOF.
	r, err := arrowio.QueryDuckDB(ctx, db, "SELECT 1::INTEGER AS a WHERE false", 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.Schema().NumFields() != 1 || r.Schema().Field(0).Name != "a" {
		t.Errorf("schema %s", r.Schema())
	}
	if b, err := r.Read(); err != io.EOF {
		t.Errorf("empty result: %v %v", b, err)
	}
	r.Close()
	// A cancelled context stops the stream.
	cctx, cancel := context.WithCancel(ctx)
	r, err = arrowio.QueryDuckDB(cctx, db, "SELECT i FROM range(100000) t(i)", 1000)
	if err == nil {
		b, err := r.Read()
		if err == nil {
			b.Release()
		}
		cancel()
		for err == nil {
			b, err = r.Read()
			if err == nil {
				b.Release()
			}
		}
		if err == io.EOF {
			t.Error("cancelled query read to the end")
		}
		r.Close()
	}
	cancel()
}

func TestOpenDuckDBQueryFile(t *testing.T) {
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
	r, err := arrowio.OpenDuckDBQuery(context.Background(), path, "SELECT sum(y) AS s FROM t", arrowio.Options{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := arrowio.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	get, _ := arrowio.NumberGetter(bs[0].Column(0))
	if v, _ := get(0); v != 90 {
		t.Errorf("sum %v", v)
	}
	bs[0].Release()
	if err := r.Close(); err != nil {
		t.Error(err)
	}
	if _, err := arrowio.OpenDuckDBQuery(context.Background(), filepath.Join(t.TempDir(), "missing.duckdb"), "SELECT 1", arrowio.Options{}); err == nil {
		t.Error("a missing database file opened")
	}
}

func readTable(t *testing.T, db *sql.DB, query string) [][]any {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	return out
}

func TestDuckDBWriterModes(t *testing.T) {
	db := openDB(t)
	mem := checkedAlloc(t)
	ctx := context.Background()
	// Source batches: from a query, round-tripped through a Parquet file.
	r, err := arrowio.QueryDuckDBOptions(ctx, db, typesQuery, arrowio.Options{BatchSize: 2000, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "src.parquet")
	w, err := arrowio.Create(path, r.Schema(), arrowio.WriterOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := arrowio.Copy(w, r); err != nil || n != 5000 {
		t.Fatalf("copy %d %v", n, err)
	}
	r.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	load := func(table string, mode arrowio.TableMode) error {
		src, err := arrowio.Open(path, arrowio.Options{Allocator: mem, BatchSize: 1024})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		dw, err := arrowio.NewDuckDBWriter(ctx, db, table, mode)
		if err != nil {
			return err
		}
		if _, err := arrowio.Copy(dw, src); err != nil {
			dw.Close()
			return err
		}
		return dw.Close()
	}
	if err := load("copy", arrowio.TableCreate); err != nil {
		t.Fatal(err)
	}
	// Every value made it: the table equals the query it came from.
	diff := readTable(t, db, `SELECT count(*) FROM (
		(SELECT i32, i64, i8, u8, u64, f32, f64, b, s, dec, huge, day, ts, emb::FLOAT[], lst FROM copy
		 EXCEPT SELECT i32, i64, i8, u8, u64, f32, f64, b, s, dec, huge, day, ts, emb::FLOAT[], lst FROM (`+typesQuery+`))
		UNION ALL
		(SELECT i32, i64, i8, u8, u64, f32, f64, b, s, dec, huge, day, ts, emb::FLOAT[], lst FROM (`+typesQuery+`)
		 EXCEPT SELECT i32, i64, i8, u8, u64, f32, f64, b, s, dec, huge, day, ts, emb::FLOAT[], lst FROM copy))`)
	if diff[0][0].(int64) != 0 {
		t.Errorf("%v rows differ between the table and its source", diff[0][0])
	}
	if n := readTable(t, db, "SELECT count(*), count(f64), count(lst) FROM copy")[0]; fmt.Sprint(n) != "[5000 4000 4286]" {
		t.Errorf("counts %v", n)
	}
	types := readTable(t, db, "SELECT typeof(emb), typeof(lst), typeof(dec), typeof(s) FROM copy LIMIT 1")[0]
	if fmt.Sprint(types) != "[FLOAT[3] DOUBLE[] DECIMAL(12,2) VARCHAR]" {
		t.Errorf("column types %v", types)
	}
	if err := load("copy", arrowio.TableCreate); err == nil || !strings.Contains(err.Error(), "copy") {
		t.Errorf("create over an existing table: %v", err)
	}
	if err := load("copy", arrowio.TableAppend); err != nil {
		t.Fatal(err)
	}
	if n := readTable(t, db, "SELECT count(*) FROM copy")[0][0]; n.(int64) != 10000 {
		t.Errorf("after append: %v rows", n)
	}
	if err := load("copy", arrowio.TableReplace); err != nil {
		t.Fatal(err)
	}
	if n := readTable(t, db, "SELECT count(*) FROM copy")[0][0]; n.(int64) != 5000 {
		t.Errorf("after replace: %v rows", n)
	}
	if err := load("main.fresh", arrowio.TableAppend); err != nil {
		t.Fatal(err)
	}
	if n := readTable(t, db, "SELECT count(*) FROM fresh")[0][0]; n.(int64) != 5000 {
		t.Errorf("append to a new table: %v rows", n)
	}
	// Appending matches columns by name; a batch that does not fit the
	// table rolls the whole stream back.
	if _, err := db.Exec(`CREATE TABLE narrow (i32 INTEGER, s VARCHAR)`); err != nil {
		t.Fatal(err)
	}
	if err := load("narrow", arrowio.TableAppend); err == nil {
		t.Error("append of extra columns succeeded")
	}
	if n := readTable(t, db, "SELECT count(*) FROM narrow")[0][0]; n.(int64) != 0 {
		t.Errorf("failed append left %v rows", n)
	}
	if _, err := arrowio.NewDuckDBWriter(ctx, db, "", arrowio.TableCreate); err == nil {
		t.Error("empty table name accepted")
	}
	if m, err := arrowio.ParseTableMode("Replace"); err != nil || m != arrowio.TableReplace {
		t.Errorf("ParseTableMode: %v %v", m, err)
	}
	if _, err := arrowio.ParseTableMode("upsert"); err == nil {
		t.Error("upsert accepted")
	}
	// A quoted name with odd characters.
	if err := load(`we"ird table`, arrowio.TableCreate); err != nil {
		t.Fatal(err)
	}
	if n := readTable(t, db, `SELECT count(*) FROM "we""ird table"`)[0][0]; n.(int64) != 5000 {
		t.Errorf("odd name: %v", n)
	}
}

// TestDuckDBToFeatures runs the scoring path: query → batches → features.
func TestDuckDBToFeatures(t *testing.T) {
	db := openDB(t)
	mem := checkedAlloc(t)
	r, err := arrowio.QueryDuckDBOptions(context.Background(), db, typesQuery, arrowio.Options{BatchSize: 4096, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	inputs := []nn.Input{
		nn.NumericInput("f32"),
		{Name: "f64", Kind: nn.KindNumeric, Impute: &nn.Impute{Strategy: nn.ImputeMean, Value: -1}},
		nn.NumericInput("dec"),
		{Name: "s", Kind: nn.KindCategorical, Vocabulary: []string{"name-0", "name-1", "name-2"}},
		nn.VectorInput("emb", 3),
	}
	f, err := arrowio.NewFeaturizer(inputs, r.Schema())
	if err != nil {
		t.Fatal(err)
	}
	var x []float32
	var i int
	for {
		b, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		x, err = f.Encode(b, x)
		if err != nil {
			t.Fatal(err)
		}
		for row := 0; row < int(b.NumRows()); row, i = row+1, i+1 {
			got := x[row*9 : row*9+9]
			f64 := float32(float64(i) / 3)
			if i%5 == 4 {
				f64 = -1
			}
			want := []float32{float32(i) / 4, f64, float32(float64(i) * 1.25), 0, 0, 0, float32(i), float32(i + 1), float32(i + 2)}
			want[3+i%3] = 1
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("row %d: %v, want %v", i, got, want)
			}
		}
		b.Release()
	}
	if i != 5000 {
		t.Errorf("%d rows", i)
	}
}

// TestBothPathsAgree checks the build uses the path its tag asks for, and
// that the Arrow and database/sql paths type the columns alike.
func TestBothPathsAgree(t *testing.T) {
	if arrowio.DuckDBArrow != wantArrowPath {
		t.Fatalf("DuckDBArrow = %v in a build with duckdb_arrow = %v", arrowio.DuckDBArrow, wantArrowPath)
	}
	db := openDB(t)
	ctx := context.Background()
	q, err := arrowio.QueryDuckDB(ctx, db, typesQuery, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	rows, err := db.Query(typesQuery)
	if err != nil {
		t.Fatal(err)
	}
	r, err := arrowio.NewRowsReader(rows, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i, f := range q.Schema().Fields() {
		g := r.Schema().Field(i)
		if f.Name != g.Name || !arrow.TypeEqual(f.Type, g.Type) {
			t.Errorf("column %d: query path %s %s, rows path %s %s", i, f.Name, f.Type, g.Name, g.Type)
		}
	}
	// STRUCT columns need the Arrow path.
	s, err := arrowio.QueryDuckDB(ctx, db, "SELECT {'a': 1} AS st", 10)
	if arrowio.DuckDBArrow {
		if err != nil {
			t.Errorf("struct on the Arrow path: %v", err)
		} else {
			if s.Schema().Field(0).Type.ID() != arrow.STRUCT {
				t.Errorf("struct type %s", s.Schema().Field(0).Type)
			}
			s.Close()
		}
	} else if !errors.Is(err, arrowio.ErrColumnType) {
		t.Errorf("struct on the rows path: %v", err)
	}
}

// BenchmarkDuckDBToFeatures runs a 1M-row × 20-DOUBLE-column query and
// converts the result into feature batches: DuckDB → Arrow → features.
func BenchmarkDuckDBToFeatures(b *testing.B) {
	db := openDB(b)
	var cols []string
	inputs := make([]nn.Input, 20)
	for j := range inputs {
		name := fmt.Sprintf("x%d", j)
		cols = append(cols, fmt.Sprintf("((i * %d) %% 1000) / 7.0 AS %s", j+1, name))
		inputs[j] = nn.NumericInput(name)
	}
	query := "SELECT " + strings.Join(cols, ", ") + " FROM range(1000000) t(i)"
	var x []float32
	var rows int64
	for b.Loop() {
		r, err := arrowio.QueryDuckDB(context.Background(), db, query, 64*1024)
		if err != nil {
			b.Fatal(err)
		}
		f, err := arrowio.NewFeaturizer(inputs, r.Schema())
		if err != nil {
			b.Fatal(err)
		}
		for {
			batch, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if x, err = f.Encode(batch, x); err != nil {
				b.Fatal(err)
			}
			rows += batch.NumRows()
			batch.Release()
		}
		r.Close()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// TestQueryStreamsFlat reads 1M rows in 8k-row batches: the live Arrow
// memory while holding a batch stays at a batch's worth.
func TestQueryStreamsFlat(t *testing.T) {
	db := openDB(t)
	mem := checkedAlloc(t)
	const batch = 8192
	r, err := arrowio.QueryDuckDBOptions(context.Background(), db,
		"SELECT i, i / 2.0 AS half, 'v' || (i % 10) AS s FROM range(1000000) t(i)", arrowio.Options{BatchSize: batch, Allocator: mem})
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
	t.Logf("peak %d KB while holding an 8k-row batch (first half %d KB); the result is ~%d MB", peak>>10, firstHalf>>10, (rows*(8+8+2+4))>>20)
	if peak > 1<<20 || peak > firstHalf+firstHalf/4 {
		t.Errorf("memory peaked at %d bytes (first half %d)", peak, firstHalf)
	}
}

// TestReadParquetWrittenByDuckDB reads a Parquet file DuckDB wrote (a
// foreign writer: no stored Arrow schema) and featurizes it.
func TestReadParquetWrittenByDuckDB(t *testing.T) {
	db := openDB(t)
	mem := checkedAlloc(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "duck.parquet")
	if _, err := db.Exec(`COPY (SELECT * FROM (` + typesQuery + `) WHERE i32 < 1000) TO '` + path + `' (FORMAT parquet, ROW_GROUP_SIZE 300)`); err != nil {
		t.Fatal(err)
	}
	r, err := arrowio.Open(path, arrowio.Options{Allocator: mem, BatchSize: 256, Columns: []string{"f32", "dec", "s", "emb", "lst"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := arrowio.NewFeaturizer([]nn.Input{
		nn.NumericInput("f32"), nn.NumericInput("dec"),
		{Name: "s", Kind: nn.KindCategorical, Vocabulary: []string{"name-0", "name-1", "name-2"}},
		nn.VectorInput("emb", 3),
	}, r.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if r.Schema().Field(3).Type.ID() != arrow.LIST {
		t.Errorf("DuckDB's FLOAT[3] in Parquet reads as %s, want a list", r.Schema().Field(3).Type)
	}
	var x []float32
	i := 0
	for {
		b, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if x, err = f.Encode(b, x); err != nil {
			t.Fatal(err)
		}
		for row := 0; row < int(b.NumRows()); row, i = row+1, i+1 {
			want := []float32{float32(i) / 4, float32(float64(i) * 1.25), 0, 0, 0, float32(i), float32(i + 1), float32(i + 2)}
			want[2+i%3] = 1
			if got := x[row*8 : row*8+8]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("row %d: %v, want %v", i, got, want)
			}
		}
		b.Release()
	}
	if i != 1000 {
		t.Errorf("%d rows", i)
	}
}

// TestDuckDBWriterEmptyStream: with SetSchema, an empty stream still
// creates (or replaces with) an empty table; without it, nothing happens.
func TestDuckDBWriterEmptyStream(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "proba", Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
	if _, err := db.Exec("CREATE TABLE old AS SELECT 1 AS x"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		table string
		mode  arrowio.TableMode
	}{{"fresh", arrowio.TableCreate}, {"old", arrowio.TableReplace}} {
		w, err := arrowio.NewDuckDBWriter(ctx, db, c.table, c.mode)
		if err != nil {
			t.Fatal(err)
		}
		w.SetSchema(schema)
		if err := w.Close(); err != nil {
			t.Fatalf("%s: %v", c.table, err)
		}
		cols := readTable(t, db, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '"+c.table+"' ORDER BY ordinal_position")
		if fmt.Sprint(cols) != "[[id BIGINT] [score DOUBLE] [label VARCHAR] [proba FLOAT[2]]]" {
			t.Errorf("%s: columns %v", c.table, cols)
		}
		if n := readTable(t, db, "SELECT count(*) FROM "+c.table)[0][0]; n.(int64) != 0 {
			t.Errorf("%s: %v rows", c.table, n)
		}
	}
	w, err := arrowio.NewDuckDBWriter(ctx, db, "never", arrowio.TableCreate)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := readTable(t, db, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'never'")[0][0]; n.(int64) != 0 {
		t.Error("a table without a schema was created")
	}
}
