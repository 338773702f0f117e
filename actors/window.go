package actors

import (
	"sync/atomic"

	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/wire"
)

// Credit-based flow control (wire/PROTOCOL.md, "Flow control (credit)") has
// two sides per stream direction: the consumer, which counts what its
// program took and grants it back (core.RecvWindow, which decides how much
// and when), and the producer, which spends the credit granted and waits
// when none is left (sendWindow). Every direction of every call uses these
// two: a response read with Recv, a response collected whole, arguments
// accumulated by the callee, arguments read by a bidirectional procedure, a
// streamed response, and arguments sent in pieces.

// sendWindow is the producer's side of one direction of one call: the
// credit the consumer granted, which the producer spends per message and
// waits for when it is used up. A message may overdraw the credit by its
// own size; the final message of a direction needs none.
//
// grant may be called from any goroutine (the wire actor routing a credit
// message); ready, spend and granted by the one producer at a time (the
// procedure's goroutine, or Send under its lock).
type sendWindow struct {
	credit atomic.Int64  // granted and not yet taken by the producer
	sig    chan struct{} // a grant arrived (one buffered signal)
	// allow is the credit taken from credit in bulk, spent without
	// atomics by the producer alone, by the core's rule (core.SendCredit).
	allow core.SendCredit
}

func newSendWindow() *sendWindow {
	s := &sendWindow{sig: make(chan struct{}, 1)}
	s.credit.Store(wire.InitialCredit)
	return s
}

// grant adds n bytes of credit from the consumer (n at most maxGrant) and
// wakes a waiting producer. The credit saturates at maxGrant: a peer's
// grants cannot overflow it. It never blocks.
func (s *sendWindow) grant(n int64) {
	for {
		old := s.credit.Load()
		if s.credit.CompareAndSwap(old, min(old+n, maxGrant)) {
			break
		}
	}
	select {
	case s.sig <- struct{}{}:
	default:
	}
}

// ready reports whether the producer may send a message now, taking what
// was granted since it last looked.
func (s *sendWindow) ready() bool {
	if s.allow.Ready() {
		return true
	}
	if got := s.credit.Swap(0); got != 0 {
		s.allow.Grant(uint64(got))
	}
	return s.allow.Ready()
}

// spend accounts a message of n bytes, sent after ready returned true.
func (s *sendWindow) spend(n int) { s.allow.Spend(n) }

// granted returns a channel that receives when credit arrives: a producer
// that found ready false waits on it (and on its own stop signals), then
// asks ready again.
func (s *sendWindow) granted() <-chan struct{} { return s.sig }

// maxGrant caps one credit message's grant and a producer's credit, so
// that grants from a misbehaving peer cannot overflow a counter (two of
// them add up to less than the largest int64).
const maxGrant = core.MaxGrant
