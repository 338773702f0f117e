package actors

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// inState is where an inbound call is in its life (actors/STATES.md,
// "Inbound call"). A call starts in inReceiving; inAnswered is final.
type inState uint32

const (
	// inReceiving: argument pieces are accumulated (and granted back as
	// they arrive) until the Complete piece starts the procedure.
	inReceiving inState = iota
	// inOverLimit: the pieces passed Limits.MaxCallArgs or MaxWireArgs:
	// they are dropped, and the Complete piece is answered with ErrLimit.
	inOverLimit
	// inRunning: the procedure runs. A bidirectional one started at the
	// first piece and takes the later ones as they arrive.
	inRunning
	// inAnswered: the call's final message is out (a result, a stream's
	// end, an error, a limit, a cancel), or was withheld because the wire
	// is ending. From now on the peer may reuse the (procedure, call)
	// pair: a Call frame with it starts a new call.
	inAnswered
	// inDraining: the call was answered (ErrLimit) before its arguments
	// ended, to a peer that speaks version 2 of the extensions; its pieces
	// are dropped until the caller ends them (its Complete piece, or a
	// Cancel), which frees the pair (wire/PROTOCOL.md, "Version 2").
	inDraining
)

func (s inState) String() string {
	switch s {
	case inReceiving:
		return "receiving"
	case inOverLimit:
		return "over-limit"
	case inRunning:
		return "running"
	case inAnswered:
		return "answered"
	case inDraining:
		return "draining"
	}
	return "inState(?)"
}

// inCall is one call the peer made: its arguments, its state, its answer
// and the procedure that serves it. Its inbound actor owns the arguments
// and starts the procedure; the procedure's goroutine answers it; the wire
// actor routes frames to it (reading its state) and feeds its response
// credit. answer is the one place that records that it was answered.
type inCall struct {
	w     *Conn
	key   callKey
	pid   *actor.PID           // the call's actor (nil for a call refused without one)
	ext   *inExt               // a deadline or metadata the call came with; nil for none
	proc  procedures.Procedure // looked up once, by the wire, when the call began
	state atomic.Uint32        // an inState
	known bool                 // proc is registered
	// argsEnded: a bidirectional procedure's arguments ended (their
	// Complete piece was taken). The inbound actor's.
	argsEnded bool
	first     *wire.Frame // the call's first frame, handed over with inBegin

	// The inbound actor's, while it holds the call.
	args   []byte                  // the arguments so far (a procedure that takes them whole)
	held   int                     // argument bytes counted in the wire's (Limits.MaxWireArgs)
	pieces *pieces                 // accounting of arguments sent in several pieces
	in     *input                  // a bidirectional procedure's arguments
	cancel context.CancelCauseFunc // cancels the procedure's context

	// resp is the response credit of a streaming procedure whose caller
	// speaks the extensions (nil otherwise): spent by the procedure's
	// goroutine, granted by the wire actor.
	resp *sendWindow
	// out counts the response as it is sent, for interceptors (nil
	// without any); the procedure's goroutine's.
	out *CallOut
}

// inExt is what an inbound call that came with a deadline or metadata
// also carries (a pointer: most calls have neither, and the call stays in
// a smaller size class).
type inExt struct {
	// deadline is the time the caller gave the call (KindDeadline),
	// counted from its first Call message's arrival; negative for none.
	deadline time.Duration
	meta     []string // the call's metadata (KindMetadata), keys and values in turn
}

// deadline returns the call's deadline, negative for none.
func (c *inCall) deadline() time.Duration {
	if c.ext == nil {
		return -1
	}
	return c.ext.deadline
}

// meta returns the call's metadata, nil for none.
func (c *inCall) meta() []string {
	if c.ext == nil {
		return nil
	}
	return c.ext.meta
}

func (c *inCall) loadState() inState { return inState(c.state.Load()) }

// move changes the state from one that is not final; it reports false if
// the call was answered meanwhile.
func (c *inCall) move(from, to inState) bool {
	return c.state.CompareAndSwap(uint32(from), uint32(to))
}

// answer sends the call's final message and moves it to inAnswered: a
// Complete response carrying payload when err is nil; otherwise err as an
// Error message with its code to a peer with the extensions, or as a
// Complete response with an empty payload to one without (wire/PROTOCOL.md;
// the caller fails to decode it instead of waiting forever). A procedure's
// error that is only its wire ending (a cancelled context, a call back over
// the wire that failed with it) is not sent once the wire's end has begun:
// the caller sees the wire end, not a procedure error.
//
// It is the only place that answers a call, and the first answer wins:
// later ones return ErrSendClosed. Any goroutine may call it. block is
// true on a goroutine that may write the answer itself; inside a Receive
// it is false and the write never blocks. It returns the writer's error.
func (c *inCall) answer(payload []byte, err error, block bool) error {
	return c.answerAs(payload, err, block, inAnswered)
}

