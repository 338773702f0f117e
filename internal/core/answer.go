package core

import (
	"fmt"

	"github.com/ipfi-go/ipfi/wire"
)

// answerFailure answers an open call with fail and moves it to InAnswered.
func (c *Conn) answerFailure(ic *InCall, fail *Failure) {
	c.out = AppendAnswer(c.out, ic.Key, fail, c.neg.ext())
	c.move(ic, InAnswered)
}

// answered moves a running call that was just answered where Answered
// says: InDraining while a bidirectional procedure's input is open, to a
// caller with version 2.
func (c *Conn) answered(ic *InCall) {
	c.move(ic, Answered(ic.Kind == ProcBidi && ic.Input == InputOpen, c.neg.v2()))
}

// Answer sends the final message of running call ic: a Complete response
// carrying value (in pieces past MaxFramePayload) when fail is nil,
// otherwise fail (an Error to a peer with the extensions, an empty
// Complete to one without). It is the one place a running call is
// answered, and the first answer wins: later ones return ErrAnswered. A
// sequence's held value (Yield) goes first.
func (c *Conn) Answer(ic *InCall, value []byte, fail *Failure) error {
	if ic.State != InRunning {
		return ErrAnswered
	}
	if c.state >= WireClosing {
		c.move(ic, InAnswered)
		return nil // nothing more is written
	}
	if fail != nil {
		c.out = AppendAnswer(c.out, ic.Key, fail, c.neg.ext())
		c.answered(ic)
		return nil
	}
	if ic.seqHeld != nil {
		value = append(ic.seqHeld, value...) // the last value carries the Complete
		ic.seqHeld = nil
	}
	c.out = appendPieces(c.out, wire.KindResponse, ic.Key, value)
	c.answered(ic)
	return nil
}

// appendPieces appends payload as Call or Response messages of call k: in
// pieces of at most MaxFramePayload (terminator None), the last one
// Complete.
func appendPieces(dst []byte, kind wire.Kind, k Key, payload []byte) []byte {
	return appendSplit(dst, kind, k, payload, wire.TermComplete)
}

// appendSplit appends payload as messages of call k of at most
// MaxFramePayload bytes each: terminator None for all but the last, which
// has t.
func appendSplit(dst []byte, kind wire.Kind, k Key, payload []byte, t wire.Terminator) []byte {
	for len(payload) > MaxFramePayload {
		dst = wire.AppendHeader(dst, kind, wire.TermNone, k.Proc, k.Call, MaxFramePayload)
		dst = append(dst, payload[:MaxFramePayload]...)
		payload = payload[MaxFramePayload:]
	}
	dst = wire.AppendHeader(dst, kind, t, k.Proc, k.Call, len(payload))
	return append(dst, payload...)
}

// Send sends one non-final message of running call ic's response (t is
// TermChunk or TermNone; a payload past MaxFramePayload goes in pieces).
// To a caller with the extensions it needs credit: without any it returns
// ErrNoCredit and sends nothing (an EvCredit event for k says when to try
// again); a message may overdraw the credit by its own size.
func (c *Conn) Send(ic *InCall, payload []byte, t wire.Terminator) error {
	if ic.State != InRunning {
		return ErrAnswered
	}
	if c.neg.ext() && !ic.resp.Ready() {
		return ErrNoCredit
	}
	if c.neg.ext() {
		ic.resp.Spend(len(payload))
	}
	c.out = appendSplit(c.out, wire.KindResponse, ic.Key, payload, t)
	return nil
}

// Yield sends one value of running call ic's sequence: a Chunk to a caller
// with the extensions (an empty Complete ends the sequence, Answer(k, nil,
// nil)); to one without, the last value must carry the Complete terminator
// (as the Rust crate writes it), so one value is held back until the next
// comes or Answer sends it. It returns Send's errors; a held value that
// could not be sent stays held.
func (c *Conn) Yield(ic *InCall, v []byte) error {
	if !HoldsLast(c.neg.ext()) {
		return c.Send(ic, v, wire.TermChunk)
	}
	if ic.State != InRunning {
		return ErrAnswered
	}
	if ic.seqHeld != nil {
		if err := c.Send(ic, ic.seqHeld, wire.TermChunk); err != nil {
			return err
		}
	}
	ic.seqHeld = append(ic.seqHeld[:0], v...)
	return nil
}

// Returned says that the procedure of call ic has returned (after it
// answered): the call no longer counts in the limits (InGone).
func (c *Conn) Returned(ic *InCall) {
	ic.ran = false
	if ic.State == InAnswered {
		c.forget(ic)
	}
}

// SendRaw sends a raw stream's message of running call ic with the
// terminator its procedure chose: Complete answers the call (Answer), None
// and Chunk are sent as Send sends them (an empty None sends nothing).
func (c *Conn) SendRaw(ic *InCall, payload []byte, t wire.Terminator) error {
	act, err := OnRaw(t, len(payload))
	switch act {
	case RawAnswer:
		return c.Answer(ic, payload, nil)
	case RawSend:
		return c.Send(ic, payload, t)
	}
	return err
}

// HoldsLast reports whether a sequence's values hold one back, given
// whether the caller speaks the extensions: to one that does not, the
// last value must carry the Complete terminator (as the Rust crate writes
// it), so each value waits for the next, or for the sequence's end; to one
// that does, each goes as a Chunk as it comes, and an empty Complete ends
// the sequence.
func HoldsLast(peerExt bool) bool { return !peerExt }

// RawAction is what a raw stream's message does (OnRaw).
type RawAction uint8

const (
	// RawSkip: nothing is sent (an empty None, or an invalid terminator).
	RawSkip RawAction = iota
	// RawSend: a non-final message (None or Chunk), sent as Send sends it.
	RawSend
	// RawAnswer: the final message (Complete): it answers the call.
	RawAnswer
)

// OnRaw returns what a raw stream's message with terminator t and n
// payload bytes does, and an error for a terminator that is none of
// None, Chunk and Complete.
func OnRaw(t wire.Terminator, n int) (RawAction, error) {
	switch {
	case t == wire.TermComplete:
		return RawAnswer, nil
	case t != wire.TermNone && t != wire.TermChunk:
		return RawSkip, fmt.Errorf("ipfi: invalid terminator %v", t)
	case t == wire.TermNone && n == 0:
		return RawSkip, nil
	}
	return RawSend, nil
}
