package actors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
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
	out        *writer
	limits     Limits
	calleeOnly bool
	owner      any
	idx        *indices
	push       *pushIn       // push mode's input side (nil: a reader goroutine reads r)
	name       func() string // in logs (WireOptions.Name); nil for none
	started    time.Time     // when the wire was made
	bytesIn    atomic.Int64  // bytes read from the peer
	readAt     atomic.Int64  // when the last chunk was read, as a time.Duration since epoch: when the calls in it arrived
	ext        bool          // this side speaks the extensions (not Plain)
	peerExt    atomic.Bool   // the peer announced the extensions (and ext)
	peerV2     atomic.Bool   // the peer announced version 2 of them too
	draining   atomic.Bool   // this side is shutting down: new calls from the peer are refused
	peerGone   atomic.Bool   // the peer sent KindGoAway: new calls to it fail with ErrShutdown

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

	heard  chan struct{} // closed once the first bytes from the peer were parsed
	// settled is closed once the peer's announcements are over (see
	// awaitAnnouncements), by the parser or by a call that waited long
	// enough; settledOnce is the flag that lets only the first close it.
	settled     chan struct{}
	settledOnce atomic.Bool
	pingMu sync.Mutex
	pingN  uint64
	pings  map[uint64]chan struct{}

	// What arrived, for the watchdog: chunks read (the reader's), and
	// messages other than pongs parsed (the parser's).
	reads, msgs atomic.Uint64
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

	// eoi receives a value each time the peer sends End of input (wire
	// actor; a buffer of one, so signals not yet taken merge).
	eoi chan struct{}

	// state is the wire's wireState; inputDone is closed as it leaves
	// wireUp (the peer's stream ended, or the wire is ending): a Ping
	// can no longer get its pong.
	state     atomic.Uint32
	inputDone chan struct{}
	done      chan struct{}         // closed when the wire actor and all its children have stopped
	cause     atomic.Pointer[error] // the cause of the wire's end; the first recorded wins
}

// wireState is where a wire is in its life (actors/STATES.md, "The
// wire"). It only moves forward: wireUp, then wireInputEnded or straight
// to wireEnding.
type wireState uint32

const (
	// wireUp: both directions flow.
	wireUp wireState = iota
	// wireInputEnded: the peer's stream ended (end of stream, not a
	// Termination message): nothing more will be read, this side's calls
	// have failed, and the peer's calls that arrived run to their answers
	// for at most the close grace (endInput).
	wireInputEnded
	// wireEnding: terminate has begun; nothing is routed or written.
	wireEnding
)

