package core

import (
	"errors"

	"github.com/ipfi-go/ipfi/wire"
)

// Config is what a Conn's decisions depend on. A zero limit means its
// default (DefaultConfig); a negative one, none.
type Config struct {
	// Version is the extensions' version this side announces and speaks:
	// 0 (Plain: the Rust crate's bytes only), 1 or 2.
	Version int
	// CalleeOnly: the wire serves the peer's calls, makes none and ignores
	// Response messages ("module style").
	CalleeOnly bool
	// MaxFrame bounds the payload one frame may declare (the decoder's
	// limit); a larger one is malformed.
	MaxFrame int
	// MaxCallArgs bounds one inbound call's arguments in bytes.
	MaxCallArgs int
	// MaxWireArgs bounds the argument bytes all inbound calls hold
	// together, from their arrival until their procedures return.
	MaxWireArgs int
	// MaxOpenCalls bounds the inbound calls open at once: gathering their
	// arguments, waiting to run, running, or answered while their
	// procedures still run.
	MaxOpenCalls int
	// MaxOpenStreams bounds the inbound calls of streaming procedures open
	// at once.
	MaxOpenStreams int
	// MaxCollected bounds the response bytes this side's calls hold
	// together while their responses arrive: a response collected whole,
	// and the pieces of a value of any response (a stream's values are
	// bounded by its credit instead).
	MaxCollected int
	// Lookup says what kind of procedure an index is (ProcUnknown for
	// none); nil means none is known.
	Lookup func(proc uint64) ProcKind
}

// DefaultConfig returns the default limits (version 2, not callee-only).
func DefaultConfig() Config {
	return Config{
		Version:        2,
		MaxFrame:       wire.DefaultMaxPayload,
		MaxCallArgs:    16 << 20,
		MaxWireArgs:    32 << 20,
		MaxOpenCalls:   1_000,
		MaxOpenStreams: 256,
		MaxCollected:   64 << 20,
	}
}

// withDefaults returns cfg with each zero limit set to its default and
// each negative one to 0 (none).
func (cfg Config) withDefaults() Config {
	d := DefaultConfig()
	for _, f := range []struct{ v, d *int }{
		{&cfg.MaxFrame, &d.MaxFrame},
		{&cfg.MaxCallArgs, &d.MaxCallArgs},
		{&cfg.MaxWireArgs, &d.MaxWireArgs},
		{&cfg.MaxOpenCalls, &d.MaxOpenCalls},
		{&cfg.MaxOpenStreams, &d.MaxOpenStreams},
		{&cfg.MaxCollected, &d.MaxCollected},
	} {
		switch {
		case *f.v == 0:
			*f.v = *f.d
		case *f.v < 0:
			*f.v = 0
		}
	}
	if cfg.Lookup == nil {
		cfg.Lookup = func(uint64) ProcKind { return ProcUnknown }
	}
	return cfg
}

// EventKind is what an Event tells the Conn's owner.
type EventKind uint8

const (
	// EvRun: run the procedure of call Key (whole arguments in Args).
	EvRun EventKind = iota + 1
	// EvRunBidi: start the bidirectional procedure of call Key; its
	// input follows in EvInput events.
	EvRunBidi
	// EvInput: more input for the bidirectional procedure of call Key
	// (Args, which alias the bytes given to Receive; Last: its input has
	// ended). It counts in the wire's held bytes until InputTaken.
	EvInput
	// EvCancel: cancel the procedure of call Key, with cause Failure.
	EvCancel
	// EvCredit: response credit arrived for call Key: a producer that got
	// ErrNoCredit may send again.
	EvCredit
	// EvArgCredit: argument credit arrived for call Key that this side
	// made: a SendPiece that got ErrNoCredit may send again.
	EvArgCredit
	// EvResponse: call Key that this side made has new values, or ended
	// (OutCall).
	EvResponse
	// EvPong: the pong of ping Nonce.
	EvPong
	// EvEndOfInput: the peer sent End of input.
	EvEndOfInput
	// EvGoAway: the peer is shutting down: new calls to it fail.
	EvGoAway
	// EvTerminated: the peer sent a Termination message; nothing after it
	// was read.
	EvTerminated
)

// Event is one thing the owner of a Conn must act on.
type Event struct {
	Kind    EventKind
	Key     Key
	Call    *InCall  // the peer's call the event is about (EvRun .. EvCredit)
	Args    []byte   // EvRun: the owner's from now on; EvInput: see EvInput
	Last    bool     // EvInput: the input has ended
	Failure *Failure // EvCancel
	Nonce   uint64   // EvPong
	// Deadline is the milliseconds the caller gave the call (EvRun,
	// EvRunBidi), counted from its arrival; negative for none.
	Deadline int64
	Meta     []string // the call's metadata, keys and values in turn (EvRun, EvRunBidi)
}

// MaxFramePayload is the largest payload this side writes in one frame: a
// larger value or argument list goes in pieces (terminator None).
const MaxFramePayload = 1 << 20

// errStop ends the reading of a chunk after a Termination.
var errStop = errors.New("core: stop")

