package actors

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/wire"
)

// callState is where an outbound call is in its life, as seen by its
// handle (actors/STATES.md, "Outbound call"). A call starts in callWaiting
// and ends, once, in one of the other three, through Call.finish.
type callState uint32

const (
	// callWaiting: the response has not ended; its values are queued as
	// they arrive.
	callWaiting callState = iota
	// callComplete: the response ended normally. Recv serves the queued
	// values, then io.EOF; Wait returns the values.
	callComplete
	// callFailed: the call failed: the callee's error, an empty response
	// from a peer without the extensions read by Wait, or the end of the
	// wire (a WireError). Recv serves the queued values, then the error.
	callFailed
	// callCancelled: the caller abandoned the call (Cancel, or its
	// context ended while it read). Queued values are dropped and later
	// ones ignored; the handle reports the cause at once.
	callCancelled
)

func (s callState) String() string {
	switch s {
	case callWaiting:
		return "waiting"
	case callComplete:
		return "complete"
	case callFailed:
		return "failed"
	case callCancelled:
		return "cancelled"
	}
	return "callState(?)"
}

// Call is the handle of one outbound call. It has three parts with one job
// each: the completion (state, err and done: how the call ended, set once
// by finish), the receive queue (the response's values until the caller
// takes them) and the send side (arguments sent in pieces, for calls made
// with Open). The call's outbound actor feeds the queue and finishes the
// call when its response ends; the caller's goroutines wait on it.
type Call struct {
	key  callKey
	w    *Conn
	done chan struct{} // closed by finish

	mu    sync.Mutex
	state atomic.Uint32 // a callState; written under mu, read without it by Recv's fast path
	err   error         // the call's error (callFailed, callCancelled); set by finish
	q     recvQueue     // guarded by mu, except Recv's run (see recvQueue)

	send *sendSide // nil for a call made with Start (its arguments went whole)

	// deadline is the caller's context's deadline, as a time.Duration
	// since epoch, told to a callee that speaks version 2 of the
	// extensions with the call's first Call message; 0 for none (see
	// setExt).
	deadline int64
	// meta is the call's KindMetadata message (the caller's context's
	// outgoing metadata, encoded at Start or Open), nil without any; it
	// goes after the deadline, before the first Call message, to a callee
	// that speaks version 2. A pointer: few calls have any, and the handle
	// stays in a smaller size class.
	meta *[]byte

	// relay frees the call's index once both its arguments and its
	// response have ended (relayArgsClosed | relayEnded), whichever ends
	// last: a callee may answer with an Error before the arguments end
	// (wire/PROTOCOL.md, "Version 2"), and the pair is not free until the
	// caller has ended them.
	relay atomic.Uint32

	// started is when the call began, as a time.Duration since epoch
	// (for the live view).
	started int64
}

// setExt records ctx's deadline and outgoing metadata for the call; an
// error (metadata over the limits) fails the call before it is sent. The
// deadline is recorded on the monotonic clock, as its time since epoch: a
// deadline with a monotonic reading (context.WithTimeout's) is subtracted
// from epoch with no clock read; one without (a wall-clock time given to
// context.WithDeadline; Round(0) strips the reading, so only such a time
// equals its Round(0)) is counted from now on the wall clock, as
// time.Until does. One at epoch itself is recorded a nanosecond earlier (0
// means none): long past either way.
func (c *Call) setExt(ctx context.Context) error {
	if d, ok := ctx.Deadline(); ok {
		if d == d.Round(0) {
			now := time.Now()
			c.deadline = int64(now.Sub(epoch) + d.Sub(now))
		} else {
			c.deadline = int64(d.Sub(epoch))
		}
		if c.deadline == 0 {
			c.deadline = -1
		}
	}
	kv, _ := ctx.Value(outgoingKey{}).([]string)
	if len(kv) == 0 {
		return nil
	}
	b, err := wire.AppendMetadata(nil, c.key.proc, c.key.call, kv)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLimit, unprefixed(err))
	}
	c.meta = &b
	return nil
}

// hasExt reports whether the call carries a deadline or metadata.
func (c *Call) hasExt() bool { return c.deadline != 0 || c.meta != nil }

// outgoingKey is the context key of the metadata calls carry (Outgoing).
type outgoingKey struct{}

// incomingKey is the context key of a procedure's call's metadata.
type incomingKey struct{}

// WithOutgoing returns ctx whose calls carry kv (keys and values in turn)
// after the metadata ctx carries already.
func WithOutgoing(ctx context.Context, kv []string) context.Context {
	old, _ := ctx.Value(outgoingKey{}).([]string)
	return context.WithValue(ctx, outgoingKey{}, append(old[:len(old):len(old)], kv...))
}

