package ipfiquic

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"

	"github.com/ipfi-go/ipfi/actors"
	"github.com/quic-go/quic-go"
)

// The stream error code a wire's end resets its stream with when it cannot
// finish it (a write in progress): QUIC's "no error" for an application.
const codeWireEnded quic.StreamErrorCode = 0

// stream is the transport of one wire: a QUIC stream whose Close ends both
// directions and is safe to call while a Write is blocked.
type stream struct {
	*quic.Stream
	conn   *quic.Conn
	mu     sync.Mutex // held by Write; Close finishes the stream only if it is free
	closed bool       // set under mu by Close: later Writes fail
	once   sync.Once
}

func newStream(s *quic.Stream, c *quic.Conn) *stream { return &stream{Stream: s, conn: c} }

// Write writes p to the stream; it blocks while the peer's flow control
// allows nothing more, until the stream's write deadline or Close.
func (s *stream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, net.ErrClosed
	}
	return s.Stream.Write(p)
}

// tryMax is the most TryWrite queues at once: a longer write takes this
// much, and the wire's writer hands the rest to a goroutine that may
// block.
const tryMax = 64 << 10

// TryWrite queues up to tryMax bytes of p on the stream if the peer's flow
// control allows all of them now, without blocking; nothing otherwise.
// With it the wire's writer writes on the goroutine that has something to
// write (an actors.NonBlockingWriter) instead of handing every write to a
// flusher goroutine.
func (s *stream) TryWrite(p []byte) (int, error) {
	p = p[:min(len(p), tryMax)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, net.ErrClosed
	}
	switch err := s.Stream.TryWriteAll(p); {
	case err == nil:
		return len(p), nil
	case errors.Is(err, quic.ErrWouldBlock):
		return 0, nil
	default:
		return 0, err
	}
}

// Holds reports false: what TryWrite queued, the stream sends.
func (s *stream) Holds() bool { return false }

var _ actors.NonBlockingWriter = (*stream)(nil)

// Close stops reading (the peer is told to stop sending) and ends the
// writing: with a FIN after what was written when no Write is in progress,
// so that the wire's last message reaches the peer; with a reset, which
// makes a blocked Write return at once, when one is. It never blocks on
// the peer, is idempotent and safe to call concurrently.
func (s *stream) Close() error {
	s.once.Do(func() {
		s.Stream.CancelRead(codeWireEnded)
		if s.mu.TryLock() {
			s.closed = true
			_ = s.Stream.Close()
			s.mu.Unlock()
			return
		}
		s.Stream.CancelWrite(codeWireEnded)
	})
	return nil
}

// ConnectionState is the connection's TLS state, for the wire's TLS
// method: the peer's certificates, the negotiated protocol.
func (s *stream) ConnectionState() tls.ConnectionState { return s.conn.ConnectionState().TLS }

// RemoteAddr is the peer's address, for the wire's RemoteAddr.
func (s *stream) RemoteAddr() net.Addr { return s.conn.RemoteAddr() }

// LocalAddr is this side's address.
func (s *stream) LocalAddr() net.Addr { return s.conn.LocalAddr() }
