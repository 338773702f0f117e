package actors

import (
	"time"

	"github.com/ipfi-go/ipfi/internal/core"
)

// Limits bound what one peer, and all of them together, can make an
// interface hold; the root package ipfi names them ipfi.Limits and sets
// them with ipfi.WithLimits. A zero field means its default (the value in
// DefaultLimits); a negative one makes ipfi.New return an error matching
// ipfi.ErrInvalidOption (a System given one uses the default).
// SECURITY.md tabulates them with what each costs.
//
// The defaults keep what one connection can make the process hold to tens
// of MiB: its frame in progress (MaxFrame), its arguments (MaxWireArgs),
// what is queued for it (MaxWriteQueue), its open calls (MaxOpenCalls
// procedures running, with their goroutines).
type Limits struct {
	// MaxFrame is the largest payload, in bytes, one frame from the peer
	// may declare; a larger one ends the wire as malformed
	// (wire.ErrFrameTooLarge) before any memory is spent on it.
	// Default 16 MiB (wire.DefaultMaxPayload). This side writes no frame
	// over 1 MiB: larger arguments and values go in pieces, which the
	// argument limit (MaxCallArgs) bounds instead.
	MaxFrame int
	// MaxCallArgs is the most argument bytes one call from the peer may
	// accumulate across its pieces; a call over it is answered with an
	// error (a *RemoteError matching ErrLimit, for a peer with the
	// extensions) and the wire goes on. Default 16 MiB.
	MaxCallArgs int
	// MaxWireArgs is the most bytes the peer's calls on one wire may hold
	// together: their arguments, from their arrival (whole or in pieces)
	// until their procedures return (or, for a bidirectional procedure,
	// until it reads them), and their answers while they wait to be
	// written to a peer that reads slowly. A call whose arguments would
	// pass it, or that arrives while it is passed, is answered with an
	// error as for MaxCallArgs. Default 32 MiB.
	MaxWireArgs int
	// MaxOpenCalls is the most calls from the peer one wire may have open
	// at once; a call over it is answered at once with an error (as for
	// MaxCallArgs) and the wire goes on. A call is open until its
	// procedure's goroutine is done, which may be just after its answer
	// has reached the caller: a caller that makes its next call at once
	// may find the last one still counted (keep the limit above the
	// calls a peer makes at once). Default 1,000.
	MaxOpenCalls int
	// MaxOpenStreams is the most calls from the peer to streaming
	// procedures (Sequence, Bidi, RawStream) one wire may have open at
	// once; a call over it is answered with an error as for MaxOpenCalls.
	// Default 256.
	MaxOpenStreams int
	// MaxCalls is the most calls from all peers the interface may have
	// open at once (procedures running, and their goroutines); a call over
	// it is answered with an error as for MaxOpenCalls. Default 10,000.
	MaxCalls int
	// MaxWires is the most wires the interface may have at once: Connect
	// beyond it returns an error matching ErrLimit, and Serve closes the
	// connections it accepts beyond it. Default 10,000.
	MaxWires int
	// MaxWriteQueue is the most bytes a wire holds for its peer waiting to
	// be written (answers, errors, pongs, credit and stream values alike).
	// While it is full the wire reads nothing more from that peer and
	// callers that write wait (or return at their context's end); a peer
	// that never reads again ends the wire after Timeouts.Write.
	// Default 4 MiB.
	MaxWriteQueue int
	// MaxCollected is the most response bytes this side's calls on one
	// wire may hold together while their responses arrive, for calls that
	// take the response whole (Call, Start then Wait, a Raw reply): a call
	// whose response would pass it fails with an error matching ErrLimit
	// and is cancelled at the callee. Streams read value by value (Recv) are
	// bounded by flow control instead. Default 64 MiB.
	MaxCollected int
}

// DefaultLimits returns the limits a System enforces when its Config
// leaves them zero: every field set to its default.
func DefaultLimits() Limits {
	c := core.DefaultConfig() // the limits the protocol core decides on
	return Limits{
		MaxFrame:       c.MaxFrame,
		MaxCallArgs:    c.MaxCallArgs,
		MaxWireArgs:    c.MaxWireArgs,
		MaxOpenCalls:   c.MaxOpenCalls,
		MaxOpenStreams: c.MaxOpenStreams,
		MaxCalls:       10_000,
		MaxWires:       10_000,
		MaxWriteQueue:  4 << 20,
		MaxCollected:   c.MaxCollected,
	}
}

// WithDefaults returns l with each zero (or negative) field set to its
// default: the limits a System given l enforces.
// Limits{}.WithDefaults() is DefaultLimits().
func (l Limits) WithDefaults() Limits { return l.withDefaults() }

