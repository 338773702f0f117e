package actors

import (
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// polled is a wire's transport when its reader reads it through the
// poller (reading.poll): a socket only the wire uses. While the reader is
// inside RawConn.Read, a Close of the socket waits for it to return, and
// the reader may be waiting for the goroutine that closes: an actor that
// ends the wire runs on the reader's goroutine, or holds the chunk the
// reader waits on. So terminate then only wakes the reader (a read
// deadline in the past; the reader reads no more once the wire is ending)
// and the reader closes the transport as it leaves. state says which of
// them closes it.
type polled struct {
	rc    syscall.RawConn // nil: the reader reads the transport with Read
	conn  net.Conn        // the socket: its addresses for read errors, its read deadline
	state atomic.Uint32   // pollIdle, pollReading or pollClosed
}

const (
	pollIdle    uint32 = iota // the reader is not inside RawConn.Read
	pollReading               // it is: terminate wakes it, the reader closes
	pollClosed                // terminate has closed, or has left the close to the reader
)

// closeTransport closes the wire's transport, for terminate, without
// waiting for the reader: if the reader is inside RawConn.Read, it wakes
// the reader and leaves the close to it (polled).
func (w *Conn) closeTransport() {
	if w.polled.rc != nil && !w.polled.release() {
		return
	}
	if w.closer != nil {
		_ = w.closer.Close()
	}
}

// release is terminate's side of polled, after the wire has moved to
// wireEnding: it wakes the reader if it is inside RawConn.Read, and reports
// whether the transport is terminate's to close.
func (p *polled) release() (closeHere bool) {
	for {
		switch p.state.Load() {
		case pollClosed:
			return false
		case pollReading:
			if p.state.CompareAndSwap(pollReading, pollClosed) {
				_ = p.conn.SetReadDeadline(longAgo)
				return false
			}
		default:
			if p.state.CompareAndSwap(pollIdle, pollClosed) {
				return true
			}
		}
	}
}

// longAgo is a read deadline that has passed: it ends a wait for the
// poller at once.
var longAgo = time.Unix(1, 0)

// enter marks the reader inside RawConn.Read; false if terminate has
// closed the transport.
func (p *polled) enter() bool { return p.state.CompareAndSwap(pollIdle, pollReading) }

// leave marks the reader out of RawConn.Read, and reports whether
// terminate left the transport's close to it meanwhile.
func (p *polled) leave() (mustClose bool) { return !p.state.CompareAndSwap(pollReading, pollIdle) }
