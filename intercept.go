package ipfi

import (
	"context"
	"io"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ipfi-go/ipfi/actors"
	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/procedures"
)

// CallInfo describes a call to an interceptor.
type CallInfo struct {
	// Wire is the wire the call is on. Wire.TLS() is the state of its TLS
	// connection, nil for a wire without TLS: a Server interceptor finds
	// the client's certificate in its PeerCertificates.
	Wire *Wire
	// Procedure is the procedure called.
	Procedure procedures.Index
	// Kind is how this side made the call: KindUnary for a Client
	// interceptor, KindStream or KindOpen for a ClientStream one. It is
	// KindServed for every call a Server interceptor sees, whatever the
	// procedure's kind.
	Kind CallKind
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

// CallKind is how a call was made, as CallInfo.Kind tells an interceptor.
type CallKind uint8

const (
	// KindServed: a call the peer made, as a Server interceptor sees it
	// (how the peer made it is its own business).
	KindServed CallKind = iota
	// KindUnary: a call made with Call or Wire.Call: arguments and
	// response whole (a Client interceptor's).
	KindUnary
	// KindStream: a stream opened with Wire.Stream (Iter, Collect, a
	// SeqProc's): arguments whole, response read value by value (a
	// ClientStream interceptor's).
	KindStream
	// KindOpen: a stream opened with Wire.Open (a BidiProc's): arguments
	// sent in pieces, response read value by value (a ClientStream
	// interceptor's).
	KindOpen
)

// String returns "served", "unary", "stream" or "open".
func (k CallKind) String() string {
	switch k {
	case KindServed:
		return "served"
	case KindUnary:
		return "unary"
	case KindStream:
		return "stream"
	case KindOpen:
		return "open"
	}
	return "CallKind(" + strconv.Itoa(int(k)) + ")"
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

// Interceptor sees the calls of an interface, the streams it opens and
// the life of its wires; WithInterceptors installs it. Any field may be
// nil. Package ipfiotel makes one that records metrics and traces.
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
	// Wire.Call (Raw ones included; info.Kind is KindUnary): invoke sends
	// the call and waits for its answer, returning the call's error. It may
	// change ctx, observe, or call invoke again (a retry). Streams go to
	// ClientStream instead.
	Client func(ctx context.Context, info CallInfo, invoke func(ctx context.Context) error) error
	// ClientStream is told of every stream this side opens through a
	// wire: Wire.Stream (info.Kind KindStream; Iter, Collect and the
	// Iter and Collect of SeqProc0..SeqProc2 too) and Wire.Open (KindOpen;
	// BidiProc.Open too). It runs on the goroutine that opens the stream,
	// before anything is sent, and returns:
	//
	//   - sctx, the context the stream goes on with: ctx itself, or one
	//     derived from it (metadata added with AppendMetadata, a value, a
	//     deadline); nil means ctx;
	//   - done, which is told of the stream's end exactly once, with its
	//     outcome: nil for a response read to io.EOF, else the error it
	//     ended with: Recv's (a *RemoteError, a *WireError, ...), the
	//     cause of the stream's context when that ended it, ErrCancelled
	//     for a stream closed before its end (Close, or a loop over Values
	//     left early), or the error that failed the opening (a wire gone,
	//     arguments that do not encode, a refusal by an interceptor given
	//     after this one). done may be nil. It runs on the goroutine that
	//     ended the stream (Recv's, Close's, the opener's), so it must
	//     not block; a context sctx holds (a deadline's cancel function)
	//     is done's to release;
	//   - err, non-nil to refuse the stream: Wire.Open or Wire.Stream
	//     returns it, nothing is sent, and the interceptors given after
	//     this one are not asked (an *Error for a code of the
	//     application's, as a Server interceptor's).
	//
	// A stream is ended by reading it to io.EOF or an error, or by Close
	// (see Stream): one never ended is never reported. A value that does
	// not decode (ErrDecode) does not end a stream read with Recv, which
	// may go on; Values, Iter and Collect end it with that error.
	ClientStream func(ctx context.Context, info CallInfo) (sctx context.Context, done func(err error), err error)
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
// call it serves and makes, told of every stream it opens and of every
// wire. The first given is the outermost: it sees the time and result the
// others make, its ClientStream is asked first and its done told last,
// and it is the first told of a wire's end; several WithInterceptors add
// in turn. Default: none (nothing is added to a call or a stream).
func WithInterceptors(in ...Interceptor) Option {
	return interfaceOption("WithInterceptors", func(c *config) {
		for _, x := range in {
			if x.Server != nil {
				c.server = append(c.server, x.Server)
			}
			if x.Client != nil {
				c.client.calls = append(c.client.calls, x.Client)
			}
			if x.ClientStream != nil {
				c.client.streams = append(c.client.streams, x.ClientStream)
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

// streamInterceptor is a ClientStream function of an Interceptor.
type streamInterceptor = func(ctx context.Context, info CallInfo) (context.Context, func(error), error)

// clientChains are an interface's Client and ClientStream functions, each
// kind in the order given; its wires share them.
type clientChains struct {
	calls   []interceptor
	streams []streamInterceptor
}

// orNil returns c, or nil if it holds no function: a wire without client
// interceptors checks one pointer per call.
func (c *clientChains) orNil() *clientChains {
	if len(c.calls) == 0 && len(c.streams) == 0 {
		return nil
	}
	return c
}

// serverChain composes the server interceptors into the actor system's
// hook, or returns nil for none.
func serverChain(in []interceptor) func(context.Context, actors.CallInfo, func(context.Context) error) error {
	if len(in) == 0 {
		return nil
	}
	return func(ctx context.Context, ai actors.CallInfo, next func(context.Context) error) error {
		info := CallInfo{Procedure: procedures.Index(ai.Procedure), Kind: KindServed, ArgBytes: ai.ArgBytes, Metadata: core.MetadataMap(ai.Metadata), Response: ai.Out}
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

// unaryIntercepted reports whether the wire's calls go through Client
// interceptors.
func (w *Wire) unaryIntercepted() bool { return w.client != nil && len(w.client.calls) > 0 }

// intercepted runs invoke through the interface's Client interceptors.
func (w *Wire) intercepted(ctx context.Context, proc procedures.Index, invoke func(ctx context.Context) error) error {
	info := CallInfo{Wire: w, Procedure: proc, Kind: KindUnary, Metadata: core.MetadataMap(actors.Outgoing(ctx))}
	info.Deadline, _ = ctx.Deadline()
	return chain(w.client.calls, 0, ctx, info, invoke)
}

// streamIntercepted reports whether the wire's streams go through
// ClientStream interceptors.
func (w *Wire) streamIntercepted() bool { return w.client != nil && len(w.client.streams) > 0 }

// startStream asks the ClientStream interceptors, outermost first, about a
// stream of procedure proc that ctx is about to open. It returns the
// context the stream goes on with and the done functions to tell of its
// end; if one refuses the stream, it tells those that accepted it and
// returns the refusal.
func (w *Wire) startStream(ctx context.Context, proc procedures.Index, kind CallKind) (context.Context, *streamEnd, error) {
	info := CallInfo{Wire: w, Procedure: proc, Kind: kind, Metadata: core.MetadataMap(actors.Outgoing(ctx))}
	info.Deadline, _ = ctx.Deadline()
	e := &streamEnd{}
	for _, x := range w.client.streams {
		sctx, done, err := x(ctx, info)
		if err != nil {
			e.report(err)
			return nil, nil, err
		}
		if sctx != nil {
			ctx = sctx
		}
		if done != nil {
			e.done = append(e.done, done)
		}
	}
	return ctx, e, nil
}

// streamEnd is what a stream opened through ClientStream interceptors
// tells of its end: the done functions they returned, outermost first.
type streamEnd struct {
	done     []func(error)
	reported atomic.Bool
}

// report is the one way a stream's end reaches its interceptors: every
// end (Recv's last result, Close, a failed opening) comes here, and only
// the first counts. It tells the done functions, innermost first, the
// outcome: nil for io.EOF, else err.
func (e *streamEnd) report(err error) {
	if e.reported.Swap(true) {
		return
	}
	if err == io.EOF {
		err = nil
	}
	for k := len(e.done) - 1; k >= 0; k-- {
		e.done[k](err)
	}
}
