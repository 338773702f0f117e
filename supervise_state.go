package ipfi

import "fmt"

// SupervisedState is where a Supervised is in its life, as its State
// method reports it. It starts SupervisedConnecting, is SupervisedUp and
// SupervisedRestarting in turn, and ends SupervisedGaveUp or
// SupervisedClosed, both final (the state machine is drawn in
// actors/STATES.md, "Supervised wire").
type SupervisedState int

const (
	// SupervisedConnecting: no wire has been up yet; the first dial, or
	// the policy's delay after a dial that failed and the next dial, is
	// under way. Wire and the calls wait.
	SupervisedConnecting SupervisedState = iota + 1
	// SupervisedUp: a wire is up; Wire returns it at once and the calls go
	// through it.
	SupervisedUp
	// SupervisedRestarting: the wire that was up has ended (reported as
	// soon as its end has begun); the policy's delay, then a dial, until
	// one succeeds or the policy gives up. Wire and the calls wait.
	SupervisedRestarting
	// SupervisedGaveUp: the policy gave up (final); Wire and the calls
	// return an error matching ErrGaveUp that wraps the last failure.
	SupervisedGaveUp
	// SupervisedClosed: the Supervised or its interface was closed
	// (final); Wire and the calls return ErrClosed.
	SupervisedClosed
)

// String returns "connecting", "up", "restarting", "gave up" or "closed".
func (st SupervisedState) String() string {
	switch st {
	case SupervisedConnecting:
		return "connecting"
	case SupervisedUp:
		return "up"
	case SupervisedRestarting:
		return "restarting"
	case SupervisedGaveUp:
		return "gave up"
	case SupervisedClosed:
		return "closed"
	}
	return fmt.Sprintf("SupervisedState(%d)", int(st))
}
