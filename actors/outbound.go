package actors

import (
	"context"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/wire"
)

// Pending is the handle of one outbound call: the caller waits on it while
// the call's outbound actor collects the response.
type Pending struct {
	key  callKey
	done chan struct{}
	// Set before done is closed, read only after.
	chunks [][]byte
	err    error
}

// Done returns a channel closed once the response is complete or the call
// has failed with its wire.
func (p *Pending) Done() <-chan struct{} { return p.done }

// Wait blocks until the response is complete, the wire ends or ctx is done,
// and returns the response's chunks (a plain procedure answers one).
// Cancelling ctx abandons the call on this side only: a peer without
// extensions cannot be told, so the call index stays reserved until the
// peer answers or the wire ends.
func (p *Pending) Wait(ctx context.Context, w *Wire) ([][]byte, error) {
	select {
	case <-p.done:
		return p.chunks, p.err
	default:
	}
	select {
	case <-p.done:
		return p.chunks, p.err
	case <-w.done:
		select {
		case <-p.done:
			return p.chunks, p.err
		default:
			return nil, terminated(w.Err())
		}
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// outboundActor collects the response of one call this side made and feeds
// its handle. It stops when the response is complete; if it is stopped
// before (its wire ending), the handle fails with ErrWireTerminated.
type outboundActor struct {
	w       *Wire
	call    *Pending
	current []byte
	ended   bool
}

func (o *outboundActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case frameRef:
		o.frame(ctx, m.f)
	case *actor.Stopping:
		if !o.ended {
			o.ended = true
			o.call.err = terminated(o.w.Err())
			close(o.call.done)
		}
	}
}

func (o *outboundActor) frame(ctx actor.Context, f *wire.Frame) {
	if o.ended {
		return
	}
	switch f.Terminator {
	case wire.TermNone:
		o.current = append(o.current, f.Payload...)
	case wire.TermChunk, wire.TermComplete:
		chunk := f.Payload
		if len(o.current) > 0 {
			chunk = append(o.current, f.Payload...)
			o.current = nil
		}
		o.call.chunks = append(o.call.chunks, chunk)
		if f.Terminator == wire.TermComplete {
			o.ended = true
			close(o.call.done)
			ctx.Stop(ctx.Self())
		}
	}
}
