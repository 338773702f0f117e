package actors

import (
	"context"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// ProcedureFailure is the supervision failure of an inbound call whose
// procedure panicked: the call actor fails with it, its supervisor (the
// wire) stops that call alone and reports it.
type ProcedureFailure struct {
	Procedure uint64
	Call      uint64
	Panic     any
	Stack     []byte
}

// WireCode is the code the call is answered with: CodePanic.
func (f *ProcedureFailure) WireCode() wire.ErrorCode { return wire.CodePanic }

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

// frame takes one Call frame of the current call, as the core's rule for
// the call's state says (core.OnPiece).
func (a *inboundActor) frame(ctx actor.Context, f *wire.Frame) {
	c := a.call
	last := f.Terminator == wire.TermComplete
	switch core.OnPiece(c.loadState(), c.kind, c.input()) {
	case core.PieceStartBidi:
		// A bidirectional procedure starts now and takes its arguments
		// as they come; credit is granted as it takes them.
		c.in = newInput(a.w, c.key)
		c.in.add(f.Payload, last)
		a.start(ctx, nil, !last)
		return
	case core.PieceGather:
		a.accumulate(c, f.Payload, last)
	case core.PieceDrop:
		// Dropped, its credit given back so that the caller's Send does
		// not wait for it: the call is answered with ErrLimit at its end.
		a.grantPiece(c, len(f.Payload), last)
	case core.PieceInput:
		if last && !c.endInput() {
			a.free(ctx) // answered first: the piece ends the drain
			return
		}
		c.in.add(f.Payload, last)
		return
	case core.PieceMalformed:
		// Nothing can tell which call the peer meant; the wire ends, as
		// for any malformed input.
		ctx.Send(ctx.Parent(), &fatalMsg{cause: fmt.Errorf(
			"%w: a Call message for procedure %d, call %d, whose arguments had ended (the pair reused while its call is open)",
			wire.ErrMalformed, c.key.proc, c.key.call)})
		return
	case core.PieceDrain:
		if last {
			a.free(ctx) // the caller ended its arguments: the pair is free
		}
		return
	case core.PieceIgnore:
		return // pieces of a call refused or cancelled before it ran
	}
	if !last {
		return
	}
	switch c.loadState() {
	case inDraining:
		a.free(ctx) // answered as the last piece passed a limit
		return
	case inOverLimit:
		a.refuse(ctx, c.pieces.over)
		return
	}
	switch {
	case c.kind == core.ProcUnknown:
		a.refuse(ctx, fmt.Errorf("%w %d", procedures.ErrUnknown, c.key.proc))
	default:
		a.start(ctx, c.args.join(), false) // they count in the wire's until it returns (release)
	}
}

// pieces accounts for the arguments of a call sent in several pieces, to a
// procedure that takes them whole (a call in one piece needs none).
type pieces struct {
	over error           // which limit the pieces passed (inOverLimit)
	size int             // argument bytes received so far
	win  core.RecvWindow // argument credit, granted back as pieces arrive
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
		c.pieces = &pieces{win: core.FixedWindow()}
	}
	size := len(piece)
	if p := c.pieces; p != nil {
		p.size += len(piece)
		size = p.size
	}
	switch fail := a.w.holdArgs(size, len(piece)); {
	case fail != nil:
		a.overLimit(c, limitErr(fail))
	default:
		c.held += len(piece)
		c.args.add(piece)
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
	c.args.reset()
	c.unholdArgs()
	if core.OverLimit(a.w.peerV2()) == inOverLimit {
		if c.pieces == nil { // one piece, over the limit by itself
			c.pieces = &pieces{win: core.FixedWindow()}
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
	if c.pieces != nil && core.GrantsPiece(last, true, a.w.peerExt(), c.loadState()) {
		a.w.grant(noWait, wire.KindArgumentCredit, c.key, c.pieces.win.Consumed(int64(n)))
	}
}

// cancel takes the caller's Cancel message (core.OnCancel).
func (a *inboundActor) cancel(ctx actor.Context) {
	a.end(ctx, core.OnCancel(a.call.loadState()), ErrCancelled)
}

// end carries out what the caller's Cancel, or the end of the peer's
// stream, does to the current call, failing it with err: answered if its
// procedure had not started, released if it drained (answered already:
// the Cancel, or the end of stream, ends its arguments), its procedure
// cancelled if it runs (it returns, and its goroutine answers).
func (a *inboundActor) end(ctx actor.Context, act core.EndAction, err error) {
	switch act {
	case core.EndAnswer:
		a.refuse(ctx, err)
	case core.EndFree:
		a.free(ctx)
	case core.EndCancel:
		a.call.stop(err)
	}
}

// errArgsCut answers a call whose arguments the peer's stream ended
// before they did.
var errArgsCut = fmt.Errorf("%w before the call's arguments ended", ErrPeerClosed)

// inputEnded takes the end of the peer's stream (wireActor.inputEnded,
// core.OnInputEnded). A call that has all its arguments runs on; one whose
// arguments had not ended never gets the rest, so it ends: answered
// errArgsCut if its procedure had not started (the peer may still be
// reading), its procedure cancelled with errArgsCut if it had (a
// bidirectional one).
func (a *inboundActor) inputEnded(ctx actor.Context) {
	c := a.call
	a.end(ctx, core.OnInputEnded(c.loadState(), c.kind, c.input()), errArgsCut)
}

// free takes the end of the arguments of a call that drains them
// (inDraining: answered before they ended): the pair is free. The actor
// lets go of the call now, unless its procedure still runs: then the call
// moves to inAnswered, and the procedure's return releases it.
func (a *inboundActor) free(ctx actor.Context) {
	c := a.call
	if c.ran {
		c.move(inDraining, inAnswered)
		return
	}
	a.release(ctx)
}

// returned takes the return of the current call's procedure: the actor
// lets go of the call, unless the call drains its arguments (answered
// before they ended): then their end does (free).
func (a *inboundActor) returned(ctx actor.Context) {
	c := a.call
	c.ran = false
	if c.loadState() == inDraining {
		return
	}
	a.release(ctx)
}

// start runs the current call's procedure: a quick one here, on the
// goroutine dispatching the frame (normally the wire's reader), any other
// on a goroutine of the wire (see workers). inputOpen says that a
// bidirectional procedure's input has not ended.
func (a *inboundActor) start(ctx actor.Context, args []byte, inputOpen bool) {
	c := a.call
	if c.deadline == 0 {
		a.refuse(ctx, context.DeadlineExceeded) // it passed on the way
		return
	}
	if inputOpen {
		c.runBidi()
	} else {
		c.move(inReceiving, inRunning)
	}
	if c.proc.IsQuick() && !a.w.out.full() {
		// Its answer is appended without blocking and written once the
		// reader's chunk is done. Nothing can cancel it while it runs
		// (this goroutine would read the cancel), so its context is the
		// wire's.
		qctx := a.w.quickCtx
		if m := c.metadata(); m != nil {
			qctx = context.WithValue(qctx, incomingKey{}, m)
		}
		if failure := c.execute(qctx, args, false); failure != nil {
			panic(failure) // a supervision failure, as in procDoneMsg
		}
		a.returned(ctx)
		return
	}
	// Not a child of the wire's procCtx: the call actor ends it, when the
	// call ends or the wire stops it, and a child of one shared context
	// costs every call that context's lock twice.
	c.ctx = newCallContext(a.w.callCtx, c.deadline)
	var pctx context.Context = c.ctx
	if m := c.metadata(); m != nil {
		pctx = context.WithValue(pctx, incomingKey{}, m)
	}
	self, root := ctx.Self(), ctx.ActorSystem().Root
	c.ran = true
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
	c.move(c.loadState(), inRunning) // its answer is on the way: a cancel changes nothing
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
