package hosttest

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dense-ml/dense/internal/demodata"
	"github.com/dense-ml/dense/internal/sqllogic"
	"github.com/dense-ml/dense/nn"
	"github.com/dense-ml/dense/registry"
	"github.com/dense-ml/dense/udf"
	_ "github.com/duckdb/duckdb-go/v2"
)

// TestSQLSuite runs every file of sql/test through the extension loaded by
// the Node API, with the runner and models udf's TestSQL uses.
func TestSQLSuite(t *testing.T) {
	needNode(t)
	for _, file := range sqllogic.Files(t, filepath.Join(moduleRoot, "sql", "test")) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			dir := t.TempDir()
			if err := sqllogic.WriteModels(dir); err != nil {
				t.Fatal(err)
			}
			h := startNode(t, nil, "DENSE_MODELS="+dir)
			h.load()
			sqllogic.RunFile(t, h, file, dir)
		})
	}
}

// demoModels registers two models over the demo's customer columns, a
// segment classifier and a churn model, with seeded (untrained) weights
// and fitted-looking preprocessing: what matters here is that both hosts
// compute the same numbers, not that the models are good.
func demoModels(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	reg, err := registry.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	std := func(name string, mean, sd float64) nn.Input {
		return nn.Input{Name: name, Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: mean, Std: sd}}
	}
	inputs := []nn.Input{
		std("age", 42, 12),
		{Name: "income", Kind: nn.KindNumeric, Log1p: true, Scale: &nn.Scale{Method: nn.ScaleStandard, Mean: 10.8, Std: 0.6}},
		std("tenure_months", 30, 20),
		{Name: "region", Kind: nn.KindCategorical, Vocabulary: demodata.Regions},
		{Name: "plan", Kind: nn.KindCategorical, Vocabulary: demodata.Plans, UnknownBucket: true},
		std("visits_per_month", 6, 4),
		std("avg_basket", 40, 25),
		std("monthly_spend", 250, 200),
		std("online_share", 0.4, 0.25),
		std("support_tickets", 1.5, 1.5),
	}
	spec := func(task nn.Task, labels []string, layers ...nn.LayerSpec) nn.Spec {
		return nn.Spec{Format: nn.FormatName, Version: nn.FormatVersion, Task: task, Labels: labels, Inputs: inputs, Layers: layers}
	}
	for _, m := range []struct {
		name string
		spec nn.Spec
	}{
		{"segment", spec(nn.TaskMulticlass, demodata.Segments, nn.Dense(32, nn.ReLU), nn.Dense(16, nn.ReLU), nn.Dense(4, nn.Softmax))},
		{"churn", spec(nn.TaskBinary, []string{"stay", "churn"}, nn.Dense(16, nn.ReLU), nn.Dense(1, nn.Sigmoid))},
	} {
		model, err := nn.NewModel(m.spec, 11)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.Register(m.name, model); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// customersCSV writes n demo customers.
func customersCSV(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "customers.csv")
	if err := demodata.WriteCustomersCSV(path, n, 7); err != nil {
		t.Fatal(err)
	}
	return path
}

// inProcess opens duckdb-go with udf's functions over the models folder:
// what dense sql runs.
func inProcess(t *testing.T, models string) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	reg, err := registry.Open(models)
	if err != nil {
		t.Fatal(err)
	}
	if err := udf.Register(db, udf.FromRegistry(reg)); err != nil {
		t.Fatal(err)
	}
	return db
}

// scoreSQL scores every customer with every function.
func scoreSQL(csv string) string {
	return "SELECT customer_id, dense_predict('churn', c), dense_predict_label('churn', c), dense_predict_proba('churn', c), " +
		"dense_predict_label('segment', c), dense_predict_proba('segment', c) " +
		"FROM read_csv('" + csv + "') c ORDER BY customer_id"
}

// sameRows fails the test at the first row that differs.
func sameRows(t *testing.T, what string, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("%s: row %d differs:\n got %q\nwant %q", what, i+1, got[i], want[i])
		}
	}
}

