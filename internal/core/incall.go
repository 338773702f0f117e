package core

import (
	"fmt"

	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// InState is where a call the peer made is in its life (STATES.md,
// "Inbound call"). A call starts in InReceiving; InAnswered is final.
type InState uint8

const (
	// InReceiving: argument pieces are gathered (and their credit granted
	// back) until the Complete piece starts the procedure.
	InReceiving InState = iota
	// InOverLimit: the pieces passed a limit, to a caller without version
	// 2: they are dropped (their credit granted back), and the Complete
	// piece is answered with the limit.
	InOverLimit
	// InRunning: the procedure runs. A bidirectional one started at the
	// first piece and takes the later ones as they arrive.
	InRunning
	// InDraining: answered (over a limit) before its arguments ended, to a
	// caller with version 2: its pieces are dropped, without credit, until
	// the caller ends them (Complete piece or Cancel), which frees the pair.
	InDraining
	// InAnswered: the final message is out; the pair is free for a new
	// call. The call still counts in the limits until its procedure has
	// returned (Returned).
	InAnswered
	// InGone: answered, and its procedure returned or never ran: the call
	// no longer counts anywhere, and the Conn has forgotten it.
	InGone
)

func (s InState) String() string {
	switch s {
	case InReceiving:
		return "receiving"
	case InOverLimit:
		return "over-limit"
	case InRunning:
		return "running"
	case InDraining:
		return "draining"
	case InAnswered:
		return "answered"
	case InGone:
		return "gone"
	}
	return "InState(?)"
}

// InputState is where a bidirectional procedure's arguments are: still
// arriving, or ended (their Complete piece arrived).
type InputState uint8

const (
	// InputOpen: more pieces may come.
	InputOpen InputState = iota
	// InputEnded: the Complete piece arrived (or the call has none to
	// wait for).
	InputEnded
)

func (s InputState) String() string {
	switch s {
	case InputOpen:
		return "open"
	case InputEnded:
		return "ended"
	}
	return "InputState(?)"
}

// ProcKind is what the core needs to know of a procedure.
type ProcKind uint8

const (
	// ProcUnknown: no procedure has the index: the call is answered with
	// CodeUnknownProcedure at its Complete piece.
	ProcUnknown ProcKind = iota
	// ProcUnary takes its arguments whole and answers one value.
	ProcUnary
	// ProcStream takes its arguments whole and streams its response.
	ProcStream
	// ProcBidi starts at the first piece and reads its arguments as they
	// come while it streams its response.
	ProcBidi
	// ProcRefused is a procedure this engine does not serve (the guest
	// form's bidirectional procedures): answered like an unknown one.
	ProcRefused
)

// KindOf returns the ProcKind of a registered procedure of kind k; an
// engine that does not serve bidirectional procedures passes bidi false.
func KindOf(k procedures.Kind, bidi bool) ProcKind {
	switch {
	case k == procedures.KindUnary:
		return ProcUnary
	case k != procedures.KindBidi:
		return ProcStream
	case bidi:
		return ProcBidi
	}
	return ProcRefused
}

// Streaming reports whether the procedure counts in MaxOpenStreams.
func (k ProcKind) Streaming() bool { return k == ProcStream || k == ProcBidi }

// InCall is one call the peer made. Its Conn owns it.
type InCall struct {
	Key   Key
	State InState
	Kind  ProcKind
	Input InputState // a bidirectional procedure's arguments

	args   []byte     // gathered arguments (a procedure that takes them whole)
	size   int        // argument bytes received so far
	held   int        // bytes counted in the Conn's held (MaxWireArgs)
	pieces bool       // the arguments came in more than one piece: credit is granted back
	win    RecvWindow // argument credit
	over   *Failure   // the limit the pieces passed (InOverLimit)
	ran    bool       // the procedure was started (EvRun, EvRunBidi): Returned ends the call

	resp    SendCredit // response credit (a streaming procedure, a caller with the extensions)
	seqHeld []byte     // a sequence's value held back for a caller without the extensions

	deadline int64 // ms; negative for none
	meta     []string
}

// callFrame takes a Call message: a new call, or a piece of an open one.
func (c *Conn) callFrame(f wire.Frame) error {
	k := Key{f.Procedure, f.Call}
	deadline, meta, metaErr := c.extras.ForCall(k)
	last := f.Terminator == wire.TermComplete
	if _, ok := c.refused[k]; ok {
		if last {
			delete(c.refused, k) // its caller ended it: the pair is free
		}
		return nil
	}
	if ic := c.in[k]; ic != nil && ic.State < InAnswered {
		return c.piece(ic, f.Payload, last)
	}
	ic := &InCall{Key: k, Kind: c.cfg.Lookup(k.Proc), deadline: deadline, meta: meta}
	if fail := c.admit(ic, metaErr); fail != nil {
		c.refuse(ic, fail, last)
		return nil
	}
	c.in[k] = ic
	c.open++
	if ic.Kind.Streaming() {
		c.streams++
	}
	ic.resp = NewSendCredit()
	return c.piece(ic, f.Payload, last)
}

// admit says why a new call may not open, or nil.
func (c *Conn) admit(ic *InCall, metaErr error) *Failure {
	switch {
	case metaErr != nil:
		return limitf("%v", metaErr)
	case c.state == WireDraining:
		return FailShutdown
	}
	return c.cfg.OverOpen(c.open, c.streams, c.held, ic.Kind.Streaming())
}

// OverOpen says which of the wire's limits a new call would pass, given
// the calls open (and, of them, streams) and the argument bytes they hold,
// or nil: the limit's failure, naming it.
func (cfg *Config) OverOpen(open, streams, held int, streaming bool) *Failure {
	switch {
	case cfg.MaxOpenCalls > 0 && open >= cfg.MaxOpenCalls:
		return limitf("%d calls open on the wire (MaxOpenCalls)", cfg.MaxOpenCalls)
	case cfg.MaxOpenStreams > 0 && streaming && streams >= cfg.MaxOpenStreams:
		return limitf("%d streams open on the wire (MaxOpenStreams)", cfg.MaxOpenStreams)
	case cfg.MaxWireArgs > 0 && held >= cfg.MaxWireArgs:
		return limitf("the wire's calls hold %d bytes (MaxWireArgs)", cfg.MaxWireArgs)
	}
	return nil
}

// refuse answers a call that does not open, when Refusal says so (at most
// MaxOpenCalls refused pairs are remembered).
func (c *Conn) refuse(ic *InCall, fail *Failure, last bool) {
	answer, remember := Refusal(last, c.neg.v2(), len(c.refused), c.cfg.MaxOpenCalls)
	if !answer {
		return
	}
	c.out = AppendAnswer(c.out, ic.Key, fail, c.neg.ext())
	if remember {
		if c.refused == nil {
			c.refused = make(map[Key]struct{})
		}
		c.refused[ic.Key] = struct{}{}
	}
}

// piece takes one Call message of an open call (OnPiece).
func (c *Conn) piece(ic *InCall, p []byte, last bool) error {
	switch OnPiece(ic.State, ic.Kind, ic.Input) {
	case PieceStartBidi:
		c.startBidi(ic, p, last)
	case PieceGather:
		c.gather(ic, p, last)
	case PieceDrop:
		c.grantPiece(ic, len(p), last)
		if last {
			c.answerFailure(ic, ic.over)
		}
	case PieceInput:
		c.input(ic, p, last)
	case PieceMalformed:
		return fmt.Errorf("%w: a Call message for procedure %d, call %d, whose arguments had ended (the pair reused while its call is open)", wire.ErrMalformed, ic.Key.Proc, ic.Key.Call)
	case PieceDrain:
		if last {
			c.move(ic, InAnswered)
		}
	}
	return nil
}

// gather adds a piece of the arguments of a procedure that takes them
// whole; the Complete piece starts it.
func (c *Conn) gather(ic *InCall, p []byte, last bool) {
	if !last && !ic.pieces {
		ic.pieces, ic.win = true, FixedWindow()
	}
	ic.size += len(p)
	if fail := c.cfg.OverArgs(ic.size, c.held, len(p)); fail != nil {
		c.overLimit(ic, fail)
	} else {
		ic.args = append(ic.args, p...)
		c.hold(ic, len(p))
	}
	c.grantPiece(ic, len(p), last)
	if !last {
		return
	}
	switch ic.State {
	case InReceiving:
		c.start(ic)
	case InOverLimit:
		c.answerFailure(ic, ic.over)
	case InDraining:
		c.move(ic, InAnswered) // the caller ended its arguments: the pair is free
	}
}

// start runs a call whose arguments are complete.
func (c *Conn) start(ic *InCall) {
	switch {
	case ic.Kind == ProcUnknown:
		c.answerFailure(ic, failUnknown(ic.Key.Proc))
	case ic.Kind == ProcRefused:
		c.answerFailure(ic, failRefused(ic.Key.Proc))
	case ic.deadline == 0:
		c.answerFailure(ic, failDeadline) // it passed on the way
	default:
		c.move(ic, InRunning)
		ic.ran = true
		args := ic.args
		ic.args = nil
		c.emit(Event{Kind: EvRun, Key: ic.Key, Call: ic, Args: args, Deadline: ic.deadline, Meta: ic.meta})
	}
}

// startBidi starts a bidirectional procedure at its first piece.
func (c *Conn) startBidi(ic *InCall, p []byte, last bool) {
	if ic.deadline == 0 {
		c.answerFailure(ic, failDeadline)
		return
	}
	c.move(ic, InRunning)
	ic.ran = true
	ic.win = FixedWindow()
	c.emit(Event{Kind: EvRunBidi, Key: ic.Key, Call: ic, Deadline: ic.deadline, Meta: ic.meta})
	c.input(ic, p, last)
}

// input hands a running bidirectional procedure one more piece; it counts
// in the wire's held bytes until the procedure takes it (InputTaken).
// Unread input over MaxCallArgs, or the wire's over MaxWireArgs, cancels
// the procedure with the limit instead (its input is dropped).
func (c *Conn) input(ic *InCall, p []byte, last bool) {
	if last {
		ic.Input = InputEnded
	}
	if ic.over != nil {
		return // cancelled over a limit already: dropped
	}
	if fail := c.cfg.OverInput(ic.held, c.held, len(p)); fail != nil {
		ic.over = fail
		c.emit(Event{Kind: EvCancel, Key: ic.Key, Call: ic, Failure: fail})
		return
	}
	c.hold(ic, len(p))
	c.emit(Event{Kind: EvInput, Key: ic.Key, Call: ic, Args: p, Last: last})
}

// InputTaken says that the bidirectional procedure of call k took n bytes
// of its input: they no longer count in the wire's, and credit for them is
// granted back while more may come.
func (c *Conn) InputTaken(ic *InCall, n int) {
	if ic.State == InGone {
		return
	}
	c.unhold(ic, n)
	if ic.Input == InputOpen && c.neg.ext() {
		c.grant(wire.KindArgumentCredit, ic.Key, ic.win.Consumed(int64(n)))
	}
}

// overLimit drops the arguments of a call whose pieces passed a limit.
func (c *Conn) overLimit(ic *InCall, fail *Failure) {
	ic.args = nil
	c.unhold(ic, ic.held)
	if OverLimit(c.neg.v2()) == InOverLimit {
		ic.over = fail
		c.move(ic, InOverLimit)
		return
	}
	c.out = AppendAnswer(c.out, ic.Key, fail, true)
	c.move(ic, InDraining)
}

// grantPiece gives the caller back the credit of a piece of n bytes that
// the call took or dropped, unless it was the last or the call drains.
func (c *Conn) grantPiece(ic *InCall, n int, last bool) {
	if GrantsPiece(last, ic.pieces, c.neg.ext(), ic.State) {
		c.grant(wire.KindArgumentCredit, ic.Key, ic.win.Consumed(int64(n)))
	}
}

func (c *Conn) grant(k wire.Kind, key Key, n int64) {
	if n > 0 {
		c.out = wire.AppendCredit(c.out, k, key.Proc, key.Call, uint64(n))
	}
}

func (c *Conn) hold(ic *InCall, n int) {
	ic.held += n
	c.held += n
}

func (c *Conn) unhold(ic *InCall, n int) {
	n = min(n, ic.held)
	ic.held -= n
	c.held -= n
}

// cancelIn takes the caller's Cancel.
func (c *Conn) cancelIn(k Key) {
	if _, ok := c.refused[k]; ok {
		delete(c.refused, k) // answered already; the Cancel ends its arguments
		return
	}
	if ic := c.in[k]; ic != nil {
		c.endCall(ic, OnCancel(ic.State), failCancelled)
	}
}

// endCall carries out what a Cancel or the end of the peer's stream does
// to an open call (OnCancel, OnInputEnded).
func (c *Conn) endCall(ic *InCall, act EndAction, fail *Failure) {
	switch act {
	case EndAnswer:
		c.answerFailure(ic, fail)
	case EndFree:
		c.move(ic, InAnswered)
	case EndCancel:
		c.emit(Event{Kind: EvCancel, Key: ic.Key, Call: ic, Failure: fail})
	}
}

// creditIn takes response credit for a call the peer made.
func (c *Conn) creditIn(f wire.Frame) {
	ic := c.in[Key{f.Procedure, f.Call}]
	if ic == nil || ic.State != InRunning {
		return // the call has ended: nothing to feed
	}
	if n, err := wire.ParseCredit(f); err == nil {
		wasReady := ic.resp.Ready()
		ic.resp.Grant(n)
		if !wasReady && ic.resp.Ready() {
			c.emit(Event{Kind: EvCredit, Key: ic.Key, Call: ic})
		}
	}
}

// move changes a call's state; a call that reaches InAnswered without a
// procedure to wait for is forgotten at once.
func (c *Conn) move(ic *InCall, to InState) {
	ic.State = to
	if to == InAnswered && !ic.ran {
		c.forget(ic)
	}
}

// forget drops a call that is answered and whose procedure returned (or
// never ran): it no longer counts in the limits. The pair may already hold
// a newer call.
func (c *Conn) forget(ic *InCall) {
	if ic.State == InGone {
		return
	}
	ic.State = InGone
	if c.in[ic.Key] == ic {
		delete(c.in, ic.Key)
	}
	c.unhold(ic, ic.held)
	c.open--
	if ic.Kind.Streaming() {
		c.streams--
	}
}

// InCall returns the peer's latest call on pair k that the Conn has not
// forgotten, or nil.
func (c *Conn) InCall(k Key) *InCall { return c.in[k] }
