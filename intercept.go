package ipfi

import (
	"context"
	"time"

	"github.com/ipfi-go/ipfi/actors"
	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/procedures"
)

// CallInfo describes a call to an interceptor.
type CallInfo struct {
	// Wire is the wire the call is on.
	Wire *Wire
	// Procedure is the procedure called.
	Procedure procedures.Index
	// Deadline is the call's deadline (the caller's, carried across the
	// wire to a server), zero if none.
	Deadline time.Time
	// ArgBytes is the size of the call's arguments as they arrived, on
	// the server (0 for a bidirectional procedure's, which arrive as it
	// runs).
	ArgBytes int
	// Metadata is the call's metadata (keys and values): what it arrived
	// with, on the server; what ctx carries (AppendMetadata), on the
	// client.
	Metadata map[string]string
	// Response counts, on the server, the response the call sends: once
	// next has returned, its payload bytes (Bytes) and its values (Values:
	// a unary procedure's one, each value of a stream). Nil on the client.
	Response *actors.CallOut
}

// AppendMetadata returns ctx whose calls carry the keys and values kv (in
// turn: key, value, key, value...) besides those ctx carries already; a
// later value for a key replaces an earlier one on the receiving side. It
// panics on an odd number of strings.
//
// A call's metadata (an auth token, a trace context) goes to a peer that
// speaks version 2 of the extensions, never to one that does not. At most
// wire.MaxMetadataEntries pairs in wire.MaxMetadataBytes; more makes the
// call fail with ErrLimit. The procedure reads it with MetadataFrom,
// interceptors in CallInfo.Metadata.
func AppendMetadata(ctx context.Context, kv ...string) context.Context {
	if len(kv)%2 != 0 {
		panic("ipfi: AppendMetadata with an odd number of keys and values")
	}
	return actors.WithOutgoing(ctx, kv)
}

// MetadataFrom returns the metadata the call of a procedure's ctx came
// with (nil if none).
func MetadataFrom(ctx context.Context) map[string]string {
	return core.MetadataMap(actors.Incoming(ctx))
}

// Interceptor sees the calls of an interface and the life of its wires;
// WithInterceptors installs it. Any field may be nil. Package ipfiotel
// makes one that records metrics and traces.
type Interceptor struct {
	// Server runs around every call the interface serves, of every kind
	// (unary, sequence, bidirectional, raw stream, and Quick ones, which
	// run on the wire's reader: keep what it does quick). next runs the
	// procedure and answers the call; it returns the procedure's error,
	// nil if it succeeded. A Server that returns an error without calling
	// next refuses the call: the procedure does not run and the caller
	// gets that error (an *Error for a code of the application's, as for
	// a procedure's). It may add to ctx for next (values, a deadline).
	Server func(ctx context.Context, info CallInfo, next func(ctx context.Context) error) error
	// Client runs around every call this side makes with Call and
	// Wire.Call (Raw ones included): invoke sends the call and waits for its answer,
	// returning the call's error. It may change ctx, observe, or call
	// invoke again (a retry).
	Client func(ctx context.Context, info CallInfo, invoke func(ctx context.Context) error) error
	// WireOpened is told of every wire the interface makes (Connect,
	// Serve, Dial, ConnectCmd...) as it is made, on the goroutine that
	// made it (the wire is already reading: a call on it may be under
	// way).
	WireOpened func(w *Wire)
	// WireEnded is told of every wire once it has ended and every call on
	// it has failed, with its cause, on the actor system's root: it must
	// not block.
	WireEnded func(w *Wire, cause error)
}

// WithInterceptors adds interceptors to the interface (New): around every
// call it serves and makes, and told of every wire. The first given is the
// outermost (it sees the time and result the others make), and the first
// told of a wire's end; several WithInterceptors add in turn. Default:
// none (nothing is added to a call).
func WithInterceptors(in ...Interceptor) Option {
	return interfaceOption("WithInterceptors", func(c *config) {
		for _, x := range in {
			if x.Server != nil {
				c.server = append(c.server, x.Server)
			}
			if x.Client != nil {
				c.client = append(c.client, x.Client)
			}
			if x.WireOpened != nil {
				c.opened = append(c.opened, x.WireOpened)
			}
			if x.WireEnded != nil {
				c.ended = append(c.ended, x.WireEnded)
			}
		}
	})
}

// interceptor is a Server or Client function of an Interceptor.
type interceptor = func(ctx context.Context, info CallInfo, next func(ctx context.Context) error) error

// serverChain composes the server interceptors into the actor system's
// hook, or returns nil for none.
func serverChain(in []interceptor) func(context.Context, actors.CallInfo, func(context.Context) error) error {
	if len(in) == 0 {
		return nil
	}
	return func(ctx context.Context, ai actors.CallInfo, next func(context.Context) error) error {
		info := CallInfo{Procedure: procedures.Index(ai.Procedure), ArgBytes: ai.ArgBytes, Metadata: core.MetadataMap(ai.Metadata), Response: ai.Out}
		info.Wire, _ = ai.Owner.(*Wire)
		info.Deadline, _ = ctx.Deadline()
		return chain(in, 0, ctx, info, next)
	}
}

// chain runs in[k:] around next.
func chain(in []interceptor, k int, ctx context.Context, info CallInfo, next func(context.Context) error) error {
	if k == len(in) {
		return next(ctx)
	}
	return in[k](ctx, info, func(ctx context.Context) error { return chain(in, k+1, ctx, info, next) })
}

// intercepted runs invoke through the interface's client interceptors.
func (w *Wire) intercepted(ctx context.Context, proc procedures.Index, invoke func(ctx context.Context) error) error {
	in := w.client
	if len(in) == 0 {
		return invoke(ctx)
	}
	info := CallInfo{Wire: w, Procedure: proc, Metadata: core.MetadataMap(actors.Outgoing(ctx))}
	info.Deadline, _ = ctx.Deadline()
	var run func(k int, ctx context.Context) error
	run = func(k int, ctx context.Context) error {
		if k == len(in) {
			return invoke(ctx)
		}
		return in[k](ctx, info, func(ctx context.Context) error { return run(k+1, ctx) })
	}
	return run(0, ctx)
}