// answerAs is answer, moving the call to final: inAnswered, or inDraining
// for a call answered before its arguments ended.
func (c *inCall) answerAs(payload []byte, err error, block bool, final inState) error {
	for {
		s := c.loadState()
		if s == inAnswered || s == inDraining {
			return ErrSendClosed
		}
		if c.move(s, final) {
			break
		}
	}
	w := c.w
	var ctx context.Context // nil: inside a Receive, never blocks
	if block {
		ctx = context.Background() // the wire's end ends the wait
	}
	if o := c.out; o != nil && err == nil && (len(payload) > 0 || c.proc.Kind() == procedures.KindUnary) {
		o.Bytes += int64(len(payload))
		o.Values++ // a unary procedure's value, or a stream's last (to a peer without the extensions)
	}
	if err == nil {
		if block && len(payload) > 0 && w.out.full() {
			return c.answerWaiting(ctx, payload)
		}
		return w.out.frame(ctx, wire.KindResponse, wire.TermComplete, c.key.proc, c.key.call, payload)
	}
	return c.answerError(ctx, err)
}

// answerWaiting writes a value for a writer that is full: it waits for
// room, and counts meanwhile in what the peer's calls hold, which refuses
// new ones past the budget.
//
//go:noinline
func (c *inCall) answerWaiting(ctx context.Context, payload []byte) error {
	n := int64(len(payload))
	c.w.argBytes.Add(n)
	defer c.w.argBytes.Add(-n)
	return c.w.out.frame(ctx, wire.KindResponse, wire.TermComplete, c.key.proc, c.key.call, payload)
}

// answerError writes the call's failure (see answer). Apart from answer so
// that the success path does not carry its buffer in its stack frame.
//
//go:noinline
func (c *inCall) answerError(ctx context.Context, err error) error {
	w := c.w
	if w.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, ErrWireTerminated)) {
		return nil
	}
	if !w.peerExt.Load() {
		return w.out.frame(ctx, wire.KindResponse, wire.TermComplete, c.key.proc, c.key.call, nil)
	}
	code := errorCode(err)
	msg := err.Error()
	switch code {
	case wire.CodeCancelled:
		msg = ""
	case wire.CodeLimit:
		// The code says it: the message says which limit.
		msg = strings.TrimPrefix(msg, ErrLimit.Error()+": ")
	}
	if code == wire.CodeApplication {
		app, details, _ := application(err)
		return w.out.raw(ctx, wire.AppendApplicationError(nil, c.key.proc, c.key.call, app, msg, details))
	}
	var b [wire.MaxHeaderLen + 10 + wire.MaxErrorMessage]byte
	return w.out.raw(ctx, wire.AppendError(b[:0], c.key.proc, c.key.call, code, msg))
}

// stop cancels the procedure's context with cause and closes its input.
func (c *inCall) stop(cause error) {
	if c.cancel != nil {
		c.cancel(cause)
	}
	if c.in != nil {
		c.in.close()
	}
}

// ProcedureFailure is the supervision failure of an inbound call whose
// procedure panicked: the call actor fails with it, its supervisor (the
// wire) stops that call alone and reports it.
type ProcedureFailure struct {
	Procedure uint64
	Call      uint64
	Panic     any
	Stack     []byte
}

func (f *ProcedureFailure) Error() string {
	return fmt.Sprintf("ipfi: procedure %d (call %d) panicked: %v", f.Procedure, f.Call, f.Panic)
}

// inboundActor serves the calls the peer makes, one at a time: it
// accumulates a call's arguments, starts its procedure on a goroutine of
// the wire (a procedure may block, even call back over the same wire; a
// Receive must not) or, for a quick one, runs it inline, and hands itself
// back to its wire (release) once the call is answered and its procedure
// has returned. When the actor stops, for whatever reason, its call's
// procedure has its context cancelled.
type inboundActor struct {
	w    *Conn
	call *inCall // the current call; nil while idle
}

func (a *inboundActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case frameRef:
		if a.call != nil { // else a frame routed as the last call ended
			a.frame(ctx, m.f)
		}
	case inBegin:
		a.call = m.c
		f := m.c.first
		m.c.first = nil
		a.frame(ctx, f)
	case cancelMsg:
		if a.call != nil { // else a cancel routed as the last call ended
			a.cancel(ctx)
		}
	case inputEndedMsg:
		if a.call != nil {
			a.inputEnded(ctx)
		}
	case procDoneMsg:
		if m.failure != nil {
			// Turn the recovered panic into a supervision failure: the
			// wire's strategy stops this actor and reports it.
			panic(m.failure)
		}
		a.release(ctx)
	case *actor.Stopping:
		// The wire is ending (its call actors stop with it), or the call
		// failed: the procedure's context is cancelled with the wire's
		// cause.
		if a.call != nil {
			cause := a.w.Err()
			if cause == nil {
				cause = ErrClosed
			}
			a.call.stop(terminated(cause))
		}
	}
}

