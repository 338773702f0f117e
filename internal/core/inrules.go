package core

// The rules of an inbound call, by its state (STATES.md, "Inbound call"),
// as functions of the state alone: Conn applies them to its InCalls, and
// package actors to its call actors, so that both engines decide the same.

// PieceAction is what a Call message of an open call does.
type PieceAction uint8

const (
	// PieceGather: add it to the arguments of a procedure that takes them
	// whole; the Complete piece starts the procedure.
	PieceGather PieceAction = iota + 1
	// PieceStartBidi: start the bidirectional procedure; the piece is
	// its first input.
	PieceStartBidi
	// PieceInput: hand the piece to the running bidirectional procedure.
	PieceInput
	// PieceDrop: drop it, granting its credit back; the Complete piece is
	// answered with the limit the call passed (InOverLimit).
	PieceDrop
	// PieceDrain: drop it without credit; the Complete piece frees the
	// pair (InDraining).
	PieceDrain
	// PieceMalformed: a Call message for a call whose arguments had
	// ended (the pair reused while its call is open): the wire ends.
	PieceMalformed
	// PieceIgnore: the call was answered before it ran (a cancel): the
	// piece is dropped.
	PieceIgnore
)

// OnPiece returns what a Call message of an open call in state s does,
// for a procedure of kind k whose input (a bidirectional one's) is in.
func OnPiece(s InState, k ProcKind, in InputState) PieceAction {
	switch s {
	case InReceiving:
		if k == ProcBidi {
			return PieceStartBidi
		}
		return PieceGather
	case InOverLimit:
		return PieceDrop
	case InRunning:
		if k == ProcBidi && in == InputOpen {
			return PieceInput
		}
		return PieceMalformed
	case InDraining:
		return PieceDrain
	}
	return PieceIgnore
}

// EndAction is what the caller's Cancel, or the end of the peer's stream,
// does to an open call.
type EndAction uint8

const (
	// EndNothing: the call runs on (it has all its arguments), or was
	// answered already.
	EndNothing EndAction = iota
	// EndAnswer: answer the call with the failure; its procedure never
	// ran.
	EndAnswer
	// EndFree: the call was answered before its arguments ended
	// (InDraining); they have now, and the pair is free.
	EndFree
	// EndCancel: cancel the running procedure with the failure; it
	// answers.
	EndCancel
)

// OnCancel returns what the caller's Cancel does to a call in state s
// (its failure: FailCancelled).
func OnCancel(s InState) EndAction {
	switch s {
	case InReceiving, InOverLimit:
		return EndAnswer
	case InDraining:
		return EndFree
	case InRunning:
		return EndCancel
	}
	return EndNothing
}

// OnInputEnded returns what the end of the peer's stream does to a call in
// state s, of a procedure of kind k whose input is in (its failure:
// FailArgsCut). A call that has all its arguments runs on.
// Otherwise it is what a Cancel does (OnCancel).
func OnInputEnded(s InState, k ProcKind, in InputState) EndAction {
	if s == InRunning && (k != ProcBidi || in == InputEnded) {
		return EndNothing
	}
	return OnCancel(s)
}

// GrantsPiece reports whether a piece of a call's arguments has its credit
// granted back as it arrives (taken, or dropped over a limit): unless it is
// the last (a call in one piece needs none), the caller speaks the
// extensions, and the call does not drain (InDraining: the caller has its
// answer and sends no more).
func GrantsPiece(last, pieces, peerExt bool, s InState) bool {
	return !last && pieces && peerExt && s != InDraining
}

// OverLimit returns the state a call whose arguments passed a limit moves
// to, given whether its caller speaks version 2: InDraining, answered at
// once with the limit (its Send fails with it), or InOverLimit, answered
// at its Complete piece, as a caller without version 2 expects.
func OverLimit(v2 bool) InState {
	if v2 {
		return InDraining
	}
	return InOverLimit
}

// Answered returns the state a running call moves to as it is answered:
// InDraining if its arguments have not ended (a bidirectional procedure's
// input is open) and its caller speaks version 2, which then ends them
// (PROTOCOL.md, "Early answer"): until it has, its pieces are dropped and
// the pair stays taken; else InAnswered, and the pair is free.
func Answered(argsOpen, v2 bool) InState {
	if argsOpen && v2 {
		return InDraining
	}
	return InAnswered
}

// PairHeld reports whether the final message of a call's response (a
// Complete response or an Error) leaves its pair taken, given whether its
// arguments had ended and the callee speaks version 2: one that does
// drains arguments that had not ended (Answered), and the caller ends them
// with an empty Complete piece, freeing the pair after it. Otherwise the
// pair is free at once, and nothing more is sent on it.
func PairHeld(argsOpen, v2 bool) bool { return argsOpen && v2 }

// Refusal says when a call that may not open is answered: at its Complete
// piece (last), or at its first piece to a caller with version 2 while the
// wire remembers fewer than maxRefused such calls (0: no bound); remember
// is then true: its later pieces are dropped until the Complete one. Any
// other piece of a refused call is dropped, and the call answered at its
// end.
func Refusal(last, v2 bool, refused, maxRefused int) (answer, remember bool) {
	switch {
	case last:
		return true, false
	case v2 && (maxRefused <= 0 || refused < maxRefused):
		return true, true
	}
	return false, false
}

// OverArgs says which argument limit a piece of n bytes passes, or nil:
// the call's (MaxCallArgs), whose arguments come to size bytes with it,
// or the wire's (MaxWireArgs), whose calls hold held bytes before it.
func (cfg *Config) OverArgs(size, held, n int) *Failure {
	switch {
	case cfg.MaxCallArgs > 0 && size > cfg.MaxCallArgs:
		return limitf("more than %d bytes of arguments (MaxCallArgs)", cfg.MaxCallArgs)
	case cfg.MaxWireArgs > 0 && held+n > cfg.MaxWireArgs:
		return limitf("the wire holds %d bytes of arguments (MaxWireArgs)", cfg.MaxWireArgs)
	}
	return nil
}

// OverCollected says whether n more bytes of a response pass the wire's
// budget for responses being collected (MaxCollected), whose calls hold
// held bytes before them: the limit's failure, or nil.
func (cfg *Config) OverCollected(held, n int) *Failure {
	if cfg.MaxCollected > 0 && held+n > cfg.MaxCollected {
		return limitf("the wire's calls hold %d bytes of responses (MaxCollected)", cfg.MaxCollected)
	}
	return nil
}

// OverInput says which argument limit a piece of n bytes for a running
// bidirectional procedure passes, or nil: the call's (MaxCallArgs), which
// bounds the input it has not read yet (unread bytes before the piece), or
// the wire's (MaxWireArgs), whose calls hold held bytes before it.
func (cfg *Config) OverInput(unread, held, n int) *Failure {
	if cfg.MaxCallArgs > 0 && unread+n > cfg.MaxCallArgs {
		return limitf("more than %d bytes of unread arguments (MaxCallArgs)", cfg.MaxCallArgs)
	}
	return cfg.OverArgs(0, held, n)
}