// Conn is the protocol state of one wire. See the package doc.
type Conn struct {
	cfg    Config
	dec    *wire.Decoder
	neg    Negotiation
	out    []byte
	events []Event

	in      map[Key]*InCall
	refused map[Key]struct{} // refused at their first piece: later pieces dropped until the Complete one
	held    int              // argument bytes the inbound calls hold (MaxWireArgs)
	open    int              // inbound calls open (MaxOpenCalls)
	streams int              // of them, streaming procedures' (MaxOpenStreams)
	extras  Extras           // a deadline or metadata for the next call

	outCalls  map[Key]*OutCall
	idx       Indices
	collected int // response bytes this side's calls hold (MaxCollected)

	state WireState
}

// New returns the protocol state of a new wire; its first output is this
// side's announcements.
func New(cfg Config) *Conn {
	cfg = cfg.withDefaults()
	c := &Conn{
		cfg:      cfg,
		dec:      wire.NewDecoder(cfg.MaxFrame),
		neg:      NewNegotiation(cfg.Version),
		in:       make(map[Key]*InCall),
		outCalls: make(map[Key]*OutCall),
		idx:      Indices{Max: MaxRustCallIndex},
	}
	c.out = c.neg.Greeting(c.out)
	return c
}

// Peer returns what this side knows of the peer's extensions.
func (c *Conn) Peer() PeerState { return c.neg.state }

// PeerExtensions reports whether extension messages may be sent to the
// peer (it announced version 1 or more).
func (c *Conn) PeerExtensions() bool { return c.neg.ext() }

// Settle ends the wait for the peer's announcements (a peer that never
// announces): the state is settled with what has arrived.
func (c *Conn) Settle() { c.neg.Settle() }

// State returns where the wire is in its life.
func (c *Conn) State() WireState { return c.state }

// Output returns the bytes to write, in order. They stay valid until the
// next call of a Conn method; the owner writes them and then calls
// Written.
func (c *Conn) Output() []byte { return c.out }

// Written says that the first n bytes of Output were written.
func (c *Conn) Written(n int) {
	rest := copy(c.out, c.out[n:])
	c.out = c.out[:rest]
}

// Events returns the events since the last call and forgets them; the
// slice is valid until the next call of a Conn method.
func (c *Conn) Events() []Event {
	ev := c.events
	c.events = c.events[:0]
	return ev
}

func (c *Conn) emit(e Event) { c.events = append(c.events, e) }

// Receive takes bytes read from the peer, in order. It returns an error
// wrapping wire.ErrMalformed (or wire.ErrFrameTooLarge) if the peer broke
// the protocol: the wire must end, and every later Receive returns it.
// After a Termination message, the rest is not read (EvTerminated).
func (c *Conn) Receive(data []byte) error {
	if !c.state.reading() {
		return nil
	}
	err := c.dec.Feed(data, c.frame)
	if err == errStop {
		return nil
	}
	return err
}

// frame takes one frame from the peer.
func (c *Conn) frame(f wire.Frame) error {
	if c.neg.Heard(f.Kind, c.dec) {
		return nil
	}
	if f.Kind.IsExtension() && !c.neg.ext() {
		return nil // a stray byte from a peer without extensions: skipped
	}
	if f.Kind != wire.KindCall {
		if err := c.extras.Heard(f); err != nil {
			return err // malformed metadata
		}
	}
	switch f.Kind {
	case wire.KindCall:
		return c.callFrame(f)
	case wire.KindResponse, wire.KindError, wire.KindArgumentCredit:
		if !c.cfg.CalleeOnly {
			c.outFrame(f)
		}
	case wire.KindCancel:
		c.cancelIn(Key{f.Procedure, f.Call})
	case wire.KindResponseCredit:
		c.creditIn(f)
	case wire.KindPing:
		c.out = wire.AppendPing(c.out, wire.KindPong, f.Call)
	case wire.KindPong:
		c.emit(Event{Kind: EvPong, Nonce: f.Call})
	case wire.KindGoAway:
		c.emit(Event{Kind: EvGoAway})
	case wire.KindEndOfInput:
		c.emit(Event{Kind: EvEndOfInput})
	case wire.KindTermination:
		c.state = WireEnding // nothing after "over and out" counts
		c.emit(Event{Kind: EvTerminated})
		return errStop
	}
	return nil // unknown type bytes are skipped alone, as the Rust crate does
}

// Ping appends a ping with nonce; it reports false (and writes nothing) if
// the peer does not speak the extensions.
func (c *Conn) Ping(nonce uint64) bool {
	if !c.neg.ext() {
		return false
	}
	c.out = wire.AppendPing(c.out, wire.KindPing, nonce)
	return true
}

// EndOfInput appends End of input ("over").
func (c *Conn) EndOfInput() { c.out = append(c.out, byte(wire.KindEndOfInput)) }

// OpenCalls reports how many calls are open either way: the peer's that
// still count in the limits (until Returned), and this side's whose pairs
// are taken.
func (c *Conn) OpenCalls() (in, out int) { return c.open, c.idx.Len() }

// Held returns the argument bytes the peer's calls hold.
func (c *Conn) Held() int { return c.held }
