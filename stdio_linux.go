//go:build linux

package ipfi

import "syscall"

// redirectStdout makes descriptor stdout a copy of stderr.
func redirectStdout(stderr, stdout int) error { return syscall.Dup3(stderr, stdout, 0) }
