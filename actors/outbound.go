package actors

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/wire"
)

// outboundActor collects the response of one call this side made and
// feeds the call's handle (Call). It is idle (call is nil) between calls:
// when the wire routes a response's final frame to it, the wire takes it
// back for a later call (or stops it after that frame). If it is stopped
// while it has a call (its wire ending), it finishes the call with the
// wire's end, after the values that already arrived.
type outboundActor struct {
	w       *Conn
	call    *Call           // the current call; nil while idle
	partial gather          // the pieces of a value so far (Response messages with terminator None)
	win     core.RecvWindow // a collected response: credit granted as values arrive
	values  int             // values of the current call so far
	batch   [][]byte        // values of the message being handled, handed over together
	held    int64           // bytes counted in the wire's collected responses (Limits.MaxCollected)
}

func (o *outboundActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case frameRef:
		if o.call != nil { // else a frame routed as the last call ended
			o.frame(m.f)
			o.flush()
		}
	case runRef:
		if o.call != nil {
			o.run(m.it)
			o.flush()
		}
	case outDropMsg:
		if o.call != nil {
			o.end(callCancelled, ErrCancelled) // the call has ended already: only the actor resets
		}
	case inputEndedMsg:
		if o.call != nil {
			// The peer's stream ended: no answer can come. The wire has
			// dropped the route and takes the actor back.
			o.end(callFailed, terminated(ErrPeerClosed))
		}
	case outBegin:
		*o = outboundActor{w: o.w, call: m.c, batch: o.batch, win: core.FixedWindow()}
	case *actor.Stopping:
		if o.call != nil {
			o.end(callFailed, terminated(o.w.Err()))
		}
	}
}

// flush hands the values of the message just handled to the call's handle.
func (o *outboundActor) flush() {
	if len(o.batch) > 0 {
		o.call.push(o.batch)
		clear(o.batch)
		o.batch = o.batch[:0]
	}
}

func (o *outboundActor) frame(f *wire.Frame) {
	switch f.Kind {
	case wire.KindArgumentCredit:
		if n, err := wire.ParseCredit(*f); err == nil && o.call.send != nil {
			o.call.send.win.grant(int64(min(n, maxGrant)))
		}
	case wire.KindError:
		b, err := wire.ParseErrorBody(*f)
		if err != nil {
			b = wire.ErrorBody{Code: wire.CodeProcedure, Message: err.Error()}
		}
		o.end(callFailed, remoteErr(b))
	case wire.KindResponse:
		o.response(f)
	}
}

// response takes a Response frame.
func (o *outboundActor) response(f *wire.Frame) {
	if f.Terminator == wire.TermNone {
		if !o.hold(len(f.Payload), true) {
			return
		}
		o.partial.add(f.Payload)
		o.received(len(f.Payload))
		return
	}
	value := f.Payload
	if o.partial.size() > 0 {
		o.partial.add(f.Payload)
		value = o.partial.join()
	}
	if f.Terminator == wire.TermChunk {
		if !o.hold(len(f.Payload), false) {
			return
		}
		o.values++
		o.batch = append(o.batch, value)
		o.received(len(f.Payload))
		return
	}
	// Complete: the response ends, see actors/STATES.md "Empty Complete".
	if len(value) > 0 || !o.emptyEnds() {
		// A value; an empty one is how a peer without the extensions
		// reports a failure (a plain Call and Stream.Recv report it as
		// ErrRemote; a Raw reply returns it as it came).
		o.values++
		o.batch = append(o.batch, value)
	}
	o.end(callComplete, nil)
}

// emptyEnds reports whether an empty Complete ends the response without
// being a value (actors/STATES.md, "The empty Complete"): it does on a
// stream that has no value yet (the Rust crate's empty sequence; a failing
// Rust procedure ends its wire instead), and after values from a peer with
// the extensions (which reports failures with Error messages). Otherwise
// it is a value: the only answer of a plain call, or how a peer without
// the extensions reports a failure.
func (o *outboundActor) emptyEnds() bool {
	return core.EmptyEnds(o.values, o.call.q.stream(), o.w.peerExt())
}

// run takes a run of stream values. A stream's handle queues it whole; a
// collected response takes its values one by one.
func (o *outboundActor) run(it *item) {
	vals, ends := it.Payload, it.runEnds()
	if !o.hold(len(vals), false) {
		return
	}
	var start uint32
	i := 0
	if o.partial.size() > 0 {
		// The first value's earlier pieces came in None frames.
		start, i = ends[0], 1
		o.partial.add(vals[:start:start])
		o.batch = append(o.batch, o.partial.join())
	}
	if o.call.q.stream() {
		o.flush() // what came before goes first
		o.call.pushRun(vals, ends[i:], start)
	} else {
		for ; i < len(ends); i++ {
			e := ends[i]
			o.batch = append(o.batch, vals[start:e:e])
			start = e
		}
	}
	o.values += len(ends)
	o.received(len(vals))
}

// hold counts n more bytes of the call's response in the wire's collected
// responses: those of a response collected whole, and the pieces of a
// value (partial) of any response. If the core says that passes
// Limits.MaxCollected (core.Config.OverCollected) the call fails with
// ErrLimit, the callee is told it was cancelled, and hold reports false.
// The bytes are counted before the check: the wire's other calls count
// theirs on other goroutines at the same time.
func (o *outboundActor) hold(n int, partial bool) bool {
	if o.call.q.stream() && !partial {
		return true // flow control bounds what a stream's reader leaves unread
	}
	w := o.w
	held := int(w.collected.Add(int64(n))) - n
	fail := w.rules.OverCollected(held, n)
	if fail == nil {
		o.held += int64(n)
		return true
	}
	w.collected.Add(-int64(n))
	key := o.call.key
	o.end(callFailed, limitErr(fail))
	w.cancelCall(key)
	return false
}

// received grants credit for n bytes of a collected response (the caller
// takes the whole response at once, so arriving is consuming); a stream's
// reader grants in Recv instead.
func (o *outboundActor) received(n int) {
	if o.call.q.stream() || !o.w.peerExt() {
		return
	}
	o.w.grant(noWait, wire.KindResponseCredit, o.call.key, o.win.Consumed(int64(n)))
}

// end finishes the call and makes the actor idle again. When the response
// ended, its wire, which routed the final frame, has already taken the
// actor back for a later call (see wireActor.route).
//
// The values still batched go with the end: a collected response that
// completes is handed over whole in one step (finishWith).
func (o *outboundActor) end(state callState, err error) {
	call, last := o.call, o.batch
	if o.held > 0 {
		o.w.collected.Add(-o.held)
	}
	*o = outboundActor{w: o.w, batch: o.batch}
	if len(last) > 0 && (call.q.stream() || state != callComplete) {
		call.push(last) // a stream's reader takes what came before the end
		last = nil
	}
	call.finishWith(state, err, last)
	clear(o.batch)
	o.batch = o.batch[:0]
}
