package supervision

import "github.com/asynkron/protoactor-go/actor"

// StopOnFailure returns a one-for-one strategy that stops the failing child
// and only it, after reporting the failure. It never restarts: in ipfi a
// failed wire or call cannot be resumed.
func StopOnFailure(report Reporter) actor.SupervisorStrategy {
	return stopOnFailure{report: report}
}

type stopOnFailure struct{ report Reporter }

func (s stopOnFailure) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason, _ any) {
	s.report.report(Failure{Child: child, Reason: reason, Directive: actor.StopDirective})
	sup.StopChildren(child)
}
