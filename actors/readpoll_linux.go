package actors

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// pollSocket returns the raw connection of a stream socket made by the net
// package, which the reader can read through the poller, and the socket;
// nils for any other transport.
func pollSocket(r io.Reader) (syscall.RawConn, net.Conn) {
	var sc syscall.Conn
	switch c := r.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		if a := c.LocalAddr(); a == nil || a.Network() != "unix" {
			return nil, nil // a datagram or packet socket: no short reads
		}
		sc = c
	default:
		return nil, nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, nil
	}
	return rc, r.(net.Conn)
}

// endCheck bounds how long after its last read a socket read through the
// poller may sit at its end unnoticed (see reading.poll).
const endCheck = 10 * time.Millisecond

// poll reads the wire's socket, delivering every chunk, until it ends or
// fails, and returns why. On a busy socket (one that brought bytes less
// than endCheck/2 before) it saves the read that fails with EAGAIN after
// every message, which Read pays: after a read that did not fill its
// buffer the socket had no more bytes, so it waits for the poller before
// the next read instead of trying one. The poller's notifications are
// edge-triggered; every byte that arrives after a read makes one, and one
// made while the reader is busy is kept for its next wait, because all the
// reads happen inside one RawConn.Read, which forgets them only as it
// begins. The end of the peer's stream is the exception: when it arrives
// with the last bytes, their one notification woke the reader, and the
// read that returns them does not tell. So a read deadline, at most
// endCheck after the last read (moved on at most every endCheck/2), ends
// the wait, and the reader reads once more to make sure. It closes the
// transport if terminate left that to it (polled).
func (s *reading) poll() error {
	p := &s.r.w.polled
	if !p.enter() {
		return net.ErrClosed
	}
	err := s.pollLoop()
	if p.leave() && s.r.w.closer != nil {
		_ = s.r.w.closer.Close()
	}
	return err
}

// pollLoop is poll's loop over RawConn.Read: it begins one again after
// each end check.
func (s *reading) pollLoop() error {
	p := &s.r.w.polled
	var err error
	read := func(fd uintptr) bool {
		var done bool
		done, err = s.readReady(int(fd))
		return done
	}
	for {
		rerr := p.rc.Read(read)
		if err != nil {
			return err
		}
		if !errors.Is(rerr, os.ErrDeadlineExceeded) {
			return rerr
		}
		if s.r.w.loadState() >= wireEnding {
			return net.ErrClosed // terminate's wake-up (polled.release)
		}
		// The end check: the next RawConn.Read reads before it waits.
		s.check = time.Time{}
		if err := p.conn.SetReadDeadline(time.Time{}); err != nil {
			return err
		}
	}
}

// readReady reads the socket fd and delivers what it reads, until the
// socket has nothing more (done false: wait for the poller), or reading
// ends (done true, with why).
func (s *reading) readReady(fd int) (done bool, err error) {
	w := s.r.w
	s.takeBuffer()
	defer s.lendBuffer()
	for {
		if w.loadState() >= wireEnding {
			return true, net.ErrClosed
		}
		buf, inRoom := s.buffer()
		n, e := syscall.Read(fd, buf)
		switch {
		case e == syscall.EINTR:
			continue
		case e == syscall.EAGAIN:
			return false, nil
		case e != nil:
			c := w.polled.conn
			return true, &net.OpError{Op: "read", Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError("read", e)}
		case n == 0:
			return true, io.EOF
		}
		now := time.Now()
		s.deliver(buf, inRoom, n, now)
		if n == len(buf) {
			continue // there may be more
		}
		busy := now.Sub(s.lastShort) < endCheck/2
		s.lastShort = now
		if !busy {
			// A socket that seldom brings bytes: the read that finds it
			// empty, or at its end, costs less than the end check's wake-up
			// and deadlines.
			continue
		}
		if err := s.armCheck(now); err != nil {
			return true, err
		}
		return false, nil
	}
}

// armCheck makes sure the poller's wait ends at most endCheck from now for
// an end check (see poll), moving the read deadline on only once it is
// less than endCheck/2 away: a busy socket's seldom fires.
func (s *reading) armCheck(now time.Time) error {
	if !s.check.IsZero() && s.check.Sub(now) >= endCheck/2 {
		return nil
	}
	s.check = now.Add(endCheck)
	if err := s.r.w.polled.conn.SetReadDeadline(s.check); err != nil {
		return err
	}
	if s.r.w.loadState() >= wireEnding {
		// terminate may have set its deadline in the past (polled.release)
		// just before this one replaced it.
		return net.ErrClosed
	}
	return nil
}

// waitingBufs keeps the read buffers of polled readers while they wait for
// the poller (reading.lendBuffer): a wire that waits for its peer holds no
// read buffer of its own, so an idle wire costs minReadBuf less.
var waitingBufs = sync.Pool{New: func() any { b := make([]byte, minReadBuf); return &b }}

// takeBuffer gives a polled reader a read buffer again, as it begins to
// read, if it lent its own (lendBuffer).
func (s *reading) takeBuffer() {
	if s.msg.data == nil {
		s.lent = waitingBufs.Get().(*[]byte)
		s.msg.data = (*s.lent)[:0]
	}
}

// lendBuffer puts a polled reader's buffer in waitingBufs as it goes to
// wait for the poller, if it is the smallest size (a reader whose buffer
// grew is busy: it keeps it) and no large payload is being read into room
// lent by the wire actor.
func (s *reading) lendBuffer() {
	if s.msg.room != nil || cap(s.msg.data) != minReadBuf {
		return
	}
	h := s.lent
	if h == nil {
		h = new([]byte)
	}
	*h = s.msg.data[:minReadBuf]
	s.msg.data, s.lent = nil, nil
	waitingBufs.Put(h)
}
