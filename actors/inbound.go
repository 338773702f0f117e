package actors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// inboundEntry is the wire's route to one inbound call actor, and the
// state that the procedure's goroutine shares with the wire.
type inboundEntry struct {
	pid   *actor.PID
	key   callKey
	proc  procedures.Procedure // looked up once, by the wire, when the call began
	known bool                 // proc is registered
	first *wire.Frame          // the call's first frame, handed over with inBegin
	// answered is set by whoever writes the call's final response, before
	// writing it: from then on the peer may reuse the call's (procedure, call)
	// pair, and a Call frame with that pair starts a new call.
	answered atomic.Bool
	// Response flow control of a streaming procedure whose caller speaks
	// the extensions (creditSig is nil otherwise; both are set before the
	// entry is published): bytes the procedure may still send before the
	// final message. Credit messages from the caller add to it (through the
	// wire actor).
	credit    atomic.Int64
	creditSig chan struct{}
}

// addCredit adds credit granted by the caller and wakes a waiting producer.
func (e *inboundEntry) addCredit(n int64) {
	if e.creditSig == nil {
		return
	}
	e.credit.Add(n)
	select {
	case e.creditSig <- struct{}{}:
	default:
	}
}

// ProcedureFailure is the supervision failure of an inbound call whose
// procedure panicked: the call actor fails with it, its supervisor (the
// wire) stops that call alone and reports it.
type ProcedureFailure struct {
	Procedure uint64
	Call      uint64
	Panic     any
	Stack     []byte
}

func (f *ProcedureFailure) Error() string {
	return fmt.Sprintf("ipfi: procedure %d (call %d) panicked: %v", f.Procedure, f.Call, f.Panic)
}

// inboundActor is one call the peer made: it accumulates the arguments,
// then runs the procedure in a goroutine of its own (a procedure may block,
// even call back over the same wire; a Receive must not) and answers. A
// bidirectional procedure starts at the first piece of its arguments and
// reads the rest as they arrive. When the call ends the actor tells its
// wire, which keeps it for a later call (or stops it); when the actor stops,
// for whatever reason, the procedure's context is cancelled.
type inboundActor struct {
	w         *Wire
	entry     *inboundEntry // the current call; nil while idle
	key       callKey
	proc      procedures.Procedure
	known     bool
	args      []byte
	size      int
	ungranted int  // argument bytes taken and not yet granted back (extensions)
	over      bool // arguments exceeded the limit: answer with an error at the end
	started   bool
	ended     bool // the arguments are complete (Complete frame seen)
	in        *input
	cancel    context.CancelCauseFunc
}

func (c *inboundActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case frameRef:
		if c.entry != nil { // else a frame routed as the last call ended
			c.frame(ctx, m.f)
		}
	case inBegin:
		c.entry, c.key, c.proc, c.known = m.e, m.e.key, m.e.proc, m.e.known
		f := m.e.first
		m.e.first = nil
		c.frame(ctx, f)
	case cancelMsg:
		switch {
		case c.entry == nil:
		case !c.started:
			c.w.answerError(c.key, c.entry, ErrCancelled, false)
			c.end(ctx)
		default:
			c.cancel(ErrCancelled)
		}
	case procDoneMsg:
		if m.failure != nil {
			// Turn the recovered panic into a supervision failure: the wire's
			// strategy stops this call and reports it.
			panic(m.failure)
		}
		c.end(ctx)
	case *actor.Stopping:
		// The wire is ending (its call actors stop with it): the
		// procedure's context is cancelled with the wire's cause.
		cause := c.w.Err()
		if cause == nil {
			cause = ErrClosed
		}
		c.release(terminated(cause))
	}
}

// end finishes the current call and hands the actor back to its wire.
func (c *inboundActor) end(ctx actor.Context) {
	e := c.entry
	c.release(ErrCancelled)
	*c = inboundActor{w: c.w}
	ctx.Send(ctx.Parent(), inDone{e})
}

// release cancels the procedure's context with cause and closes its input.
func (c *inboundActor) release(cause error) {
	if c.cancel != nil {
		c.cancel(cause)
	}
	if c.in != nil {
		c.in.close()
	}
}