// TestDemoCustomersBitForBit scores the demo's customers through the
// extension in the Node API and in process with the udf package (what
// dense sql runs): every number must be the same float, bit for bit.
func TestDemoCustomersBitForBit(t *testing.T) {
	needNode(t)
	models := demoModels(t)
	csv := customersCSV(t, 5000)
	want := queryStrings(t, sqllogic.DB(inProcess(t, models)), scoreSQL(csv))
	if len(want) != 5000 {
		t.Fatalf("in process: %d rows", len(want))
	}
	h := startNode(t, nil, "DENSE_MODELS="+models)
	h.load()
	sameRows(t, "Node API vs in process", queryStrings(t, h, scoreSQL(csv)), want)
}

// TestThreads scores a table of several chunks at SET threads = 1, 2, 4:
// the same bits every time, and the same as in process.
func TestThreads(t *testing.T) {
	needNode(t)
	models := demoModels(t)
	csv := customersCSV(t, 30000)
	want := queryStrings(t, sqllogic.DB(inProcess(t, models)), scoreSQL(csv))
	h := startNode(t, nil, "DENSE_MODELS="+models)
	h.load()
	if err := h.Exec("CREATE TABLE customers AS SELECT * FROM read_csv('" + csv + "')"); err != nil {
		t.Fatal(err)
	}
	q := strings.Replace(scoreSQL(csv), "read_csv('"+csv+"')", "customers", 1)
	for _, n := range []string{"1", "2", "4"} {
		if err := h.Exec("SET threads = " + n); err != nil {
			t.Fatal(err)
		}
		sameRows(t, "threads = "+n, queryStrings(t, h, q), want)
	}
}

// TestLoadTwiceAndModelsSetting: a second LOAD changes nothing, and
// SET dense_models points the functions at another folder at run time.
func TestLoadTwiceAndModelsSetting(t *testing.T) {
	needNode(t)
	suite := t.TempDir()
	if err := sqllogic.WriteModels(suite); err != nil {
		t.Fatal(err)
	}
	demo := demoModels(t)
	h := startNode(t, nil, "DENSE_MODELS="+suite)
	h.load()
	h.load()
	if got := queryStrings(t, h, "SELECT dense_predict('lin3@1', 1, 2, 3), current_setting('dense_models')"); got[0][0] != "14.5" || got[0][1] != suite {
		t.Errorf("after two LOADs: %q, want 14.5 and %s", got, suite)
	}
	if err := h.Exec("SET dense_models = '" + demo + "'"); err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, h, "SELECT string_agg(name, ',' ORDER BY name) FROM dense_models()"); got[0][0] != "churn,segment" {
		t.Errorf("dense_models() after SET dense_models: %q, want churn,segment", got)
	}
	err := h.Exec("SELECT dense_predict('lin3', 1, 2, 3)")
	if err == nil || !strings.Contains(err.Error(), `unknown model "lin3"`) || !strings.Contains(err.Error(), demo) {
		t.Errorf("lin3 after SET dense_models: %v, want an unknown-model error naming %s", err, demo)
	}
	if err := h.Exec("RESET dense_models"); err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, h, "SELECT dense_predict('lin3@1', 1, 2, 3)"); got[0][0] != "14.5" {
		t.Errorf("after RESET: %q", got)
	}
}

// TestModelsDefault: without $DENSE_MODELS the host's ./models is read.
func TestModelsDefault(t *testing.T) {
	needNode(t)
	h := startNode(t, nil, "DENSE_MODELS=")
	if err := sqllogic.WriteModels(filepath.Join(h.cmd.Dir, "models")); err != nil {
		t.Fatal(err)
	}
	h.load()
	if got := queryStrings(t, h, "SELECT dense_predict('lin3', 1, 2, 3), current_setting('dense_models')"); got[0][0] != "6" || got[0][1] != filepath.Join(h.cmd.Dir, "models") {
		t.Errorf("with ./models: %q", got)
	}
}

