package core

import "github.com/ipfi-go/ipfi/wire"

// Credit-based flow control (wire/PROTOCOL.md, "Flow control (credit)") has
// two sides per direction of a call: the consumer counts what its program
// took and grants it back (RecvWindow); the producer spends what was
// granted and stops when none is left (SendCredit).

// MaxGrant caps one credit message's grant and a producer's credit, so
// that a misbehaving peer's grants cannot overflow a counter.
const MaxGrant = 1 << 61

// RecvWindow is the consumer's side of one direction of one call. It grants
// back what the program consumed once that reaches half the window. An
// adaptive window (max above size) doubles, up to max, when the program
// runs dry after consuming at least half the initial window since it last
// grew: the producer was held back by the credit's round trip, not by the
// program.
type RecvWindow struct {
	size    int64 // how much the producer may send ahead of the program
	max     int64 // how far size may grow; equal to size for a fixed window
	unacked int64 // consumed and not yet granted back
	taken   int64 // consumed since the window last grew
}

// NewRecvWindow returns a window of size bytes that may grow to maxSize (a
// fixed window when maxSize is not above size). Sizes below
// wire.InitialCredit, the window both peers assume, mean that; the rest of
// a larger window is granted with the first grant.
func NewRecvWindow(size, maxSize int64) RecvWindow {
	size = max(size, wire.InitialCredit)
	return RecvWindow{size: size, max: max(maxSize, size), unacked: size - wire.InitialCredit}
}

// FixedWindow is the window of a direction whose consumer takes data as it
// arrives (a collected response, accumulated arguments).
func FixedWindow() RecvWindow { return NewRecvWindow(wire.InitialCredit, 0) }

// Consumed accounts n bytes taken by the program and returns the credit to
// grant now (0 for none).
func (r *RecvWindow) Consumed(n int64) int64 {
	r.unacked += n
	r.taken += n
	if r.unacked < r.size/2 {
		return 0
	}
	g := r.unacked
	r.unacked = 0
	return g
}

// Dry is called when the program finds nothing to consume on a direction
// still open. It returns the credit to grant now: what is owed plus the
// window's growth, if it grows.
func (r *RecvWindow) Dry() int64 {
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

// Size returns the window's current size.
func (r *RecvWindow) Size() int64 { return r.size }

// Max returns how far the window may grow.
func (r *RecvWindow) Max() int64 { return r.max }

// SendCredit is the producer's side of one direction of one call: the
// credit the consumer granted. A message may overdraw it by its own size;
// the final message of a direction needs none.
type SendCredit struct{ n int64 }

// NewSendCredit returns the credit both peers assume at a call's start.
func NewSendCredit() SendCredit { return SendCredit{n: wire.InitialCredit} }

// Grant adds n bytes from the consumer, saturating at MaxGrant.
func (s *SendCredit) Grant(n uint64) { s.n = min(s.n+int64(min(n, MaxGrant)), MaxGrant) }

// Ready reports whether the producer may send a message now.
func (s *SendCredit) Ready() bool { return s.n > 0 }

// Spend accounts a message of n payload bytes.
func (s *SendCredit) Spend(n int) { s.n -= int64(n) }

// Left returns the credit left (negative after an overdraft).
func (s *SendCredit) Left() int64 { return s.n }