func (c *inboundActor) frame(ctx actor.Context, f *wire.Frame) {
	if c.ended {
		return // extra pieces after Complete: nothing to add to
	}
	c.ended = f.Terminator == wire.TermComplete
	if c.in != nil {
		c.in.add(f.Payload, c.ended)
		return
	}
	proc, ok := c.proc, c.known
	if ok && proc.Kind() == procedures.KindBidi && !c.started {
		// A bidirectional procedure starts now and takes its arguments as
		// they come; credit is granted as it takes them.
		c.in = newInput(c.w, c.key)
		c.in.add(f.Payload, c.ended)
		c.start(ctx, proc, nil)
		return
	}
	c.size += len(f.Payload)
	if c.size > c.w.limits.MaxCallArgs {
		c.over, c.args = true, nil
	} else if !c.over {
		if c.args == nil {
			c.args = f.Payload // the parser's private copy: no need for another
		} else {
			c.args = append(c.args, f.Payload...)
		}
		if !c.ended && c.w.peerExt.Load() {
			// Accumulated arguments are bounded by the limit, not by the
			// window: give the caller its credit back as they arrive.
			if c.ungranted += len(f.Payload); c.ungranted >= wire.InitialCredit/2 {
				c.w.grant(wire.KindArgumentCredit, c.key, int64(c.ungranted), false)
				c.ungranted = 0
			}
		}
	}
	if !c.ended {
		return
	}
	if c.over {
		c.w.answerError(c.key, c.entry, ErrLimit, false)
		c.end(ctx)
		return
	}
	if !ok {
		c.w.answerError(c.key, c.entry, procedures.ErrUnknown, false)
		c.end(ctx)
		return
	}
	args := c.args
	c.args = nil
	c.start(ctx, proc, args)
}

// start runs the procedure in a goroutine of its own (see runners).
func (c *inboundActor) start(ctx actor.Context, proc procedures.Procedure, args []byte) {
	c.started = true
	if proc.IsQuick() {
		// A quick procedure runs here, on the goroutine dispatching the
		// frame (normally the wire's reader); its answer is appended
		// without blocking and written once the reader's chunk is done.
		// Nothing can cancel it while it runs (this goroutine would read
		// the cancel), so its context is the wire's.
		if failure := c.w.run(c.w.procCtx, proc, c.key, c.entry, args, nil); failure != nil {
			panic(failure) // a supervision failure, as in procDoneMsg
		}
		c.end(ctx)
		return
	}
	// Not a child of the wire's procCtx: the call actor cancels it, when
	// the call ends or the wire stops it, and a child of one shared
	// context costs every call that context's lock twice.
	pctx, cancel := context.WithCancelCause(c.w.callCtx)
	c.cancel = cancel
	self, root := ctx.Self(), ctx.ActorSystem().Root
	w, key, entry, in := c.w, c.key, c.entry, c.in // the actor is reused once the call ends
	w.goProc(func() {
		root.Send(self, procDoneMsg{failure: w.run(pctx, proc, key, entry, args, in)})
	})
}

// run invokes a procedure and writes its response. It returns a
// *ProcedureFailure if the procedure panicked (the caller is answered with an
// error all the same). A quick procedure's answer is appended without
// blocking (it runs inside its call actor's Receive).
func (w *Wire) run(ctx context.Context, proc procedures.Procedure, key callKey, entry *inboundEntry, args []byte, in *input) (failure *ProcedureFailure) {
	block := !proc.IsQuick()
	defer func() {
		if r := recover(); r != nil {
			pf := &ProcedureFailure{Procedure: key.proc, Call: key.call, Panic: r, Stack: debug.Stack()}
			w.answerError(key, entry, pf, block)
			failure = pf
		}
	}()
	switch proc.Kind() {
	case procedures.KindSequence, procedures.KindBidi:
		w.runSequence(ctx, proc, key, entry, args, in)
		return nil
	case procedures.KindRawStream:
		w.runRawStream(ctx, proc, key, entry, args)
		return nil
	}
	out, err := proc.Invoke(ctx, args)
	if err != nil {
		w.answerError(key, entry, err, block)
		return nil
	}
	if !entry.answered.Swap(true) {
		w.out.frame(wire.KindResponse, wire.TermComplete, key.proc, key.call, out, block)
	}
	proc.Release(out) // written or copied: the procedure may reuse it
	return nil
}

