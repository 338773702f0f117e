package actors

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/wire"
)

// WireOptions configures one wire.
type WireOptions struct {
	// CalleeOnly makes a wire that serves the peer's calls but makes none
	// and ignores Response messages ("module style" in the Rust crate).
	CalleeOnly bool
	// Owner is an opaque value the root package attaches to the wire (its
	// public handle); procedures reach it through FromContext.
	Owner any
	// Plain turns the extensions off: the wire neither announces them nor
	// uses a peer's, and speaks exactly the Rust crate's bytes.
	Plain bool
	// Accepted marks a wire accepted from a listener (Serve's): the
	// interface's handshake and idle timeouts apply to it.
	Accepted bool
	// Name identifies the wire in logs (the root package's wire ID, label
	// and peer address); it is called only when a log names the wire. Nil
	// means the wire actor's id.
	Name func() string
	// Dialed marks a wire over a connection this side dialed to a
	// listener (the root package's Dial): its peer announces as it
	// accepts, so this side's announcement is not written on its own. It
	// goes out with the first thing this side writes, or once the peer's
	// announcements have arrived (announceLate), unless a call waiting for
	// them (awaitAnnouncements) is about to write it with its own frames:
	// a first call with a deadline then costs this side one write fewer,
	// and the peer one read. Whatever happens, it goes out within
	// announceWait (a second) of the wire's start.
	Dialed bool
	// Exclusive tells that the transport is a connection only the wire
	// uses (the root package's WithExclusiveConn: Dial's and Serve's): nobody
	// else reads it, sets its deadlines or closes it, so the reader may read
	// a socket through the poller (see reading.poll).
	Exclusive bool
	// Push makes a wire with no reader goroutine: the program hands it the
	// peer's bytes with Feed and EndInput (the reader passed to Connect is
	// not read).
	Push bool
	// Bind, if set, is called with the new wire before it reads anything
	// (before any procedure can reach Owner through FromContext), so that
	// the owner can finish linking itself to the wire.
	Bind func(*Conn)
}

