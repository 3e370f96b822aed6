package duckio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dense-ml/dense/arrowio"
)

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// schemaString is "name type, …" for a schema.
func schemaString(s *arrow.Schema) string {
	var parts []string
	for _, f := range s.Fields() {
		parts = append(parts, f.Name+" "+f.Type.String())
	}
	return strings.Join(parts, ", ")
}

func readFile(t *testing.T, path string, opts Options) (*arrow.Schema, []arrow.RecordBatch) {
	t.Helper()
	r, err := Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	bs, err := arrowio.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return r.Schema(), bs
}

// sqlTypes is what DuckDB's SQL sees for FROM expr: "name TYPE, …".
func sqlTypes(t *testing.T, expr string) string {
	t.Helper()
	rows := queryRows(t, openDB(t), "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+expr+")")
	var parts []string
	for _, r := range rows {
		parts = append(parts, fmt.Sprint(r[0], " ", r[1]))
	}
	return strings.Join(parts, ", ")
}

// TestCSVInference pins what DuckDB's sniffer infers, and that Open (the
// CLI's and the pipeline's reader) and SQL's FROM 'file.csv' agree.
func TestCSVInference(t *testing.T) {
	mem := checkedAlloc(t)
	path := filepath.Join(t.TempDir(), "orders.csv")
	writeFile(t, path, "zip,account_created,Max.Axis,max.axis,n,x,ok,note\n"+
		"01067,2024-01-05,1.5,2,3,0.5,true,a\n"+
		"10115,2024-02-05,2.5,3,4,,false,\n"+
		"00501,2023-12-31,3.5,4,5,1e3,TRUE,c\n")
	schema, bs := readFile(t, path, Options{Allocator: mem})
	defer releaseAll(bs)
	want := "zip utf8, account_created date32, Max.Axis float64, max.axis_1 int64, n int64, x float64, ok bool, note utf8"
	if got := schemaString(schema); got != want {
		t.Errorf("Open: %s\nwant %s", got, want)
	}
	wantSQL := "zip VARCHAR, account_created DATE, Max.Axis DOUBLE, max.axis_1 BIGINT, n BIGINT, x DOUBLE, ok BOOLEAN, note VARCHAR"
	for _, expr := range []string{"'" + path + "'", "read_csv('" + path + "')"} {
		if got := sqlTypes(t, expr); got != wantSQL {
			t.Errorf("SQL FROM %s: %s\nwant %s", expr, got, wantSQL)
		}
	}
	if fs, _ := FileSQL(path); fs != "read_csv('"+path+"')" {
		t.Errorf("FileSQL %s", fs)
	}
	zip := bs[0].Column(0).(*array.String)
	if zip.Value(0) != "01067" || zip.Value(2) != "00501" {
		t.Errorf("zip codes %v", zip)
	}
	if !bs[0].Column(5).IsNull(1) || !bs[0].Column(7).IsNull(1) {
		t.Error("empty fields are not NULL")
	}
}

