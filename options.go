package ipfi

import (
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"fmt"
	"log/slog"
	"time"

	"github.com/ipfi-go/ipfi/actors"
)

// Option configures an Interface; see New.
type Option func(*config)

// config is what the Options of New set; the zero value of each field means
// its default.
type config struct {
	meter      metric.MeterProvider
	tracer     trace.TracerProvider
	server     []ServerInterceptor
	client     []ClientInterceptor
	opened     func(*Wire)
	ended      func(*Wire, error)
	limits     Limits
	timeouts   Timeouts
	logger     *slog.Logger
	closeGrace time.Duration
}

// validate reports the first option New cannot use.
func (c *config) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"MaxFrame", c.limits.MaxFrame},
		{"MaxCallArgs", c.limits.MaxCallArgs},
		{"MaxWireArgs", c.limits.MaxWireArgs},
		{"MaxOpenCalls", c.limits.MaxOpenCalls},
		{"MaxOpenStreams", c.limits.MaxOpenStreams},
		{"MaxCalls", c.limits.MaxCalls},
		{"MaxWires", c.limits.MaxWires},
		{"MaxWriteQueue", c.limits.MaxWriteQueue},
		{"MaxCollected", c.limits.MaxCollected},
	} {
		if f.v < 0 {
			return fmt.Errorf("%w: Limits.%s is %d, want 0 (the default) or more", ErrInvalidOption, f.name, f.v)
		}
	}
	if c.closeGrace < 0 {
		return fmt.Errorf("%w: close grace is %v, want 0 (the default) or more", ErrInvalidOption, c.closeGrace)
	}
	return nil
}

// actorsConfig is c as the actor system takes it.
func (c *config) actorsConfig() actors.Config {
	return actors.Config{
		Limits:     actors.Limits(c.limits),
		Timeouts:   actors.Timeouts(c.timeouts),
		Logger:     c.logger,
		CloseGrace: c.closeGrace,
	}
}

// Limits bound what one peer, and all of them together, can make an
// interface hold. A zero field means its default (the value in
// DefaultLimits); a negative one makes New return an error matching
// ErrInvalidOption. SECURITY.md tabulates them with what each costs.
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
	// MaxCallArgs) and the wire goes on. Default 1,000.
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
	// take the response whole (Call, Start then Wait, CallRaw): a call
	// whose response would pass it fails with an error matching ErrLimit
	// and is cancelled at the callee. Streams read value by value are
	// bounded by flow control instead. Default 64 MiB.
	MaxCollected int
}

// DefaultLimits returns the limits an interface enforces unless WithLimits
// says otherwise: every field set to its default.
func DefaultLimits() Limits { return Limits(actors.DefaultLimits()) }

// WithLimits sets the limits enforced on every wire of the interface. A
// zero field keeps its default; a negative one is an invalid option.
// Default: DefaultLimits(). Of several WithLimits, the last counts.
func WithLimits(l Limits) Option { return func(c *config) { c.limits = l } }

// Timeouts bound how long a wire waits on its peer, and how long closing
// waits for procedures. A zero field means its
// default (the value in DefaultTimeouts); a negative one turns that timeout
// off. Each ends the wire with a cause of its own, which Wire.Err returns
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
	// Accepted option) may wait for the peer's first byte before it ends
	// with ErrHandshakeTimeout. Default 10s.
	Handshake time.Duration
	// Idle is how long a wire accepted by Serve (or made with the Accepted
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
}

// DefaultTimeouts returns the timeouts an interface enforces unless
// WithTimeouts says otherwise: every field set to its default.
func DefaultTimeouts() Timeouts { return Timeouts(actors.DefaultTimeouts()) }

// WithTimeouts sets the timeouts of every wire of the interface. A zero
// field keeps its default; a negative one turns that timeout off.
// Default: DefaultTimeouts(). Of several WithTimeouts, the last counts.
func WithTimeouts(t Timeouts) Option { return func(c *config) { c.timeouts = t } }

// WithWireHooks has the interface tell the program of every wire it makes
// (Connect, Serve, Dial, ConnectCmd...): opened as the wire is made, on
// the goroutine that made it (the wire is already reading: a call on it
// may be under way); ended once it has ended and every call on it has failed, with its cause,
// on the actor system's root (it must not block). Either may be nil.
// Default: none.
func WithWireHooks(opened func(w *Wire), ended func(w *Wire, cause error)) Option {
	return func(c *config) { c.opened, c.ended = opened, ended }
}

// WithLogger sends the interface's logs (wire and call failures, the actor
// system's own lines) to l. Default (or nil): nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithCloseGrace sets how long closing a wire (or the interface) waits for
// its Termination message to be written before closing the transport
// anyway, and how long a wire whose peer's stream ended (a half-close, see
// "Lifecycle" in the package documentation) waits for the peer's calls to
// be answered and written before it ends and cancels those still running.
// Default (or 0): 1s. A negative duration is an invalid option.
func WithCloseGrace(d time.Duration) Option { return func(c *config) { c.closeGrace = d } }

// WireOption configures one wire; see Interface.Connect.
type WireOption func(*wireConfig)

// wireConfig is what the WireOptions of a wire set.
type wireConfig struct {
	calleeOnly bool
	plain      bool
	accepted   bool
	push       bool // ConnectPush's: no reader goroutine
}

// Accepted marks a wire as accepted from a listener, as Serve's wires are:
// the interface's Timeouts.Handshake and Timeouts.Idle apply to it. For a
// server that runs its own accept loop. Default: a wire made with Connect
// waits on its peer as long as the keepalive says it is alive.
func Accepted() WireOption { return func(c *wireConfig) { c.accepted = true } }

// CalleeOnly makes a wire that serves the peer's calls but makes none (its
// Call methods return ErrCalleeOnly) and ignores Response messages: the Rust
// crate's "module style". Default: a wire both calls and serves.
func CalleeOnly() WireOption { return func(c *wireConfig) { c.calleeOnly = true } }

// Plain makes a wire that speaks only the Rust crate's format: it does not
// announce this project's extensions and ignores a peer's announcement, so
// failures are reported as empty responses, cancel does not reach the
// peer, and streams are not flow-controlled. Default: a wire announces the
// extensions and uses them with a peer that announces them too (a Rust
// peer skips the two announcement bytes).
func Plain() WireOption { return func(c *wireConfig) { c.plain = true } }

// StreamOption configures one stream; see Wire.Open.
type StreamOption func(*streamConfig)

// streamConfig is what the StreamOptions of a stream set.
type streamConfig struct {
	window int
}

// validate reports the first option Open cannot use.
func (c *streamConfig) validate() error {
	if c.window < 0 {
		return fmt.Errorf("%w: stream window is %d bytes, want 0 (the default) or more", ErrInvalidOption, c.window)
	}
	return nil
}

// StreamWindow fixes how many bytes of the response the callee may send
// ahead of the reader (flow control with a peer that speaks the
// extensions). Default (or 0): an adaptive window that starts at 64 KiB
// and grows up to DefaultMaxStreamWindow (see Stream). Values from 1 to
// 64 KiB, the window both sides assume, mean 64 KiB; a negative value
// makes Open return an error matching ErrInvalidOption.
func StreamWindow(bytes int) StreamOption { return func(c *streamConfig) { c.window = bytes } }
