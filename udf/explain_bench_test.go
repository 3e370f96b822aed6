//go:build !dense_extension

package udf

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dense-ml/dense/nn"
)

// The performance targets of issue 16, as benchmarks:
//
//	go test -run '^$' -bench 'Explain$|PredictAllRatio' -benchtime 3x ./udf
//
// BenchmarkExplain: dense_explain on a 20→64→32→1 model, at least 200k
// rows/s in SQL. BenchmarkPredictAllRatio: dense_predict_all within 1.2×
// the time of dense_predict_proba, both queries timed in turn in the same
// run (the ratio of CPU times is steadier than either figure on a shared
// machine).

// explain20 is a 20→64→32→1 binary classifier over standardised inputs
// fa…ft (the features of BenchmarkMLP20's table, whose mean is 0) with
// random biases, as training would leave it, and a baseline at the mean.
func explain20(b testing.TB) *Memory {
	var in []nn.Input
	var base []nn.Baseline
	for i := range 20 {
		name := "f" + string(rune('a'+i))
		in = append(in, nn.Input{Name: name, Kind: nn.KindNumeric, Scale: &nn.Scale{Method: nn.ScaleStandard, Std: 5.8}})
		zero := 0.0
		base = append(base, nn.Baseline{Input: name, Number: &zero})
	}
	spec := nn.Spec{Format: nn.FormatName, Version: nn.FormatVersion, Task: nn.TaskBinary, Inputs: in,
		Layers:  []nn.LayerSpec{nn.Dense(64, nn.ReLU).WithInit(nn.InitHeNormal), nn.Dense(32, nn.ReLU).WithInit(nn.InitHeNormal), nn.Dense(1, nn.Sigmoid)},
		Explain: &nn.Explain{Baseline: base}}
	m, err := nn.NewModel(spec, 11)
	if err != nil {
		b.Fatal(err)
	}
	for _, ts := range m.Tensors() {
		if strings.HasSuffix(ts.Name, "bias") {
			for j := range ts.Data {
				ts.Data[j] = float32((j*37)%11-5) * 0.05
			}
		}
	}
	src := NewMemory()
	src.Add("x20", m)
	return src
}

// BenchmarkExplain measures dense_explain on a 20→64→32→1 model over 20
// FLOAT columns (the issue asks for at least 200k rows/s), and
// nn.Explainer alone on the same rows, 2048 at a time on one goroutine.
func BenchmarkExplain(b *testing.B) {
	const rows = 200_000
	src := explain20(b)
	db := openDB(b, src)
	if _, err := db.Exec("CREATE TABLE t20 AS SELECT " + floatCols20() + fmt.Sprintf(" FROM range(%d) r(i)", rows)); err != nil {
		b.Fatal(err)
	}
	for _, threads := range []int{0, 1} {
		setThreads(b, db, threads)
		b.Run(fmt.Sprintf("sql/threads=%d", threads), func(b *testing.B) {
			benchQuery(b, db, "SELECT sum(dense_explain('x20', "+fcols("")+")[1].attribution) FROM t20", rows)
		})
	}
	m, _, _ := src.Load("x20")
	e, err := nn.NewExplainer(m)
	if err != nil {
		b.Fatal(err)
	}
	x := make([]float32, rows*20)
	for r := range rows {
		for j := range 20 {
			x[r*20+j] = (float32(((r*(31+j*17)+7)%201))/10 - 10) / 5.8
		}
	}
	b.Run("nn", func(b *testing.B) {
		var a nn.Attributions
		ws := e.NewExplainWorkspace()
		steps := 0
		for b.Loop() {
			steps = 0
			for r := 0; r < rows; r += 2048 {
				n := min(2048, rows-r)
				if err := e.Explain(&a, x[r*20:(r+n)*20], n, ws); err != nil {
					b.Fatal(err)
				}
				for _, s := range a.Steps[:n] {
					steps += s
				}
			}
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(steps)/rows, "steps/row")
	})
}

// BenchmarkPredictAllRatio times SELECT sum(dense_predict_proba(…)[k]) and
// SELECT sum(dense_predict_all(…).probabilities[k]) in turn over the same
// table, one round of each per iteration, and reports each one's CPU time
// per row in its best round and their ratio (all ÷ proba): for the 20→64→32→1 binary model
// over 20 FLOAT columns, and for the small churn model (8 hidden units,
// two VARCHAR inputs), where writing the result is most of the time.
func BenchmarkPredictAllRatio(b *testing.B) {
	const rows = 200_000
	src := explain20(b)
	churn, _, err := testModels(b).Load("churn")
	if err != nil {
		b.Fatal(err)
	}
	src.Add("churn", churn)
	db := openDB(b, src)
	if _, err := db.Exec("CREATE TABLE t20 AS SELECT " + floatCols20() + fmt.Sprintf(" FROM range(%d) r(i)", rows)); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf(`CREATE TABLE c AS SELECT 20 + i %% 50 AS age, 1000.0 * (i %% 97) AS income,
		['basic', 'pro', 'enterprise-unlimited'][1 + i %% 3] AS plan, ['north', 'south'][1 + i %% 2] AS region
		FROM range(%d) r(i)`, rows)); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, proba, all string }{
		{"x20", "SELECT sum(dense_predict_proba('x20', " + fcols("") + ")[2]) FROM t20",
			"SELECT sum(dense_predict_all('x20', " + fcols("") + ").probabilities[2]) FROM t20"},
		{"churn", "SELECT sum(dense_predict_proba('churn', age, income, plan, region)[2]) FROM c",
			"SELECT sum(dense_predict_all('churn', age, income, plan, region).probabilities[2]) FROM c"},
	} {
		b.Run(c.name, func(b *testing.B) {
			// Each query's best round: the machine's busy spells inflate
			// some rounds of either query, never deflate one.
			best := [2]time.Duration{1<<63 - 1, 1<<63 - 1}
			var sum float64
			for b.Loop() {
				for i, q := range []string{c.proba, c.all} {
					t0 := cpuTime()
					if err := db.QueryRow(q).Scan(&sum); err != nil {
						b.Fatal(err)
					}
					best[i] = min(best[i], cpuTime()-t0)
				}
			}
			cpuProba, cpuAll := best[0], best[1]
			b.ReportMetric(float64(cpuProba.Nanoseconds())/rows, "proba-cpu-ns/row")
			b.ReportMetric(float64(cpuAll.Nanoseconds())/rows, "all-cpu-ns/row")
			b.ReportMetric(float64(cpuAll)/float64(cpuProba), "all/proba")
		})
	}
}
