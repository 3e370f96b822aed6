package arrowio

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dense-ml/dense/internal/arrowtest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Batches of every type and their comparison are internal/arrowtest's,
// shared with tabular's tests.
var (
	checkedAlloc  = arrowtest.CheckedMem
	allTypesBatch = arrowtest.AllTypesBatch
	releaseAll    = arrowtest.ReleaseAll
	sameRows      = arrowtest.SameRows
)

func writeFile(t testing.TB, path string, opts WriterOptions, batches ...arrow.RecordBatch) {
	t.Helper()
	w, err := Create(path, batches[0].Schema(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// readConcat reads the whole file and returns its batches' row count and
// the batches (the caller releases them).
func readAllFile(t testing.TB, path string, opts Options) (*arrow.Schema, []arrow.RecordBatch) {
	t.Helper()
	r, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	bs, err := ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return r.Schema(), bs
}

func TestRoundTripAllTypes(t *testing.T) {
	for _, ext := range []string{".parquet", ".arrow", ".arrows", ".feather"} {
		t.Run(ext, func(t *testing.T) {
			mem := checkedAlloc(t)
			want := allTypesBatch(mem, 100)
			defer want.Release()
			path := filepath.Join(t.TempDir(), "data"+ext)
			writeFile(t, path, WriterOptions{Allocator: mem}, want)
			_, got := readAllFile(t, path, Options{Allocator: mem, BatchSize: 30})
			defer releaseAll(got)
			if len(got) != 4 {
				t.Errorf("%d batches, want 4 of ≤30 rows", len(got))
			}
			sameRows(t, mem, want, got)
		})
	}
}

// TestFixedSizeListConversion round-trips fixed-size lists, sliced and with
// NULLs, through the list form Parquet stores, and refuses a list whose
// entries do not have the fixed size.
func TestFixedSizeListConversion(t *testing.T) {
	mem := checkedAlloc(t)
	b := allTypesBatch(mem, 40)
	defer b.Release()
	fsl := b.Column(16).(*array.FixedSizeList)
	typ := fsl.DataType().(*arrow.FixedSizeListType)
	for _, bounds := range [][2]int64{{0, 40}, {5, 33}, {6, 7}, {0, 0}, {7, 13}} {
		part := array.NewSlice(fsl, bounds[0], bounds[1]).(*array.FixedSizeList)
		l, err := fixedToList(part, arrow.ListOfField(typ.ElemField()), mem)
		if err != nil {
			t.Fatal(err)
		}
		back, err := listToFixed(l.(*array.List), typ, mem)
		if err != nil {
			t.Fatal(err)
		}
		if !array.Equal(part, back) {
			t.Errorf("rows %v: %v came back as %v (via %v)", bounds, part, back, l)
		}
		part.Release()
		l.Release()
		back.Release()
	}
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Float32)
	defer lb.Release()
	lb.Append(true)
	lb.ValueBuilder().(*array.Float32Builder).AppendValues([]float32{1, 2, 3}, nil)
	lb.Append(true)
	lb.ValueBuilder().(*array.Float32Builder).AppendValues([]float32{1, 2}, nil)
	l := lb.NewListArray()
	defer l.Release()
	if _, err := listToFixed(l, typ, mem); !errors.Is(err, ErrListLength) || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("short entry: %v", err)
	}
}

func TestParquetCompressionOptions(t *testing.T) {
	mem := checkedAlloc(t)
	want := allTypesBatch(mem, 50)
	defer want.Release()
	for _, c := range []string{"", "zstd", "snappy", "gzip", "lz4", "none"} {
		path := filepath.Join(t.TempDir(), "c.parquet")
		writeFile(t, path, WriterOptions{Allocator: mem, Compression: c}, want)
		_, got := readAllFile(t, path, Options{Allocator: mem})
		sameRows(t, mem, want, got)
		releaseAll(got)
	}
	if _, err := Create(filepath.Join(t.TempDir(), "x.parquet"), want.Schema(), WriterOptions{Compression: "brotli9"}); err == nil || !strings.Contains(err.Error(), "brotli9") {
		t.Errorf("unknown compression: err = %v", err)
	}
}

func TestParquetProjectionOrder(t *testing.T) {
	mem := checkedAlloc(t)
	want := allTypesBatch(mem, 40)
	defer want.Release()
	path := filepath.Join(t.TempDir(), "p.parquet")
	writeFile(t, path, WriterOptions{Allocator: mem}, want)
	cols := []string{"lst", "f64", "s"}
	schema, got := readAllFile(t, path, Options{Allocator: mem, Columns: cols})
	defer releaseAll(got)
	for i, c := range cols {
		if schema.Field(i).Name != c {
			t.Fatalf("schema %s, want columns %v", schema, cols)
		}
	}
	for _, ext := range []string{".arrow"} {
		p := filepath.Join(t.TempDir(), "p"+ext)
		small := projectByName(want, "f64", "s", "i64")
		writeFile(t, p, WriterOptions{Allocator: mem}, small)
		small.Release()
		s2, got2 := readAllFile(t, p, Options{Allocator: mem, Columns: []string{"s", "f64"}})
		if s2.NumFields() != 2 || s2.Field(0).Name != "s" || s2.Field(1).Name != "f64" {
			t.Errorf("%s projection schema %s", ext, s2)
		}
		releaseAll(got2)
	}
	want2 := projectByName(want, cols...)
	defer want2.Release()
	sameRows(t, mem, want2, got)

	_, err := Open(path, Options{Allocator: mem, Columns: []string{"f64", "nope"}})
	if !errors.Is(err, ErrNoColumn) || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "i8, i16") {
		t.Errorf("missing column: err = %v", err)
	}
}

