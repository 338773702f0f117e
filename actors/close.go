package actors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ipfi-go/ipfi/wire"
)

// terminate is the one way a wire ends, whatever the cause (a read error,
// the end of a half-closed wire (endInput), a malformed frame, the peer's
// Termination, a write
// error, a failure of the reader or parser, Close, the interface's Close).
// The first cause recorded wins. In order:
//
//  1. the cause is recorded (Err reports it; no call may start) and the
//     state moves to wireEnding (from then on no frame is routed);
//  2. the wire's quick-procedure context is cancelled and parked workers
//     are told to end (their stop signal);
//  3. the writer fails every later write and drops what is pending
//     (flushers end once their Write returns);
//  4. the transport is closed: the reader's Read returns (its stop
//     signal) and a Write in progress fails. The reader of a socket it
//     reads through the poller is woken instead, and closes it as it ends
//     (closeTransport: a Close would wait for the reader);
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
	if !w.move(wireEnding) {
		return
	}
	cause = w.Err()
	w.logEnd(cause)
	w.dog.stop()
	w.procCancel(terminated(cause))
	w.stopWorkers()
	w.out.close(terminated(cause))
	w.closeTransport()
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
// message, waiting at most the close grace for it to be written
// (wireClosing), unless the wire's end has begun already. The cause is
// recorded first: the peer
// may answer the Termination message by closing the transport, and the
// end of stream that this side then reads must not become the cause.
func (w *Conn) closeWith(cause error) {
	if w.setErr(cause) {
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
	if !w.move(wireDraining) {
		return
	}
	if w.peerV2() {
		var b [wire.MaxHeaderLen]byte
		_ = w.out.raw(noWait, wire.AppendGoAway(b[:0]))
	}
}

// endInput moves the wire from wireUp or wireDraining to wireInputEnded,
// for the wire
// actor when the peer's stream has ended (the reader's end of stream, or
// EndInput in push mode). The peer may still be reading, so the wire
// half-closes instead of ending: it takes no more calls (this side's
// fail, see wireActor.inputEnded), the watchdog stops (the peer can no
// longer answer a ping), and a goroutine of the wire ends it with cause
// ErrPeerClosed once no call of the peer's is open and what they answered
// is written, or once the close grace has passed, whichever is first. A
// peer that closed both directions makes the answers' write fail, which
// ends the wire at once. It reports false if the wire is closing or
// ending already.
func (w *Conn) endInput() bool {
	if !w.move(wireInputEnded) {
		return false
	}
	w.dog.stop()
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
// call ended). It costs an atomic load while the wire is up.
func (w *Conn) noteQuiet() {
	if w.loadState() == wireUp {
		return
	}
	w.quietMu.Lock()
	if w.quiet != nil && !w.open() {
		close(w.quiet)
		w.quiet = nil
	}
	w.quietMu.Unlock()
}
