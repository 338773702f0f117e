package actors

import (
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/wire"
)

// countCtx is the part of an actor.Context that wireActor.route uses on
// the paths BenchmarkRoute takes: it counts what would be sent.
type countCtx struct {
	actor.Context
	sent, poisoned int
}

func (c *countCtx) Send(*actor.PID, any) { c.sent++ }
func (c *countCtx) Poison(*actor.PID)    { c.poisoned++ }

// BenchmarkRoute routes frames of each message family the wire actor
// handles without spawning anything: an outbound call's pieces and final
// frame, an inbound call's credit and cancel, a pong, an end of input and
// an unknown byte; per frame.
func BenchmarkRoute(b *testing.B) {
	w := &Conn{idx: newIndices(maxRustCallIndex)}
	a := &wireActor{w: w, inbound: map[callKey]*inCall{}, outbound: map[callKey]outRoute{}}
	out := outRoute{pid: &actor.PID{Id: "out"}, c: &Call{}}
	a.outbound[callKey{3, 1}] = out
	a.inbound[callKey{4, 2}] = &inCall{pid: &actor.PID{Id: "in"}, resp: newSendWindow()}
	credit := wire.AppendCredit(nil, wire.KindResponseCredit, 4, 2, 1)
	frames := map[string]wire.Frame{
		"response":   {Kind: wire.KindResponse, Terminator: wire.TermChunk, Procedure: 3, Call: 1, Payload: []byte{1}},
		"argcredit":  {Kind: wire.KindArgumentCredit, Terminator: wire.TermComplete, Procedure: 3, Call: 1, Payload: []byte{1}},
		"final":      {Kind: wire.KindResponse, Terminator: wire.TermComplete, Procedure: 3, Call: 1},
		"respcredit": {Kind: wire.KindResponseCredit, Terminator: wire.TermComplete, Procedure: 4, Call: 2, Payload: credit[len(credit)-1:]},
		"cancel":     {Kind: wire.KindCancel, Terminator: wire.TermComplete, Procedure: 4, Call: 2},
		"pong":       {Kind: wire.KindPong, Terminator: wire.TermComplete, Call: 9},
		"eoi":        {Kind: wire.KindEndOfInput},
		"unknown":    {Kind: 0x10},
	}
	for _, name := range []string{"response", "argcredit", "final", "respcredit", "cancel", "pong", "eoi", "unknown"} {
		f := frames[name]
		b.Run(name, func(b *testing.B) {
			ctx := &countCtx{}
			b.ReportAllocs()
			for range b.N {
				if name == "final" {
					a.outbound[callKey{3, 1}] = out
				}
				a.route(ctx, &f)
			}
			if ctx.sent == 0 && (name == "response" || name == "cancel") {
				b.Fatal("nothing routed")
			}
		})
	}
}
