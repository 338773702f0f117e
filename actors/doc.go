// Package actors holds ipfi's actor tree, built on protoactor-go:
//
//	interface root (rootActor; one per Interface, supervises its wires)
//	 └─ wire (wireActor; one per connection, owns the routing table)
//	     ├─ reader   byte-reader: its own goroutine blocks in Read, chunks go to the parser
//	     ├─ parser   incremental wire.Decoder; frames go to the wire, which routes them
//	     ├─ inbound call actors, one per call the peer makes (arguments, procedure, answer)
//	     └─ outbound call actors, one per call this side makes (collect the response)
//	    + writer: the wire's frame serialiser (a lock-based combiner, not a mailbox; see writer.go)
//	    + workers: goroutines that execute procedures (workers.go), owned by the wire
//	    + watchdog: the wire's one timer (watchdog.go): keepalive, write, handshake and idle timeouts
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
// # Termination: what stops what
//
// A wire ends in Conn.terminate, whatever the cause: end of stream or a
// read error (reader -> parser -> wire), a malformed frame (parser ->
// wire), a Termination message, a write error (writer), a timeout
// (watchdog), a failure of the reader or parser (escalated to the root,
// whose strategy stops the wire), Close, Shutdown, or the interface's
// Close. terminate records the cause, then stops, in order:
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
//     ends; a Write blocked on a peer that stopped reading fails;
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
// the wire end first: the wire actor, Conn.register, Wait, Recv or Send.
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
// goroutines outside the actors.
//
// Hand-offs of a small unary call (a hand-off is one goroutine waking
// another; the network poller waking a goroutine blocked in Read is counted
// separately because a raw TCP ping-pong pays it too):
//
//	caller side: 1
//	  calling goroutine: encode, register the call (wire and outbound actors
//	    run inline), write the frame itself                        0
//	  reader goroutine (woken by the poller): parser, wire and outbound actor
//	    run inline; the outbound actor closes the handle's channel,
//	    waking the calling goroutine                               1
//	callee side: 1, or 0 for a procedures.Quick procedure
//	  reader goroutine (woken by the poller): parser, wire and call actor
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
// into one Write (a flusher yields once before writing so that ready
// goroutines join it), and a goroutine that finds a write in progress does
// not wait for it.
//
// # Who owns what
//
// Each piece of a wire's mutable state, its owner (who writes it), who
// else reads it, and how. "Any" means the goroutines of the program's
// calls, its procedures and the wire's own.
//
//	state                          owner (writes)                    read by, how
//	the decoder, core.Negotiation  parser actor                      -
//	Conn.peer (core.PeerState)     parser actor                      any: atomic load
//	Conn.settled, Conn.heard       parser (a waiting call may close  any: channel receive
//	                               settled, once: settledOnce)
//	routing table, refused, idle   wire actor                        -
//	  call actors, deadline/meta
//	Conn.inOpen, Conn.state,       wire actor; terminate, endInput,  any: atomic load
//	  Conn.draining, Conn.cause    Drain, closeWith (CAS)
//	inCall.state (inState)         call actor; the worker that       wire actor, call actor:
//	                               answers (CAS in answer)           atomic load
//	inCall arguments, pieces       call actor                        -
//	inCall.resp (sendWindow)       worker spends; wire actor grants  atomics and a signal
//	                                                                 channel
//	outbound actor's partial       outbound call actor               -
//	  value, batch, collected
//	Call completion, receive       Call.mu                           Recv's run and the
//	  queue (Call.state, err, q)                                     state: atomic load
//	Call.relay                     wire actor, Send side, abandon    atomic OR
//	sendSide (core.SendState)      sendSide.mu                       -
//	indices (core.Indices)         indices.mu                        Conn.open: atomic n
//	Conn.argBytes, Conn.collected  any (atomic add, then checked)    watchdog, limits
//	writer's pending bytes         writer.mu                         full: atomic flag
//	workers' idle list             workers.mu                        -
//	pings                          pingMu                            -
//	quiet                          quietMu                           -
//	watchdog                       its timer goroutine               -
//
// # Locks, hand-offs and yields of one unary call
//
// Counted along the code for one small unary call made with Call (Start
// and Wait) to a procedure that runs on a worker, over TCP, with the
// writer idle and idle call actors and workers at hand. A lock is one
// acquisition of a sync.Mutex; a message to an actor takes its inline
// mailbox's lock twice (to queue it, and again once it has run, to look
// for the next).
//
//	caller goroutine                                 locks  yields
//	  indices.take                                     1
//	  register: wire actor, then outbound actor        4
//	  writer: append, then again after the Write       2
//	  Wait: runtime.Gosched before parking                    1
//	callee reader (woken by the poller)
//	  writer hold and unhold                           2
//	  parser, wire and inbound call actors             6
//	  goWork: the workers' list, then a hand-off       1
//	callee worker
//	  writer: append, then again after the Write       2
//	  inbound actor (procDoneMsg), wire actor (inDone) 4
//	  the call's context cancelled                     1
//	  parking for the next call                        1
//	caller reader (woken by the poller)
//	  writer hold and unhold                           2
//	  parser, wire and outbound call actors            6
//	  indices.release                                  1
//	  the call's handle: values, then finish           2
//	  close(done): a hand-off to the caller
//	total                                             35      1
//
// That is 35 lock acquisitions, 2 hand-offs (one per side) and 1 yield.
// Three mailboxes per frame (parser, wire, call actor) are 18 of them.
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
