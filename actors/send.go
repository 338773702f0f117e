package actors

import (
	"context"
	"sync"

	"github.com/ipfi-go/ipfi/wire"
)

// sendState is where the arguments of a call made with Open are
// (actors/STATES.md, "Send side").
type sendState uint8

const (
	// sendOpen: pieces may be sent (Call messages with terminator None).
	sendOpen sendState = iota
	// sendClosed: the final piece (terminator Complete) was written, by
	// CloseSend or by Cancel towards a peer without the extensions.
	sendClosed
)

func (s sendState) String() string {
	if s == sendOpen {
		return "open"
	}
	return "closed"
}

// sendSide is the send side of a call made with Open: its arguments, sent
// in pieces, flow-controlled by the callee's argument credit. One Send or
// CloseSend at a time (mu).
type sendSide struct {
	mu    sync.Mutex
	state sendState
	win   *sendWindow // argument credit granted by the callee
}

// Send sends payload (MessagePack values, concatenated) as more of the
// call's arguments, in a Call message with terminator None. With a callee
// that speaks the extensions it blocks while the callee's argument window
// is used up. On a fresh wire whose peer has sent nothing yet, a Send that
// finds the window used up first waits (up to peerWait) for the peer's
// first bytes, which say whether it speaks the extensions: a Rust peer
// writes nothing before it answers, and is then sent to without limit. It
// fails with ErrSendClosed after CloseSend, with the call's error once the
// call has ended, or, once ctx has ended, with ctx's cause (the call is then
// cancelled). An empty payload sends nothing.
func (c *Call) Send(ctx context.Context, payload []byte) error {
	s := c.send
	if s == nil {
		return ErrSendClosed // a call made with Start: its arguments went whole
	}
	if len(payload) == 0 {
		return nil
	}
	if ctx.Err() != nil {
		return c.contextEnded(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == sendClosed {
		return ErrSendClosed
	}
	for !s.win.ready() {
		if !c.w.peerExt.Load() && !c.w.awaitPeer(ctx) {
			break // a peer without flow control
		}
		select {
		case <-s.win.granted():
		case <-c.w.done:
			c.failWithWire()
			return c.sendErr(ctx)
		case <-c.done:
			return c.sendErr(ctx)
		case <-ctx.Done():
			return c.contextEnded(ctx)
		}
	}
	select {
	case <-c.done:
		return c.sendErr(ctx)
	default:
	}
	s.win.spend(len(payload))
	if err := c.w.out.frame(wire.KindCall, wire.TermNone, c.key.proc, c.key.call, payload, true); err != nil {
		return terminated(c.w.errOr(err))
	}
	return nil
}

// sendErr is the error of a Send on an ended call: ctx's cause if ctx has
// ended, else the call's error, or ErrSendClosed once its response is
// complete.
func (c *Call) sendErr(ctx context.Context) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if c.loadState() == callComplete {
		return ErrSendClosed
	}
	return c.err
}

// CloseSend ends the call's arguments with a Call message with terminator
// Complete carrying last (the last arguments, or nothing); the callee runs
// a procedure that waits for its complete arguments once it arrives. Later
// calls return nil.
func (c *Call) CloseSend(last []byte) error {
	s := c.send
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == sendClosed {
		return nil
	}
	s.state = sendClosed
	if err := c.w.out.frame(wire.KindCall, wire.TermComplete, c.key.proc, c.key.call, last, true); err != nil {
		return terminated(c.w.errOr(err))
	}
	return nil
}
