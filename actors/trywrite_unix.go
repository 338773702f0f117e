//go:build unix

package actors

import (
	"errors"
	"io"
	"net"
	"syscall"
)

// tryWriter returns a function that writes to w's descriptor without
// blocking (as much as the kernel takes at once, maybe nothing), or nil
// when w has no descriptor that qualifies: a network connection's, always
// non-blocking, or another's in non-blocking mode (the pipes of
// ConnectCmd; a child's stdout may well be blocking, and a write to it
// could then park the thread).
func tryWriter(w io.Writer) func([]byte) (int, error) {
	sc, ok := w.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	if _, isConn := w.(net.Conn); !isConn && !nonBlocking(rc) {
		return nil
	}
	t := &tryWrite{rc: rc}
	t.fn = t.write // bound once: a closure per write would allocate
	return t.try
}

// nonBlocking reports whether rc's descriptor is in non-blocking mode.
func nonBlocking(rc syscall.RawConn) bool {
	nb := false
	err := rc.Control(func(fd uintptr) {
		flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		nb = errno == 0 && flags&syscall.O_NONBLOCK != 0
	})
	return err == nil && nb
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