// Outgoing returns the metadata ctx's calls carry (keys and values in
// turn), or nil.
func Outgoing(ctx context.Context) []string {
	kv, _ := ctx.Value(outgoingKey{}).([]string)
	return kv
}

// Incoming returns the metadata the call of a procedure's ctx came with
// (keys and values in turn), or nil.
func Incoming(ctx context.Context) []string {
	kv, _ := ctx.Value(incomingKey{}).([]string)
	return kv
}

// The bits of Call.relay.
const (
	relayArgsClosed uint32 = 1 << iota // the last argument frame (terminator Complete) or a Cancel was written
	relayEnded                         // the response's final frame (an Error) was routed
)

// argsClosed records that the call's arguments have ended, and frees the
// call's index if its response ended first. Only its first call counts.
func (c *Call) argsClosed() {
	if old := c.relay.Or(relayArgsClosed); old&relayArgsClosed == 0 && old&relayEnded != 0 {
		c.w.idx.release(c.key)
		c.w.noteQuiet()
	}
}

// ended records that the call's response ended with an Error (wire actor)
// and reports whether its arguments had ended too: then the wire frees the
// index; else argsClosed will.
func (c *Call) ended() bool { return c.relay.Or(relayEnded)&relayArgsClosed != 0 }

// abandonArgs ends the arguments of a call made with Start whose writing
// was cut short (its caller's context ended): a peer without the
// extensions gets an empty Complete piece (a peer with them, the Cancel
// CancelCause sent), then the index may be freed. On a goroutine of the
// wire: the write waits for room.
func (c *Call) abandonArgs() {
	c.w.goWork(func() {
		if !c.w.peerExt() {
			_ = c.w.out.frame(context.Background(), wire.KindCall, wire.TermComplete, c.key.proc, c.key.call, nil)
		}
		c.argsClosed()
	})
}

// closeArgsEarly ends the arguments of a call its callee answered before
// they ended. A call made with Open ends them now, on a goroutine of the
// wire (its send side's lock may be held by a Send): with its Complete
// piece (empty) if the callee drains them (held: core.PairHeld), which
// frees the pair after it; else without writing anything, the pair being
// free already. A call made with Start ends them itself as it finishes
// writing (Start).
func (c *Call) closeArgsEarly(held bool) {
	s := c.send
	if s == nil {
		return
	}
	c.w.goWork(func() {
		s.mu.Lock()
		if s.state != core.SendClosed {
			s.state = core.SendClosed
			if held {
				_ = c.w.out.frame(context.Background(), wire.KindCall, wire.TermComplete, c.key.proc, c.key.call, nil)
			}
		}
		s.mu.Unlock()
		c.argsClosed()
	})
}

// deadlinePrefix returns the KindDeadline message to write right before
// the call's first Call message, appended to b, or nil if the call has no
// deadline or the callee would not understand it.
func (c *Call) deadlinePrefix(b []byte) []byte {
	if !c.hasExt() || !c.w.peerV2() {
		return nil
	}
	var meta []byte
	if c.meta != nil {
		meta = *c.meta
	}
	if c.deadline == 0 {
		return append(b, meta...)
	}
	left := time.Duration(c.deadline) - time.Since(epoch)
	ms := uint64(0)
	if left > 0 {
		ms = uint64((left + time.Millisecond - 1) / time.Millisecond)
	}
	return append(wire.AppendDeadline(b, c.key.proc, c.key.call, ms), meta...)
}

func newCall(w *Conn, key callKey) *Call {
	return &Call{key: key, w: w, done: make(chan struct{}), started: int64(time.Since(epoch))}
}

// Done returns a channel closed once the call has ended: its response is
// complete, it failed (the callee's error, its wire's end) or it was
// cancelled.
func (c *Call) Done() <-chan struct{} { return c.done }

func (c *Call) loadState() callState { return callState(c.state.Load()) }

// finish is the one way a call ends: whatever ends it (its response's
// final frame, an Error frame, Cancel, the caller's context, its wire's
// end, a call that never reached its actor) calls finish with the state it
// ends in and its error (nil for callComplete). The first finish wins and
// reports true; later ones do nothing. It never blocks.
func (c *Call) finish(end callState, err error) bool { return c.finishWith(end, err, nil) }

