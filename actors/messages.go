package actors

import (
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/wire"
)

// quiet marks a message type as one whose dead letters are not logged. Dead
// letters happen by design at the edges of a wire's life (a byte chunk that
// arrives as the parser stops); logging them would also start protoactor's
// throttle goroutine, which outlives the wire by its throttle interval.
type quiet struct{}

func (quiet) IgnoreDeadLetterLogging() {}

// chunkMsg carries bytes read from the transport, byte-reader -> parser. The
// reader reuses data once consumed is set.
type chunkMsg struct {
	quiet
	data     []byte
	consumed atomic.Bool // set by the parser (maybe on another goroutine); read by the reader after Send returned
}

// readEndedMsg tells the parser, after the last chunk, that the transport
// ended; the parser passes it to the wire as a fatal cause.
type readEndedMsg struct {
	quiet
	err error
}

// framesMsg carries the frames decoded from one chunk, in order, in blocks
// of items (parser -> wire). Payloads alias buffers owned by the message.
type framesMsg struct {
	quiet
	blocks [][]item
	one    [1][]item // blocks of a chunk with one block (no allocation)
}

// frameRef hands one frame of a framesMsg to a call actor without an
// allocation (a one-pointer struct fits in an interface directly).
type frameRef struct{ f *wire.Frame }

func (frameRef) IgnoreDeadLetterLogging() {}

// runRef hands a run of stream values (an item with ends) to its outbound
// call actor (wire -> call actor); one pointer, no allocation.
type runRef struct{ it *item }

func (runRef) IgnoreDeadLetterLogging() {}

// inputEndedMsg says the peer's stream has ended (end of stream): parser
// -> wire, which half-closes (Conn.endInput), then wire -> each call
// actor, whose call can no longer hear from the peer.
type inputEndedMsg struct{}

func (inputEndedMsg) IgnoreDeadLetterLogging() {}

// fatalMsg asks the wire to end with the given cause.
type fatalMsg struct {
	quiet
	cause error
}

// startCallMsg registers an outbound call with the wire (caller -> wire).
// Like frameRef it is one pointer, sent by value: no allocation.
type startCallMsg struct{ c *Call }

func (startCallMsg) IgnoreDeadLetterLogging() {}

// forgetMsg asks the wire to drop the route of a call that never reached
// the peer (see wireActor.forget).
type forgetMsg struct{ c *Call }

func (forgetMsg) IgnoreDeadLetterLogging() {}

// outDropMsg tells an outbound actor to let go of its call, which has
// ended (cancelled) without a word from the peer.
type outDropMsg struct{}

func (outDropMsg) IgnoreDeadLetterLogging() {}

// procDoneMsg tells an inbound call actor its procedure returned
// (procedure goroutine -> call actor); failure is non-nil when the procedure
// panicked. Sent by value: no allocation.
type procDoneMsg struct{ failure *ProcedureFailure }

func (procDoneMsg) IgnoreDeadLetterLogging() {}

// spawnChildMsg asks the interface root to spawn another child (see
// System.SpawnChild).
type spawnChildMsg struct {
	quiet
	props  *actor.Props
	prefix string
	reply  chan *actor.PID // nil once the root is stopping
}

// spawnWireMsg asks the interface root to spawn a wire actor.
type spawnWireMsg struct {
	quiet
	w     *Conn
	reply chan error
}

// cancelMsg tells an inbound call actor that its caller cancelled the call.
type cancelMsg struct{}

func (cancelMsg) IgnoreDeadLetterLogging() {}

// inDone tells the wire that an inbound call actor's call has ended and the
// actor is free for another (call actor -> wire). The call says which.
type inDone struct{ c *inCall }

func (inDone) IgnoreDeadLetterLogging() {}

// inBegin hands an inbound call actor, new or idle, its call (wire -> call
// actor).
type inBegin struct{ c *inCall }

func (inBegin) IgnoreDeadLetterLogging() {}

// outBegin hands an outbound call actor, new or idle, its call (wire ->
// call actor).
type outBegin struct{ c *Call }

func (outBegin) IgnoreDeadLetterLogging() {}
