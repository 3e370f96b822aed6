//go:build unix

package dense

import "syscall"

// cpuSeconds is the CPU time this process has used (user + system, every
// thread: Go's and DuckDB's).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
