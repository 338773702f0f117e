package actors

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// wireActor is one connection, and its parser: it spawns the byte-reader,
// which feeds it the peer's bytes (chunkMsg); it decodes them (parser) and
// routes each frame to the actor that owns its call, through the routing
// table from (procedure, call) pairs to call actors that it alone keeps;
// it gives each inbound and outbound call an actor, and ends the wire on a
// malformed frame or a fatal message. Stopping it stops every child, which
// ends every call (see Conn.terminate).
type wireActor struct {
	w       *Conn
	p       *parser
	inbound map[callKey]*inCall
	inPIDs  map[*actor.PID]inRef // the inbound calls that have an actor
	// refused are the calls refused at their first piece, without an
	// actor, and answered at once (a caller with version 2 of the
	// extensions): their later pieces are dropped until the Complete one.
	// At most MaxOpenCalls; past that, calls are answered at their end.
	refused  map[callKey]struct{}
	streams  int // how many of them call streaming procedures
	outbound map[callKey]outRoute
	// extras is the deadline and metadata the peer sent for its next
	// call (the core's rule: for the call whose first Call message comes
	// right after them, and no other).
	extras core.Extras
	// Call actors whose call has ended, kept for the next calls instead of
	// spawning and stopping an actor per call (registry insert and delete,
	// a context, system messages). They are children like the busy ones
	// and stop with the wire.
	idleIn, idleOut []*actor.PID
	// frames is the frames of the chunk being routed (chunk), kept here
	// so that decoding a chunk does not allocate it; emptied after each.
	frames chunkFrames
}

// outRoute is where the frames of an outbound call go: its actor, and the
// call (for the end of its arguments, see Call.argsClosed).
type outRoute struct {
	pid *actor.PID
	c   *Call
}

// stopped uncounts the calls still counted, ends the outbound calls that
// no actor ended, and closes done (the wire actor has stopped). Apart from
// Receive, which runs on callers' goroutines: a map iteration would widen
// its stack frame.
//
//go:noinline
func (a *wireActor) stopped() {
	for pid := range a.inPIDs {
		a.closed(pid) // no longer counted in the interface's calls
	}
	for _, r := range a.outbound {
		// Its actor's Stopping handler ended it, unless the actor stopped
		// before it took the call up (outBegin queued behind the stop).
		r.c.failWithWire()
	}
	// A call registered just before the wire began to end may still be
	// queued here, behind the stop (system messages go first): it ends
	// with the wire. One registered later finds the wire ending itself
	// (register).
	a.w.mailbox.drain(func(msg any) {
		if m, ok := msg.(startCallMsg); ok {
			m.c.failWithWire()
		}
	})
	close(a.w.done)
}

// inRef is what the wire keeps of an inbound call while it has an actor.
type inRef struct {
	key     callKey
	stream  bool  // a streaming procedure's (Limits.MaxOpenStreams)
	arrived int64 // when the chunk that began it was read (Conn.readAt)
}

// opened counts an inbound call that was given an actor, in the wire's
// and the interface's open calls.
func (a *wireActor) opened(c *inCall, stream bool) {
	a.inPIDs[c.pid] = inRef{c.key, stream, a.w.readAt.Load()}
	if stream {
		a.streams++
	}
	a.w.inOpen.Add(1)
}

// closed uncounts the inbound call whose actor is pid, if it is counted,
// and returns it.
func (a *wireActor) closed(pid *actor.PID) (inRef, bool) {
	r, ok := a.inPIDs[pid]
	if !ok {
		return r, false
	}
	delete(a.inPIDs, pid)
	if r.stream {
		a.streams--
	}
	a.w.inOpen.Add(-1)
	a.w.sys.calls.Add(-1)
	a.w.noteQuiet()
	return r, true
}

// overOpen says which open-call limit a new call would pass, or "": the
// wire's, as the core decides them, then the interface's.
func (a *wireActor) overOpen(stream bool) string {
	l := &a.w.limits
	if f := a.w.rules.OverOpen(len(a.inPIDs), a.streams, int(a.w.argBytes.Load()), stream); f != nil {
		return f.Message
	}
	switch {
	case a.w.sys.calls.Add(1) > int64(l.MaxCalls):
		// The last check: it takes the call's place in the interface's
		// count (wires on other goroutines take theirs at the same time),
		// which opened keeps and closed gives back.
		a.w.sys.calls.Add(-1)
		return fmt.Sprintf("%d calls open on the interface (MaxCalls)", l.MaxCalls)
	}
	return ""
}

