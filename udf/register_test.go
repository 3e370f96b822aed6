//go:build !dense_extension

package udf

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
	"github.com/duckdb/duckdb-go/v2/mapping"
	"os"
	osexec "os/exec"
	"runtime"
	"slices"
)

func TestRegisterNeedsDBAndSource(t *testing.T) {
	if err := Register(nil, NewMemory()); err == nil {
		t.Fatal("Register(nil, src) succeeded")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := Register(db, nil); err == nil {
		t.Fatal("Register(db, nil) succeeded")
	}
}

// The functions are in the database's catalog: every connection sees them,
// including ones opened after Register, in memory and in a file database.
func TestRegisterEveryConnection(t *testing.T) {
	for _, dsn := range []string{"", filepath.Join(t.TempDir(), "dense.duckdb")} {
		t.Run(fmt.Sprintf("dsn=%q", dsn), func(t *testing.T) {
			db, err := sql.Open("duckdb", dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := Register(db, sqlFixture(t)); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			var conns []*sql.Conn
			for range 4 { // four distinct connections open at once
				c, err := db.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				conns = append(conns, c)
			}
			for i, c := range conns {
				var got float64
				if err := c.QueryRowContext(ctx, "SELECT dense_predict('lin3', ?::DOUBLE, 2, 3)", float64(i)).Scan(&got); err != nil {
					t.Fatalf("connection %d: %v", i, err)
				}
				if got != float64(i+5) {
					t.Fatalf("connection %d: got %v, want %v", i, got, i+5)
				}
				var n int
				if err := c.QueryRowContext(ctx, "SELECT count(*) FROM dense_params(10, [5, 1])").Scan(&n); err != nil || n != 2 {
					t.Fatalf("connection %d: dense_params: %d rows, %v", i, n, err)
				}
			}
			if err := Register(db, NewMemory()); !errors.Is(err, ErrRegistered) {
				t.Fatalf("registering the same database again: %v, want ErrRegistered", err)
			}
			// ? parameters: features may be parameters of any type (DuckDB binds
			// the call again with their types); the model cannot be one.
			var p float64
			if err := db.QueryRow("SELECT dense_predict('lin3', ?, ?, 3)", 1.5, int64(2)).Scan(&p); err != nil || p != 6.5 {
				t.Fatalf("parameters: %v, %v", p, err)
			}
			st, err := db.Prepare("SELECT dense_predict_label('gate', ?, ?)")
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				x     any
				color string
				want  string
			}{{1.0, "red", "yes"}, {int64(0), "red", "no"}, {float32(-2), "green", "no"}} {
				var label string
				if err := st.QueryRow(c.x, c.color).Scan(&label); err != nil || label != c.want {
					t.Fatalf("prepared gate(%v, %s): %q, %v", c.x, c.color, label, err)
				}
			}
			if err := st.QueryRow(1.0, 2.0).Scan(new(string)); err == nil || !strings.Contains(err.Error(), `input "color" (categorical) is DOUBLE`) {
				t.Fatalf("prepared with a wrong type: %v", err)
			}
			st.Close()
			if _, err := db.Exec("SELECT dense_predict(?, 1, 2, 3)", "lin3"); err == nil || !strings.Contains(err.Error(), "the model argument must be a constant") {
				t.Fatalf("model as a parameter: %v", err)
			}
			var got float64
			if err := db.QueryRow("SELECT dense_predict('lin3', 1, 2, 3)").Scan(&got); err != nil || got != 6 {
				t.Fatalf("after the errors: %v, %v", got, err)
			}
		})
	}
}

// A model added to the source after the first query is seen by the next
// query: the model argument is resolved at every query's bind.
func TestNewVersionVisibleNextQuery(t *testing.T) {
	src := NewMemory()
	lin := func(w float32) *nn.Model {
		return handModel(t, nn.Spec{Task: nn.TaskRegression, Inputs: []nn.Input{nn.NumericInput("a")},
			Layers: []nn.LayerSpec{nn.Dense(1, nn.Linear)}}, []float32{w}, []float32{0})
	}
	src.Add("m", lin(1))
	db := openDB(t, src)
	get := func(q string) float64 {
		t.Helper()
		var v float64
		if err := db.QueryRow(q).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := get("SELECT dense_predict('m', 3)"); v != 3 {
		t.Fatalf("v1: %v", v)
	}
	if _, err := db.Exec("SELECT dense_predict('other', 3)"); err == nil {
		t.Fatal("unknown model accepted")
	}
	src.Add("m", lin(10))
	src.Add("other", lin(-1))
	if v := get("SELECT dense_predict('m', 3)"); v != 30 {
		t.Fatalf("after adding v2: %v, want 30", v)
	}
	if v := get("SELECT dense_predict('m@1', 3)"); v != 3 {
		t.Fatalf("m@1: %v, want 3", v)
	}
	if v := get("SELECT dense_predict('other', 3)"); v != -3 {
		t.Fatalf("other: %v, want -3", v)
	}
}

// Many queries at once on several connections, each query itself running
// on 4 threads over several row groups: results must equal the reference.
// Run with -race to check the sharing (the plan) and the per-call scratch.
func TestConcurrentQueries(t *testing.T) {
	src := testModels(t)
	db := openDB(t, src)
	exec(t, db, "SET threads=4")
	exec(t, db, `CREATE TABLE big AS SELECT i, (i % 101) / 7.0 - 5 AS a, (i % 89) / 3.0 - 10 AS b, (i % 97) / 5.0 AS c
		FROM range(300000) t(i)`)
	var want float64
	if err := db.QueryRow("SELECT sum(a + 2 * b + 3 * c + 0.5) FROM big").Scan(&want); err != nil {
		t.Fatal(err)
	}
	queries := []string{
		"SELECT sum(dense_predict('lin3', a, b, c)) FROM big",
		"SELECT sum(dense_predict('lin3', [a, b, c])) FROM big",
		"SELECT sum(dense_predict('lin3', {'a': a, 'b': b, 'c': c})) FROM big",
		"SELECT sum(dense_predict_proba('lin3', a::FLOAT, b::FLOAT, c::FLOAT)[1]) FROM big",
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := queries[g%len(queries)]
			var got float64
			if err := db.QueryRow(q).Scan(&got); err != nil {
				errs <- fmt.Errorf("%s: %w", q, err)
				return
			}
			if d := got - want; d > 1e-6*max(1, want) || d < -1e-6*max(1, want) {
				// float32 rounding per row, summed: allow 1e-6 of the total
				errs <- fmt.Errorf("%s: got %v, want %v", q, got, want)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// panicSource is a broken ModelSource: its Load panics.
type panicSource struct{ *Memory }

func (panicSource) Load(string) (*nn.Model, registry.Entry, error) { panic("model source exploded") }

// panicList is a broken ModelSource: its List panics.
type panicList struct{ *Memory }

func (panicList) List() ([]registry.Entry, error) { panic("listing exploded") }

// A panic inside a table function's bind fails the query, not the process.
func TestPanicInTableFunction(t *testing.T) {
	db := openDB(t, panicList{NewMemory()})
	for range 2 {
		_, err := db.Exec("SELECT * FROM dense_models()")
		if err == nil || !strings.Contains(err.Error(), "dense_models: internal error (a bug in dense, please report it): listing exploded") {
			t.Fatalf("got %v", err)
		}
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM dense_params(3, [2])").Scan(&n); err != nil || n != 1 {
		t.Fatalf("next query: %d, %v", n, err)
	}
}

// A panic inside a callback (here: in the model source, during bind) fails
// the query instead of the process, and the next query works.
func TestPanicBecomesQueryError(t *testing.T) {
	db := openDB(t, panicSource{NewMemory()})
	for range 2 {
		_, err := db.Exec("SELECT dense_predict('m', 1)")
		if err == nil || !strings.Contains(err.Error(), "dense_predict: internal error (a bug in dense, please report it): model source exploded") {
			t.Fatalf("got %v", err)
		}
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM dense_params(3, [2])").Scan(&n); err != nil || n != 1 {
		t.Fatalf("next query: %d, %v", n, err)
	}
}

// The C layer's type ids are DuckDB's duckdb_type values (part of its C
// ABI); the linked backend converts them to duckdb-go's constants as they are.
func TestTypeIDs(t *testing.T) {
	for id, want := range map[typeID]mapping.Type{
		typeInvalid: mapping.TypeInvalid, typeBoolean: mapping.TypeBoolean, typeTinyInt: mapping.TypeTinyInt,
		typeSmallInt: mapping.TypeSmallInt, typeInteger: mapping.TypeInteger, typeBigInt: mapping.TypeBigInt,
		typeUTinyInt: mapping.TypeUTinyInt, typeUSmallInt: mapping.TypeUSmallInt, typeUInteger: mapping.TypeUInteger,
		typeUBigInt: mapping.TypeUBigInt, typeFloat: mapping.TypeFloat, typeDouble: mapping.TypeDouble,
		typeTimestamp: mapping.TypeTimestamp, typeDate: mapping.TypeDate, typeTime: mapping.TypeTime,
		typeInterval: mapping.TypeInterval, typeHugeInt: mapping.TypeHugeInt, typeVarchar: mapping.TypeVarchar,
		typeBlob: mapping.TypeBlob, typeDecimal: mapping.TypeDecimal, typeEnum: mapping.TypeEnum,
		typeList: mapping.TypeList, typeStruct: mapping.TypeStruct, typeMap: mapping.TypeMap,
		typeUUID: mapping.TypeUUID, typeUnion: mapping.TypeUnion, typeBit: mapping.TypeBit,
		typeTimestampTZ: mapping.TypeTimestampTZ, typeUHugeInt: mapping.TypeUHugeInt, typeArray: mapping.TypeArray,
		typeAny: mapping.TypeAny, typeSQLNull: mapping.TypeSQLNull,
	} {
		if mapping.Type(id) != want {
			t.Errorf("type id %d: duckdb-go says %d", id, want)
		}
	}
}

// The layer builds the result types of the functions to come (a STRUCT per
// row, issue 16) and takes them apart again as the bind code does.
func TestLayerStructType(t *testing.T) {
	label, prob := newLogicalType(typeVarchar), newLogicalType(typeDouble)
	elem := newLogicalType(typeFloat)
	probs := newListType(elem)
	st := newStructType([]string{"label", "probability", "probabilities"}, []logicalType{label, prob, probs})
	for _, lt := range []*logicalType{&label, &prob, &elem, &probs} {
		destroyLogicalType(lt)
	}
	defer destroyLogicalType(&st)
	if got := newColType(st).name; got != "STRUCT(label VARCHAR, probability DOUBLE, probabilities FLOAT[])" {
		t.Fatalf("got %s", got)
	}
}

// The extension's build (tag dense_extension) links no DuckDB: DuckDB is the
// host. Neither duckdb-go nor its bindings may be among its dependencies.
func TestExtensionBuildLinksNoDuckDB(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		t.Skipf("no go command at %s: %v", gobin, err)
	}
	out, err := osexec.Command(gobin, "list", "-deps", "-tags", "dense_extension", "github.com/dense-ml/dense/extension").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/dense-ml/dense/udf") {
		t.Fatalf("the extension does not depend on udf? deps:\n%s", out)
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/duckdb/") {
			t.Errorf("the extension build depends on %s", d)
		}
	}
}