// rules returns the limits the protocol core decides on (open calls and
// streams, one call's and the wire's argument bytes, the responses being
// collected, the frame size).
func (l Limits) rules() core.Config {
	return core.Config{
		MaxFrame:       l.MaxFrame,
		MaxCallArgs:    l.MaxCallArgs,
		MaxWireArgs:    l.MaxWireArgs,
		MaxOpenCalls:   l.MaxOpenCalls,
		MaxOpenStreams: l.MaxOpenStreams,
		MaxCollected:   l.MaxCollected,
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

// Timeouts bound how long a wire waits on its peer, and how long closing
// waits for procedures; the root package ipfi names them ipfi.Timeouts and
// sets them with ipfi.WithTimeouts. A zero field means its default (the
// value in DefaultTimeouts); a negative one turns that timeout off. Each ends the wire with a cause of its own, which Wire.Err returns
// and every call on the wire carries in its *WireError; each is noticed
// within half of its length after it passes (a wire has one timer, which
// ticks every half of its shortest timeout).
type Timeouts struct {
	// KeepaliveInterval is how long a wire whose peer speaks the
	// extensions may receive nothing before it pings the peer. A peer
	// without them (the Rust crate) is never pinged: only Idle applies to
	// it. Default 30s.
	KeepaliveInterval time.Duration
	// KeepaliveTimeout is how long the peer has, after such a ping, to
	// send anything (its pong, or anything else) before the wire ends with
	// ErrKeepaliveTimeout: a frozen peer or path. Default 20s.
	KeepaliveTimeout time.Duration
	// Write is how long a write to the transport may make no progress
	// before the wire ends with ErrWriteTimeout (a peer that stopped
	// reading). Progress is a Write call returning: one call that takes
	// longer (a large buffer on a slow transport such as a serial line, a
	// radio or Morse code) counts as none, so raise it, or turn it off,
	// for such transports. Default 10s.
	Write time.Duration
	// Handshake is how long a wire accepted by Serve (or made with the
	// WithAccepted option) may wait for the peer's first byte before it ends
	// with ErrHandshakeTimeout. It also bounds the TLS handshake of the root
	// package's Dial and Serve with its WithTLS option: a TLS handshake not
	// finished within it fails with an error matching ErrHandshakeTimeout
	// (and the root package's ErrTLSHandshake), and a TLS wire's wait for
	// the first byte starts once its handshake has finished. Default 10s.
	Handshake time.Duration
	// Idle is how long a wire accepted by Serve (or made with the WithAccepted
	// option) may have no call open, either way, and receive no message
	// (pongs to keepalive pings do not count) before it is closed with
	// ErrIdleTimeout (the peer is sent a Termination message). It is also
	// what ends a wire whose peer sends a message a byte at a time, too
	// slowly to finish any. Default 2m.
	Idle time.Duration
	// Stop is how long closing a wire or the interface (Close, and the
	// end of Shutdown) waits for the procedures it ran to return once
	// their contexts are cancelled. A procedure that ignores its context
	// cannot be stopped: past Stop, Close logs and returns an error
	// matching ErrStopTimeout that says how many goroutines are left
	// running. Default 10s.
	Stop time.Duration
	// CloseGrace is how long closing a wire (or the interface) waits for
	// its Termination message to be written before closing the transport
	// anyway, and how long a wire whose peer's stream ended (a half-close)
	// waits for the peer's calls to be answered and written before it ends
	// and cancels those still running. Off, closing does not wait for the
	// message and a half-closed wire ends at once. Default 1s. (A System
	// takes it as Config.CloseGrace instead.)
	CloseGrace time.Duration
}

// DefaultTimeouts returns the timeouts a System enforces when its
// Config leaves them zero: every field set to its default.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		KeepaliveInterval: 30 * time.Second,
		KeepaliveTimeout:  20 * time.Second,
		Write:             10 * time.Second,
		Handshake:         10 * time.Second,
		Idle:              2 * time.Minute,
		Stop:              10 * time.Second,
		CloseGrace:        time.Second,
	}
}

// WithDefaults returns t with each zero field set to its default; a
// negative field (a timeout turned off) stays as it is.
// Timeouts{}.WithDefaults() is DefaultTimeouts().
func (t Timeouts) WithDefaults() Timeouts {
	d := DefaultTimeouts()
	for _, f := range t.fields(&d) {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	return t
}

// fields pairs t's fields with d's.
func (t *Timeouts) fields(d *Timeouts) []struct{ v, d *time.Duration } {
	return []struct{ v, d *time.Duration }{
		{&t.KeepaliveInterval, &d.KeepaliveInterval},
		{&t.KeepaliveTimeout, &d.KeepaliveTimeout},
		{&t.Write, &d.Write},
		{&t.Handshake, &d.Handshake},
		{&t.Idle, &d.Idle},
		{&t.Stop, &d.Stop},
		{&t.CloseGrace, &d.CloseGrace},
	}
}

// withDefaults returns t with each zero field set to its default and each
// negative one to 0 (off): what a System runs with.
func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts()
	for _, f := range t.fields(&d) {
		switch {
		case *f.v == 0:
			*f.v = *f.d
		case *f.v < 0:
			*f.v = 0
		}
	}
	return t
}
