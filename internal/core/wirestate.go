package core

import "github.com/ipfi-go/ipfi/wire"

// WireState is where a wire is in its life (STATES.md, "The wire"). It
// only moves forward, though it may skip states.
type WireState uint8

const (
	// WireUp: both directions flow.
	WireUp WireState = iota
	// WireDraining: this side is shutting down (Drain): the peer's new
	// calls are refused (FailShutdown); the open ones go on, both ways.
	WireDraining
	// WireInputEnded: the peer's stream ended without a Termination: this
	// side's calls have failed and no new ones are taken either way; the
	// peer's calls that had all their arguments run to their answers, which
	// are still written.
	WireInputEnded
	// WireClosing: this side said goodbye (Terminate: a Termination is in
	// the output): nothing more is read, routed or sent; the owner ends
	// the wire (End) once the goodbye is written, or gives up on it.
	WireClosing
	// WireEnding: the wire is ending: nothing more is read or written.
	WireEnding
)

func (s WireState) String() string {
	switch s {
	case WireUp:
		return "up"
	case WireDraining:
		return "draining"
	case WireInputEnded:
		return "input-ended"
	case WireClosing:
		return "closing"
	case WireEnding:
		return "ending"
	}
	return "WireState(?)"
}

// reading reports whether the peer's messages are still taken.
func (s WireState) reading() bool { return s <= WireDraining }

// InputEnded takes the end of the peer's stream (not a Termination): the
// wire half-closes. Every call this side made fails (OutCall.Failure is
// FailPeerClosed; EvResponse for each); the peer's calls whose arguments
// had not ended are answered FailArgsCut (a bidirectional procedure's is
// cancelled with it: EvCancel); those that had all their arguments run on.
func (c *Conn) InputEnded() {
	if !c.state.reading() {
		return
	}
	c.state = WireInputEnded
	c.neg.Settle()
	for k, oc := range c.outCalls {
		oc.fail(FailPeerClosed)
		c.uncollect(oc)
		c.dropOut(k)
		c.emit(Event{Kind: EvResponse, Key: k})
	}
	for _, ic := range c.in {
		c.endCall(ic, OnInputEnded(ic.State, ic.Kind, ic.Input), FailArgsCut)
	}
	clear(c.refused)
}

// Drain refuses the peer's new calls from now on (FailShutdown) and tells a
// peer that speaks version 2 (go-away).
func (c *Conn) Drain() {
	if c.state != WireUp {
		return
	}
	c.state = WireDraining
	if c.neg.v2() {
		c.out = wire.AppendGoAway(c.out)
	}
}

// Terminate appends a Termination message ("over and out"): nothing more
// is read, routed or sent (WireClosing). The owner writes the output and
// then ends the wire (End).
func (c *Conn) Terminate() {
	if c.state < WireClosing {
		c.out = append(c.out, byte(wire.KindTermination))
		c.state = WireClosing
	}
}

// End ends the wire (a read or write error, a malformed frame, a goodbye
// written): nothing more is read or written.
func (c *Conn) End() { c.state = WireEnding }
