package ipfi

import (
	"crypto/tls"
	"fmt"
	"net"
	"sync"

	"github.com/ipfi-go/ipfi/actors"
)

// A wire over TLS made by Dial or Serve writes without handing each write
// to a goroutine: a *tls.Conn has no write that cannot block, but the
// records it makes can be sent by the socket's non-blocking write, and
// what the socket does not take at once held, in order, until a write that
// may block sends it. tlsTransport is that wire's transport (an
// actors.NonBlockingWriter) and heldWrites the write side of the connection
// under its tls.Conn (recordConn).

// tryTLSMax is the most a TryWrite encrypts at once: what the socket does
// not take of it is held, so it bounds what a try holds. A longer write
// takes this much, and the wire's writer hands the rest to a goroutine
// that may block.
const tryTLSMax = 64 << 10

// maxHeld bounds the bytes held for the peer. Only the writer's blocking
// writes and the tls.Conn's own messages (a key update answered as it
// reads) add to them once some are held: a blocking write sends them as
// it goes, and a tls.Conn answering a peer that sends key updates and
// does not read fails past this bound, which ends the wire.
const maxHeld = 4 * tryTLSMax

// heldWrites is the write side of a recordConn once its handshake is
// over: records go to the socket without blocking (try), and what it
// does not take is held.
type heldWrites struct {
	mu   sync.Mutex
	try  func([]byte) (int, error) // nil: every write blocks (the handshake)
	held []byte                    // taken, not yet sent
	// pushing: a push is sending what it took of held; writes append to
	// held meanwhile, after it.
	pushing bool
	// mayBlock: the writer's blocking Write is in progress, so a write
	// past maxHeld sends what is held instead of failing.
	mayBlock bool
	err      error      // sticky: the first failed write
	pushMu   sync.Mutex // one push at a time
}

// errHeldFull is a write past maxHeld that may not block.
var errHeldFull = fmt.Errorf("%w: over %d bytes of TLS records held for a peer that does not read", ErrLimit, maxHeld)

// writeLocked is recordConn's Write once try is set: it sends p without
// blocking if nothing is held, and holds the rest. Called with out.mu
// held, which it lets go only while it pushes.
func (c *recordConn) writeLocked(p []byte) (int, error) {
	h := &c.out
	total := len(p)
	for {
		if h.err != nil {
			return 0, h.err
		}
		if len(h.held) == 0 && !h.pushing {
			n, err := h.try(p)
			if err != nil {
				h.err = err
				return 0, err
			}
			p = p[n:]
		}
		if len(p) == 0 {
			return total, nil
		}
		if len(h.held)+len(p) <= maxHeld {
			h.held = append(h.held, p...)
			return total, nil
		}
		if !h.mayBlock {
			h.err = errHeldFull
			return 0, h.err
		}
		h.mu.Unlock()
		err := c.push()
		h.mu.Lock()
		if err != nil {
			return 0, err
		}
	}
}

// push sends what is held, blocking until the socket takes it (or its
// write deadline passes). Writes meanwhile are held after it.
func (c *recordConn) push() error {
	h := &c.out
	h.pushMu.Lock()
	defer h.pushMu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.err == nil && len(h.held) > 0 {
		b := h.held
		h.held, h.pushing = nil, true
		h.mu.Unlock()
		_, err := c.Conn.Write(b)
		h.mu.Lock()
		h.pushing = false
		if err != nil {
			h.err = err
		}
	}
	return h.err
}

// tryPush sends what is held without blocking, and reports whether
// nothing is held now.
func (c *recordConn) tryPush() (bool, error) {
	h := &c.out
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return false, h.err
	}
	if h.pushing {
		return false, nil
	}
	if len(h.held) == 0 {
		return true, nil
	}
	n, err := h.try(h.held)
	if err != nil {
		h.err = err
		return false, err
	}
	h.held = h.held[:copy(h.held, h.held[n:])]
	return len(h.held) == 0, nil
}

// holds reports whether bytes are held, or being pushed.
func (c *recordConn) holds() bool {
	h := &c.out
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.held) > 0 || h.pushing
}

// holdWrites turns on non-blocking writes, after the handshake, and
// reports whether the socket has them.
func (c *recordConn) holdWrites() bool {
	try := actors.TryWriter(c.Conn)
	if try == nil {
		return false
	}
	c.out.mu.Lock()
	c.out.try = try
	c.out.mu.Unlock()
	return true
}

// tlsTransport is the transport of a wire over TLS made by Dial or Serve
// on a socket with a non-blocking write: the tls.Conn, and the
// recordConn under it.
type tlsTransport struct {
	*tls.Conn
	rec *recordConn
}

// tlsWireConn returns the transport of a wire over tc, whose handshake
// is over: a tlsTransport, or tc itself where the socket has no
// non-blocking write.
func tlsWireConn(tc *tls.Conn, rec *recordConn) net.Conn {
	if !rec.holdWrites() {
		return tc
	}
	return &tlsTransport{Conn: tc, rec: rec}
}

// Write writes b, blocking, and then whatever is still held.
func (t *tlsTransport) Write(b []byte) (int, error) {
	h := &t.rec.out
	h.mu.Lock()
	h.mayBlock = true
	h.mu.Unlock()
	n := 0
	var err error
	if len(b) > 0 {
		n, err = t.Conn.Write(b)
	}
	h.mu.Lock()
	h.mayBlock = false
	h.mu.Unlock()
	if err != nil {
		return n, err
	}
	return n, t.rec.push()
}

// TryWrite encrypts up to tryTLSMax bytes of b, if nothing is held once
// it has tried to send what is, and sends the records without blocking,
// holding what the socket does not take.
func (t *tlsTransport) TryWrite(b []byte) (int, error) {
	if empty, err := t.rec.tryPush(); !empty {
		return 0, err
	}
	return t.Conn.Write(b[:min(len(b), tryTLSMax)])
}

// Holds reports whether records are held for the socket.
func (t *tlsTransport) Holds() bool { return t.rec.holds() }

var _ actors.NonBlockingWriter = (*tlsTransport)(nil)
