//go:build unix

package tests

import "syscall"

// advRaiseFDLimit raises the soft limit on open files to the hard limit if
// it is below need, and returns the soft limit in force.
func advRaiseFDLimit(need uint64) (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	if r.Cur >= need || r.Cur >= r.Max {
		return r.Cur, nil
	}
	r.Cur = min(need, r.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	return r.Cur, nil
}