// Conn is the engine of one wire (one connection to another program; the
// root package's Wire is its public handle): the handle to a wire actor and
// its subtree, and the owner of the wire's goroutines and transport. Its
// methods are safe for concurrent use.
type Conn struct {
	sys        *System
	pid        *actor.PID
	r          io.Reader
	closer     io.Closer
	polled     polled // the socket the reader reads through the poller, if it does
	out        *writer
	limits     Limits
	rules      core.Config // the limits as the core decides on them (Limits.rules)
	calleeOnly bool
	owner      any
	idx        *indices
	push       *pushIn       // push mode's input side (nil: a reader goroutine reads r)
	name       func() string // in logs (WireOptions.Name); nil for none
	started    time.Time     // when the wire was made
	bytesIn    atomic.Int64  // bytes read from the peer
	readAt     atomic.Int64  // when the last chunk was read, as a time.Duration since epoch: when the calls in it arrived
	ext        bool          // this side speaks the extensions (not Plain)
	dialed     bool          // WireOptions.Dialed: the announcement waits to go out with other bytes
	// peer is what the peer announced, a core.PeerState: written by the
	// parser (its core.Negotiation, the one owner), read by anyone
	// (peerExt, peerV2, peerGoingAway).
	peer atomic.Uint32

	// procCtx is the context of the wire's quick procedures; it is
	// cancelled, with the wire's cause, when the wire ends. callCtx, which
	// carries the wire like it but is never cancelled, is the parent of
	// each call's context, which the call's actor cancels.
	procCtx    context.Context
	quickCtx   context.Context // procCtx, marked as a quick procedure's (see ErrQuickCallback)
	callCtx    context.Context
	procCancel context.CancelCauseFunc
	workers    workers    // goroutines that execute procedures, parked briefly for the next call
	goroutines goroutines // every goroutine the wire started: reader, workers, flushers

	heard chan struct{} // closed once the first bytes from the peer were parsed
	// settled is closed once the peer's announcements are over (see
	// awaitAnnouncements), by the parser or by a call that waited long
	// enough; settledOnce is the flag that lets only the first close it.
	settled     chan struct{}
	settledOnce atomic.Bool
	// awaiting counts the calls waiting in awaitAnnouncements: on a Dialed
	// wire, the first of them to write carries this side's announcement.
	awaiting atomic.Int32

	pingMu sync.Mutex
	pingN  uint64
	pings  map[uint64]chan struct{}

	// What arrived, for the watchdog: chunks read (the reader's), and
	// messages other than pongs parsed (the parser's).
	reads, msgs atomic.Uint64
	// dispatching: the reader (or Feed) is handling a chunk, from its read
	// until the wire actor has consumed it and the writer has room
	// (waitRoom): this side is not reading, so the peer's silence says
	// nothing of the peer. The reader's (Feed's) flag.
	dispatching atomic.Bool
	dog         watchdog
	// Bytes held for the peer's calls and for this side's, over all of
	// them: arguments arriving in pieces (Limits.MaxWireArgs), responses
	// being collected (Limits.MaxCollected).
	argBytes, collected atomic.Int64
	// inOpen counts the inbound calls that have an actor (wire actor's;
	// read by the watchdog).
	inOpen atomic.Int64

	// quiet is closed once no call is open either way, for Shutdown
	// (made on demand, under quietMu).
	quietMu sync.Mutex
	quiet   chan struct{}

	// chunkDone wakes the reader (or Feed) waiting for the wire actor to
	// consume the chunk in flight (chunkMsg; a buffer of one).
	chunkDone chan struct{}

	// eoi receives a value each time the peer sends End of input (wire
	// actor; a buffer of one, so signals not yet taken merge).
	eoi chan struct{}

	// state is the wire's wireState (move); inputDone is closed as it
	// passes wireDraining (the peer's stream ended, or the wire is
	// closing): a Ping can no longer get its pong.
	state     atomic.Uint32
	inputDone chan struct{}
	done      chan struct{}         // closed when the wire actor and all its children have stopped
	mailbox   *inlineMailbox        // the wire actor's: set as it is spawned; what is left in it when the actor stops is drained (wireActor.stopped)
	cause     atomic.Pointer[error] // the cause of the wire's end; the first recorded wins
}

// wireState is where a wire is in its life (actors/STATES.md, "The
// wire"): the core's WireState, whose values the names below are. It only
// moves forward, though it may skip states, and every change goes through
// Conn.move.
type wireState = core.WireState

const (
	// wireUp: both directions flow.
	wireUp = core.WireUp
	// wireDraining: this side is shutting down (Drain): the peer's new
	// calls are refused with ErrShutdown; the open ones go on, both ways.
	wireDraining = core.WireDraining
	// wireInputEnded: the peer's stream ended (end of stream, not a
	// Termination message): nothing more will be read, this side's calls
	// have failed, and the peer's calls that arrived run to their answers
	// for at most the close grace (endInput).
	wireInputEnded = core.WireInputEnded
	// wireClosing: the cause of the wire's end is recorded (Err reports
	// it): no call begins and no frame is routed; the Termination message
	// may still be on its way out (closeWith) until terminate.
	wireClosing = core.WireClosing
	// wireEnding: terminate has begun; nothing is routed or written.
	wireEnding = core.WireEnding
)

// move advances the wire's state to to, unless it is there or past it
// already, and reports whether it moved. It is the one place the state
// changes; inputDone is closed as the state leaves wireUp and
// wireDraining (nothing more will be read: a Ping can get no pong).
func (w *Conn) move(to wireState) bool {
	for {
		s := w.loadState()
		if s >= to {
			return false
		}
		if w.state.CompareAndSwap(uint32(s), uint32(to)) {
			if s < wireInputEnded && to >= wireInputEnded {
				close(w.inputDone)
			}
			return true
		}
	}
}

func (w *Conn) loadState() wireState { return wireState(w.state.Load()) }

type wireKey struct{}

