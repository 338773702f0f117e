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

// chunkMsg carries bytes read from the transport, byte-reader -> wire
// actor, which parses them. One chunk of a wire is in flight at a time:
// the reader (or Feed) sends the next only once the wire actor has
// consumed this one (see Conn.awaitChunk), and then reuses data. state
// says where it is: chunkSent, then chunkConsumed, or chunkAwaited when
// the reader found it still queued (the wire actor was running on another
// goroutine) and waits for Conn.chunkDone.
type chunkMsg struct {
	quiet
	data []byte
	// room, set by the wire actor as it consumes the chunk, is where the
	// reader reads next instead of data: the rest of a large payload, in
	// place in the decoder's buffer (parser.room). roomRead is how many
	// bytes the reader read there; the chunk then holds no data.
	room     []byte
	roomRead int
	state    atomic.Uint32
}

// The states of a chunkMsg.
const (
	chunkSent uint32 = iota
	chunkConsumed
	chunkAwaited
)

// consumed is called by the wire actor when it is done with the chunk's
// bytes; it wakes the reader if the reader waits for it.
func (m *chunkMsg) consumed(w *Conn) {
	if m.state.Swap(chunkConsumed) == chunkAwaited {
		w.chunkDone <- struct{}{} // a buffer of one, and one chunk in flight: never blocks
	}
}

// readEndedMsg tells the wire actor, after the last chunk, that the
// transport ended: with ErrPeerClosed a half-close, else a fatal cause.
type readEndedMsg struct {
	quiet
	err error
}

// chunkFrames holds the frames decoded from one chunk, in order, in blocks
// of items (parser.parse). Payloads alias buffers the items own.
type chunkFrames struct {
	blocks [][]item
	one    [1][]item // blocks of a chunk with one block (no allocation)
}

// frameRef hands one frame of a chunk to a call actor without an
// allocation (a one-pointer struct fits in an interface directly).
type frameRef struct{ f *wire.Frame }

func (frameRef) IgnoreDeadLetterLogging() {}

// runRef hands a run of stream values (an item with ends) to its outbound
// call actor (wire -> call actor); one pointer, no allocation.
type runRef struct{ it *item }

func (runRef) IgnoreDeadLetterLogging() {}

// inputEndedMsg says the peer's stream has ended (end of stream): wire ->
// each call actor, whose call can no longer hear from the peer (the wire
// half-closes, Conn.endInput).
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
