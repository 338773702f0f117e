package ipfi

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// wireTLS is the TLS connection under a wire (Wire.TLS): the connection,
// and its state once its handshake has finished (set once, then shared).
type wireTLS struct {
	conn tlsStater
	done atomic.Pointer[tls.ConnectionState]
}

// tlsStater is a transport that knows its TLS state: a *tls.Conn, or a
// transport of the program's own over one (a QUIC stream, a WebSocket).
type tlsStater interface {
	ConnectionState() tls.ConnectionState
}

// tlsOf returns the TLS connection among a transport's parts (Connect's
// reader and writer), or nil.
func tlsOf(parts ...any) *wireTLS {
	for _, p := range parts {
		if c, ok := p.(tlsStater); ok {
			return &wireTLS{conn: c}
		}
	}
	return nil
}

// state returns the connection's state once its handshake has finished,
// nil before.
func (t *wireTLS) state() *tls.ConnectionState {
	if s := t.done.Load(); s != nil {
		return s
	}
	s := t.conn.ConnectionState()
	if !s.HandshakeComplete {
		return nil
	}
	t.done.CompareAndSwap(nil, &s)
	return t.done.Load()
}

// clientTLS runs the client handshake of Dial over c, dialed to addr,
// bounded by ctx and the interface's Timeouts.Handshake. It closes c if
// the handshake fails.
func (i *Interface) clientTLS(ctx context.Context, c net.Conn, addr string, cfg *tls.Config) (net.Conn, error) {
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	rec := &recordConn{Conn: c}
	tc := tls.Client(rec, cfg)
	if err := i.handshakeTLS(ctx, tc, addr, true); err != nil {
		_ = c.Close()
		return nil, err
	}
	return tlsWireConn(tc, rec), nil
}

// serveTLS runs the server handshake over c, accepted by Serve, bounded
// by ctx (done when Serve returns) and Timeouts.Handshake, then makes a
// wire over it with opts. A connection that fails is closed, and logged.
func (i *Interface) serveTLS(ctx context.Context, c net.Conn, cfg *tls.Config, opts []Option) {
	remote := c.RemoteAddr().String()
	rec := &recordConn{Conn: c}
	tc := tls.Server(rec, cfg)
	err := i.handshakeTLS(ctx, tc, remote, false)
	if err == nil {
		t := tlsWireConn(tc, rec)
		_, err = i.Connect(t, t, opts...)
		if err != nil && (errors.Is(err, ErrClosed) || errors.Is(err, ErrShutdown)) {
			err = nil // Serve is returning with it
		}
	}
	if err != nil {
		_ = c.Close()
		if i.logger != nil && ctx.Err() == nil {
			i.logger.Warn("ipfi: connection refused", "remote", remote, "err", err)
		}
	}
}

// handshakeTLS runs tc's handshake with the peer at addr, bounded by ctx
// and Timeouts.Handshake; its error matches ErrTLSHandshake.
func (i *Interface) handshakeTLS(ctx context.Context, tc *tls.Conn, addr string, client bool) error {
	hctx := ctx
	if d := i.handshake; d > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeoutCause(ctx, d, ErrHandshakeTimeout)
		defer cancel()
	}
	err := tc.HandshakeContext(hctx)
	if err == nil {
		return nil
	}
	e := &tlsError{addr: addr, err: err}
	var notTLS *notTLSError
	switch {
	case hctx.Err() != nil:
		e.err = context.Cause(hctx)
		if errors.Is(e.err, ErrHandshakeTimeout) {
			e.why, e.whole = "not finished within Timeouts.Handshake ("+i.handshake.String()+")", true
		}
	case errors.As(err, &notTLS):
		who := "peer"
		if client {
			who = "server"
		}
		e.why = "the " + who + " does not speak TLS (its first bytes, " + notTLS.first() + ", do not start a TLS record)"
		e.err, e.whole = notTLS.rec, true
	case client && closedEarly(err):
		e.why = "the server closed the connection during the handshake: it may not speak TLS"
	}
	return e
}

// closedEarly reports whether err is the end of a connection.
func closedEarly(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// tlsError is a failed TLS handshake: it matches ErrTLSHandshake and
// wraps why it failed.
type tlsError struct {
	addr  string
	why   string // said before err's text, if not empty
	whole bool   // why says it all: err's text is not added
	err   error
}

func (e *tlsError) Error() string {
	s := "ipfi: TLS handshake with " + e.addr + ": "
	if e.whole {
		return s + e.why
	}
	if e.why != "" {
		s += e.why + ": "
	}
	t := e.err.Error()
	for _, p := range []string{"tls: ", "ipfi: "} {
		t = strings.TrimPrefix(t, p)
	}
	return s + t
}

func (e *tlsError) Unwrap() error { return e.err }

// Is matches ErrTLSHandshake.
func (e *tlsError) Is(target error) bool { return target == ErrTLSHandshake }

// The first byte of a TLS record from a peer in a handshake: a handshake
// message, or an alert.
const (
	recordHandshake = 0x16
	recordAlert     = 0x15
)

// recordConn is the connection under a tls.Conn of Dial or Serve: its
// first bytes must start a TLS record, or its first Read fails at once
// with a notTLSError (tls would wait for a record header's five bytes,
// which a plain peer may never send). The tls.Conn reads it one goroutine
// at a time. Once the handshake is over its writes do not block
// (heldWrites, where the socket allows).
type recordConn struct {
	net.Conn
	checked bool
	out     heldWrites
}

// Write writes p, blocking during the handshake and holding what the
// socket does not take at once after it (see heldWrites).
func (c *recordConn) Write(p []byte) (int, error) {
	h := &c.out
	h.mu.Lock()
	if h.try == nil {
		h.mu.Unlock()
		return c.Conn.Write(p)
	}
	defer h.mu.Unlock()
	return c.writeLocked(p)
}

func (c *recordConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if !c.checked && n > 0 {
		c.checked = true
		if p[0] != recordHandshake && p[0] != recordAlert {
			e := &notTLSError{rec: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}}
			e.n = copy(e.rec.RecordHeader[:], p[:n])
			return 0, e
		}
	}
	return n, err
}

// notTLSError is recordConn's error for a peer that does not speak TLS.
// rec holds the peer's first n bytes (at most five).
type notTLSError struct {
	rec tls.RecordHeaderError
	n   int
}

// first returns the peer's first bytes in hex: "f0 02".
func (e *notTLSError) first() string {
	h := make([]string, e.n)
	for k, b := range e.rec.RecordHeader[:e.n] {
		h[k] = hex.EncodeToString([]byte{b})
	}
	return strings.Join(h, " ")
}

func (e *notTLSError) Error() string { return e.rec.Error() }
func (e *notTLSError) Unwrap() error { return e.rec }

// handshakeTimeout is what bounds the TLS handshakes of an interface
// given t: Timeouts.Handshake or its default, 0 when turned off.
func handshakeTimeout(t Timeouts) time.Duration {
	return max(t.WithDefaults().Handshake, 0)
}
