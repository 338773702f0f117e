//go:build unix

package ipfi

import (
	"os"
	"syscall"
)

// takeStdio returns a pollable duplicate of standard input, and a
// duplicate of standard output after pointing descriptor 1 at standard
// error (see ConnectStdio).
func takeStdio() (in, out *os.File, err error) {
	inFD, err := syscall.Dup(int(os.Stdin.Fd()))
	if err != nil {
		return nil, nil, err
	}
	// Non-blocking, the duplicate joins the runtime's poller: Close
	// interrupts a Read. (A regular file cannot be polled and stays
	// blocking: its reads end at its end anyway.)
	if err := syscall.SetNonblock(inFD, true); err != nil {
		syscall.Close(inFD)
		return nil, nil, err
	}
	outFD, err := syscall.Dup(int(os.Stdout.Fd()))
	if err != nil {
		syscall.Close(inFD)
		return nil, nil, err
	}
	if err := redirectStdout(int(os.Stderr.Fd()), int(os.Stdout.Fd())); err != nil {
		syscall.Close(inFD)
		syscall.Close(outFD)
		return nil, nil, err
	}
	return os.NewFile(uintptr(inFD), "ipfi-stdin"), os.NewFile(uintptr(outFD), "ipfi-stdout"), nil
}