// popIdle takes an idle call actor from pool, or returns nil.
func popIdle(pool *[]*actor.PID) *actor.PID {
	n := len(*pool)
	if n == 0 {
		return nil
	}
	pid := (*pool)[n-1]
	(*pool)[n-1] = nil
	*pool = (*pool)[:n-1]
	return pid
}

// callActorPool is how many idle call actors a wire keeps per direction
// (about 1 KiB each; none until the wire has made or taken calls).
const callActorPool = 64

func (a *wireActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *chunkMsg:
		a.chunk(ctx, m)
	case *readEndedMsg:
		if m.err == ErrPeerClosed {
			a.inputEnded(ctx) // a half-close (Conn.endInput)
		} else {
			a.w.terminate(m.err)
		}
	case startCallMsg:
		a.startCall(ctx, m.c)
	case forgetMsg:
		a.forget(ctx, m.c)
	case inDone:
		a.inboundEnded(ctx, m.c)
	case *snapshotMsg:
		a.snapshot(ctx)
	case *fatalMsg:
		a.w.terminate(m.cause)
	case inputEndedMsg:
		a.inputEnded(ctx)
	case *actor.Terminated:
		if r, ok := a.closed(m.Who); ok {
			if c := a.inbound[r.key]; c != nil && c.pid == m.Who {
				delete(a.inbound, r.key)
			}
		}
	case *actor.Started:
		a.w.pid = ctx.Self()
		a.inbound = make(map[callKey]*inCall)
		a.inPIDs = make(map[*actor.PID]inRef)
		a.outbound = make(map[callKey]outRoute)
		a.p = newParser(a.w)
		self := ctx.Self()
		_, _ = ctx.SpawnNamed(a.props(func() actor.Actor { return &readerActor{w: a.w, wire: self} }), "reader")
	case *actor.Stopping:
		a.w.terminate(ErrClosed) // no-op when a cause was recorded already
	case *actor.Stopped:
		a.stopped()
	}
}

// chunk decodes a chunk of the peer's bytes and routes its frames, in
// order. A malformed frame ends the wire, after the frames before it.
func (a *wireActor) chunk(ctx actor.Context, m *chunkMsg) {
	defer m.consumed(a.w)
	if a.ending() {
		return
	}
	fs := &a.frames
	defer func() { *fs = chunkFrames{} }() // the items' blocks go with the call actors that hold them
	var err error
	if m.roomRead > 0 {
		err = a.p.parseRoom(m.roomRead, fs)
	} else {
		err = a.p.parse(m.data, fs)
	}
	if !a.p.heard {
		// The peer's first bytes are in: whether it announced is known.
		a.p.heard = true
		close(a.w.heard)
	}
	for _, items := range fs.blocks {
		for i := range items {
			if items[i].ends != nil {
				a.routeRun(ctx, &items[i])
			} else {
				a.route(ctx, &items[i].Frame)
			}
		}
	}
	if err != nil {
		a.w.terminate(err)
		return
	}
	m.room = a.p.room()
}

// ending reports whether the wire has begun to end (wireClosing or later):
// from then on no frame is routed and no call begins.
func (a *wireActor) ending() bool { return a.w.closing() }

func (a *wireActor) props(p actor.Producer) *actor.Props {
	return actor.PropsFromProducer(p, actor.WithMailbox(newInlineMailbox))
}

// route takes one frame from the peer, by message family: a Call to its
// inbound call (inboundFrame); a Response, Error or argument credit to
// the actor of this side's call (endOutbound when it is the call's final
// frame); a Cancel or response credit to the peer's call while it is not
// answered; and the messages about the wire rather than one call's frames.
// The families' rarer work is in helpers so that a frame that is only
// passed on costs no call more.
func (a *wireActor) route(ctx actor.Context, f *wire.Frame) {
	if a.ending() {
		return
	}
	if f.Kind != wire.KindCall {
		if err := a.extras.Heard(*f); err != nil {
			a.w.terminate(err) // malformed metadata
			return
		}
	}
	switch f.Kind {
	case wire.KindCall:
		a.inboundFrame(ctx, f)
	case wire.KindResponse, wire.KindError, wire.KindArgumentCredit:
		if a.w.calleeOnly {
			return
		}
		k := callKey{f.Procedure, f.Call}
		r, ok := a.outbound[k]
		if !ok {
			return // a response to no open call of ours: ignored, as the Rust crate does
		}
		if f.Kind == wire.KindError || (f.Kind == wire.KindResponse && f.Terminator == wire.TermComplete) {
			a.endOutbound(ctx, k, r, f)
			return
		}
		ctx.Send(r.pid, frameRef{f})
	case wire.KindCancel, wire.KindResponseCredit:
		c := a.inbound[callKey{f.Procedure, f.Call}]
		if c == nil || c.loadState() == inAnswered {
			return // the call has ended: nothing to cancel or to feed
		}
		if f.Kind == wire.KindCancel {
			ctx.Send(c.pid, cancelMsg{})
			return
		}
		if n, err := wire.ParseCredit(*f); err == nil && c.resp != nil {
			c.resp.grant(int64(min(n, maxGrant)))
		}
	case wire.KindDeadline, wire.KindMetadata:
		// Kept (extras) for the call they precede.
	case wire.KindGoAway:
		// The parser's negotiation recorded it (core.PeerGoingAway): new
		// calls to the peer fail with ErrShutdown.
	case wire.KindPing:
		a.answerPing(f.Call)
	case wire.KindPong:
		a.w.pong(f.Call)
	case wire.KindTermination:
		a.w.terminate(ErrPeerTerminated) // nothing after "over and out" counts
	case wire.KindEndOfInput:
		select {
		case a.w.eoi <- struct{}{}:
		default: // one is waiting already: they merge
		}
	default:
		// Unknown type bytes are skipped alone, as the Rust crate does.
	}
}

