//go:build !unix

package registry

// processAlive cannot tell on this system; StaleAge alone decides.
func processAlive(pid int) bool { return false }
