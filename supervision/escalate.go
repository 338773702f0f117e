package supervision

import (
	"strings"

	"github.com/asynkron/protoactor-go/actor"
)

// EscalateNamed returns a strategy under which a failure of a child spawned
// with one of the given names (its PID ends in "/"+name) escalates: the
// supervisor fails in turn and its own supervisor decides. A wire uses it
// for its byte-reader and parser, without which it cannot go on. Failures of
// other children are handed to otherwise.
func EscalateNamed(otherwise actor.SupervisorStrategy, names ...string) actor.SupervisorStrategy {
	suffixes := make([]string, len(names))
	for i, n := range names {
		suffixes[i] = "/" + n
	}
	return escalateNamed{suffixes: suffixes, otherwise: otherwise}
}

type escalateNamed struct {
	suffixes  []string
	otherwise actor.SupervisorStrategy
}

func (s escalateNamed) HandleFailure(sys *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, rs *actor.RestartStatistics, reason, message any) {
	for _, suf := range s.suffixes {
		if strings.HasSuffix(child.Id, suf) {
			sup.EscalateFailure(reason, message)
			return
		}
	}
	s.otherwise.HandleFailure(sys, sup, child, rs, reason, message)
}
