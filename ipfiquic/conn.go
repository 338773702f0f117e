package ipfiquic

import (
	"context"
	"sync"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/quic-go/quic-go"
)

// The application error codes a Conn closes its QUIC connection with.
const (
	// CodeClosed: Conn.Close, or the Conn's interface stopped and its
	// last wire ended.
	CodeClosed quic.ApplicationErrorCode = 0
	// CodeNoWire: a served connection had no wire for Timeouts.Handshake
	// after its handshake, or for Timeouts.Idle after its last wire ended.
	CodeNoWire quic.ApplicationErrorCode = 1
)

// Conn is a QUIC connection that carries wires of one interface: one per
// bidirectional stream, opened by either side. Its methods are safe for
// concurrent use.
type Conn struct {
	i      *ipfi.Interface
	qc     *quic.Conn
	opts   []ipfi.Option // the wires', accepted and opened
	served bool          // made by Serve: closed when it has no wire for a while

	mu       sync.Mutex
	wires    int           // wires up on the connection
	timer    *time.Timer   // served: closes the connection when it has no wire; nil when it has
	draining bool          // its interface stopping: closed as its last wire ends
	loop     chan struct{} // closed as accept returns
}

// newConn makes the Conn of qc and starts accepting its streams as wires
// (until the connection ends or ctx does).
func newConn(ctx context.Context, i *ipfi.Interface, qc *quic.Conn, served bool, opts []ipfi.Option) *Conn {
	c := &Conn{i: i, qc: qc, opts: opts, served: served, loop: make(chan struct{})}
	if served {
		c.noWireFor(i.Timeouts().Handshake)
	}
	go c.accept(ctx)
	go c.closeWith(i)
	return c
}

// Open opens a stream and makes a wire of the Conn's interface over it,
// with the Conn's wire options. It blocks while the peer allows no more
// streams (quic.Config.MaxIncomingStreams), until ctx ends. The peer
// learns of the stream with the wire's first bytes (its announcement,
// written at once unless the wire is made with ipfi.WithPlain).
func (c *Conn) Open(ctx context.Context) (*ipfi.Wire, error) {
	s, err := c.qc.OpenStreamSync(ctx)
	if err != nil {
		return nil, err
	}
	return c.connect(s)
}

// Close closes the connection (CodeClosed): every wire on it ends at once
// with ipfi.ErrWireTerminated, on both sides. It does not wait for the
// wires' last messages: close the wires first (Wire.Close) to say goodbye.
func (c *Conn) Close() error {
	return c.qc.CloseWithError(CodeClosed, "")
}

// Done is closed when the connection has ended, by either side or by a
// failure; Err then says why.
func (c *Conn) Done() <-chan struct{} { return c.qc.Context().Done() }

// Err is why the connection ended (a *quic.ApplicationError for a close,
// a *quic.IdleTimeoutError...), nil while it is up.
func (c *Conn) Err() error { return context.Cause(c.qc.Context()) }

// QUIC is the QUIC connection, for its addresses, state and statistics.
// Closing it is closing the Conn.
func (c *Conn) QUIC() *quic.Conn { return c.qc }

// accept makes a wire of each stream the peer opens, until the connection
// or ctx ends.
func (c *Conn) accept(ctx context.Context) {
	defer close(c.loop)
	for {
		s, err := c.qc.AcceptStream(ctx)
		if err != nil {
			return
		}
		if _, err := c.connect(s); err != nil {
			// The interface refused the wire (a limit, or it is closing):
			// the stream is reset, the connection goes on.
			s.CancelRead(codeWireEnded)
			s.CancelWrite(codeWireEnded)
		}
	}
}

// connect makes a wire over s and counts it until it ends. The wire is
// counted before it is made: it reads, and may run a call, as soon as it
// is made, and a drain must not take the connection for empty meanwhile.
func (c *Conn) connect(s *quic.Stream) (*ipfi.Wire, error) {
	c.mu.Lock()
	c.wires++
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.mu.Unlock()
	t := newStream(s, c.qc)
	w, err := c.i.Connect(t, t, c.opts...)
	if err != nil {
		c.wireGone()
		return nil, err
	}
	go func() {
		<-w.Done()
		c.wireGone()
	}()
	return w, nil
}

// wireGone uncounts a wire that has ended (or was not made); the last one
// gone closes a draining connection, and starts a served one's idle timer.
func (c *Conn) wireGone() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.wires--; {
	case c.wires > 0:
	case c.draining:
		c.closeAfterGrace()
	case !c.served: // a client's connection stays until Close
	default:
		c.noWireFor(c.i.Timeouts().Idle)
	}
}

// closeWith closes the connection once i stops and its wires have ended
// (drain), or returns as the connection ends.
func (c *Conn) closeWith(i *ipfi.Interface) {
	select {
	case <-i.Stopping():
		c.drain()
	case <-c.qc.Context().Done():
	}
}

// closeAfterGrace closes the connection after the interface's
// Timeouts.CloseGrace (at once if it is off), unless it ends first: time
// for the last wire's final messages (an answer, its Termination) to
// reach the peer, since closing a QUIC connection drops what its streams
// have not yet delivered.
func (c *Conn) closeAfterGrace() {
	closeIt := func() { _ = c.qc.CloseWithError(CodeClosed, "ipfi: interface closed") }
	grace := c.i.Timeouts().CloseGrace
	if grace <= 0 {
		closeIt()
		return
	}
	t := time.AfterFunc(grace, closeIt)
	context.AfterFunc(c.qc.Context(), func() { t.Stop() })
}

// drain closes the connection as soon as it has no wire: as its interface
// stops (Shutdown lets the wires' calls finish, Close ends them).
func (c *Conn) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.draining = true
	if c.wires == 0 {
		_ = c.qc.CloseWithError(CodeClosed, "ipfi: interface closed")
	}
}

// noWireFor closes the connection (CodeNoWire) if it still has no wire
// after d (not at all for d <= 0). Called with mu held, or before the
// Conn is shared.
func (c *Conn) noWireFor(d time.Duration) {
	if d <= 0 {
		return
	}
	c.timer = time.AfterFunc(d, func() {
		c.mu.Lock()
		idle := c.wires == 0
		c.mu.Unlock()
		if idle {
			_ = c.qc.CloseWithError(CodeNoWire, "ipfi: no wire")
		}
	})
}
