package ipfi

import (
	"context"
	"time"

	"github.com/ipfi-go/ipfi/actors"
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
	// Metadata is the call's metadata: what it arrived with, on the
	// server; what ctx carries (AppendMetadata), on the client.
	Metadata Metadata
	// Response counts, on the server, the response the call sends: once
	// next has returned, its payload bytes and its values (a unary
	// procedure's one, each value of a stream). Nil on the client.
	Response *ResponseStats
}

// ResponseStats is what a served call's response sent (CallInfo.Response).
type ResponseStats = actors.CallOut

// Metadata is a call's metadata: string keys and values sent with the call
// (an auth token, a trace context), to a peer that speaks version 2 of the
// extensions; never to one that does not. At most wire.MaxMetadataEntries
// pairs in wire.MaxMetadataBytes; more makes the call fail with ErrLimit.
type Metadata map[string]string

// AppendMetadata returns ctx whose calls carry the keys and values kv (in
// turn: key, value, key, value...) besides those ctx carries already; a
// later value for a key replaces an earlier one on the receiving side. It
// panics on an odd number of strings.
func AppendMetadata(ctx context.Context, kv ...string) context.Context {
	if len(kv)%2 != 0 {
		panic("ipfi: AppendMetadata with an odd number of keys and values")
	}
	return actors.WithOutgoing(ctx, kv)
}

// MetadataFrom returns the metadata the call of a procedure's ctx came
// with (nil if none).
func MetadataFrom(ctx context.Context) Metadata { return toMetadata(actors.Incoming(ctx)) }

// toMetadata makes a Metadata of keys and values in turn (nil for none).
func toMetadata(kv []string) Metadata {
	if len(kv) == 0 {
		return nil
	}
	m := make(Metadata, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// ServerInterceptor runs around every call the interface serves, of every
// kind (unary, sequence, bidirectional, raw stream, and Quick ones, which
// run on the wire's reader: keep what it does quick). next runs the
// procedure and answers the call; it returns the procedure's error, nil if
// it succeeded. An interceptor that returns an error without calling next
// refuses the call: the procedure does not run and the caller gets that
// error (an *Error for a code of the application's, as for a procedure's).
// It may add to ctx for next (values, a deadline).
type ServerInterceptor func(ctx context.Context, info CallInfo, next func(ctx context.Context) error) error

// ClientInterceptor runs around every call this side makes with Call,
// Wire.Call and Wire.CallRaw: invoke sends the call and waits for its
// answer, returning the call's error. It may change ctx, observe, or call
// invoke again (a retry).
type ClientInterceptor func(ctx context.Context, info CallInfo, invoke func(ctx context.Context) error) error

// WithServerInterceptors adds interceptors around every call the interface
// serves; the first given is the outermost. Default: none (nothing is
// added to a call).
func WithServerInterceptors(in ...ServerInterceptor) Option {
	return func(c *config) { c.server = append(c.server, in...) }
}

// WithClientInterceptors adds interceptors around every call the
// interface's wires make (see ClientInterceptor); the first given is the
// outermost. Default: none.
func WithClientInterceptors(in ...ClientInterceptor) Option {
	return func(c *config) { c.client = append(c.client, in...) }
}

// serverChain composes the server interceptors into the actor system's
// hook, or returns nil for none.
func serverChain(in []ServerInterceptor) func(context.Context, actors.CallInfo, func(context.Context) error) error {
	if len(in) == 0 {
		return nil
	}
	return func(ctx context.Context, ai actors.CallInfo, next func(context.Context) error) error {
		info := CallInfo{Procedure: procedures.Index(ai.Procedure), ArgBytes: ai.ArgBytes, Metadata: toMetadata(ai.Metadata), Response: ai.Out}
		info.Wire, _ = ai.Owner.(*Wire)
		info.Deadline, _ = ctx.Deadline()
		return chain(in, 0, ctx, info, next)
	}
}

// chain runs in[k:] around next.
func chain(in []ServerInterceptor, k int, ctx context.Context, info CallInfo, next func(context.Context) error) error {
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
	info := CallInfo{Wire: w, Procedure: proc, Metadata: toMetadata(actors.Outgoing(ctx))}
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