// endOutbound routes f, the final frame of this side's call k (an Error,
// or a Response with terminator Complete), to the call's actor r.pid: it
// drops the route and frees the index before the caller can see the
// response and reuse the pair (unless the core says the pair stays
// taken), and takes the actor back. Whatever the wire sends the actor
// next (a later call, or the poison pill) comes after this frame.
func (a *wireActor) endOutbound(ctx actor.Context, k callKey, r outRoute, f *wire.Frame) {
	delete(a.outbound, k)
	if !r.c.ended() {
		// The callee answered before the call's arguments ended:
		// a callee with version 2 drains them, and the pair stays
		// taken until they end (core.PairHeld); to one without, the
		// pair is free now and nothing more is sent on it.
		r.c.closeArgsEarly(core.PairHeld(true, a.w.peerV2()))
	} else {
		a.w.idx.release(k)
		a.w.noteQuiet()
	}
	ctx.Send(r.pid, frameRef{f})
	if len(a.idleOut) < callActorPool {
		a.idleOut = append(a.idleOut, r.pid)
	} else {
		ctx.Poison(r.pid)
	}
}

// answerPing writes the pong for a ping with this nonce, unless the writer
// is full.
func (a *wireActor) answerPing(nonce uint64) {
	if a.w.out.full() {
		return // a peer that does not read our writes gets no pong
	}
	var b [wire.MaxHeaderLen]byte
	_ = a.w.out.raw(noWait, wire.AppendPing(b[:0], wire.KindPong, nonce))
}

// inputEnded half-closes the wire (Conn.endInput): the peer's stream has
// ended. Every call this side made fails at once with ErrPeerClosed (no
// answer can come); the peer's calls are told (inboundActor.inputEnded):
// those that had all their arguments run on to their answers, the others
// end.
func (a *wireActor) inputEnded(ctx actor.Context) {
	w := a.w
	if !w.endInput() {
		// This side is closing already (or ending): the end of stream
		// ends the wire now, with the cause recorded first.
		w.terminate(ErrPeerClosed)
		return
	}
	for k, r := range a.outbound {
		delete(a.outbound, k)
		w.idx.release(k)
		ctx.Send(r.pid, inputEndedMsg{})
		if len(a.idleOut) < callActorPool {
			a.idleOut = append(a.idleOut, r.pid)
		} else {
			ctx.Poison(r.pid)
		}
	}
	for _, c := range a.inbound {
		if c.pid != nil {
			ctx.Send(c.pid, inputEndedMsg{})
		}
	}
	clear(a.refused)
	w.noteQuiet()
}

// routeRun hands a run of one call's stream values to the call's actor.
func (a *wireActor) routeRun(ctx actor.Context, it *item) {
	_ = a.extras.Heard(it.Frame) // a Response: forgets them, never fails
	if a.ending() || a.w.calleeOnly {
		return
	}
	if r, ok := a.outbound[callKey{it.Procedure, it.Call}]; ok {
		ctx.Send(r.pid, runRef{it})
	}
}

