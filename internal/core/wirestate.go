package core

// WireState is where a wire is in its life (STATES.md, "The wire"). It
// only moves forward.
type WireState uint8

const (
	// WireUp: both directions flow.
	WireUp WireState = iota
	// WireInputEnded: the peer's stream ended without a Termination: this
	// side's calls have failed, the peer's calls that had all their
	// arguments run to their answers, which are still written.
	WireInputEnded
	// WireEnding: the wire is ending: nothing more is read or written.
	WireEnding
)

func (s WireState) String() string {
	switch s {
	case WireUp:
		return "up"
	case WireInputEnded:
		return "input-ended"
	case WireEnding:
		return "ending"
	}
	return "WireState(?)"
}

// InputEnded takes the end of the peer's stream (not a Termination): the
// wire half-closes. Every call this side made fails (OutCall.Failure is
// FailPeerClosed; EvResponse for each); the peer's calls whose arguments
// had not ended are answered FailArgsCut (a bidirectional procedure's is
// cancelled with it: EvCancel); those that had all their arguments run on.
func (c *Conn) InputEnded() {
	if c.state != WireUp {
		return
	}
	c.state = WireInputEnded
	c.neg.settle()
	for k, oc := range c.outCalls {
		oc.fail(FailPeerClosed)
		c.dropOut(k)
		c.emit(Event{Kind: EvResponse, Key: k})
	}
	for _, ic := range c.in {
		switch {
		case ic.State == InReceiving || ic.State == InOverLimit:
			c.answerFailure(ic, FailArgsCut)
		case ic.State == InDraining:
			c.move(ic, InAnswered)
		case ic.State == InRunning && ic.Kind == ProcBidi && ic.Input == InputOpen:
			c.emit(Event{Kind: EvCancel, Key: ic.Key, Call: ic, Failure: FailArgsCut})
		}
	}
	clear(c.refused)
}

// End ends the wire without a Termination message (a read or write error,
// a malformed frame): nothing more is read or written.
func (c *Conn) End() { c.state = WireEnding }
