package ipfi

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"time"

	"github.com/ipfi-go/ipfi/actors"
)

// Option configures an interface (New), one wire (Connect, Dial, Serve,
// ConnectCmd, ConnectStdio, ConnectPush, ipfitest.Pipe) or one stream
// (Wire.Open, Wire.Stream). Every option is a WithX function
// whose comment says what it configures and its default. An option given
// where it does not apply (WithLimits to Dial, WithPlain to New) makes that
// call return an error matching ErrInvalidOption, as does a value it cannot
// use, such as a negative limit.
type Option func(*settings)

// settings is what Options set. One of iface, wire and stream is not nil:
// what the call that takes the options configures.
type settings struct {
	iface  *config
	wire   *wireConfig
	stream *streamConfig
	err    error // the first option that does not apply
}

// misplaced records that the option name configures what, not what the
// options are for.
func (s *settings) misplaced(name, what string) {
	if s.err == nil {
		s.err = fmt.Errorf("%w: %s configures %s", ErrInvalidOption, name, what)
	}
}

// interfaceOption is an Option of New.
func interfaceOption(name string, set func(*config)) Option {
	return func(s *settings) {
		if s.iface == nil {
			s.misplaced(name, "an interface (New)")
			return
		}
		set(s.iface)
	}
}

// wireOption is an Option of the calls that make a wire.
func wireOption(name string, set func(*wireConfig)) Option {
	return func(s *settings) {
		if s.wire == nil {
			s.misplaced(name, "a wire (Connect, Dial, Serve...)")
			return
		}
		set(s.wire)
	}
}

// streamOption is an Option of Wire.Open and Wire.Stream.
func streamOption(name string, set func(*streamConfig)) Option {
	return func(s *settings) {
		if s.stream == nil {
			s.misplaced(name, "a stream (Wire.Open, Wire.Stream)")
			return
		}
		set(s.stream)
	}
}

// interfaceConfig applies the options of New.
func interfaceConfig(opts []Option) (config, error) {
	var c config
	s := settings{iface: &c}
	for _, o := range opts {
		o(&s)
	}
	if s.err != nil {
		return c, s.err
	}
	return c, c.validate()
}

// wireSettings applies the options of a wire.
func wireSettings(opts []Option) (wireConfig, error) {
	var c wireConfig
	s := settings{wire: &c}
	for _, o := range opts {
		o(&s)
	}
	if s.err == nil && c.tls != nil && !c.tlsHere {
		s.err = fmt.Errorf("%w: WithTLS configures Dial and Serve (for Connect, give it a *tls.Conn)", ErrInvalidOption)
	}
	return c, s.err
}

// streamSettings applies the options of a stream.
func streamSettings(opts []Option) (streamConfig, error) {
	var c streamConfig
	s := settings{stream: &c}
	for _, o := range opts {
		o(&s)
	}
	if s.err != nil {
		return c, s.err
	}
	return c, c.validate()
}

// config is what the Options of New set; the zero value of each field means
// its default.
type config struct {
	server   []interceptor
	client   clientChains
	opened   []func(*Wire)
	ended    []func(*Wire, error)
	limits   Limits
	timeouts Timeouts
	logger   *slog.Logger
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
	return nil
}

// actorsConfig is c as the actor system takes it.
func (c *config) actorsConfig() actors.Config {
	grace := c.timeouts.CloseGrace
	if grace < 0 {
		grace = time.Nanosecond // off: no wait (the system's 0 is its default)
	}
	return actors.Config{
		Limits:     c.limits,
		Timeouts:   c.timeouts,
		Logger:     c.logger,
		CloseGrace: grace,
	}
}

// Limits bound what one peer, and all of them together, can make an
// interface hold: see actors.Limits for each field and its default. A zero
// field means its default; a negative one makes New return an error
// matching ErrInvalidOption. Limits{}.WithDefaults() returns every default,
// and l.WithDefaults() the limits an interface given l enforces.
// SECURITY.md tabulates them with what each costs.
type Limits = actors.Limits

// WithLimits sets the limits enforced on every wire of the interface
// (New). A zero field keeps its default; a negative one is an invalid
// option. Default: Limits{}.WithDefaults(). Of several WithLimits, the last counts.
func WithLimits(l Limits) Option {
	return interfaceOption("WithLimits", func(c *config) { c.limits = l })
}

// Timeouts bound how long a wire waits on its peer, and how long closing
// waits for procedures and for a wire's last bytes (CloseGrace): see
// actors.Timeouts for each field and its default. A zero field means its
// default; a negative one turns that timeout off.
// Timeouts{}.WithDefaults() returns every default.
type Timeouts = actors.Timeouts

// WithTimeouts sets the timeouts of every wire of the interface (New). A
// zero field keeps its default; a negative one turns that timeout off.
// Default: Timeouts{}.WithDefaults(). Of several WithTimeouts, the last counts.
func WithTimeouts(t Timeouts) Option {
	return interfaceOption("WithTimeouts", func(c *config) { c.timeouts = t })
}

// WithLogger sends the interface's logs (wire and call failures, the actor
// system's own lines) to l (New). Default (or nil): nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return interfaceOption("WithLogger", func(c *config) { c.logger = l })
}

