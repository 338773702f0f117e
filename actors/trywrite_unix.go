//go:build unix

package actors

import (
	"errors"
	"io"
	"net"
	"syscall"
)

// tryWriter returns a function that writes to w's socket without blocking
// (as much as the kernel takes at once, maybe nothing), or nil when w is not
// a socket. Only network connections qualify: their descriptors are always
// non-blocking, which an *os.File (a child's stdout, say) may not be.
func tryWriter(w io.Writer) func([]byte) (int, error) {
	if _, isConn := w.(net.Conn); !isConn {
		return nil
	}
	sc, ok := w.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return func(b []byte) (int, error) {
		var n int
		var werr error
		err := rc.Write(func(fd uintptr) bool {
			for {
				n, werr = syscall.Write(int(fd), b)
				if werr != syscall.EINTR {
					break
				}
			}
			return true // never wait for the descriptor to be writable
		})
		if errors.Is(werr, syscall.EAGAIN) {
			return 0, nil
		}
		if n < 0 {
			n = 0
		}
		if err == nil {
			err = werr
		}
		return n, err
	}
}