// finishWith is finish with the last values of the response, collected
// with it in one step (the outbound actor's end of a collected response).
func (c *Call) finishWith(end callState, err error, last [][]byte) bool {
	c.mu.Lock()
	if c.loadState() != callWaiting {
		c.mu.Unlock()
		return false
	}
	if len(last) > 0 {
		c.q.collect(last)
	}
	c.err = err // before the state: a goroutine that loads the state may then read err
	c.state.Store(uint32(end))
	if end == callCancelled {
		c.q.drop()
	}
	c.mu.Unlock()
	close(c.done)
	c.q.signal()
	return true
}

// failWithWire finishes the call with its wire's end, if nothing ended it
// before.
func (c *Call) failWithWire() { c.finish(callFailed, terminated(c.w.Err())) }

// Err returns the error the call ended with: nil while it is waiting and
// once its response is complete; else the callee's error, the wire's end
// or the cancel's cause (what Recv reports after the queued values).
func (c *Call) Err() error {
	if s := c.loadState(); s == callWaiting || s == callComplete {
		return nil
	}
	return c.err
}

// Wait blocks until the call has ended, its wire has ended or ctx is done,
// and returns the response's values (a plain procedure answers one). If ctx
// ends first Wait returns its cause and the call stays open (see Cancel).
// Wait is for calls made with Start; any goroutine may call it, more than
// once.
func (c *Call) Wait(ctx context.Context) ([][]byte, error) {
	select {
	case <-c.done:
		return c.result()
	default:
	}
	// Yield once before parking while few callers wait: a small call's
	// answer is often being read by now, and waking a parked caller may
	// wake an idle processor, which costs more. With more callers waiting
	// than processors, the processors are busy: the yield would wait for
	// the whole run queue, and the wake-up (which runs the woken caller
	// next) is the faster way back.
	waiting := &c.w.sys.waiting
	defer waiting.Add(-1)
	if waiting.Add(1) <= c.w.sys.procs {
		runtime.Gosched()
		select {
		case <-c.done:
			return c.result()
		default:
		}
	}
	// The call's own channel is enough: a wire's end ends every call
	// registered with it before Done closes (wireActor.stopped), and a
	// call registered after finds the wire ending (register).
	select {
	case <-c.done:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	return c.result()
}

// result is the outcome of an ended call (Wait).
func (c *Call) result() ([][]byte, error) {
	if c.loadState() != callComplete {
		return nil, c.err
	}
	return c.q.collected, nil
}

// Cancel abandons the call: it ends with ErrCancelled (values that arrived
// and were not taken are dropped), and a callee that speaks the extensions
// is sent a Cancel message (its procedure's context is cancelled; it
// answers with a cancelled error, which frees the call index). A callee
// without the extensions cannot be told: the call index stays reserved
// until it answers. Cancel is idempotent and does nothing once the call
// has ended.
func (c *Call) Cancel() { c.CancelCause(ErrCancelled) }

// CancelCause is Cancel with the cause the handle reports (a context's
// cause, say) instead of ErrCancelled.
func (c *Call) CancelCause(cause error) {
	if !c.finish(callCancelled, cause) {
		return
	}
	select {
	case <-c.w.heard:
		c.tellCancelled()
	default:
		// Whether the callee speaks the extensions is not settled until
		// its first bytes arrive: a worker of the wire waits for them (at
		// most peerWait, or until the wire ends) and then tells it.
		c.w.goWork(func() {
			c.w.awaitPeer(context.Background())
			c.tellCancelled()
		})
	}
}

// tellCancelled tells the callee that the call was cancelled: a Cancel
// message to a peer with the extensions; to one without, which cannot be
// told, a stream's arguments are closed, so that it runs and answers and
// the call index is freed. It closes the send side first, under its lock:
// a piece a Send was writing goes out before the Cancel, and nothing is
// sent after it (a Call frame after the Cancel would start the call anew
// on the callee, with nobody to cancel it).
func (c *Call) tellCancelled() {
	ext := c.w.peerExt()
	if s := c.send; s != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		unsent, open := s.state == core.SendUnsent, s.state != core.SendClosed
		s.state = core.SendClosed
		if unsent {
			// Nothing of it reached the peer, which will never answer:
			// the wire forgets it.
			c.w.sys.as.Root.Send(c.w.pid, forgetMsg{c})
			return
		}
		defer c.argsClosed() // the Complete piece, or the Cancel, ends them
		if !ext {
			if open {
				_ = c.w.out.frame(context.Background(), wire.KindCall, wire.TermComplete, c.key.proc, c.key.call, nil)
			}
			return
		}
	}
	if ext {
		c.w.cancelCall(c.key)
	}
}