// frame takes one Call frame of the current call.
func (a *inboundActor) frame(ctx actor.Context, f *wire.Frame) {
	c := a.call
	last := f.Terminator == wire.TermComplete
	switch c.loadState() {
	case inReceiving:
		if c.known && c.proc.Kind() == procedures.KindBidi {
			// A bidirectional procedure starts now and takes its
			// arguments as they come; credit is granted as it takes them.
			c.in = newInput(a.w, c.key)
			c.in.add(f.Payload, last)
			c.argsEnded = last
			a.start(ctx, nil)
			return
		}
		a.accumulate(c, f.Payload, last)
	case inOverLimit:
		// Dropped, its credit given back so that the caller's Send does
		// not wait for it: the call is answered with ErrLimit at its end.
		a.grantPiece(c, len(f.Payload), last)
	case inRunning:
		if c.in == nil || c.argsEnded {
			// A Call message for a call whose arguments had ended: the
			// peer reused the pair while its call is open. Nothing can
			// tell which call it meant; the wire ends, as for any
			// malformed input.
			ctx.Send(ctx.Parent(), &fatalMsg{cause: fmt.Errorf(
				"%w: a Call message for procedure %d, call %d, whose arguments had ended (the pair reused while its call is open)",
				wire.ErrMalformed, c.key.proc, c.key.call)})
			return
		}
		c.in.add(f.Payload, last)
		c.argsEnded = last
		return
	case inAnswered:
		return // pieces of a call refused or cancelled before it ran
	case inDraining:
		if last {
			a.release(ctx) // the caller ended its arguments: the pair is free
		}
		return
	}
	if !last {
		return
	}
	switch c.loadState() {
	case inDraining:
		a.release(ctx) // answered as the last piece passed a limit
		return
	case inOverLimit:
		a.refuse(ctx, c.pieces.over)
		return
	}
	switch {
	case !c.known:
		a.refuse(ctx, fmt.Errorf("%w %d", procedures.ErrUnknown, c.key.proc))
	default:
		args := c.args
		c.args = nil
		a.start(ctx, args) // they count in the wire's until it returns (release)
	}
}

// pieces accounts for the arguments of a call sent in several pieces, to a
// procedure that takes them whole (a call in one piece needs none).
type pieces struct {
	over error      // which limit the pieces passed (inOverLimit)
	size int        // argument bytes received so far
	win  recvWindow // argument credit, granted back as pieces arrive
}

// unholdArgs uncounts the call's arguments from the wire's (inbound actor:
// the procedure returned, or never ran).
func (c *inCall) unholdArgs() {
	if c.held > 0 {
		c.w.argBytes.Add(-int64(c.held))
		c.held = 0
	}
}

// accumulate adds a piece of the arguments of a procedure that takes them
// whole, moving the call to inOverLimit if they pass a limit. The
// arguments count in the wire's (Limits.MaxWireArgs) from now until the
// procedure returns.
func (a *inboundActor) accumulate(c *inCall, piece []byte, last bool) {
	if c.pieces == nil && !last {
		c.pieces = &pieces{win: fixedWindow()}
	}
	size := len(piece)
	if p := c.pieces; p != nil {
		p.size += len(piece)
		size = p.size
	}
	switch {
	case size > a.w.limits.MaxCallArgs:
		a.overLimit(c, fmt.Errorf("%w: more than %d bytes of arguments (MaxCallArgs)", ErrLimit, a.w.limits.MaxCallArgs))
	case !a.w.holdArgs(len(piece)):
		a.overLimit(c, fmt.Errorf("%w: the wire holds %d bytes of arguments (MaxWireArgs)", ErrLimit, a.w.limits.MaxWireArgs))
	case c.args == nil:
		c.held += len(piece)
		c.args = piece // the parser's private copy: no need for another
	default:
		c.held += len(piece)
		c.args = append(c.args, piece...)
	}
	// Accumulated arguments are bounded by the limit, not by the window:
	// the caller gets its credit back as they arrive.
	a.grantPiece(c, len(piece), last)
}

// overLimit drops the arguments of a call whose pieces passed a limit. A
// caller that speaks version 2 of the extensions is answered err at once
// (its Send returns it) and the call drains its pieces (inDraining); any
// other is answered at its Complete piece (inOverLimit), as it expects.
func (a *inboundActor) overLimit(c *inCall, err error) {
	c.args = nil
	c.unholdArgs()
	if !a.w.peerV2.Load() {
		if c.pieces == nil { // one piece, over the limit by itself
			c.pieces = &pieces{win: fixedWindow()}
		}
		c.pieces.over = err
		c.move(inReceiving, inOverLimit)
		return
	}
	_ = c.answerAs(nil, err, false, inDraining)
}

