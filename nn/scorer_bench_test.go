package nn

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkScore is the scoring forward pass as udf runs it: a DuckDB
// chunk of 2048 rows per PredictInto, one goroutine per caller (DuckDB
// already calls from every core), on issue 12's two networks. It reports
// the process's CPU time per row, steadier than wall time on a shared
// machine, and the GFLOP/s of the matrix products per core.
//
// go test ./nn -run '^$' -bench Score -benchtime 2s
func BenchmarkScore(b *testing.B) {
	for _, bn := range []struct {
		name   string
		inputs int
		layers []LayerSpec
		task   Task
	}{
		{"20-64-32-1", 20, []LayerSpec{Dense(64, ReLU), Dense(32, ReLU), Dense(1, Linear)}, TaskRegression},
		{"784-128-10", 784, []LayerSpec{Dense(128, ReLU), Dense(10, Softmax)}, TaskMulticlass},
	} {
		for _, path := range []string{"model/gemm-threads=1", "model/gemm-threads=2", "scorer", "scorer-columns", "scorer-columns/parallel"} {
			b.Run(bn.name+"/"+path, func(b *testing.B) {
				if path == "model/gemm-threads=1" {
					defer SetGemmThreads(SetGemmThreads(1))
				}
				m, err := NewModel(testSpec(bn.inputs, bn.task, bn.layers...), 1)
				if err != nil {
					b.Fatal(err)
				}
				s, err := NewScorer(m)
				if err != nil {
					b.Fatal(err)
				}
				const rows = 2048
				x := randomInput(rows, bn.inputs, 1)
				cols := make([][]float32, bn.inputs)
				for j := range cols {
					cols[j] = make([]float32, rows)
					for r := range rows {
						cols[j][r] = x[r*bn.inputs+j]
					}
				}
				out := make([]float32, rows*m.OutputWidth())
				ws := m.NewWorkspace()
				predict := func() error { return m.PredictInto(out, x, rows, ws) }
				switch path {
				case "scorer":
					predict = func() error { return s.PredictInto(out, x, rows, ws) }
				case "scorer-columns":
					predict = func() error { return s.PredictColumns(out, cols, rows, ws) }
				}
				flops := 0
				w := bn.inputs
				for _, l := range bn.layers {
					flops += 2 * w * l.Units
					w = l.Units
				}
				b.ReportAllocs()
				cpu0 := processCPU()
				b.ResetTimer()
				if path == "scorer-columns/parallel" {
					// One scorer per core, as DuckDB's threads call it: the
					// rows/s is the network's ceiling for SQL on this machine.
					b.RunParallel(func(pb *testing.PB) {
						ws := s.NewWorkspace()
						out := make([]float32, rows*m.OutputWidth())
						for pb.Next() {
							if err := s.PredictColumns(out, cols, rows, ws); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				for range b.N {
					if path == "scorer-columns/parallel" {
						break
					}
					if err := predict(); err != nil {
						b.Fatal(err)
					}
				}
				cpu := processCPU() - cpu0
				nsRow := float64(cpu.Nanoseconds()) / float64(rows*b.N)
				b.ReportMetric(nsRow, "cpu-ns/row")
				b.ReportMetric(float64(flops)/nsRow, "GFLOP/s/core")
				b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
