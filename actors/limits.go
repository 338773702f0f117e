package actors

import (
	"time"

	"github.com/ipfi-go/ipfi/wire"
)

// Limits bound what one peer can make an interface hold. Each field's zero
// value means its default (see DefaultLimits); so does a negative value
// here, which the root package refuses before it builds a Config (ipfi.New
// validates its options). ipfi.Limits mirrors this struct field for field:
// the root package converts one into the other. SECURITY.md tabulates them.
type Limits struct {
	// MaxFrame is the largest payload one frame may declare; a larger one
	// ends the wire as malformed before any memory is spent on it.
	// Default 16 MiB.
	MaxFrame int
	// MaxCallArgs is the most argument bytes one inbound call may accumulate
	// across its pieces; a call over it is answered with an error.
	// Default 16 MiB.
	MaxCallArgs int
	// MaxWireArgs is the most bytes the inbound calls of one wire may hold
	// together: their arguments, from their arrival until their procedures
	// return, and their answers while they wait for room in the writer. A
	// call whose arguments would pass it, or that arrives while it is
	// passed, is answered with an error. Default 32 MiB.
	MaxWireArgs int
	// MaxOpenCalls is the most inbound calls one wire may have open at once;
	// a call over it is answered with an error. Default 1,000.
	MaxOpenCalls int
	// MaxOpenStreams is the most inbound calls of streaming procedures
	// (sequence, bidirectional, raw stream) one wire may have open at once;
	// a call over it is answered with an error. Default 256.
	MaxOpenStreams int
	// MaxCalls is the most inbound calls all the wires of the interface
	// may have open at once; a call over it is answered with an error.
	// Default 10,000.
	MaxCalls int
	// MaxWires is the most wires the interface may have at once; Connect
	// beyond it fails with ErrLimit. Default 10,000.
	MaxWires int
	// MaxWriteQueue is the most bytes a wire's writer holds for its peer
	// (answers, errors, pongs, credit and stream values alike). While it
	// is full the wire reads nothing more from the peer, and goroutines
	// that write wait for room. Default 4 MiB.
	MaxWriteQueue int
	// MaxCollected is the most response bytes the calls of one wire that
	// collect their response whole (Start and Wait) may hold together
	// before it is complete; a call whose response would pass it fails
	// with ErrLimit and is cancelled at the callee. Streams read with Recv
	// are bounded by flow control instead. Default 64 MiB.
	MaxCollected int
}

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{
		MaxFrame:       wire.DefaultMaxPayload,
		MaxCallArgs:    16 << 20,
		MaxWireArgs:    32 << 20,
		MaxOpenCalls:   1_000,
		MaxOpenStreams: 256,
		MaxCalls:       10_000,
		MaxWires:       10_000,
		MaxWriteQueue:  4 << 20,
		MaxCollected:   64 << 20,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ v, d *int }{
		{&l.MaxFrame, &d.MaxFrame},
		{&l.MaxCallArgs, &d.MaxCallArgs},
		{&l.MaxWireArgs, &d.MaxWireArgs},
		{&l.MaxOpenCalls, &d.MaxOpenCalls},
		{&l.MaxOpenStreams, &d.MaxOpenStreams},
		{&l.MaxCalls, &d.MaxCalls},
		{&l.MaxWires, &d.MaxWires},
		{&l.MaxWriteQueue, &d.MaxWriteQueue},
		{&l.MaxCollected, &d.MaxCollected},
	} {
		if *f.v <= 0 {
			*f.v = *f.d
		}
	}
	return l
}

// Timeouts bound how long a wire waits on its peer. A zero field means its
// default (see DefaultTimeouts); a negative one turns that timeout off.
// ipfi.Timeouts mirrors this struct field for field.
type Timeouts struct {
	// KeepaliveInterval is how long a wire whose peer speaks the
	// extensions may receive nothing before it pings the peer. Default 30s.
	KeepaliveInterval time.Duration
	// KeepaliveTimeout is how long after such a ping the peer has to send
	// something (its pong, or anything else) before the wire ends with
	// ErrKeepaliveTimeout. Default 20s.
	KeepaliveTimeout time.Duration
	// Write is how long a write to the transport may make no progress
	// before the wire ends with ErrWriteTimeout (a peer that stopped
	// reading). Default 10s.
	Write time.Duration
	// Handshake is how long a wire accepted by Serve may wait for the
	// peer's first byte before it ends with ErrHandshakeTimeout.
	// Default 10s.
	Handshake time.Duration
	// Idle is how long a wire accepted by Serve may have no open call and
	// receive no message (a pong to a keepalive ping does not count)
	// before it is closed with ErrIdleTimeout. Default 2m.
	Idle time.Duration
	// Stop is how long closing a wire or the interface waits for the
	// procedures it ran to return once their contexts are cancelled; past
	// it, Close returns an error matching ErrStopTimeout and leaves them
	// running. Default 10s.
	Stop time.Duration
}

// DefaultTimeouts returns the default timeouts.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		KeepaliveInterval: 30 * time.Second,
		KeepaliveTimeout:  20 * time.Second,
		Write:             10 * time.Second,
		Handshake:         10 * time.Second,
		Idle:              2 * time.Minute,
		Stop:              10 * time.Second,
	}
}

// withDefaults returns t with each zero field set to its default and each
// negative one to 0 (off).
func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts()
	for _, f := range []struct{ v, d *time.Duration }{
		{&t.KeepaliveInterval, &d.KeepaliveInterval},
		{&t.KeepaliveTimeout, &d.KeepaliveTimeout},
		{&t.Write, &d.Write},
		{&t.Handshake, &d.Handshake},
		{&t.Idle, &d.Idle},
		{&t.Stop, &d.Stop},
	} {
		switch {
		case *f.v == 0:
			*f.v = *f.d
		case *f.v < 0:
			*f.v = 0
		}
	}
	return t
}
