package actors

import (
	"context"

	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/wire"
)

// begin checks that a call may start and takes its call index.
func (w *Conn) begin(ctx context.Context, proc uint64) (uint64, error) {
	if w.calleeOnly {
		return 0, ErrCalleeOnly
	}
	switch w.loadState() {
	case wireInputEnded:
		return 0, terminated(ErrPeerClosed) // the peer can no longer answer
	case wireClosing, wireEnding:
		return 0, terminated(w.Err())
	}
	if err := ctx.Err(); err != nil {
		return 0, context.Cause(ctx)
	}
	if w.quickOn(ctx) {
		return 0, ErrQuickCallback
	}
	if w.peerGoingAway() {
		return 0, ErrShutdown
	}
	return w.idx.take(proc)
}

// Start sends a call of procedure proc with the given argument payload
// (MessagePack values concatenated) and returns its handle. Unless another
// goroutine is writing (then the call joins that write), it writes the call
// itself: with a ctx that cannot end, blocking while the transport takes
// the bytes; with one that can, only what the transport takes without
// blocking, leaving the rest to a flusher goroutine (see writer). A call
// with metadata or a deadline on a fresh wire first waits for the peer's
// announcements (awaitAnnouncements).
func (w *Conn) Start(ctx context.Context, proc uint64, payload []byte) (*Call, error) {
	call, err := w.begin(ctx, proc)
	if err != nil {
		return nil, err
	}
	c := newCall(w, callKey{proc, call})
	if err := w.prepare(ctx, c); err != nil {
		return nil, err
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

// prepare records ctx's deadline and metadata for a new call, and for a
// call that carries either waits for the peer's announcements
// (awaitAnnouncements); if that fails the call's index is freed.
func (w *Conn) prepare(ctx context.Context, c *Call) error {
	err := c.setExt(ctx)
	if err == nil && c.hasExt() {
		err = w.awaitAnnouncements(ctx)
	}
	if err != nil {
		w.idx.release(c.key)
	}
	return err
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
	return ctx.Err() != nil && !w.closing()
}

// register hands a new call to the wire actor. A wire that has begun to
// end may never route it (the actor stopped before the message arrived):
// the call then ends here with the wire's cause. The cause is recorded
// before the actor stops (terminate), so a call that missed the actor
// always sees it. register reports whether the call is still waiting.
func (w *Conn) register(c *Call) bool {
	w.sys.as.Root.Send(w.pid, startCallMsg{c})
	if w.closing() {
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
	if err := w.prepare(ctx, c); err != nil {
		return nil, err
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
		c.q.win = core.NewRecvWindow(opt.Window, 0)
	case opt.MaxWindow > 0:
		c.q.win = core.NewRecvWindow(wire.InitialCredit, opt.MaxWindow)
	default:
		c.q.win = core.NewRecvWindow(wire.InitialCredit, DefaultMaxWindow)
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