func (a *wireActor) inboundFrame(ctx actor.Context, f *wire.Frame) {
	k := callKey{f.Procedure, f.Call}
	// A deadline or metadata just before applies to this frame's call
	// only if it starts a call (below); either way it is used up.
	deadline, meta, metaErr := a.extras.ForCall(core.Key{Proc: k.proc, Call: k.call})
	if len(a.refused) > 0 {
		if _, ok := a.refused[k]; ok {
			if f.Terminator == wire.TermComplete {
				delete(a.refused, k) // its caller ended it: the pair is free
			}
			return
		}
	}
	if c := a.inbound[k]; c != nil && c.loadState() != inAnswered {
		ctx.Send(c.pid, frameRef{f})
		return
	}
	// A new call (or a new one on a pair whose last call was answered).
	w := a.w
	c := &inCall{w: w, key: k, deadline: noDeadline}
	if metaErr != nil {
		a.refuse(c, f, fmt.Errorf("%w: %w", ErrLimit, unprefixed(metaErr)))
		return
	}
	if deadline >= 0 {
		c.deadline = time.Duration(deadline) * time.Millisecond
	}
	if meta != nil {
		m := meta // only a call with metadata allocates its slice's header
		c.meta = &m
	}
	if w.loadState() >= wireDraining {
		// This side is shutting down: the call is refused without an
		// actor, and did not run.
		a.refuse(c, f, ErrShutdown)
		return
	}
	var known bool
	if c.proc, known = w.sys.registry.Lookup(procedures.Index(k.proc)); known {
		c.kind = core.KindOf(c.proc.Kind(), true)
	}
	stream := c.kind.Streaming()
	if over := a.overOpen(stream); over != "" {
		a.refuse(c, f, fmt.Errorf("%w: %s", ErrLimit, over))
		return
	}
	if stream && w.peerExt() {
		c.resp = newSendWindow()
	}
	if c.pid = popIdle(&a.idleIn); c.pid == nil {
		c.pid = ctx.Spawn(a.props(func() actor.Actor { return &inboundActor{w: w} }))
	}
	a.inbound[k] = c
	a.opened(c, stream)
	// The call actor takes up this call and its first frame in one
	// message.
	c.first = f
	ctx.Send(c.pid, inBegin{c})
}

// refuse answers a call that gets no actor with err when the core says
// (core.Refusal): at its first piece, to a caller that speaks version 2 of
// the extensions (its Send returns the error; its later pieces are
// dropped, see refused), else at its Complete piece (its other pieces find
// no call, or an answered one, and come here too).
func (a *wireActor) refuse(c *inCall, f *wire.Frame, err error) {
	answer, remember := core.Refusal(f.Terminator == wire.TermComplete, a.w.peerV2(), len(a.refused), a.w.limits.MaxOpenCalls)
	if !answer {
		return
	}
	_ = c.answer(nil, err, false)
	if remember {
		if a.refused == nil {
			a.refused = make(map[callKey]struct{}) // most wires never refuse a call
		}
		a.refused[c.key] = struct{}{}
	}
}

// inboundEnded takes back the actor of an inbound call that has ended.
func (a *wireActor) inboundEnded(ctx actor.Context, c *inCall) {
	a.closed(c.pid)
	if a.inbound[c.key] == c {
		delete(a.inbound, c.key)
	}
	if a.ending() || len(a.idleIn) >= callActorPool {
		ctx.Stop(c.pid)
		return
	}
	a.idleIn = append(a.idleIn, c.pid)
}

// startCall gives a new outbound call an actor and a route, or finishes it
// at once if the wire is ending.
func (a *wireActor) startCall(ctx actor.Context, c *Call) {
	switch a.w.loadState() {
	case wireClosing, wireEnding:
		c.failWithWire()
		return
	case wireInputEnded:
		a.w.idx.release(c.key)
		c.finish(callFailed, terminated(ErrPeerClosed))
		return
	}
	pid := popIdle(&a.idleOut)
	if pid == nil {
		w := a.w
		pid = ctx.Spawn(a.props(func() actor.Actor { return &outboundActor{w: w} }))
	}
	testHookOutBegin(ctx, pid)
	ctx.Send(pid, outBegin{c}) // the actor takes up this call
	a.outbound[c.key] = outRoute{pid, c}
}

// testHookOutBegin is called by startCall before it hands a call to its
// outbound actor pid (tests make that actor stop first).
var testHookOutBegin = func(actor.Context, *actor.PID) {}

// forget drops the route of an outbound call that never reached the peer
// (opened, then cancelled before anything was sent) and frees its index:
// no answer will come for it.
func (a *wireActor) forget(ctx actor.Context, c *Call) {
	if r, ok := a.outbound[c.key]; ok && r.c == c {
		delete(a.outbound, c.key)
		a.w.idx.release(c.key)
		a.w.noteQuiet()
		ctx.Send(r.pid, outDropMsg{}) // the actor lets go of the call and goes idle
		if len(a.idleOut) < callActorPool {
			a.idleOut = append(a.idleOut, r.pid)
		} else {
			ctx.Poison(r.pid)
		}
	}
}
