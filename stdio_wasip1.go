//go:build wasip1

package ipfi

import (
	"fmt"
	"os"
	"syscall"
)

// takeStdio returns standard input made non-blocking, and standard output
// (see ConnectStdio). A WebAssembly module has one thread: a read that
// blocked in the host would stop every goroutine of the module, the
// wire's writers among them, so the wire reads standard input through
// the runtime's poller, which needs it non-blocking. The host must give
// the module an OS pipe (or a socket) as standard input, not a stream
// that the runtime cannot poll.
func takeStdio() (in, out *os.File, err error) {
	if err := syscall.SetNonblock(0, true); err != nil {
		return nil, nil, fmt.Errorf("ipfi: standard input cannot be made non-blocking (%w): the host must give the module an OS pipe as its stdin", err)
	}
	return os.NewFile(0, "ipfi-stdin"), os.Stdout, nil
}
