//go:build unix

package actors

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"
)

// transportWriters returns the writer's two ways to write to w's
// descriptor, or nils when w has none that qualifies: a network
// connection's, always non-blocking, or another's in non-blocking mode
// (the pipes of ConnectCmd; a child's stdout may well be blocking, and a
// write to it could then park the thread). try writes without blocking,
// as much as the kernel takes at once, maybe nothing. wait writes parts in
// order, waiting for the descriptor to take them, until a context ends
// (waitWrite.parts); it is nil when w has no write deadline to stop such a
// wait with.
func transportWriters(w io.Writer) (try func([]byte) (int, error), wait func(context.Context, [][]byte) (int, int, error)) {
	sc, ok := w.(syscall.Conn)
	if !ok {
		return nil, nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, nil
	}
	if _, isConn := w.(net.Conn); !isConn && !nonBlocking(rc) {
		return nil, nil
	}
	t := &tryWrite{rc: rc}
	t.fn = t.write // bound once: a closure per write would allocate
	dl, ok := w.(interface{ SetWriteDeadline(time.Time) error })
	if !ok {
		return t.try, nil
	}
	ww := &waitWrite{rc: rc, dl: dl}
	ww.fn = ww.write
	return t.try, ww.parts
}

// waitWrite is the state of one writer's waiting writes; the writer makes
// one at a time (it holds the flushing role), and no other goroutine sets
// the descriptor's write deadline.
type waitWrite struct {
	rc  syscall.RawConn
	dl  interface{ SetWriteDeadline(time.Time) error }
	fn  func(fd uintptr) bool
	b   []byte
	n   int
	err error
}

// write writes b until it is all written (true), the descriptor is full
// (false: the poller waits for it to be writable, or for the deadline)
// or a write fails (true, with err).
func (t *waitWrite) write(fd uintptr) bool {
	for len(t.b) > 0 {
		n, err := syscall.Write(int(fd), t.b)
		if n > 0 {
			t.n += n
			t.b = t.b[n:]
		}
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			return false
		case err != nil:
			t.err = err
			return true
		}
	}
	return true
}

// parts writes parts in order, waiting while the descriptor is full. When
// ctx ends first, a write deadline in the past stops the wait where it is
// (the deadline is cleared again before parts returns). It returns the
// bytes written, the index of the first part not written in full, which
// it leaves holding only its unwritten rest, and the error: ctx's cause
// when ctx ended the wait.
func (t *waitWrite) parts(ctx context.Context, parts [][]byte) (sent, i int, err error) {
	stopped := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = t.dl.SetWriteDeadline(aLongTimeAgo)
		close(stopped)
	})
	for ; i < len(parts) && err == nil; i++ {
		t.b, t.n = parts[i], 0
		werr := t.rc.Write(t.fn)
		sent += t.n
		parts[i] = t.b
		if err = t.err; err == nil {
			err = werr
		}
		t.b, t.err = nil, nil
		if len(parts[i]) > 0 {
			break
		}
	}
	if !stop() {
		<-stopped
		_ = t.dl.SetWriteDeadline(time.Time{})
		if err != nil {
			err = context.Cause(ctx)
		}
	}
	return sent, i, err
}

// aLongTimeAgo is a write deadline that has passed: it stops a wait at
// once.
var aLongTimeAgo = time.Unix(1, 0)

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
