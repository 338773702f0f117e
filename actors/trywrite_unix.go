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
	t := &tryWrite{rc: rc}
	t.fn = t.write // bound once: a closure per write would allocate
	return t.try
}

// tryWrite is the state of one writer's non-blocking writes; the writer
// makes one at a time (it holds the flushing role).
type tryWrite struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool
	b   []byte
	n   int
	err error
}

func (t *tryWrite) write(fd uintptr) bool {
	for {
		t.n, t.err = syscall.Write(int(fd), t.b)
		if t.err != syscall.EINTR {
			break
		}
	}
	return true // never wait for the descriptor to be writable
}

func (t *tryWrite) try(b []byte) (int, error) {
	t.b = b
	err := t.rc.Write(t.fn)
	n, werr := t.n, t.err
	t.b, t.err = nil, nil
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
