package actors

import (
	"context"
	"sync"

	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/wire"
)

// sendSide is the send side of a call made with Open: its arguments, sent
// in pieces, flow-controlled by the callee's argument credit. Its state is
// the core's SendState (actors/STATES.md, "Send side"): core.SendUnsent
// until a Call message was written (the first carries the deadline and
// metadata), core.SendOpen while pieces may be sent, core.SendClosed once
// the final piece (terminator Complete) was written, by CloseSend or by a
// Cancel. mu is its owner: one Send, CloseSend or Cancel at a time.
type sendSide struct {
	mu    sync.Mutex
	state core.SendState
	win   *sendWindow // argument credit granted by the callee
}

// first returns what to write before the next Call message: the call's
// deadline and metadata before its first. Called with the send side's lock
// held, before the message is written.
func (c *Call) first(b []byte) []byte {
	if c.send.state != core.SendUnsent {
		return nil
	}
	c.send.state = core.SendOpen
	return c.deadlinePrefix(b)
}

// Send sends payload (MessagePack values, concatenated) as more of the
// call's arguments, in a Call message with terminator None. With a callee
// that speaks the extensions it blocks while the callee's argument window
// is used up. On a fresh wire whose peer has sent nothing yet, a Send that
// finds the window used up first waits (up to peerWait) for the peer's
// first bytes, which say whether it speaks the extensions: a Rust peer
// writes nothing before it answers, and is then sent to without limit.
// Once the call has ended it returns the call's error (ErrSendClosed if
// its response is complete); after CloseSend, ErrSendClosed. If ctx ends
// first the call is cancelled with ctx's cause, which Send returns. An
// empty payload sends nothing.
func (c *Call) Send(ctx context.Context, payload []byte) error {
	s := c.send
	if s == nil {
		return ErrSendClosed // a call made with Start: its arguments went whole
	}
	if len(payload) == 0 {
		return nil
	}
	ctxEnded := ctx.Err() != nil
	var err error
	if !ctxEnded {
		s.mu.Lock()
		err, ctxEnded = c.sendLocked(ctx, payload)
		s.mu.Unlock()
	}
	if ctxEnded {
		// Outside the lock: telling the callee takes it (tellCancelled).
		c.CancelCause(context.Cause(ctx))
		return c.sendErr()
	}
	return err
}

// sendLocked is Send with the send side's lock held. It reports whether
// ctx ended first.
func (c *Call) sendLocked(ctx context.Context, payload []byte) (error, bool) {
	s := c.send
	for {
		select {
		case <-c.done:
			return c.sendErr(), false
		default:
		}
		if s.state == core.SendClosed {
			return ErrSendClosed, false
		}
		if s.win.ready() || (!c.w.peerExt() && !c.w.awaitPeer(ctx)) {
			break // credit, or a peer without flow control
		}
		select {
		case <-s.win.granted():
		case <-c.w.done:
			c.failWithWire()
		case <-c.done:
		case <-ctx.Done():
			return nil, true
		}
	}
	s.win.spend(len(payload))
	var b [wire.MaxHeaderLen + 10]byte
	first := s.state == core.SendUnsent
	n, err := c.w.out.framePreN(ctx, c.first(b[:0]), wire.KindCall, wire.TermNone, c.key.proc, c.key.call, payload)
	switch {
	case err == nil:
	case c.w.ctxEnded(ctx):
		// ctx ended while the piece waited for room in the writer: the
		// call is cancelled (Send's caller does it).
		if first && n == 0 {
			s.state = core.SendUnsent // nothing reached the peer
		}
		return nil, true
	default:
		return terminated(c.w.errOr(err)), false
	}
	return nil, false
}

// sendErr is the error of a Send on an ended call: the call's error, or
// ErrSendClosed once its response is complete.
func (c *Call) sendErr() error {
	if c.loadState() == callComplete {
		return ErrSendClosed
	}
	return c.err
}

// CloseSend ends the call's arguments with a Call message with terminator
// Complete carrying last (the last arguments, or nothing); the callee runs
// a procedure that waits for its complete arguments once it arrives. It
// waits for no argument credit, but blocks while the wire's writer is full
// (and, for a ctx that cannot end, while the transport takes the bytes).
// If ctx ends first the call is cancelled with ctx's cause, which
// CloseSend returns (a call that had ended keeps its outcome). Once the
// arguments have ended (CloseSend, a cancel, an early answer) it returns
// nil.
func (c *Call) CloseSend(ctx context.Context, last []byte) error {
	s := c.send
	if s == nil {
		return nil
	}
	s.mu.Lock()
	if s.state == core.SendClosed {
		s.mu.Unlock()
		return nil
	}
	var b [wire.MaxHeaderLen + 10]byte
	first := s.state == core.SendUnsent
	n, err := c.w.out.framePreN(ctx, c.first(b[:0]), wire.KindCall, wire.TermComplete, c.key.proc, c.key.call, last)
	switch {
	case err == nil:
		s.state = core.SendClosed
		s.mu.Unlock()
		c.argsClosed()
		return nil
	case c.w.ctxEnded(ctx):
		// ctx ended while the message waited for room in the writer:
		// the arguments stay open (cut short, if a large last went in
		// part) until the cancel ends them (tellCancelled, which takes
		// the lock).
		if first && n == 0 {
			s.state = core.SendUnsent // nothing reached the peer
		}
		s.mu.Unlock()
		cause := context.Cause(ctx)
		c.CancelCause(cause)
		return cause
	default:
		s.state = core.SendClosed
		s.mu.Unlock()
		return terminated(c.w.errOr(err))
	}
}
