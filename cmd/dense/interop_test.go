package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/dense-ml/dense/interop"
	"github.com/dense-ml/dense/interop/onnx"
	"github.com/dense-ml/dense/interop/onnx/onnxpb"
	"github.com/dense-ml/dense/registry"
)

// TestImportCLI imports PyTorch's ONNX export and state dict of the same
// network (interop/testdata/torch) and scores both in SQL at once: they
// match PyTorch's outputs within 1e-5.
func TestImportCLI(t *testing.T) {
	const fixtures = "../../interop/testdata/torch"
	raw, err := os.ReadFile(filepath.Join(fixtures, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Models []struct {
			Name string    `json:"name"`
			X    []float64 `json:"x"`
			Y    []float64 `json:"y"`
		} `json:"models"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	models := filepath.Join(t.TempDir(), "models")
	for _, args := range [][]string{
		{"import", "--onnx", filepath.Join(fixtures, "multiclass.onnx"), "--name", "mc", "--inputs", "a,b,c,d,e", "--labels", "x,y,z", "--models", models},
		{"import", "--safetensors", filepath.Join(fixtures, "multiclass.safetensors"), "--layers", "relu,tanh,softmax", "--name", "mc", "--inputs", "a,b,c,d,e", "--labels", "x,y,z", "--models", models},
	} {
		r := runIn(t, "", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "multiclass, 5 inputs → 3 outputs") || !strings.Contains(r.stdout, "Registered mc@") {
			t.Fatalf("dense %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	c := fx.Models[0]
	if c.Name != "multiclass" {
		t.Fatalf("the fixture's first model is %q", c.Name)
	}
	var rows []string
	for i := 0; i+5 <= len(c.X); i += 5 {
		rows = append(rows, fmt.Sprintf("(%d, %v, %v, %v, %v, %v)", i/5, c.X[i], c.X[i+1], c.X[i+2], c.X[i+3], c.X[i+4]))
	}
	query := "SELECT dense_predict_proba('mc@1', t) AS onnx, dense_predict_proba('mc@2', t) AS st FROM (VALUES " +
		strings.Join(rows, ", ") + ") t(r, a, b, c, d, e) ORDER BY r"
	r := runIn(t, "", "sql", "--models", models, "--format", "json", "-c", query)
	if r.code != 0 {
		t.Fatalf("dense sql: exit %d: %s", r.code, r.stderr)
	}
	var got []struct{ ONNX, ST []float64 }
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v in %s", err, r.stdout)
	}
	if len(got)*3 != len(c.Y) {
		t.Fatalf("%d rows, want %d", len(got), len(c.Y)/3)
	}
	for i, row := range got {
		for j := range 3 {
			want := c.Y[i*3+j]
			for k, v := range [][]float64{row.ONNX, row.ST} {
				if math.Abs(v[j]-want) > 1e-5*math.Abs(want)+1e-6 {
					t.Errorf("row %d, class %d, model mc@%d: %v, PyTorch %v", i, j, k+1, v[j], want)
				}
			}
		}
	}
}

func TestImportCLIErrors(t *testing.T) {
	const fixtures = "../../interop/testdata/torch"
	models := filepath.Join(t.TempDir(), "models")
	bad := filepath.Join(t.TempDir(), "bad.onnx")
	if err := os.WriteFile(bad, []byte("not onnx"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "--name", "m"}, "give one of --onnx FILE and --safetensors FILE"},
		{[]string{"import", "--onnx", "a.onnx", "--safetensors", "b", "--name", "m"}, "give one of --onnx FILE and --safetensors FILE"},
		{[]string{"import", "--onnx", filepath.Join(fixtures, "multiclass.onnx")}, "missing --name"},
		{[]string{"import", "--safetensors", filepath.Join(fixtures, "multiclass.safetensors"), "--name", "m"}, "--safetensors needs --layers"},
		{[]string{"import", "--onnx", filepath.Join(fixtures, "multiclass.onnx"), "--layers", "relu", "--name", "m"}, "--layers goes with --safetensors"},
		{[]string{"import", "--onnx", filepath.Join(fixtures, "multiclass.onnx"), "--name", "m", "--task", "ranking"}, `unknown task "ranking"`},
		{[]string{"import", "--onnx", filepath.Join(fixtures, "multiclass.onnx"), "--name", "../m"}, "registry: "},
		{[]string{"import", "--onnx", filepath.Join(fixtures, "multiclass.onnx"), "--name", "m", "--inputs", "a,b"}, "2 input names for a network with 5 input features"},
		{[]string{"import", "--onnx", bad, "--name", "m"}, "not an ONNX model"},
		{[]string{"import", "--safetensors", filepath.Join(fixtures, "multiclass.safetensors"), "--layers", "relu,relu", "--name", "m"}, "2 layers given for 3 modules"},
	} {
		r := runIn(t, "", append(tc.args, "--models", models)...)
		if r.code != exitUser || !strings.Contains(r.stderr, tc.want) || !strings.HasPrefix(r.stderr, "dense: ") {
			t.Errorf("dense %v: exit %d, stderr %q; want exit 1 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if entries, _ := os.ReadDir(models); len(entries) != 0 {
		t.Errorf("failed imports registered %d models", len(entries))
	}
}

// TestExportCLI exports a registered model; the --raw graph imports back
// to the same predictions, the full graph takes the inputs by name. (ONNX Runtime
// runs exported graphs in interop/onnx's tests.)
func TestExportCLI(t *testing.T) {
	dir := t.TempDir()
	models := filepath.Join(dir, "models")
	if r := runIn(t, "", "import", "--safetensors", "../../interop/testdata/torch/regression.safetensors",
		"--layers", "leaky_relu:0.1,elu:0.5,batchnorm,linear", "--name", "reg", "--models", models); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	full, raw := filepath.Join(dir, "reg.onnx"), filepath.Join(dir, "reg_raw.onnx")
	r := runIn(t, "", "export", "--model", "reg@1", "-o", full, "--models", models)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Exported reg@1 model to "+full+" (ONNX opset 17, ") {
		t.Fatalf("export: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runIn(t, "", "export", "--model", "reg", "--raw", "-o", raw, "--models", models); r.code != 0 || !strings.Contains(r.stdout, "reg@1 network") {
		t.Fatalf("export --raw: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	data, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	back, err := onnx.Import(data, interop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(models)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := reg.Load("reg")
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{0.5, -1, 2, 0.25, -0.75, 1.5, 3, -2, 0, 1, 1, -0.5}
	want, _ := m.Predict(x, 2)
	got, err := back.Predict(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Errorf("output %d: %v from the exported graph, %v from the model", i, got[i], want[i])
		}
	}
	var mp onnxpb.ModelProto
	if data, err := os.ReadFile(full); err != nil || proto.Unmarshal(data, &mp) != nil {
		t.Fatalf("reading %s: %v", full, err)
	}
	var names []string
	for _, vs := range [][]*onnxpb.ValueInfoProto{mp.GetGraph().GetInput(), mp.GetGraph().GetOutput()} {
		for _, v := range vs {
			names = append(names, v.GetName())
		}
	}
	if got := strings.Join(names, " "); got != "x0 x1 x2 x3 x4 x5 score outputs" {
		t.Errorf("the exported graph's inputs and outputs are %s", got)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--model", "reg", "-o", filepath.Join(dir, "x.onnx"), "--format", "pmml"}, `unknown format "pmml"`},
		{[]string{"export", "--model", "nope", "-o", filepath.Join(dir, "x.onnx")}, `unknown model "nope"`},
		{[]string{"export", "--model", "reg"}, "missing --out"},
		{[]string{"export", "--model", "reg", "-o", filepath.Join(dir, "no", "such", "x.onnx")}, "no such file or directory"},
	} {
		r := runIn(t, "", append(tc.args, "--models", models)...)
		if r.code != exitUser || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("dense %v: exit %d, stderr %q; want %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// TestExportTrainedModelsRunInORT trains a binary, a multiclass and a
// regression model with dense train (fitted imputation, scaling and
// one-hot encoding), exports them with dense export, runs the graphs in
// ONNX Runtime on new rows with NULLs and unseen categories, and matches
// dense's own predictions from SQL within 1e-5. It needs Node and npm
// onnxruntime-node (see interop/onnx); it skips without them unless
// DENSE_ORT=require.
func TestExportTrainedModelsRunInORT(t *testing.T) {
	const ortDir = "../../interop/onnx/testdata/ort"
	_, nodeErr := exec.LookPath("node")
	_, ortErr := os.Stat(filepath.Join(ortDir, "node_modules", "onnxruntime-node"))
	if nodeErr != nil || ortErr != nil {
		msg := "needs node and onnxruntime-node: run `npm ci --ignore-scripts --prefix interop/onnx/testdata/ort` (.ci/run does)"
		if os.Getenv("DENSE_ORT") == "require" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	models := filepath.Join(dir, "models")
	rng := rand.New(rand.NewPCG(17, 1))
	plans, regions := []string{"basic", "pro", "max"}, []string{"north", "south", "east"}
	write := func(name string, rows int, unseen bool) string {
		var sb strings.Builder
		sb.WriteString("id,age,income,plan,region,churned,segment,spend\n")
		for i := range rows {
			age, income := 18+rng.IntN(60), 20000+rng.Float64()*80000
			plan, region := plans[rng.IntN(3)], regions[rng.IntN(3)]
			churned := []string{"no", "yes"}[(age/10+len(plan))%2]
			segment := []string{"a", "b", "c"}[(int(income)/30000+len(region))%3]
			spend := float64(age)*3.5 + income/1000
			ageS, incomeS := strconv.Itoa(age), strconv.FormatFloat(income, 'f', 2, 64)
			if unseen {
				switch i % 5 {
				case 1:
					ageS = ""
				case 2:
					plan = "enterprise"
				case 3:
					plan, incomeS = "", ""
				case 4:
					region = "west"
				}
			}
			fmt.Fprintf(&sb, "%d,%s,%s,%s,%s,%s,%s,%.2f\n", i, ageS, incomeS, plan, region, churned, segment, spend)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	train, score := write("train.csv", 300, false), write("new.csv", 30, true)
	for _, target := range []string{"churned", "segment", "spend"} {
		r := runIn(t, "", "train", "--data", train, "--target", target, "--features", "age,income,plan,region",
			"--hidden", "8", "--batchnorm", "--dropout", "0.1", "--epochs", "3", "--no-plot", "--quiet", "--models", models)
		if r.code != 0 {
			t.Fatalf("train %s: %s", target, r.stderr)
		}
	}
	// The new rows as ONNX Runtime inputs: NaN (null) and "" for NULL.
	raw, err := os.ReadFile(score)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")[1:]
	feeds := map[string]map[string]any{}
	for col, name := range map[int]string{1: "age", 2: "income", 3: "plan", 4: "region"} {
		var data []any
		for _, l := range lines {
			v := strings.Split(l, ",")[col]
			switch {
			case col >= 3:
				data = append(data, v)
			case v == "":
				data = append(data, nil)
			default:
				f, _ := strconv.ParseFloat(v, 64)
				data = append(data, float64(float32(f)))
			}
		}
		typ := "float32"
		if col >= 3 {
			typ = "string"
		}
		feeds[name] = map[string]any{"type": typ, "dims": []int{len(lines), 1}, "data": data}
	}
	for _, target := range []string{"churned", "segment", "spend"} {
		t.Run(target, func(t *testing.T) {
			path := filepath.Join(dir, target+".onnx")
			if r := runIn(t, "", "export", "--model", target, "-o", path, "--models", models); r.code != 0 {
				t.Fatalf("export: %s", r.stderr)
			}
			req, _ := json.Marshal(map[string]any{"model": path, "feeds": feeds})
			cmd := exec.Command("node", "run.js")
			cmd.Dir = ortDir
			cmd.Stdin = strings.NewReader(string(req))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("ONNX Runtime: %v: %s", err, stderr.String())
			}
			var res struct {
				Outputs map[string]struct{ Data []any } `json:"outputs"`
			}
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatal(err)
			}
			q := fmt.Sprintf("SELECT dense_predict_proba('%s', t) AS proba, dense_predict_label('%s', t) AS label FROM read_csv('%s') t ORDER BY id", target, target, score)
			if target == "spend" {
				q = fmt.Sprintf("SELECT dense_predict('%s', t) AS score FROM read_csv('%s') t ORDER BY id", target, score)
			}
			r := runIn(t, "", "sql", "--models", models, "--format", "json", "-c", q)
			if r.code != 0 {
				t.Fatalf("dense sql: %s", r.stderr)
			}
			var want []struct {
				Proba []float64
				Label string
				Score float64
			}
			if err := json.Unmarshal([]byte(r.stdout), &want); err != nil || len(want) != len(lines) {
				t.Fatalf("dense sql gave %d rows (%v): %s", len(want), err, r.stdout)
			}
			near := func(got any, want float64) bool {
				g, ok := got.(float64)
				return ok && math.Abs(g-want) <= 1e-5+1e-5*math.Abs(want)
			}
			for i, w := range want {
				if target == "spend" {
					if g := res.Outputs["score"].Data[i]; !near(g, w.Score) {
						t.Errorf("row %d: score %v in ONNX Runtime, %v in dense", i, g, w.Score)
					}
					continue
				}
				if g := res.Outputs["label"].Data[i]; g != w.Label {
					t.Errorf("row %d: label %v in ONNX Runtime, %q in dense", i, g, w.Label)
				}
				n := len(w.Proba)
				for j, p := range w.Proba {
					if g := res.Outputs["probabilities"].Data[i*n+j]; !near(g, p) {
						t.Errorf("row %d: probability %d %v in ONNX Runtime, %v in dense", i, j, g, p)
					}
				}
				score := w.Proba[len(w.Proba)-1] // binary: P(second label)
				if target == "segment" {
					score = slices.Max(w.Proba)
				}
				if g := res.Outputs["score"].Data[i]; !near(g, score) {
					t.Errorf("row %d: score %v in ONNX Runtime, %v in dense", i, g, score)
				}
			}
		})
	}
}
