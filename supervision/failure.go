package supervision

import "github.com/asynkron/protoactor-go/actor"

// Failure describes one child failure and what the strategy decided.
type Failure struct {
	// Child is the actor that failed.
	Child *actor.PID
	// Reason is the value the child panicked with (for a failed procedure, a
	// value carrying the procedure's error or recovered panic).
	Reason any
	// Directive is what the strategy decided: Stop or Escalate.
	Directive actor.Directive
}

// Reporter receives every failure a strategy handles. It is called on the
// supervisor's goroutine and must not block. A nil Reporter reports nothing.
type Reporter func(Failure)

func (r Reporter) report(f Failure) {
	if r != nil {
		r(f)
	}
}