// sender writes the non-final response messages of one streaming
// procedure, first waiting for flow-control credit when the caller speaks
// the extensions (a message may overdraw the credit by its own size).
type sender struct {
	w     *Wire
	ctx   context.Context
	done  <-chan struct{} // ctx.Done(), looked up once
	key   callKey
	entry *inboundEntry
	// allow is credit taken from entry.credit in bulk: a value spends it
	// without an atomic operation (one per value was a tenth of a fast
	// producer's time).
	allow int64
}

func (w *Wire) newSender(ctx context.Context, key callKey, entry *inboundEntry) *sender {
	return &sender{w: w, ctx: ctx, done: ctx.Done(), key: key, entry: entry}
}

func (s *sender) send(payload []byte, t wire.Terminator) error {
	if s.ctx.Err() != nil { // an atomic load (Go 1.24 on): cheaper per value than a select on done
		return context.Cause(s.ctx)
	}
	if s.entry.creditSig != nil {
		for s.allow <= 0 {
			if got := s.entry.credit.Swap(0); got != 0 {
				s.allow += got
				continue
			}
			select {
			case <-s.entry.creditSig: // addCredit added to credit first
			case <-s.done:
				return context.Cause(s.ctx)
			}
		}
		s.allow -= int64(len(payload))
	}
	return s.w.out.queue(s.ctx, wire.KindResponse, t, s.key.proc, s.key.call, payload)
}

// sendChunk sends one value of a sequence.
func (s *sender) sendChunk(v []byte) error { return s.send(v, wire.TermChunk) }

// runSequence runs a sequence (or bidirectional) procedure: each yielded
// value is one chunk. To a caller with the extensions each value is sent as
// it is yielded and an empty Complete ends the response. To one without,
// the last value must carry the Complete terminator (as the Rust crate
// writes it), so one value is held back until the next arrives or the
// procedure returns; a sequence of no values is one empty Complete.
func (w *Wire) runSequence(ctx context.Context, proc procedures.Procedure, key callKey, entry *inboundEntry, args []byte, in *input) {
	var held []byte
	have := false
	ext := w.peerExt.Load() // settled: the peer's announcement came before its call
	s := w.newSender(ctx, key, entry)
	emit := func(v []byte) error {
		if have {
			if err := s.send(held, wire.TermChunk); err != nil {
				return err
			}
		} else if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		held, have = append(held[:0], v...), true // emit does not keep v
		return nil
	}
	if ext {
		emit = s.sendChunk // each value as it comes (the writer copies it)
	}
	var err error
	if in != nil {
		err = proc.RunBidi(ctx, func() ([]byte, error) { return in.next(ctx) }, emit)
	} else {
		err = proc.Stream(ctx, args, emit)
	}
	if err != nil {
		w.answerError(key, entry, err, true)
		return
	}
	if !entry.answered.Swap(true) {
		w.out.frame(wire.KindResponse, wire.TermComplete, key.proc, key.call, held, true)
	}
}

// runRawStream runs a raw streaming procedure, which picks each message's
// terminator; if it returns without sending Complete, an empty Complete (or
// its error) ends the response.
func (w *Wire) runRawStream(ctx context.Context, proc procedures.Procedure, key callKey, entry *inboundEntry, args []byte) {
	s := w.newSender(ctx, key, entry)
	send := func(payload []byte, t wire.Terminator) error {
		if t == wire.TermComplete {
			if entry.answered.Swap(true) {
				return ErrSendClosed
			}
			return w.out.frame(wire.KindResponse, wire.TermComplete, key.proc, key.call, payload, true)
		}
		if t != wire.TermNone && t != wire.TermChunk {
			return fmt.Errorf("ipfi: invalid terminator %v", t)
		}
		if entry.answered.Load() {
			return ErrSendClosed
		}
		if t == wire.TermNone && len(payload) == 0 {
			return nil
		}
		return s.send(payload, t)
	}
	if err := proc.StreamRaw(ctx, args, send); err != nil {
		w.answerError(key, entry, err, true)
		return
	}
	if !entry.answered.Swap(true) {
		w.out.frame(wire.KindResponse, wire.TermComplete, key.proc, key.call, nil, true)
	}
}