func TestParquetDirectoryAndGlob(t *testing.T) {
	mem := checkedAlloc(t)
	want := allTypesBatch(mem, 90)
	defer want.Release()
	dir := t.TempDir()
	for i := 0; i < 3; i++ {
		part := want.NewSlice(int64(i*30), int64(i*30+30))
		writeFile(t, filepath.Join(dir, fmt.Sprintf("part-%d.parquet", i)), WriterOptions{Allocator: mem}, part)
		part.Release()
	}
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not data"), 0o644)
	for _, src := range []string{dir, filepath.Join(dir, "part-*.parquet")} {
		_, got := readAllFile(t, src, Options{Allocator: mem, BatchSize: 1000})
		if len(got) != 3 {
			t.Errorf("%s: %d batches, want one per file", src, len(got))
		}
		sameRows(t, mem, want, got)
		releaseAll(got)
	}
	// A file with another schema stops the stream with an error naming it.
	other := projectByName(want, "f64")
	writeFile(t, filepath.Join(dir, "part-9.parquet"), WriterOptions{Allocator: mem}, other)
	other.Release()
	r, err := Open(dir, Options{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ReadAll(r)
	r.Close()
	if err == nil || !strings.Contains(err.Error(), "part-9.parquet") {
		t.Errorf("schema mismatch: err = %v", err)
	}
	if _, err := Open(filepath.Join(dir, "*.nothing"), Options{}); err == nil {
		t.Error("a glob matching nothing opened")
	}
	if _, err := Open(t.TempDir(), Options{}); err == nil {
		t.Error("an empty directory opened")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "x.xlsx")
	os.WriteFile(bad, []byte("x"), 0o644)
	if _, err := Open(bad, Options{}); !errors.Is(err, ErrFormat) {
		t.Errorf("unknown extension: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "missing.parquet"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	junk := filepath.Join(dir, "junk.parquet")
	os.WriteFile(junk, []byte("this is not parquet at all"), 0o644)
	if _, err := Open(junk, Options{}); err == nil || !strings.Contains(err.Error(), "junk.parquet") {
		t.Errorf("junk parquet: %v", err)
	}
	junk = filepath.Join(dir, "junk.arrow")
	os.WriteFile(junk, []byte("this is not arrow at all"), 0o644)
	if _, err := Open(junk, Options{}); err == nil || !strings.Contains(err.Error(), "junk.arrow") {
		t.Errorf("junk arrow: %v", err)
	}
	csv := filepath.Join(dir, "x.csv")
	os.WriteFile(csv, []byte("a\n1\n"), 0o644)
	if _, err := Open(csv, Options{}); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "duckio.Open") {
		t.Errorf("csv: %v", err)
	}
	if _, err := Create(filepath.Join(dir, "out.xlsx"), arrow.NewSchema(nil, nil), WriterOptions{}); !errors.Is(err, ErrFormat) {
		t.Errorf("create unknown extension: %v", err)
	}
}

func TestWriterSchemaMismatch(t *testing.T) {
	mem := checkedAlloc(t)
	b := allTypesBatch(mem, 5)
	defer b.Release()
	other := projectByName(b, "f64")
	defer other.Release()
	for _, ext := range []string{".parquet", ".csv", ".arrow"} {
		w, err := Create(filepath.Join(t.TempDir(), "w"+ext), other.Schema(), WriterOptions{Allocator: mem})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(b); err == nil || !strings.Contains(err.Error(), "schema") {
			t.Errorf("%s: wrong-schema batch: %v", ext, err)
		}
		w.Close()
		if err := w.Close(); err != nil {
			t.Errorf("%s: second Close: %v", ext, err)
		}
	}
}

func TestIPCSlicesLargeBatches(t *testing.T) {
	mem := checkedAlloc(t)
	want := allTypesBatch(mem, 1000)
	defer want.Release()
	path := filepath.Join(t.TempDir(), "big.arrows")
	writeFile(t, path, WriterOptions{Allocator: mem, Compression: "zstd"}, want)
	_, got := readAllFile(t, path, Options{Allocator: mem, BatchSize: 300})
	defer releaseAll(got)
	if len(got) != 4 || got[3].NumRows() != 100 {
		t.Errorf("%d batches", len(got))
	}
	sameRows(t, mem, want, got)
}

// TestStreamingMemoryIsFlat writes a 400k-row file in each format and
// reads it in 4k-row batches: the allocator's live bytes after each batch
// stay bounded by a few batches' worth (plus, for IPC, the 50k-row batch
// being sliced), far below the file's decoded size, and the second half of
// the file needs no more than the first.
func TestStreamingMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 400k-row files")
	}
	for _, ext := range []string{".parquet", ".arrows"} {
		t.Run(ext, func(t *testing.T) { streamFlat(t, ext) })
	}
}

func streamFlat(t *testing.T, ext string) {
	const rows, chunk, batch = 400_000, 50_000, 4096
	dir := t.TempDir()
	path := filepath.Join(dir, "big"+ext)
	mem := checkedAlloc(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "x", Type: arrow.PrimitiveTypes.Float64},
		{Name: "y", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.BinaryTypes.String},
	}, nil)
	w, err := Create(path, schema, WriterOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < rows; off += chunk {
		b := array.NewRecordBuilder(mem, schema)
		for i := off; i < off+chunk; i++ {
			b.Field(0).(*array.Float64Builder).Append(float64(i) * 1.5)
			b.Field(1).(*array.Int64Builder).Append(int64(i))
			b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("value-%09d", i))
		}
		rec := b.NewRecordBatch()
		b.Release()
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	decoded := int64(rows) * (8 + 8 + 15 + 4)

	r, err := Open(path, Options{Allocator: mem, BatchSize: batch})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var peak, firstHalfPeak int64
	var n, seen int64
	for {
		b, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ys := b.Column(1).(*array.Int64); ys.Value(0) != seen {
			t.Fatalf("batch %d starts at %d, want %d", n, ys.Value(0), seen)
		}
		seen += b.NumRows()
		peak = max(peak, int64(mem.CurrentAlloc())) // the batch and the reader's buffers
		b.Release()
		if seen <= rows/2 {
			firstHalfPeak = peak
		}
		n++
	}
	if seen != rows {
		t.Fatalf("read %d rows, want %d", seen, rows)
	}
	t.Logf("%d batches; decoded data %d MB; allocator peak while holding a batch %d KB (first half of the file %d KB)",
		n, decoded>>20, peak>>10, firstHalfPeak>>10)
	// One batch decodes to ~140 KB; Parquet's column readers buffer up to
	// 1 MiB per column; an IPC stream batch of 50k rows is 1.7 MB. The
	// whole file decodes to 13 MB.
	if limit := int64(4 << 20); peak > limit || peak > decoded/3 {
		t.Errorf("memory after a batch peaked at %d bytes, want ≤ %d (file decodes to %d)", peak, limit, decoded)
	}
	// Flat: reading the second half needs no more than the first.
	if peak > firstHalfPeak+firstHalfPeak/4 {
		t.Errorf("memory grew while streaming: %d bytes in the first half, %d overall", firstHalfPeak, peak)
	}
}