// wireConfig is what the Options of a wire set.
type wireConfig struct {
	calleeOnly bool
	plain      bool
	accepted   bool
	dialed     bool // Dial's: the peer announces as it accepts (actors.WireOptions.Dialed)
	push       bool // ConnectPush's: no reader goroutine
	exclusive  bool
	tls        *tls.Config // WithTLS's
	tlsHere    bool        // set by Dial and Serve, which take WithTLS
}

// WithTLS makes Dial and Serve speak TLS with cfg: Dial runs the client
// handshake over the connection it dials (with cfg.ServerName, or else the
// host of its address, as tls.Dial does), Serve the server handshake over
// each connection it accepts, on a goroutine of that connection's, so that
// a slow handshake never holds up Accept. The handshake is bounded by the
// interface's Timeouts.Handshake (and, for Dial, by its ctx); one that
// fails is an error matching ErrTLSHandshake that wraps the tls or x509
// error (Dial returns it; Serve logs it at Warn with WithLogger and closes
// the connection). A Serve connection whose handshake has not finished
// when Serve returns is closed. The wire's Wire.TLS returns the
// connection's state: the peer's certificates, for procedures
// (WireFrom(ctx).TLS()) and interceptors (CallInfo.Wire.TLS()).
//
// cfg is not modified (Dial clones it to set ServerName) and must not be
// modified after the call; to change certificates while serving, set
// cfg.GetCertificate or cfg.GetConfigForClient. A nil cfg, or WithTLS
// given to Connect or another call that makes a wire over a transport it
// is handed (give Connect a *tls.Conn instead), is an error matching
// ErrInvalidOption. Default: no TLS, the bytes travel as they are.
func WithTLS(cfg *tls.Config) Option {
	return func(s *settings) {
		switch {
		case s.wire == nil:
			s.misplaced("WithTLS", "a wire (Dial, Serve)")
		case cfg == nil:
			if s.err == nil {
				s.err = fmt.Errorf("%w: WithTLS with a nil *tls.Config", ErrInvalidOption)
			}
		default:
			s.wire.tls = cfg
		}
	}
}

// tlsHere is the option Dial and Serve add: they take WithTLS.
func tlsHere() Option {
	return wireOption("tlsHere", func(c *wireConfig) { c.tlsHere = true })
}

// dialed is the option Dial adds: its peer, a listener's, announces
// first.
func dialed() Option {
	return wireOption("dialed", func(c *wireConfig) { c.dialed = true })
}

// WithAccepted marks a wire as accepted from a listener, as Serve's wires
// are: the interface's Timeouts.Handshake and Timeouts.Idle apply to it.
// For a server that runs its own accept loop. Default: a wire made with
// Connect waits on its peer as long as the keepalive says it is alive.
func WithAccepted() Option {
	return wireOption("WithAccepted", func(c *wireConfig) { c.accepted = true })
}

// WithExclusiveConn tells Connect that the wire alone uses the connection
// it is given: nothing else reads from it, sets its deadlines or closes it
// (the wire closes it as it ends). Dial's and Serve's connections are such,
// and their wires are made with it. On Linux a wire over a TCP or Unix
// stream socket made by package net then reads it through the runtime's
// poller, saving the system call that finds the socket empty after each
// read; the end of the peer's stream may then be noticed up to 10 ms late.
// Default: the wire reads the connection with Read, and the program may
// close it.
func WithExclusiveConn() Option {
	return wireOption("WithExclusiveConn", func(c *wireConfig) { c.exclusive = true })
}

// WithCalleeOnly makes a wire that serves the peer's calls but makes none
// (its Call methods return ErrCalleeOnly) and ignores Response messages:
// the Rust crate's "module style". Default: a wire both calls and serves.
func WithCalleeOnly() Option {
	return wireOption("WithCalleeOnly", func(c *wireConfig) { c.calleeOnly = true })
}

// WithPlain makes a wire that speaks only the Rust crate's format: it does
// not announce this project's extensions and ignores a peer's
// announcement, so failures are reported as empty responses, cancel does
// not reach the peer, and streams are not flow-controlled. Default: a wire
// announces the extensions and uses them with a peer that announces them
// too (a Rust peer skips the two announcement bytes).
//
// Use it for a peer known to speak only that format (the Rust crate, a
// hand-written peer) that writes nothing before it is called: on a wire
// that announces, the first call carrying a deadline or metadata waits up
// to a second for the peer's announcements, which such a peer never sends
// (a peer of this project announces as the wire opens, or, if it dialed,
// once it has this side's announcement).
func WithPlain() Option {
	return wireOption("WithPlain", func(c *wireConfig) { c.plain = true })
}

// streamConfig is what the Options of a stream set.
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

// WithStreamWindow fixes how many bytes of a stream's response (Wire.Open,
// Wire.Stream) the callee may send ahead of the reader (flow control with a
// peer that speaks the extensions). Default (or 0): an adaptive window that
// starts at 64 KiB and grows up to DefaultMaxStreamWindow (see Stream).
// Values from 1 to 64 KiB, the window both sides assume, mean 64 KiB; a
// negative value makes Open return an error matching ErrInvalidOption.
func WithStreamWindow(bytes int) Option {
	return streamOption("WithStreamWindow", func(c *streamConfig) { c.window = bytes })
}
