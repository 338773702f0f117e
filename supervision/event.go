package supervision

import "fmt"

// EventKind says what happened to a supervised wire.
type EventKind int

const (
	// Up: a wire is up, the first or one made again.
	Up EventKind = iota + 1
	// Down: the wire ended (Err is its cause), or a dial failed, the
	// first or a later one (Err is the dial's error). A restart follows
	// unless the policy gives up.
	Down
	// GaveUp: the Restart policy gave up (Err is the last failure);
	// nothing is made again.
	GaveUp
)

// String returns "up", "down" or "gave up".
func (k EventKind) String() string {
	switch k {
	case Up:
		return "up"
	case Down:
		return "down"
	case GaveUp:
		return "gave up"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one change of a wire that ipfi.Interface.Supervise keeps up
// under a Restart policy, for a program to log.
type Event struct {
	Kind     EventKind
	Err      error // Down, GaveUp: why
	Restarts int   // restarts made so far: dials after the first
}

// String returns the event for a log line: its kind, the restarts made
// so far and, for Down and GaveUp, why ("down after 2 restarts: dial tcp
// 127.0.0.1:7071: connect: connection refused").
func (e Event) String() string {
	s := fmt.Sprintf("%v after %d restarts", e.Kind, e.Restarts)
	if e.Restarts == 1 {
		s = fmt.Sprintf("%v after 1 restart", e.Kind)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}