// quickKey marks the context of a wire's quick procedures, with the wire.
type quickKey struct{}

// quickOn reports whether ctx is that of a quick procedure of w: one that
// runs on w's reader, which must not wait for an answer from w.
func (w *Conn) quickOn(ctx context.Context) bool {
	q, _ := ctx.Value(quickKey{}).(*Conn)
	return q == w
}

func newConn(s *System, r io.Reader, wr io.Writer, c io.Closer, opt WireOptions) *Conn {
	w := &Conn{
		sys:        s,
		r:          r,
		closer:     c,
		limits:     s.limits,
		rules:      s.limits.rules(),
		calleeOnly: opt.CalleeOnly,
		owner:      opt.Owner,
		name:       opt.Name,
		started:    time.Now(),
		ext:        !opt.Plain,
		dialed:     opt.Dialed,
		idx:        newIndices(maxRustCallIndex),
		done:       make(chan struct{}),
		heard:      make(chan struct{}),
		settled:    make(chan struct{}),
		inputDone:  make(chan struct{}),
		eoi:        make(chan struct{}, 1),
		chunkDone:  make(chan struct{}, 1),
	}
	w.goroutines.sys = &s.wg
	if opt.Push {
		w.push = &pushIn{ready: make(chan struct{})}
	} else if opt.Exclusive {
		w.polled.rc, w.polled.conn = pollSocket(r)
	}
	w.out = newWriter(wr, &w.goroutines, s.limits.MaxWriteQueue, func(err error) {
		if w.loadState() == wireInputEnded {
			// The peer closed both directions: its end of stream is
			// the cause, the failed write only how it showed.
			err = ErrPeerClosed
		}
		w.terminate(err)
	})
	w.out.shared = func() bool { return w.inOpen.Load()+w.idx.n.Load() > 1 }
	// A wire in push mode has no reader: its Feed's caller is not one.
	w.out.readerFlushes = !opt.Push && readBlocksThread(r)
	if w.ext {
		// The announcements go first, before anything this side writes.
		// Nobody else has the writer yet: no lock. A Dialed wire's are
		// not noted: a reader's unhold does not write them by themselves
		// (see announceLate).
		w.out.pending = append(w.out.pending, byte(wire.KindAnnounce), byte(wire.KindAnnounce2))
		if !w.dialed {
			w.out.note()
		}
	}
	w.callCtx = context.WithValue(context.Background(), wireKey{}, w)
	w.procCtx, w.procCancel = context.WithCancelCause(w.callCtx)
	w.quickCtx = context.WithValue(w.procCtx, quickKey{}, w)
	w.dog.init(s.timeouts, opt.Accepted)
	return w
}

// FromContext returns the wire a procedure's call came in on, or nil.
func FromContext(ctx context.Context) *Conn {
	w, _ := ctx.Value(wireKey{}).(*Conn)
	return w
}

// PID returns the wire actor's PID, for an actor that watches the wire:
// it receives *actor.Terminated when the wire has ended and its calls with
// it.
func (w *Conn) PID() *actor.PID { return w.pid }

// Owner returns the value given as WireOptions.Owner.
func (w *Conn) Owner() any { return w.owner }

// Done returns a channel closed once the wire has ended and every call
// pending on it has failed.
func (w *Conn) Done() <-chan struct{} { return w.done }

// Err returns nil while the wire is up, then the cause of its end.
func (w *Conn) Err() error {
	if p := w.cause.Load(); p != nil {
		return *p
	}
	return nil
}

// setErr records the first cause of the wire's end and moves the wire to
// wireClosing, if it is not past it; it reports whether this cause is the
// one recorded. The cause is recorded before the state moves: whoever sees
// wireClosing or later finds it (Err).
func (w *Conn) setErr(err error) bool {
	first := w.cause.CompareAndSwap(nil, &err)
	w.move(wireClosing)
	return first
}

// closing reports whether the wire's end has begun (wireClosing or later):
// the cause is recorded, and no call begins.
func (w *Conn) closing() bool { return w.loadState() >= wireClosing }