// answerError ends an inbound call with an error. To a peer with the
// extensions that is an Error message with a code and the error's text; to
// one without, a Complete response with an empty payload (PROTOCOL.md
// section 5): the caller fails to decode it instead of waiting forever.
// block is true on a procedure's goroutine, which writes the answer itself;
// inside a Receive it is false and the write never blocks.
func (w *Wire) answerError(key callKey, entry *inboundEntry, err error, block bool) {
	if entry.answered.Swap(true) {
		return
	}
	if w.procCtx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, ErrWireTerminated)) {
		return // the wire is ending: nobody to answer
	}
	if !w.peerExt.Load() {
		w.out.frame(wire.KindResponse, wire.TermComplete, key.proc, key.call, nil, block)
		return
	}
	code := errorCode(err)
	msg := err.Error()
	if code == wire.CodeCancelled {
		msg = ""
	}
	var b [wire.MaxHeaderLen + 10 + wire.MaxErrorMessage]byte
	_ = w.out.raw(wire.AppendError(b[:0], key.proc, key.call, code, msg), block)
}

// input holds the arguments of a bidirectional call as they arrive (wire
// side) until the procedure takes them value by value (procedure side).
type input struct {
	w      *Wire
	key    callKey
	mu     sync.Mutex
	buf    []byte
	ended  bool // the caller ended its arguments
	closed bool // the call actor stopped
	notify chan struct{}
	// Bytes taken and not yet granted back to the caller (extensions).
	ungranted int
}

func newInput(w *Wire, key callKey) *input {
	return &input{w: w, key: key, notify: make(chan struct{}, 1)}
}

// add appends a piece of the arguments (call actor).
func (in *input) add(p []byte, end bool) {
	in.mu.Lock()
	if len(in.buf)+len(p) > in.w.limits.MaxCallArgs {
		// Unread arguments over the limit: the procedure's next read fails.
		in.closed = true
	} else {
		in.buf = append(in.buf, p...)
	}
	in.ended = in.ended || end
	in.mu.Unlock()
	in.wake()
}

func (in *input) close() {
	in.mu.Lock()
	in.closed = true
	in.mu.Unlock()
	in.wake()
}

func (in *input) wake() {
	select {
	case in.notify <- struct{}{}:
	default:
	}
}

// next returns the next complete value (procedure side): valid until the
// next call, io.EOF after the last one.
func (in *input) next(ctx context.Context) ([]byte, error) {
	for {
		in.mu.Lock()
		n, err := codec.ValueLen(in.buf)
		switch {
		case err == nil:
			v := in.buf[:n:n]
			in.buf = in.buf[n:]
			grant := 0
			if in.ungranted += n; in.ungranted >= wire.InitialCredit/2 && !in.ended {
				grant, in.ungranted = in.ungranted, 0
			}
			in.mu.Unlock()
			if grant > 0 {
				in.w.grant(wire.KindArgumentCredit, in.key, int64(grant), true)
			}
			return v, nil
		case !errors.Is(err, codec.ErrIncomplete):
			in.mu.Unlock()
			return nil, fmt.Errorf("%w: %w", procedures.ErrBadArguments, err)
		case in.closed:
			in.mu.Unlock()
			if err := ctx.Err(); err != nil {
				return nil, context.Cause(ctx)
			}
			return nil, ErrLimit
		case in.ended:
			rest := len(in.buf)
			in.mu.Unlock()
			if rest > 0 {
				return nil, fmt.Errorf("%w: %d bytes of a truncated value", procedures.ErrBadArguments, rest)
			}
			return nil, io.EOF
		}
		in.mu.Unlock()
		select {
		case <-in.notify:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}
