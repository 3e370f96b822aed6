package duckio

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func queryRows(t *testing.T, db *sql.DB, query string) [][]any {
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
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// copyQuery writes the result of query into table through a TableWriter.
func copyQuery(t *testing.T, db *sql.DB, mem memory.Allocator, query, table string, mode TableMode, batch int) error {
	t.Helper()
	ctx := context.Background()
	r, err := Query(ctx, db, query, Options{BatchSize: batch, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w, err := NewTableWriter(ctx, db, table, mode)
	if err != nil {
		return err
	}
	bs := readAll(t, r)
	defer releaseAll(bs)
	for _, b := range bs {
		if err := w.Write(b); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// TestTableRoundTrip: every type, NULLs included, goes DuckDB → Arrow →
// DuckDB unchanged (the ENUM comes back as VARCHAR, HUGEINT as
// DECIMAL(38,0)).
func TestTableRoundTrip(t *testing.T) {
	db := openDB(t)
	mem := checkedAlloc(t)
	// Batches of 1000 rows: chunks of 2048 straddle them.
	if err := copyQuery(t, db, mem, typesQuery, "copy", TableCreate, 1000); err != nil {
		t.Fatal(err)
	}
	cols := "i, i32, i64, i8, i16, u8, u16, u32, u64, huge::HUGEINT, uhuge::UHUGEINT, f32, f64, dec16, dec32, dec64, dec128, b, s, e::VARCHAR, day, ts, tstz, emb, lst, ilst, bl, tm, ts_s, ts_ms, ts_ns"
	diff := queryRows(t, db, `SELECT count(*) FROM (
		(SELECT `+cols+` FROM copy EXCEPT SELECT `+cols+` FROM (`+typesQuery+`))
		UNION ALL
		(SELECT `+cols+` FROM (`+typesQuery+`) EXCEPT SELECT `+cols+` FROM copy))`)
	if diff[0][0].(int64) != 0 {
		t.Errorf("%v rows differ between the table and its source", diff[0][0])
	}
	if n := queryRows(t, db, "SELECT count(*), count(f64), count(lst), count(ilst[2]) FROM copy")[0]; fmt.Sprint(n) != "[5000 4546 4546 0]" {
		t.Errorf("counts %v", n)
	}
	types := queryRows(t, db, "SELECT typeof(emb), typeof(lst), typeof(dec16), typeof(dec128), typeof(s), typeof(e), typeof(tstz), typeof(huge), typeof(bl), typeof(tm), typeof(ts_s), typeof(ts_ns) FROM copy LIMIT 1")[0]
	if fmt.Sprint(types) != "[FLOAT[3] DOUBLE[] DECIMAL(4,2) DECIMAL(38,10) VARCHAR VARCHAR TIMESTAMP WITH TIME ZONE DECIMAL(38,0) BLOB TIME TIMESTAMP_S TIMESTAMP_NS]" {
		t.Errorf("column types %v", types)
	}
}

func TestTableModes(t *testing.T) {
	db := openDB(t)
	mem := checkedAlloc(t)
	const q = "SELECT i, i * 0.5 AS half, 'v' || i AS s FROM range(3000) t(i)"
	count := func(table string) int64 {
		return queryRows(t, db, "SELECT count(*) FROM "+table)[0][0].(int64)
	}
	if err := copyQuery(t, db, mem, q, "t", TableCreate, 0); err != nil {
		t.Fatal(err)
	}
	if err := copyQuery(t, db, mem, q, "t", TableCreate, 0); err == nil || !strings.Contains(err.Error(), "t") {
		t.Errorf("create over an existing table: %v", err)
	}
	if err := copyQuery(t, db, mem, q, "t", TableAppend, 0); err != nil {
		t.Fatal(err)
	}
	if n := count("t"); n != 6000 {
		t.Errorf("after append: %d rows", n)
	}
	if err := copyQuery(t, db, mem, q, "t", TableReplace, 0); err != nil {
		t.Fatal(err)
	}
	if n := count("t"); n != 3000 {
		t.Errorf("after replace: %d rows", n)
	}
	if err := copyQuery(t, db, mem, q, "main.fresh", TableAppend, 0); err != nil {
		t.Fatal(err)
	}
	if n := count("fresh"); n != 3000 {
		t.Errorf("append to a new table: %d rows", n)
	}
	// An unqualified name is the current schema's table, even when another
	// schema has one of that name.
	if _, err := db.Exec(`CREATE SCHEMA other; CREATE TABLE other.only_there (i BIGINT)`); err != nil {
		t.Fatal(err)
	}
	if err := copyQuery(t, db, mem, q, "only_there", TableAppend, 0); err != nil {
		t.Fatal(err)
	}
	if n, m := count("main.only_there"), count("other.only_there"); n != 3000 || m != 0 {
		t.Errorf("append to an unqualified name: main %d rows, other %d", n, m)
	}
	// Append matches columns by name: another order and an extra column
	// with a default work.
	if _, err := db.Exec(`CREATE TABLE wide (s VARCHAR, extra INTEGER DEFAULT 7, half DOUBLE, i BIGINT)`); err != nil {
		t.Fatal(err)
	}
	if err := copyQuery(t, db, mem, q, "wide", TableAppend, 0); err != nil {
		t.Fatal(err)
	}
	if got := queryRows(t, db, "SELECT sum(i), sum(half)::BIGINT, min(s), min(extra) FROM wide")[0]; fmt.Sprint(got) != "[4498500 2249250 v0 7]" {
		t.Errorf("append by name: %v", got)
	}
	// A batch that does not fit the table rolls the whole stream back.
	if _, err := db.Exec(`CREATE TABLE narrow (i INTEGER, s VARCHAR)`); err != nil {
		t.Fatal(err)
	}
	if err := copyQuery(t, db, mem, q, "narrow", TableAppend, 1000); err == nil || !strings.Contains(err.Error(), "half") {
		t.Errorf("append of an extra column: %v", err)
	}
	if n := count("narrow"); n != 0 {
		t.Errorf("failed append left %d rows", n)
	}
	if err := copyQuery(t, db, mem, q, `we"ird table`, TableCreate, 0); err != nil {
		t.Fatal(err)
	}
	if n := count(`"we""ird table"`); n != 3000 {
		t.Errorf("odd name: %d", n)
	}
	if _, err := NewTableWriter(context.Background(), db, "", TableCreate); err == nil {
		t.Error("empty table name accepted")
	}
	if m, err := ParseTableMode("Replace"); err != nil || m != TableReplace {
		t.Errorf("ParseTableMode: %v %v", m, err)
	}
	if _, err := ParseTableMode("upsert"); err == nil {
		t.Error("upsert accepted")
	}
}

// TestTableSlicedAndDictionary writes sliced batches and the Arrow types a
// Parquet or IPC source gives that DuckDB results never do.
func TestTableSlicedAndDictionary(t *testing.T) {
	db := openDB(t)
	mem := checkedAlloc(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "plan", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, Nullable: true},
		{Name: "note", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "proba", Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range 5000 {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%9 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.BinaryDictionaryBuilder).AppendString([]string{"basic", "pro"}[i%2])
		}
		b.Field(2).(*array.LargeStringBuilder).Append(strings.Repeat("x", i%20))
		pb := b.Field(3).(*array.FixedSizeListBuilder)
		if i%7 == 0 {
			pb.AppendNull() // appends two NULL values too
		} else {
			pb.Append(true)
			pb.ValueBuilder().(*array.Float32Builder).AppendValues([]float32{float32(i), -float32(i)}, nil)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	w, err := NewTableWriter(context.Background(), db, "out", TableCreate)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]int64{{0, 1}, {1, 2500}, {2500, 5000}} {
		s := rec.NewSlice(r[0], r[1])
		if err := w.Write(s); err != nil {
			t.Fatal(err)
		}
		s.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := queryRows(t, db, `SELECT count(*), sum(id), count(plan), count(*) FILTER (plan = 'pro'), sum(length(note)), count(proba), sum(proba[2])::BIGINT FROM out`)[0]
	// ids 0..4999; plan NULL when i%9 == 0 (556 rows), 'pro' for odd i not a multiple of 9;
	// proba NULL when i%7 == 0 (715 rows).
	var pro, notes, probaSum int
	for i := range 5000 {
		if i%9 != 0 && i%2 == 1 {
			pro++
		}
		notes += i % 20
		if i%7 != 0 {
			probaSum -= i
		}
	}
	want := fmt.Sprint([]any{5000, 12497500, 5000 - 556, pro, notes, 5000 - 715, probaSum})
	if fmt.Sprint(got) != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestTableEmptyStream: with SetSchema, an empty stream still creates (or
// replaces with) an empty table; without it, nothing happens.
func TestTableEmptyStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.duckdb")
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "proba", Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
	for _, c := range []struct {
		table string
		mode  TableMode
	}{{"fresh", TableCreate}, {"fresh", TableReplace}, {"never", TableCreate}} {
		w, err := OpenTableWriter(ctx, path, c.table, c.mode)
		if err != nil {
			t.Fatal(err)
		}
		if c.table != "never" {
			w.SetSchema(schema)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: %v", c.table, err)
		}
	}
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cols := queryRows(t, db, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'fresh' ORDER BY ordinal_position")
	if fmt.Sprint(cols) != "[[id BIGINT] [score DOUBLE] [label VARCHAR] [proba FLOAT[2]]]" {
		t.Errorf("columns %v", cols)
	}
	if n := queryRows(t, db, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'never'")[0][0]; n.(int64) != 0 {
		t.Error("a table without a schema was created")
	}
}
