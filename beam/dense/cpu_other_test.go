//go:build !unix

package dense

// cpuSeconds is not measured here (the benchmark leaves out rows/cpu-s).
func cpuSeconds() float64 { return 0 }
