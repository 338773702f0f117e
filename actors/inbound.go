package actors

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// inState is where an inbound call is in its life (actors/STATES.md,
// "Inbound call"): the core's InState, whose values the names below are.
// A call starts in inReceiving; inAnswered is final here (the actor lets
// go of the call once its procedure has returned, core.InGone).
type inState = core.InState

const (
	// inReceiving: argument pieces are accumulated (and granted back as
	// they arrive) until the Complete piece starts the procedure.
	inReceiving = core.InReceiving
	// inOverLimit: the pieces passed Limits.MaxCallArgs or MaxWireArgs:
	// they are dropped, and the Complete piece is answered with ErrLimit.
	inOverLimit = core.InOverLimit
	// inRunning: the procedure runs. A bidirectional one started at the
	// first piece and takes the later ones as they arrive.
	inRunning = core.InRunning
	// inAnswered: the call's final message is out (a result, a stream's
	// end, an error, a limit, a cancel), or was withheld because the wire
	// is ending. From now on the peer may reuse the (procedure, call)
	// pair: a Call frame with it starts a new call.
	inAnswered = core.InAnswered
	// inDraining: the call was answered (ErrLimit) before its arguments
	// ended, to a peer that speaks version 2 of the extensions; its pieces
	// are dropped until the caller ends them (its Complete piece, or a
	// Cancel), which frees the pair (wire/PROTOCOL.md, "Version 2").
	inDraining = core.InDraining
)

// inCall is one call the peer made: its arguments, its state, its answer
// and the procedure that serves it. Its inbound actor owns the arguments
// and starts the procedure; the procedure's goroutine answers it; the wire
// actor routes frames to it (reading its state) and feeds its response
// credit. answer is the one place that records that it was answered.
type inCall struct {
	w    *Conn
	key  callKey
	pid  *actor.PID // the call's actor (nil for a call refused without one)
	meta *[]string  // the call's metadata (KindMetadata), keys and values in turn; nil for none
	// deadline is the time the caller gave the call (KindDeadline),
	// counted from its first Call message's arrival; noDeadline for none.
	deadline time.Duration
	proc     procedures.Procedure // looked up once, by the wire, when the call began
	state    atomic.Uint32        // an inState, with inputOpen while a bidirectional procedure's input is
	kind     core.ProcKind        // what the core knows of proc (core.ProcUnknown: none is registered)
	// ran: the procedure was started on a goroutine and has not returned
	// (procDoneMsg). The inbound actor's.
	ran   bool
	first *wire.Frame // the call's first frame, handed over with inBegin

	// The inbound actor's, while it holds the call.
	args   gather       // the arguments so far (a procedure that takes them whole)
	held   int          // argument bytes counted in the wire's (Limits.MaxWireArgs)
	pieces *pieces      // accounting of arguments sent in several pieces
	in     *input       // a bidirectional procedure's arguments
	ctx    *callContext // the procedure's context (ordinary procedures)

	// resp is the response credit of a streaming procedure whose caller
	// speaks the extensions (nil otherwise): spent by the procedure's
	// goroutine, granted by the wire actor.
	resp *sendWindow
	// out counts the response as it is sent, for interceptors (nil
	// without any); the procedure's goroutine's.
	out *CallOut
}

// noDeadline is inCall.deadline for a call that came without one.
const noDeadline time.Duration = -1

// metadata returns the call's metadata, nil for none.
func (c *inCall) metadata() []string {
	if c.meta == nil {
		return nil
	}
	return *c.meta
}

// inputOpen is the bit of inCall.state that is set while the call runs a
// bidirectional procedure whose input has not ended: the state and the
// input's end change in one word, so that an answer and the input's last
// piece, on two goroutines, agree on which came first (core.Answered).
const inputOpen = 1 << 8

func (c *inCall) loadState() inState { return inState(c.state.Load() &^ inputOpen) }

// input returns where a running bidirectional procedure's input is.
func (c *inCall) input() core.InputState {
	if c.state.Load()&inputOpen != 0 {
		return core.InputOpen
	}
	return core.InputEnded
}

// move changes the state from one that is not final, with the input
// ended; it reports false if the call was answered meanwhile.
func (c *inCall) move(from, to inState) bool {
	return c.state.CompareAndSwap(uint32(from), uint32(to))
}

// runBidi moves a call from inReceiving to inRunning for a bidirectional
// procedure whose input has not ended (inputOpen).
func (c *inCall) runBidi() { c.state.CompareAndSwap(uint32(inReceiving), uint32(inRunning)|inputOpen) }

// endInput records that a running bidirectional procedure's input has
// ended (its Complete piece). It reports false if the call was answered
// first, and drains its arguments (inDraining): the piece ends the drain
// instead.
func (c *inCall) endInput() bool {
	for {
		s := c.state.Load()
		if s&inputOpen == 0 {
			return inState(s) != inDraining
		}
		if c.state.CompareAndSwap(s, s&^inputOpen) {
			return true
		}
	}
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
// for a call answered before its arguments ended. A bidirectional
// procedure's call answered while its input is open moves where the core
// says (core.Answered): it drains the input of a caller that speaks
// version 2.
func (c *inCall) answerAs(payload []byte, err error, block bool, final inState) error {
	for {
		s := c.state.Load()
		if base := inState(s &^ inputOpen); base == inAnswered || base == inDraining {
			return ErrSendClosed
		}
		to := final
		if s&inputOpen != 0 {
			to = core.Answered(true, c.w.peerV2())
		}
		if c.state.CompareAndSwap(s, uint32(to)) {
			break
		}
	}
	w := c.w
	ctx := noWait // inside a Receive: never blocks
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
	if w.closing() && (errors.Is(err, context.Canceled) || errors.Is(err, ErrWireTerminated)) {
		return nil
	}
	f := core.Failure{Code: errorCode(err), Message: err.Error()}
	switch f.Code {
	case wire.CodeLimit:
		// The code says it: the message says which limit.
		f.Message = strings.TrimPrefix(f.Message, ErrLimit.Error()+": ")
	case wire.CodeApplication:
		f.App, f.Details, _ = application(err)
	}
	var b [wire.MaxHeaderLen + 10 + wire.MaxErrorMessage]byte
	return w.out.raw(ctx, core.AppendAnswer(b[:0], core.Key{Proc: c.key.proc, Call: c.key.call}, &f, w.peerExt()))
}

// stop cancels the procedure's context with cause and closes its input.
func (c *inCall) stop(cause error) {
	if c.ctx != nil {
		c.ctx.end(cause)
	}
	if c.in != nil {
		c.in.close()
	}
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
		a.returned(ctx)
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
