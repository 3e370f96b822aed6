//go:build unix

package registry

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with this id runs on this machine
// (signal 0 checks without signalling; EPERM means it exists).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
