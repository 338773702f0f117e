package actors

import (
	"sync/atomic"

	"github.com/ipfi-go/ipfi/wire"
)

// Credit-based flow control (wire/PROTOCOL.md, "Flow control (credit)") has
// two sides per stream direction: the consumer, which counts what its
// program took and grants it back (recvWindow), and the producer, which
// spends the credit granted and waits when none is left (sendWindow). Every
// direction of every call uses these two types: a response read with Recv,
// a response collected whole, arguments accumulated by the callee,
// arguments read by a bidirectional procedure, a streamed response, and
// arguments sent in pieces.

// recvWindow is the consumer's side of one direction of one call: it counts
// the payload bytes its program consumed and says when, and how much, to
// grant back. It grants what was consumed once that reaches half the
// window. An adaptive window (max above size) doubles, up to max, when the
// program runs dry after consuming at least half the initial window since
// the window last grew: the producer was held back by the credit's round
// trip, not by the program.
//
// It is not safe for concurrent use: its owner serialises the calls (a
// call's mutex, or the one actor or goroutine that consumes).
type recvWindow struct {
	size    int64 // the window: how much the producer may send ahead of the program
	max     int64 // how far size may grow; equal to size for a fixed window
	unacked int64 // consumed and not yet granted back
	taken   int64 // consumed since the window last grew
}

// newRecvWindow returns a window of size bytes that may grow to max (a
// fixed window when max is not above size). Sizes below wire.InitialCredit,
// the window both peers assume, mean that. The producer starts with
// wire.InitialCredit: the rest of a larger window is granted with the first
// grant.
func newRecvWindow(size, maxSize int64) recvWindow {
	size = max(size, wire.InitialCredit)
	return recvWindow{size: size, max: max(maxSize, size), unacked: size - wire.InitialCredit}
}

// fixedWindow is the window of a direction whose consumer takes data as it
// arrives (a collected response, accumulated arguments): the initial one.
func fixedWindow() recvWindow { return newRecvWindow(wire.InitialCredit, 0) }

// consumed accounts n bytes taken by the program and returns the credit to
// grant now (0 for none).
func (r *recvWindow) consumed(n int64) int64 {
	r.unacked += n
	r.taken += n
	if r.unacked < r.size/2 {
		return 0
	}
	g := r.unacked
	r.unacked = 0
	return g
}

// dry is called when the program finds nothing to consume on a direction
// still open. It returns the credit to grant now: what is owed plus the
// window's growth, if it grows.
func (r *recvWindow) dry() int64 {
	if r.size >= r.max || r.taken < wire.InitialCredit/2 {
		return 0
	}
	extra := min(r.size, r.max-r.size)
	r.size += extra
	r.taken = 0
	g := r.unacked + extra
	r.unacked = 0
	return g
}

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
	allow  int64         // taken from credit in bulk, spent without atomics (producer only)
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
	if s.allow > 0 {
		return true
	}
	if got := s.credit.Swap(0); got != 0 {
		s.allow = min(s.allow+got, maxGrant)
	}
	return s.allow > 0
}

// spend accounts a message of n bytes, sent after ready returned true.
func (s *sendWindow) spend(n int) { s.allow -= int64(n) }

// granted returns a channel that receives when credit arrives: a producer
// that found ready false waits on it (and on its own stop signals), then
// asks ready again.
func (s *sendWindow) granted() <-chan struct{} { return s.sig }

// maxGrant caps one credit message's grant and a producer's credit, so
// that grants from a misbehaving peer cannot overflow a counter (two of
// them add up to less than the largest int64).
const maxGrant = 1 << 61