// SendEndOfInput writes End of input (wire.KindEndOfInput, "over") after
// everything written before it: the peer may take it as the end of a
// batch (EndOfInput on its side). The wire stays up; more may follow. It
// returns ctx's cause if ctx ends while the writer is full, or a
// wire-terminated error.
func (w *Conn) SendEndOfInput(ctx context.Context) error {
	if w.closing() {
		return terminated(w.Err())
	}
	if err := w.out.raw(ctx, []byte{byte(wire.KindEndOfInput)}); err != nil {
		if w.ctxEnded(ctx) {
			return err
		}
		return terminated(w.errOr(err))
	}
	return nil
}

// EndOfInput returns a channel that receives a value each time the peer
// sends End of input, after the wire has taken every frame the peer sent
// before it (each call among them has begun). It has a buffer of one:
// signals that arrive while one is waiting merge into it.
func (w *Conn) EndOfInput() <-chan struct{} { return w.eoi }

// holdArgs counts a piece of n more argument bytes in what the peer's
// calls hold, for a call whose arguments come to size bytes with it,
// unless the core says it passes a limit (core.Config.OverArgs): then it
// counts nothing and returns the limit's failure. The bytes are counted
// before the check, so that values waiting for the writer, which count
// there too (answerWaiting), cannot slip past it at the same time.
func (w *Conn) holdArgs(size, n int) *core.Failure {
	return w.hold(n, func(held int) *core.Failure { return w.rules.OverArgs(size, held, n) })
}

// holdInput is holdArgs for a piece of a bidirectional procedure's input,
// of which unread bytes wait before it (core.Config.OverInput).
func (w *Conn) holdInput(unread, n int) *core.Failure {
	return w.hold(n, func(held int) *core.Failure { return w.rules.OverInput(unread, held, n) })
}

// hold counts n bytes in argBytes, then asks over, given what was held
// before them, whether they pass a limit; if so it uncounts them and
// returns the limit's failure.
func (w *Conn) hold(n int, over func(held int) *core.Failure) *core.Failure {
	held := int(w.argBytes.Add(int64(n))) - n
	if fail := over(held); fail != nil {
		w.argBytes.Add(-int64(n))
		return fail
	}
	return nil
}

// grant sends the peer credit for n more bytes of call key (k is
// wire.KindResponseCredit or wire.KindArgumentCredit). ctx is as for
// writer.frame: noWait inside an actor.
func (w *Conn) grant(ctx context.Context, k wire.Kind, key callKey, n int64) {
	if n <= 0 || !w.peerExt() {
		return
	}
	var b [wire.MaxHeaderLen + 10]byte
	_ = w.out.raw(ctx, wire.AppendCredit(b[:0], k, key.proc, key.call, uint64(n)))
}

// cancelCall tells a peer with the extensions that this side abandons call
// key.
func (w *Conn) cancelCall(key callKey) {
	if !w.peerExt() {
		return
	}
	var b [wire.MaxHeaderLen]byte
	// Without waiting: the caller is giving up on the call, maybe because
	// its context ended.
	_ = w.out.raw(noWait, wire.AppendCancel(b[:0], key.proc, key.call))
}

func (w *Conn) errOr(err error) error {
	if e := w.Err(); e != nil {
		return e
	}
	return err
}

// peerState returns what the peer announced so far (the parser's).
func (w *Conn) peerState() core.PeerState { return core.PeerState(w.peer.Load()) }

// peerExt reports whether the peer announced the extensions (and this side
// speaks them): extension messages may be sent to it.
func (w *Conn) peerExt() bool { return w.peerState().Ext() }

// peerV2 reports whether the peer announced version 2 of them too.
func (w *Conn) peerV2() bool { return w.peerState().V2() }

// peerGoingAway reports whether the peer said it is shutting down
// (KindGoAway): new calls to it fail with ErrShutdown.
func (w *Conn) peerGoingAway() bool { return w.peerState() == core.PeerGoingAway }