// TestRefusals documents what DuckDB itself says about our file: unsigned
// extensions are refused unless allowed, and a DuckDB older than the C API
// the footer names refuses with its version error (simulated here with a
// copy whose footer asks for v1.9.0, newer than the host's v1.5.6).
func TestRefusals(t *testing.T) {
	needNode(t)
	h := startNode(t, map[string]string{})
	err := h.Exec(loadSQL(extensionFile))
	if err == nil || !strings.Contains(err.Error(), "allow_unsigned_extensions") {
		t.Errorf("LOAD without allow_unsigned_extensions: %v, want DuckDB's unsigned-extension error", err)
	}

	data, rerr := os.ReadFile(extensionFile)
	if rerr != nil {
		t.Fatal(rerr)
	}
	// The C API version is the third field: bytes 64–95 of the footer's
	// fields, counted from the magic value backwards (extension/build/footer.go).
	footer := data[len(data)-512:]
	field := footer[5*32 : 6*32]
	if !strings.HasPrefix(string(field), "v1.5.6\x00") {
		t.Fatalf("the footer's C API version field is %q", field)
	}
	copy(field, "v1.9.0")
	future := filepath.Join(t.TempDir(), "dense.duckdb_extension")
	if err := os.WriteFile(future, data, 0o755); err != nil {
		t.Fatal(err)
	}
	h2 := startNode(t, nil)
	err = h2.Exec(loadSQL(future))
	want := "The file was built for DuckDB C API version 'v1.9.0', but we can only load extensions built for DuckDB C API 'v1.5.6' and lower"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("LOAD of a file that needs a newer DuckDB: %v, want %q", err, want)
	}
	if got := queryStrings(t, h2, "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'dense_predict'"); got[0][0] != "0" {
		t.Errorf("after the refused LOAD, dense_predict exists (%s)", got[0][0])
	}
}

// panicExtension builds, once, the extension with the extra tag
// dense_panictest (udf/extension_panictest.go): there a models folder
// named dense-panic has a model source that panics.
var panicExtension = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "dense-hosttest-panic-*")
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, "dense.duckdb_extension")
	cmd := exec.Command("go", "run", "./extension/build", "-tags", "dense_panictest", "-o", file)
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go run ./extension/build -tags dense_panictest: %v\n%s", err, out)
	}
	return file, nil
})

// TestPanicKeepsHostAlive: a Go panic inside the scalar functions' bind and
// inside a table function becomes the query's error, and the Node process
// and its database go on working.
func TestPanicKeepsHostAlive(t *testing.T) {
	needNode(t)
	file, err := panicExtension()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(file)) })
	suite := t.TempDir()
	if err := sqllogic.WriteModels(suite); err != nil {
		t.Fatal(err)
	}
	panicDir := filepath.Join(t.TempDir(), "dense-panic")
	if err := os.Mkdir(panicDir, 0o755); err != nil {
		t.Fatal(err)
	}
	h := startNode(t, nil, "DENSE_MODELS="+suite)
	if err := h.Exec(loadSQL(file)); err != nil {
		t.Fatal(err)
	}
	if err := h.Exec("SET dense_models = '" + panicDir + "'"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"SELECT dense_predict('lin3', 1, 2, 3)",
		"SELECT * FROM dense_models()",
		"SELECT * FROM dense_layers('lin3')",
		"SELECT dense_predict_label('gate', x, 'red') FROM range(5000) t(x)",
	} {
		err := h.Exec(q)
		if err == nil || !strings.Contains(err.Error(), "internal error (a bug in dense, please report it)") ||
			!strings.Contains(err.Error(), "dense_panictest") {
			t.Errorf("%s: %v, want the panic as the query's error", q, err)
		}
	}
	if err := h.Exec("RESET dense_models"); err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, h, "SELECT dense_predict('lin3@1', 1, 2, 3), 40 + 2"); got[0][0] != "14.5" || got[0][1] != "42" {
		t.Errorf("after the panics: %q, want 14.5 and 42", got)
	}
}