// grantPiece gives the caller back the argument credit of a piece of n
// bytes that the call took (or dropped), unless it was the last.
func (a *inboundActor) grantPiece(c *inCall, n int, last bool) {
	if !last && c.pieces != nil && a.w.peerExt.Load() && c.loadState() != inDraining {
		a.w.grant(nil, wire.KindArgumentCredit, c.key, c.pieces.win.consumed(int64(n)))
	}
}

// cancel takes the caller's Cancel message.
func (a *inboundActor) cancel(ctx actor.Context) {
	c := a.call
	switch c.loadState() {
	case inReceiving, inOverLimit:
		a.refuse(ctx, ErrCancelled)
	case inDraining:
		a.release(ctx) // answered already; the Cancel ends its arguments
	case inRunning:
		c.stop(ErrCancelled) // the procedure returns, and its goroutine answers
	}
}

// errArgsCut answers a call whose arguments the peer's stream ended
// before they did.
var errArgsCut = fmt.Errorf("%w before the call's arguments ended", ErrPeerClosed)

// inputEnded takes the end of the peer's stream (wireActor.inputEnded). A
// call that has all its arguments runs on; one whose arguments had not
// ended never gets the rest, so it ends: answered errArgsCut if its
// procedure had not started (the peer may still be reading), its
// procedure cancelled with errArgsCut if it had (a bidirectional one).
func (a *inboundActor) inputEnded(ctx actor.Context) {
	c := a.call
	switch c.loadState() {
	case inReceiving, inOverLimit:
		a.refuse(ctx, errArgsCut)
	case inDraining:
		a.release(ctx)
	case inRunning:
		if c.in != nil && !c.argsEnded {
			c.stop(errArgsCut)
		}
	}
}

// start runs the current call's procedure: a quick one here, on the
// goroutine dispatching the frame (normally the wire's reader), any other
// on a goroutine of the wire (see workers).
func (a *inboundActor) start(ctx actor.Context, args []byte) {
	c := a.call
	if c.deadline() == 0 {
		a.refuse(ctx, context.DeadlineExceeded) // it passed on the way
		return
	}
	c.move(inReceiving, inRunning)
	if c.proc.IsQuick() && !a.w.out.full() {
		// Its answer is appended without blocking and written once the
		// reader's chunk is done. Nothing can cancel it while it runs
		// (this goroutine would read the cancel), so its context is the
		// wire's.
		qctx := a.w.quickCtx
		if m := c.meta(); m != nil {
			qctx = context.WithValue(qctx, incomingKey{}, m)
		}
		if failure := c.execute(qctx, args, false); failure != nil {
			panic(failure) // a supervision failure, as in procDoneMsg
		}
		a.release(ctx)
		return
	}
	// Not a child of the wire's procCtx: the call actor cancels it, when
	// the call ends or the wire stops it, and a child of one shared
	// context costs every call that context's lock twice.
	pctx, cancel := context.WithCancelCause(a.w.callCtx)
	c.cancel = cancel
	if d := c.deadline(); d > 0 {
		dctx, stop := context.WithTimeout(pctx, d)
		pctx, c.cancel = dctx, func(cause error) { cancel(cause); stop() }
	}
	if m := c.meta(); m != nil {
		pctx = context.WithValue(pctx, incomingKey{}, m)
	}
	self, root := ctx.Self(), ctx.ActorSystem().Root
	a.w.goWork(func() {
		root.Send(self, procDoneMsg{failure: c.execute(pctx, args, true)})
	})
}

// refuse answers the current call with err without running its procedure
// (an unknown procedure, arguments over a limit, a cancel before it ran)
// and releases the actor. While the writer is full (the peer is not
// reading) the answer is not added to it from here: a goroutine of the
// wire waits for room to write it, and the call stays open, counted in
// the open-call limits, until it has. See writer.
func (a *inboundActor) refuse(ctx actor.Context, err error) {
	c := a.call
	if !a.w.out.full() {
		_ = c.answer(nil, err, false)
		a.release(ctx)
		return
	}
	c.state.Store(uint32(inRunning)) // its answer is on the way: a cancel changes nothing
	self, root := ctx.Self(), ctx.ActorSystem().Root
	a.w.goWork(func() {
		_ = c.answer(nil, err, true)
		root.Send(self, procDoneMsg{})
	})
}

// release ends the actor's part in its call (answered, its procedure
// returned or never ran) and hands the actor back to its wire.
func (a *inboundActor) release(ctx actor.Context) {
	c := a.call
	c.stop(ErrCancelled)
	c.unholdArgs()
	a.call = nil
	ctx.Send(ctx.Parent(), inDone{c})
}