func (s wireState) String() string {
	switch s {
	case wireUp:
		return "up"
	case wireInputEnded:
		return "input-ended"
	case wireEnding:
		return "ending"
	}
	return "wireState(?)"
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
		calleeOnly: opt.CalleeOnly,
		owner:      opt.Owner,
		name:       opt.Name,
		started:    time.Now(),
		ext:        !opt.Plain,
		idx:        newIndices(maxRustCallIndex),
		done:       make(chan struct{}),
		heard:      make(chan struct{}),
		settled:    make(chan struct{}),
		inputDone:  make(chan struct{}),
		eoi:        make(chan struct{}, 1),
	}
	w.goroutines.sys = &s.wg
	if opt.Push {
		w.push = &pushIn{ready: make(chan struct{})}
	}
	w.out = newWriter(wr, &w.goroutines, s.limits.MaxWriteQueue, func(err error) {
		if w.loadState() == wireInputEnded {
			// The peer closed both directions: its end of stream is
			// the cause, the failed write only how it showed.
			err = ErrPeerClosed
		}
		w.terminate(err)
	})
	// A wire in push mode has no reader: its Feed's caller is not one.
	w.out.readerFlushes = !opt.Push && readBlocksThread(r)
	if w.ext {
		// The announcements go first, before anything this side writes.
		w.out.pending = append(w.out.pending, byte(wire.KindAnnounce), byte(wire.KindAnnounce2))
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

// setErr records the first cause of the wire's end.
func (w *Conn) setErr(err error) {
	w.cause.CompareAndSwap(nil, &err)
}

// terminate is the one way a wire ends, whatever the cause (a read error,
// the end of a half-closed wire (endInput), a malformed frame, the peer's
// Termination, a write
// error, a failure of the reader or parser, Close, the interface's Close).
// The first cause recorded wins. In order:
//
//  1. the cause is recorded (Err reports it; no call may start);
//  2. the wire's quick-procedure context is cancelled and parked workers
//     are told to end (their stop signal);
//  3. the writer fails every later write and drops what is pending
//     (flushers end once their Write returns);
//  4. the transport is closed: the reader's Read returns (its stop
//     signal) and a Write in progress fails;
//  5. the wire actor is stopped, which stops its children: each outbound
//     call actor finishes its call with a WireError, each inbound call
//     actor cancels its procedure's context; then done is closed.
//
// Each goroutine's done signal is the wire's goroutine count (Close waits
// for it). terminate never blocks on I/O, so any goroutine may call it,
// including an actor inside Receive; it may be re-entered from the stop it
// causes (the inline mailbox runs the wire's Stopping handler on the
// calling goroutine), and the nested call returns at once.
func (w *Conn) terminate(cause error) {
	w.setErr(cause)
	for {
		s := w.loadState()
		if s == wireEnding {
			return
		}
		if w.state.CompareAndSwap(uint32(s), uint32(wireEnding)) {
			if s == wireUp {
				close(w.inputDone)
			}
			break
		}
	}
	cause = w.Err()
	w.logEnd(cause)
	w.dog.stop()
	w.procCancel(terminated(cause))
	w.stopWorkers()
	w.out.close(terminated(cause))
	if w.closer != nil {
		_ = w.closer.Close()
	}
	if w.pid != nil {
		w.sys.as.Root.Stop(w.pid)
	}
}

// Abort ends the wire with cause, as a failure of its transport would (no
// Termination message is sent): for a transport whose end the owner learns
// first, such as a child process that exited. It does not wait.
func (w *Conn) Abort(cause error) { w.terminate(cause) }

// logID names the wire in a log: WireOptions.Name's, else its actor's id.
func (w *Conn) logID() string {
	switch {
	case w.name != nil:
		return w.name()
	case w.pid != nil:
		return w.pid.Id
	}
	return ""
}

// logEnd logs the end of a wire that did not close cleanly (closed here,
// or by the peer's Termination): at Info for the peer's end of stream and
// an idle timeout, at Warn otherwise (a read or write error, a malformed
// frame, a failure, another timeout).
func (w *Conn) logEnd(cause error) {
	switch {
	case errors.Is(cause, ErrClosed), errors.Is(cause, ErrPeerTerminated):
	case errors.Is(cause, ErrPeerClosed), errors.Is(cause, ErrIdleTimeout):
		w.sys.logger.Info("ipfi: wire ended", "wire", w.logID(), "cause", cause)
	default:
		w.sys.logger.Warn("ipfi: wire ended", "wire", w.logID(), "cause", cause)
	}
}

// sayGoodbye queues a Termination message and writes it at once if the
// transport takes it without blocking; it never waits.
func (w *Conn) sayGoodbye() {
	w.out.rawNow([]byte{byte(wire.KindTermination)})
}

// Close sends the peer a Termination message (waiting at most the close
// grace for it to be written), ends the wire with cause ErrClosed and
// returns once every call pending on it has failed, its actors have
// stopped and every goroutine it started has returned: its reader, its
// flushers and the workers running its procedures, whose contexts are
// cancelled (Close waits for them to return, at most Timeouts.Stop: past
// it, it logs and returns an error matching ErrStopTimeout that says how
// many goroutines are left running). So Close must not be called from one
// of the wire's own procedures, which would wait for itself until then; a
// procedure that wants its wire gone returns and lets its caller close it,
// or closes it from a goroutine of its own. It is idempotent and safe to
// call concurrently.
func (w *Conn) Close() error {
	w.closeWith(ErrClosed)
	<-w.done
	if d := w.sys.timeouts.Stop; !w.goroutines.wait(d) {
		n := w.goroutines.n.Load()
		w.sys.logger.Error("ipfi: procedures ignore their cancelled contexts", "wire", w.logID(), "goroutines", n, "after", d)
		return fmt.Errorf("%w: %d goroutines of the wire, %v after their contexts were cancelled", ErrStopTimeout, n, d)
	}
	return nil
}

// closeWith ends the wire with cause after sending the peer a Termination
// message, waiting at most the close grace for it to be written, unless
// the wire's end has begun already. The cause is recorded first: the peer
// may answer the Termination message by closing the transport, and the
// end of stream that this side then reads must not become the cause.
func (w *Conn) closeWith(cause error) {
	if w.cause.CompareAndSwap(nil, &cause) {
		w.sayGoodbye()
		w.awaitDrained()
	}
	w.terminate(cause)
}

// awaitDrained waits, at most the close grace, until the writer has
// written what is pending (the Termination message) or the wire has ended.
func (w *Conn) awaitDrained() {
	drained := w.out.drained()
	select {
	case <-drained:
		return // written already: the usual case, with no timer
	default:
	}
	t := time.NewTimer(w.sys.grace)
	defer t.Stop()
	select {
	case <-drained:
	case <-w.done:
	case <-t.C:
	}
}

// Shutdown stops the wire taking new calls from its peer, waits for the
// calls open on it, both ways, to end, and then closes it (Close). A peer
// that speaks version 2 of the extensions is told (KindGoAway), and its
// new calls fail at once with ErrShutdown; a call that reaches this side
// after Shutdown began is refused without running, with an error matching
// ErrShutdown (an empty response for a peer without the extensions). This
// side may still make calls while it waits (a procedure finishing may).
// If ctx ends first, the wire is closed all the same and Shutdown returns
// ctx's cause.
func (w *Conn) Shutdown(ctx context.Context) error {
	w.Drain()
	err := w.waitQuiet(ctx)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// Drain is Shutdown's first step alone: the wire takes no new calls from
// its peer (and tells a peer that speaks version 2), and stays up.
func (w *Conn) Drain() {
	if w.draining.Swap(true) {
		return
	}
	if w.peerV2.Load() {
		var b [wire.MaxHeaderLen]byte
		_ = w.out.raw(nil, wire.AppendGoAway(b[:0]))
	}
}

// endInput moves the wire from wireUp to wireInputEnded, for the wire
// actor when the peer's stream has ended (the reader's end of stream, or
// EndInput in push mode). The peer may still be reading, so the wire
// half-closes instead of ending: it takes no more calls (this side's
// fail, see wireActor.inputEnded), the watchdog stops (the peer can no
// longer answer a ping), and a goroutine of the wire ends it with cause
// ErrPeerClosed once no call of the peer's is open and what they answered
// is written, or once the close grace has passed, whichever is first. A
// peer that closed both directions makes the answers' write fail, which
// ends the wire at once. It reports false if the wire is ending already.
func (w *Conn) endInput() bool {
	if !w.state.CompareAndSwap(uint32(wireUp), uint32(wireInputEnded)) {
		return false
	}
	close(w.inputDone)
	w.dog.stop()
	w.draining.Store(true) // no new call can arrive anyway; waitQuiet is woken
	w.goroutines.add()
	go w.finishInput()
	return true
}

// finishInput ends a wire whose input has ended (endInput): when the
// peer's calls are answered and written, or after the close grace.
func (w *Conn) finishInput() {
	defer w.goroutines.done()
	ctx, cancel := context.WithTimeout(context.Background(), w.sys.grace)
	defer cancel()
	if w.waitQuiet(ctx) == nil {
		select {
		case <-w.out.drained():
		case <-w.done:
		case <-ctx.Done():
		}
	}
	w.terminate(ErrPeerClosed)
}

// SendEndOfInput writes End of input (wire.KindEndOfInput, "over") after
// everything written before it: the peer may take it as the end of a
// batch (EndOfInput on its side). The wire stays up; more may follow. It
// returns ctx's cause if ctx ends while the writer is full, or a
// wire-terminated error.
func (w *Conn) SendEndOfInput(ctx context.Context) error {
	if err := w.Err(); err != nil {
		return terminated(err)
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

// open reports whether a call is open on the wire, either way.
func (w *Conn) open() bool { return w.inOpen.Load() > 0 || w.idx.n.Load() > 0 }

// waitQuiet waits until no call is open on the wire, either way, the wire
// ends, or ctx ends (then it returns ctx's cause).
func (w *Conn) waitQuiet(ctx context.Context) error {
	w.quietMu.Lock()
	if !w.open() {
		w.quietMu.Unlock()
		return nil
	}
	if w.quiet == nil {
		w.quiet = make(chan struct{})
	}
	quiet := w.quiet
	w.quietMu.Unlock()
	select {
	case <-quiet:
		return nil
	case <-w.done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// noteQuiet wakes waitQuiet once no call is open (wire actor, after a
// call ended). It costs an atomic load unless the wire is draining.
func (w *Conn) noteQuiet() {
	if !w.draining.Load() {
		return
	}
	w.quietMu.Lock()
	if w.quiet != nil && !w.open() {
		close(w.quiet)
		w.quiet = nil
	}
	w.quietMu.Unlock()
}

// holdArgs counts n more argument bytes held for the peer's calls, unless
// that would pass Limits.MaxWireArgs (then it counts nothing and reports
// false).
func (w *Conn) holdArgs(n int) bool {
	if w.argBytes.Add(int64(n)) > int64(w.limits.MaxWireArgs) {
		w.argBytes.Add(-int64(n))
		return false
	}
	return true
}

// keepalivePing pings the peer without waiting (the watchdog's); nonce 0
// is never one of Ping's, so the pong wakes nobody: its arrival is what
// counts.
func (w *Conn) keepalivePing() {
	var b [wire.MaxHeaderLen]byte
	_ = w.out.raw(nil, wire.AppendPing(b[:0], wire.KindPing, 0))
}

// begin checks that a call may start and takes its call index.
func (w *Conn) begin(ctx context.Context, proc uint64) (uint64, error) {
	if w.calleeOnly {
		return 0, ErrCalleeOnly
	}
	if err := w.Err(); err != nil {
		return 0, terminated(err)
	}
	if w.loadState() == wireInputEnded {
		return 0, terminated(ErrPeerClosed) // the peer can no longer answer
	}
	if err := ctx.Err(); err != nil {
		return 0, context.Cause(ctx)
	}
	if w.quickOn(ctx) {
		return 0, ErrQuickCallback
	}
	if w.peerGone.Load() {
		return 0, ErrShutdown
	}
	return w.idx.take(proc)
}

// Start sends a call of procedure proc with the given argument payload
// (MessagePack values concatenated) and returns its handle. It writes the
// call itself (blocking while the transport accepts the bytes) unless
// another goroutine is writing, in which case the call joins that write.
func (w *Conn) Start(ctx context.Context, proc uint64, payload []byte) (*Call, error) {
	call, err := w.begin(ctx, proc)
	if err != nil {
		return nil, err
	}
	c := newCall(w, callKey{proc, call})
	if err := c.setExt(ctx); err != nil {
		w.idx.release(c.key)
		return nil, err
	}
	if c.ext != nil {
		if err := w.awaitAnnouncements(ctx); err != nil {
			w.idx.release(c.key)
			return nil, err
		}
	}
	pieces := len(payload) > maxFramePayload
	if !pieces {
		c.relay.Store(relayArgsClosed) // one frame: it ends them as it goes
	}
	// Register the call before its bytes leave: the response is read, and
	// routed through the same mailbox, only after.
	if !w.register(c) {
		return nil, c.err
	}
	var b [wire.MaxHeaderLen + 10]byte
	n, err := w.out.framePreN(ctx, c.deadlinePrefix(b[:0]), wire.KindCall, wire.TermComplete, proc, call, payload)
	if err != nil {
		return nil, w.startFailed(ctx, c, n, err)
	}
	if pieces {
		c.argsClosed()
	}
	return c, nil
}

// startFailed ends a call whose frames could not all be written (after n
// of them) and returns Start's error. Apart from Start, which runs on
// every caller's goroutine: its frame stays small.
//
//go:noinline
func (w *Conn) startFailed(ctx context.Context, c *Call, n int, err error) error {
	switch {
	case !w.ctxEnded(ctx):
		c.failWithWire()
		return terminated(w.errOr(err))
	case n == 0:
		// ctx ended while the call waited for room in the writer, and
		// nothing of it went out.
		c.finish(callCancelled, err)
		w.sys.as.Root.Send(w.pid, forgetMsg{c})
		return err
	default:
		// ctx ended with the arguments cut short: the callee is told
		// (a Cancel to a peer with the extensions, an empty Complete
		// piece to one without), which ends them.
		c.CancelCause(err)
		c.abandonArgs()
		return err
	}
}

// ctxEnded reports whether a write failed because ctx ended (while it
// waited for room), rather than because the wire did.
func (w *Conn) ctxEnded(ctx context.Context) bool {
	return ctx.Err() != nil && w.Err() == nil
}

// register hands a new call to the wire actor. A wire that has begun to
// end may never route it (the actor stopped before the message arrived):
// the call then ends here with the wire's cause. The cause is recorded
// before the actor stops (terminate), so a call that missed the actor
// always sees it. register reports whether the call is still waiting.
func (w *Conn) register(c *Call) bool {
	w.sys.as.Root.Send(w.pid, startCallMsg{c})
	if w.Err() != nil {
		c.failWithWire()
	}
	return c.loadState() == callWaiting
}

// OpenOptions configures a call opened with Open.
type OpenOptions struct {
	// Window is the response flow-control window in bytes: how much of the
	// response the callee may send ahead of Recv. Values below
	// wire.InitialCredit (64 KiB, the window both sides assume) mean that.
	// 0 means adaptive: the window starts at wire.InitialCredit and
	// doubles, up to MaxWindow, whenever Recv runs dry after taking half
	// the window. Only a callee that speaks the extensions is held to it.
	Window int64
	// MaxWindow is how far an adaptive window may grow; 0 means
	// DefaultMaxWindow.
	MaxWindow int64
}

// DefaultMaxWindow is how far an adaptive response window grows: 1 MiB,
// which keeps a fast stream's producer and reader from waiting for each
// other on loopback (a 64 KiB window lets them take turns instead: the
// credit round trip crosses four goroutine wake-ups), while a slow
// reader's stream holds at most this much.
const DefaultMaxWindow = 1 << 20

// Open starts a call of procedure proc whose arguments are sent with Send
// and ended with CloseSend, and whose response is read value by value with
// Recv. Nothing is written until the first Send or CloseSend.
func (w *Conn) Open(ctx context.Context, proc uint64, opt OpenOptions) (*Call, error) {
	call, err := w.begin(ctx, proc)
	if err != nil {
		return nil, err
	}
	c := newStreamCall(w, callKey{proc, call}, opt)
	if err := c.setExt(ctx); err != nil {
		w.idx.release(c.key)
		return nil, err
	}
	if c.ext != nil {
		if err := w.awaitAnnouncements(ctx); err != nil {
			w.idx.release(c.key)
			return nil, err
		}
	}
	if !w.register(c) {
		return nil, c.err
	}
	return c, nil
}

// newStreamCall returns the handle of a call made with Open.
func newStreamCall(w *Conn, key callKey, opt OpenOptions) *Call {
	c := newCall(w, key)
	c.q.streamQueue = &streamQueue{notify: make(chan struct{}, 1)}
	switch {
	case opt.Window > 0: // chosen: fixed
		c.q.win = newRecvWindow(opt.Window, 0)
	case opt.MaxWindow > 0:
		c.q.win = newRecvWindow(wire.InitialCredit, opt.MaxWindow)
	default:
		c.q.win = newRecvWindow(wire.InitialCredit, DefaultMaxWindow)
	}
	c.send = &sendSide{win: newSendWindow()}
	return c
}

// Call sends a call and waits for its complete response (see Start and
// Call.Wait); if ctx ends first, the call is cancelled (Call.Cancel).
func (w *Conn) Call(ctx context.Context, proc uint64, payload []byte) ([][]byte, error) {
	c, err := w.Start(ctx, proc, payload)
	if err != nil {
		return nil, err
	}
	values, err := c.Wait(ctx)
	if err != nil && ctx.Err() != nil {
		c.CancelCause(err)
	}
	return values, err
}

// PeerExtensions reports whether the peer has announced the extensions
// (error responses, cancel, flow control, ping) so far. A peer announces
// first thing, so this is settled once anything has arrived from it.
func (w *Conn) PeerExtensions() bool { return w.peerExt.Load() }

// grant sends the peer credit for n more bytes of call key (k is
// wire.KindResponseCredit or wire.KindArgumentCredit). ctx is as for
// writer.frame: nil inside an actor.
func (w *Conn) grant(ctx context.Context, k wire.Kind, key callKey, n int64) {
	if n <= 0 || !w.peerExt.Load() {
		return
	}
	var b [wire.MaxHeaderLen + 10]byte
	_ = w.out.raw(ctx, wire.AppendCredit(b[:0], k, key.proc, key.call, uint64(n)))
}

// cancelCall tells a peer with the extensions that this side abandons call
// key.
func (w *Conn) cancelCall(key callKey) {
	if !w.peerExt.Load() {
		return
	}
	var b [wire.MaxHeaderLen]byte
	// Without waiting: the caller is giving up on the call, maybe because
	// its context ended.
	_ = w.out.raw(nil, wire.AppendCancel(b[:0], key.proc, key.call))
}

func (w *Conn) errOr(err error) error {
	if e := w.Err(); e != nil {
		return e
	}
	return err
}

// Ping sends the peer a ping and waits for its pong, returning the round
// trip time. Until the peer's first bytes have arrived it waits for them
// (they say whether the peer speaks the extensions). It fails with
// ErrNoExtensions if the peer did not announce the extensions, with a
// WireError if the wire ends first, or with ctx's error.
func (w *Conn) Ping(ctx context.Context) (time.Duration, error) {
	if w.quickOn(ctx) {
		return 0, ErrQuickCallback
	}
	if w.loadState() != wireUp {
		return 0, terminated(w.errOr(ErrPeerClosed)) // no pong can come
	}
	if !w.peerExt.Load() {
		select {
		case <-w.heard:
		case <-w.inputDone: // nothing more will be heard: the wire is ending, or its input has
			return 0, terminated(w.errOr(ErrPeerClosed))
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
		if !w.peerExt.Load() {
			return 0, ErrNoExtensions
		}
	}
	c := make(chan struct{})
	w.pingMu.Lock()
	w.pingN++
	nonce := w.pingN
	if w.pings == nil {
		w.pings = make(map[uint64]chan struct{})
	}
	w.pings[nonce] = c
	w.pingMu.Unlock()
	defer func() {
		w.pingMu.Lock()
		delete(w.pings, nonce)
		w.pingMu.Unlock()
	}()
	start := time.Now()
	var b [wire.MaxHeaderLen]byte
	if err := w.out.raw(ctx, wire.AppendPing(b[:0], wire.KindPing, nonce)); err != nil {
		if w.ctxEnded(ctx) {
			return 0, err
		}
		return 0, terminated(w.errOr(err))
	}
	select {
	case <-c:
		return time.Since(start), nil
	case <-w.inputDone: // no pong can come: the wire is ending, or its input has
		return 0, terminated(w.errOr(ErrPeerClosed))
	case <-ctx.Done():
		return 0, context.Cause(ctx)
	}
}

// pong wakes the Ping waiting for nonce (wire actor).
func (w *Conn) pong(nonce uint64) {
	w.pingMu.Lock()
	if c := w.pings[nonce]; c != nil {
		close(c)
		delete(w.pings, nonce)
	}
	w.pingMu.Unlock()
}

// peerWait is how long a sender that needs to know whether the peer speaks
// the extensions waits for the peer's first bytes.
const peerWait = time.Second

// awaitPeer waits until the peer's first bytes have arrived (at most
// peerWait) and reports whether the peer speaks the extensions.
func (w *Conn) awaitPeer(ctx context.Context) bool {
	t := time.NewTimer(peerWait)
	defer t.Stop()
	select {
	case <-w.heard:
	case <-w.inputDone:
	case <-ctx.Done():
	case <-t.C:
	}
	return w.peerExt.Load()
}

// announceWait bounds how long a call that carries metadata or a deadline
// waits for the peer's announcements on a fresh wire
// (awaitAnnouncements). A peer of this project announces as soon as its
// wire is made, so against one the wait is a fraction of a round trip; a
// peer that never announces (the Rust crate) costs the first such call of
// the wire this much, and it and every later call go without the
// extensions' messages.
const announceWait = time.Second

// awaitAnnouncements waits until the peer's announcements are over, so that
// a call with metadata or a deadline is not sent without them to a peer
// that speaks version 2 of the extensions (wire/PROTOCOL.md, "Version 2").
// It returns at once on a Plain wire and once the announcements are in;
// otherwise it waits at most announceWait (then the peer is taken for one
// that does not announce: no later call waits), until the peer's stream
// ends, or until ctx ends (then it returns ctx's cause).
func (w *Conn) awaitAnnouncements(ctx context.Context) error {
	if !w.ext {
		return nil
	}
	select {
	case <-w.settled:
		return nil
	default:
	}
	t := time.NewTimer(announceWait)
	defer t.Stop()
	select {
	case <-w.settled:
	case <-w.inputDone:
	case <-t.C:
		w.settle()
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	return nil
}

// settle records that the peer's announcements are over (or no longer
// awaited): calls with metadata or a deadline stop waiting for them.
func (w *Conn) settle() {
	if w.settledOnce.CompareAndSwap(false, true) {
		close(w.settled)
	}
}