func TestEmptyStreams(t *testing.T) {
	mem := checkedAlloc(t)
	b := allTypesBatch(mem, 3)
	defer b.Release()
	small := projectByName(b, "i64", "s")
	defer small.Release()
	for _, ext := range []string{".parquet", ".arrow", ".arrows"} {
		path := filepath.Join(t.TempDir(), "empty"+ext)
		w, err := Create(path, small.Schema(), WriterOptions{Allocator: mem})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path, Options{Allocator: mem})
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if r.Schema().NumFields() != 2 || r.Schema().Field(1).Name != "s" {
			t.Errorf("%s: schema %s", ext, r.Schema())
		}
		if _, err := r.Read(); err != io.EOF {
			t.Errorf("%s: %v", ext, err)
		}
		r.Close()
	}
}

// CSV writes lists as DuckDB reads them back ([0.93,0.06], which casts to
// FLOAT[]), strings in them quoted when they hold list syntax, NULL as NULL.
func TestCSVListsAsText(t *testing.T) {
	mem := checkedAlloc(t)
	fb := array.NewFixedSizeListBuilder(mem, 2, arrow.PrimitiveTypes.Float32)
	defer fb.Release()
	fv := fb.ValueBuilder().(*array.Float32Builder)
	fb.Append(true)
	fv.AppendValues([]float32{0.93, 0.06}, nil)
	fb.AppendNull()
	fb.Append(true)
	fv.Append(1)
	fv.AppendNull()
	lb := array.NewListBuilder(mem, arrow.BinaryTypes.String)
	defer lb.Release()
	lv := lb.ValueBuilder().(*array.StringBuilder)
	lb.Append(true)
	lv.AppendValues([]string{"a", "b c", "it's"}, nil)
	lb.Append(true)
	lb.Append(true)
	lv.Append("x,y")
	ids := array.NewInt64Builder(mem)
	defer ids.Release()
	ids.AppendValues([]int64{1, 2, 3}, nil)
	cols := []arrow.Array{ids.NewArray(), fb.NewArray(), lb.NewArray()}
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: cols[0].DataType()},
		{Name: "p", Type: cols[1].DataType(), Nullable: true}, {Name: "tags", Type: cols[2].DataType()}}, nil)
	b := array.NewRecordBatch(schema, cols, 3)
	for _, c := range cols {
		c.Release()
	}
	defer b.Release()
	path := filepath.Join(t.TempDir(), "lists.csv")
	writeFile(t, path, WriterOptions{Allocator: mem}, b)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "id,p,tags\n1,\"[0.93,0.06]\",\"[a,'b c','it\\'s']\"\n2,,[]\n3,\"[1,NULL]\",\"['x,y']\"\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// projectByName keeps the named columns of b through the package's own
// projection (the one the Parquet reader uses).
func projectByName(b arrow.RecordBatch, names ...string) arrow.RecordBatch {
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = b.Schema().FieldIndices(n)[0]
	}
	return project(b, projectSchema(b.Schema(), idx), idx)
}
