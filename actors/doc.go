// Package actors holds ipfi's actor tree, built on protoactor-go:
//
//	interface root (rootActor; one per Interface, supervises its wires)
//	 └─ wire (wireActor; one per connection): the parser, an incremental
//	    wire.Decoder, and the routing table that sends each frame to the
//	    actor that owns its call
//	     ├─ reader   byte-reader: its own goroutine blocks in Read (or, on a socket only
//	     │           the wire uses, waits for the poller: readpoll_linux.go), chunks go to the wire
//	     ├─ inbound call actors, one per call the peer makes (arguments, procedure, answer)
//	     └─ outbound call actors, one per call this side makes (collect the response)
//	    + writer: the wire's frame serialiser (a lock-based combiner, not a mailbox; see writer.go)
//	    + workers: goroutines that execute procedures (workers.go), owned by the wire
//	    + watchdog: the wire's one timer (watchdog.go): keepalive, write, handshake and idle timeouts
//
// The parser is the wire actor's own (parser.go), not an actor of its own:
// the routing table, the peer's extensions (core.Negotiation) and the
// deadline and metadata a call's frames carry (core.Extras) must change
// together, frame by frame, so one actor owns them all, and a chunk costs
// one mailbox pass instead of two.
//
// The writer and the workers are not actors: an actor's mailbox would cost
// a goroutine hand-off per frame, and a procedure may block, which a
// Receive must not. The reader actor is an actor only to own the start of
// its goroutine; the wire closes the transport that stops it.
//
// # Calls
//
// Each call is a state machine written down in STATES.md, whose state names
// the code uses: an outbound call (Call: completion, receive queue, send
// side) ends in Call.finish, whatever ends it; an inbound call (inCall) is
// answered in inCall.answer, and only there. Flow-control credit is
// recvWindow and sendWindow (window.go) in every direction.
//
// The protocol's decisions are the core's (internal/core), which the guest
// form drives too: the engine asks it, by state, what a piece, a Cancel or
// the end of the peer's stream does to an inbound call (core.OnPiece,
// OnCancel, OnInputEnded), where a call over a limit or answered early goes
// (OverLimit, Answered), whether a piece's credit goes back (GrantsPiece),
// when a refused call is answered (Refusal), whether
// a limit or budget is passed (Config.OverOpen, OverArgs, OverInput,
// OverCollected), how long an outbound call's pair stays taken (PairHeld),
// what an empty Complete means (EmptyEnds), whether a sequence holds its
// last value back (HoldsLast), what a raw stream's terminator does (OnRaw),
// how credit is spent and granted (SendCredit, RecvWindow), how a failure
// is written (AppendAnswer), and what the watchdog does on each tick
// (Liveness). The wire's states are the core's
// WireState. What stays here is how: actors, goroutines, the writer.
//
// # Termination: what stops what
//
// A wire ends in Conn.terminate, whatever the cause: end of stream or a
// read error (reader -> wire), a malformed frame (the wire's parser), a
// Termination message, a write error (writer), a timeout (watchdog), a
// failure of the reader or of the wire actor (escalated to the root, whose
// strategy stops the wire), Close, Shutdown, or the interface's Close. terminate records the cause, then stops, in order:
//
//   - the watchdog: its timer is stopped; a tick already running is
//     counted in the wire's goroutines;
//   - the workers (goroutines running procedures) that are parked: told to
//     end; a worker running a procedure ends when the procedure returns,
//     which its cancelled context asks for (a quick procedure's context is
//     the wire's, cancelled here);
//   - the writer: later writes fail, pending bytes are dropped; a flusher
//     goroutine ends when its Write returns;
//   - the transport, closed: the reader goroutine's Read returns and it
//     ends; a Write blocked on a peer that stopped reading fails. The
//     reader of a socket it reads through the poller is woken instead (a
//     read deadline in the past), and closes it as it ends (polled);
//   - the wire actor, stopped: protoactor stops its children first. An
//     outbound call actor's Stopping handler finishes its call with a
//     WireError (matching ErrWireTerminated, wrapping the cause); an
//     inbound call actor's cancels its procedure's context with it. When
//     the last child has stopped, the wire's done channel closes.
//
// The tree is the cleanup path for calls; the goroutines are stopped by
// terminate and counted by the wire (goroutines, workers.go): Conn.Close
// waits for the actors and then for every goroutine the wire started, and
// the interface's Close waits for every wire's, each at most Timeouts.Stop
// (a procedure that ignores its context is left running and reported with
// ErrStopTimeout). A call handle that never
// reached its actor (the wire stopped first) is finished by whoever sees
// the wire end first: the wire actor, Conn.register, Recv or Send.
//
// A procedure that returns an error or panics fails its call only: the
// procedure's goroutine recovers the panic and answers the caller, and the
// call actor turns it into a supervision failure that the wire's strategy
// (supervision.StopOnFailure) handles by stopping that call alone.
//
// # Dispatch and goroutine hand-offs
//
// Every actor here has an inlineMailbox (mailbox.go), which behaves like
// protoactor's default mailbox under its synchronized dispatcher without
// allocating per message: a message runs the receiving mailbox on the
// sending goroutine (unless that mailbox is already running on another
// goroutine, in which case it is queued and that goroutine processes it).
// An actor hop is therefore a function call, not a goroutine hand-off, and
// Receive never blocks: blocking work (Read, Write, procedures) happens on
// goroutines outside the actors. A message to an idle mailbox takes no
// lock (the right to run the actor is an atomic flag); only a message
// queued behind another goroutine's run takes the mailbox's lock. A wire
// has one chunk in flight: the reader reads the next once the wire actor
// has consumed the last (Conn.awaitChunk), so a busy wire actor holds the
// peer's bytes back in the transport, not in its mailbox.
//
// Hand-offs of a small unary call (a hand-off is one goroutine waking
// another; the network poller waking a goroutine blocked in Read is counted
// separately because a raw TCP ping-pong pays it too):
//
//	caller side: 1
//	  calling goroutine: encode, register the call (wire and outbound actors
//	    run inline), write the frame itself                        0
//	  reader goroutine (woken by the poller): wire and outbound actor
//	    run inline; the outbound actor closes the handle's channel,
//	    waking the calling goroutine                               1
//	callee side: 1, or 0 for a procedures.Quick procedure
//	  reader goroutine (woken by the poller): wire and call actor
//	    inline; the call actor hands the procedure to a worker goroutine
//	    (workers.go)                                               1
//	  worker: executes the procedure, writes the response itself, tells its
//	    call actor (inline)                                        0
//	  a Quick procedure instead runs in the call actor, on the reader; its
//	  answer is appended to the writer, which the reader holds while it
//	  dispatches a chunk and then writes without blocking          0
//
// So a round trip costs one or two hand-offs more than a raw TCP ping-pong;
// they exist so that a slow procedure or a slow caller never stalls the
// wire's reader. Under load the writer batches frames from many goroutines
// into one Write (a flusher on a wire with other calls open yields once
// before writing so that ready goroutines join it), and a goroutine that finds a write in progress does
// not wait for it.
//
// # Who owns what
//
// Each piece of a wire's mutable state, its owner (who writes it), who
// else reads it, and how. "Any" means the goroutines of the program's
// calls, its procedures and the wire's own.
//
//	state                          owner (writes)                    read by, how
//	the decoder, core.Negotiation, wire actor (its parser)            -
//	  core.Extras, routing table,
//	  refused, idle call actors
//	Conn.peer (core.PeerState)     wire actor (its parser)           any: atomic load
//	Conn.settled, Conn.heard       wire actor (a waiting call may    any: channel receive
//	                               close settled, once: settledOnce)
//	Conn.inOpen                    wire actor                        any: atomic load
//	Conn.state (core.WireState),   Conn.move and setErr (CAS), from  any: atomic load
//	  Conn.cause                   Drain, endInput, closeWith,
//	                               terminate
//	chunkMsg.state                 reader sends, wire actor consumes any: atomic (see chunkMsg)
//	chunkMsg.room (the rest of a   wire actor lends it as it         the reader, after the
//	  large payload, in place in   consumes a chunk; the reader      chunk was consumed (the
//	  the decoder's buffer)        fills it before the next chunk    same hand-off)
//	Conn.reads, Conn.dispatching   the reader (Feed in push mode)    watchdog: atomic load
//	Conn.polled.state              the reader (enter, leave) and     - (compare-and-swap)
//	                               terminate (release)
//	Conn.msgs                      wire actor (its parser)           watchdog: atomic load
//	inCall.state (inState and the  call actor; the worker that       wire actor, call actor:
//	  inputOpen bit)               answers (CAS in answer)           atomic load
//	inCall arguments, pieces, ran  call actor                        -
//	inCall.resp (sendWindow)       worker spends; wire actor grants  atomics and a signal
//	                                                                 channel
//	inCall.ctx (callContext)       call actor ends it; whoever looks any: callContext.mu, and
//	                               first makes its standard contexts an atomic flag once made
//	outbound actor's partial       outbound call actor               -
//	  value, batch, collected
//	Call completion, receive       Call.mu                           Recv's run and the
//	  queue (Call.state, err, q)                                     state: atomic load
//	Call.relay                     wire actor, Send side, abandon    atomic OR
//	sendSide (core.SendState)      sendSide.mu                       -
//	indices (core.Indices)         indices.mu                        Conn.open: atomic n
//	Conn.argBytes, Conn.collected  any (atomic add, then checked)    watchdog, limits
//	writer's pending bytes         writer.mu                         full: atomic flag
//	writer.held, writer.left       readers (hold, unhold); left by   atomic (see writer)
//	                               appenders, under writer.mu
//	mailbox status, queued,        the goroutine running the actor   atomic (see inlineMailbox)
//	  suspended                    (status by compare-and-swap)
//	mailbox queues                 inlineMailbox.mu                  -
//	workers' idle list, reaper     workers.mu                        -
//	pings                          pingMu                            -
//	quiet                          quietMu                           -
//	System.waiting                 callers in Call.Wait (atomic add) -
//	watchdog (core.Liveness)       its timer goroutine, one tick at  -
//	                               a time
//
// # Locks, hand-offs and yields of one unary call
//
// Counted along the code for one small unary call made with Call (Start
// and Wait, a context that cannot end) to a procedure that runs on a
// worker, over TCP, with the writer idle, idle call actors and workers at
// hand, and no mailbox busy on another goroutine. A lock is one
// acquisition of a sync.Mutex (a context's included); a yield is a
// runtime.Gosched.
//
//	caller goroutine                                 locks  yields
//	  indices.take                                     1
//	  register: wire actor, then outbound actor        0
//	  writer: append; again after the Write (no        2      0
//	    yield in take: no other call is open on the
//	    wire)
//	  Wait: runtime.Gosched before parking (no more           1
//	    callers wait than there are processors)
//	callee reader (woken by the poller)
//	  writer hold and unhold (nothing appended)        0
//	  wire actor (parse, route), inbound call actor    0
//	  goWork: the workers' list, then a hand-off       1
//	callee worker
//	  writer: as the caller's                          2      0
//	  inbound actor (procDoneMsg), wire actor (inDone) 0
//	  the call's context cancelled                     1
//	  parking for the next call                        1
//	caller reader (woken by the poller)
//	  writer hold and unhold                           0
//	  wire actor (parse, route): indices.release       1
//	  outbound call actor: values and finish, one      1
//	    step (finishWith); close(done) hands off to
//	    the caller
//	total                                             10      1
//
// That is 10 lock acquisitions, 2 hand-offs (one per side; none on the
// callee's side for a procedures.Quick procedure, which runs on the
// reader) and 1 yield. Under load the yields come back where they pay: a
// writer yields once before it writes while other calls are open on its
// wire (their frames join the write: one more lock each side), and a
// caller parks without yielding while more callers wait than there are
// processors (the yield would wait for the whole run queue). Counted the
// same way, the engine took 37 locks and 3 yields before the protocol
// core's rebuild: a mailbox took its lock twice per message (18 for the
// three actors a frame crossed, parser, wire and call actor), a reader's
// hold and unhold took the writer's lock twice per chunk, a collected
// response took the call's lock twice, and every write yielded first.
//
// # Reuse
//
// Call actors are not spawned and stopped per call: the wire keeps up to
// callActorPool idle ones per direction for the next calls (they are
// children like the others and stop with the wire). An outbound call actor
// is idle again once the wire has routed its call's final frame to it; an
// inbound one reports to the wire when its call is answered and its
// procedure has returned. Worker goroutines park for another call for an
// idle period before they end, or end at once with their wire.
package actors