func TestOpenColumnsAndFormats(t *testing.T) {
	mem := checkedAlloc(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.tsv"), "a\tb\n1\tx\n2\ty\n")
	writeFile(t, filepath.Join(dir, "a.jsonl"), `{"a": 1, "b": "x", "v": [1.5, 2]}`+"\n"+`{"a": 2, "b": null, "v": []}`+"\n")
	for _, c := range []struct {
		file, want string
		cols       []string
	}{
		{"a.tsv", "b utf8, a int64", []string{"b", "a"}},
		{"a.jsonl", "a int64, b utf8, v list<item: float64, nullable>", nil},
	} {
		schema, bs := readFile(t, filepath.Join(dir, c.file), Options{Allocator: mem, Columns: c.cols})
		if got := schemaString(schema); got != c.want {
			t.Errorf("%s: %s, want %s", c.file, got, c.want)
		}
		if len(bs) != 1 || bs[0].NumRows() != 2 {
			t.Errorf("%s: %d batches", c.file, len(bs))
		}
		releaseAll(bs)
	}
	// Arrow IPC goes through arrowio.
	ipc := filepath.Join(dir, "a.arrow")
	schema := arrow.NewSchema([]arrow.Field{{Name: "q", Type: arrow.PrimitiveTypes.Float32}}, nil)
	w, err := arrowio.Create(ipc, schema, arrowio.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if s, bs := readFile(t, ipc, Options{Allocator: mem}); schemaString(s) != "q float32" || len(bs) != 0 {
		t.Errorf("IPC: %s, %d batches", s, len(bs))
	}
	// Errors name the problem.
	if _, err := Open(context.Background(), filepath.Join(dir, "a.xlsx"), Options{}); err == nil || !strings.Contains(err.Error(), ".xlsx") {
		t.Errorf("unknown extension: %v", err)
	}
	if _, err := Open(context.Background(), filepath.Join(dir, "missing.csv"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Open(context.Background(), filepath.Join(dir, "a.tsv"), Options{Columns: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing column: %v", err)
	}
	if _, err := Open(context.Background(), filepath.Join(dir, "*.parquet"), Options{}); err == nil || !strings.Contains(err.Error(), "parquet") {
		t.Errorf("glob matching nothing: %v", err)
	}
}

// TestParquetGlobAndHive reads a hive-partitioned folder, a glob of it and
// a single file, keeping the partition columns, as SQL does.
func TestParquetGlobAndHive(t *testing.T) {
	mem := checkedAlloc(t)
	dir := t.TempDir()
	db := openDB(t)
	root := filepath.Join(dir, "sales")
	for _, p := range []struct {
		year   int
		region string
	}{{2023, "eu"}, {2024, "eu"}, {2024, "us"}} {
		f := filepath.Join(root, fmt.Sprintf("year=%d", p.year), "region="+p.region, "part-0.parquet")
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(fmt.Sprintf("COPY (SELECT i AS id, i * 1.5 AS amount FROM range(%d) t(i)) TO '%s'", 1000*(p.year-2022), f)); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{root, filepath.Join(root, "**", "*.parquet"), filepath.Join(root, "*", "*", "*.parquet")} {
		schema, bs := readFile(t, path, Options{Allocator: mem, BatchSize: 700})
		if got := schemaString(schema); got != "id int64, amount decimal(21, 1), region utf8, year int64" {
			t.Errorf("%s: %s", path, got)
		}
		rows := map[string]int64{}
		for _, b := range bs {
			year, region := b.Column(3).(*array.Int64), b.Column(2).(*array.String)
			for i := range int(b.NumRows()) {
				rows[fmt.Sprint(year.Value(i), region.Value(i))]++
			}
		}
		releaseAll(bs)
		if fmt.Sprint(rows) != "map[2023eu:1000 2024eu:2000 2024us:2000]" {
			t.Errorf("%s: rows per partition %v", path, rows)
		}
		expr, err := FileSQL(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := sqlTypes(t, expr); got != "id BIGINT, amount DECIMAL(21,1), region VARCHAR, year BIGINT" {
			t.Errorf("SQL %s: %s", expr, got)
		}
	}
}

// TestOpenMatchesSQL: Open's schema is the schema of a query over FROM
// 'file' (DuckDB's own default reader for the file), for each format.
func TestOpenMatchesSQL(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.csv":   "zip,when,v,Name,name\n01067,2024-01-05 10:00:00,1.5,x,y\n",
		"a.jsonl": `{"zip": "01067", "n": 3, "xs": [1, 2]}` + "\n",
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		writeFile(t, path, text)
		r, err := Open(context.Background(), path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		q, err := Query(context.Background(), openDB(t), "SELECT * FROM '"+path+"'", Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Schema().Equal(q.Schema()) {
			t.Errorf("%s: Open %s, SQL %s", name, schemaString(r.Schema()), schemaString(q.Schema()))
		}
		r.Close()
		q.Close()
	}
}

// TestCSVWriterReadBack: what arrowio's CSV writer writes (a scored file,
// say), the one reader reads back with the same values.
func TestCSVWriterReadBack(t *testing.T) {
	mem := checkedAlloc(t)
	db := openDB(t)
	src, err := Query(context.Background(), db, `SELECT i AS id, i / 4 AS x, 'c' || (i % 3) AS cat,
		CASE WHEN i % 5 = 0 THEN NULL ELSE i % 2 = 0 END AS flag FROM range(3000) t(i)`, Options{Allocator: mem, BatchSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "out.csv")
	w, err := arrowio.Create(path, src.Schema(), arrowio.WriterOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := arrowio.Copy(w, src); err != nil {
		t.Fatal(err)
	}
	src.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	schema, bs := readFile(t, path, Options{Allocator: mem})
	defer releaseAll(bs)
	if got := schemaString(schema); got != "id int64, x float64, cat utf8, flag bool" {
		t.Errorf("schema %s", got)
	}
	i := 0
	for _, b := range bs {
		for r := range int(b.NumRows()) {
			id, x := b.Column(0).(*array.Int64).Value(r), b.Column(1).(*array.Float64).Value(r)
			flag := b.Column(3).(*array.Boolean)
			if id != int64(i) || x != float64(i)/4 || b.Column(2).(*array.String).Value(r) != fmt.Sprintf("c%d", i%3) ||
				flag.IsNull(r) != (i%5 == 0) || (flag.IsValid(r) && flag.Value(r) != (i%2 == 0)) {
				t.Fatalf("row %d: %d %v %v", i, id, x, flag.IsNull(r))
			}
			i++
		}
	}
	if i != 3000 {
		t.Errorf("%d rows", i)
	}
}
