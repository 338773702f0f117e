package supervision

import "github.com/asynkron/protoactor-go/actor"

// Failure describes one child failure and what the strategy decided. It is
// reported by StopOnFailure; an escalation (EscalateNamed) is not reported
// by this package: the supervisor's own supervisor handles it.
type Failure struct {
	// Child is the actor that failed.
	Child *actor.PID
	// Reason is the value the child panicked with (for a call whose
	// procedure panicked, a value carrying the recovered panic).
	Reason any
	// Directive is what the strategy decided: always actor.StopDirective,
	// the only directive of the one strategy that reports.
	Directive actor.Directive
}

// Reporter receives every failure StopOnFailure handles, before the child
// is stopped. It is called while the supervisor processes the failure, as
// one of its messages, and must not block. A nil Reporter reports nothing.
type Reporter func(Failure)

func (r Reporter) report(f Failure) {
	if r != nil {
		r(f)
	}
}
