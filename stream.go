package ipfi

import (
	"context"
	"fmt"
	"io"
	"iter"

	"github.com/ipfi-go/ipfi/actors"
	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/procedures"
)

// Stream is a call whose arguments are sent in pieces (Send, then
// CloseSend) and whose response is read value by value (Recv), for
// sequence procedures, procedures that accumulate streamed arguments, and
// bidirectional procedures (procedures.Bidi), which read the values sent
// while they answer. Send and CloseSend may be used from one goroutine
// while Recv is used from another.
//
// With a peer that speaks the extensions the response is flow-controlled:
// the callee sends at most the window ahead of Recv, and Send waits while
// the callee has not taken the arguments already sent. The window starts
// at 64 KiB and doubles, up to DefaultMaxStreamWindow (1 MiB), each time
// Recv finds nothing to read after taking 32 KiB or more since it last
// grew: a stream that moves data fast gets the window it needs to keep
// both ends busy, while a reader slower than its callee never runs dry and
// keeps the window at 64 KiB. WithStreamWindow fixes the window instead. A
// peer without them (the Rust crate) streams without limit, as it always
// does.
//
// A Stream must be ended: read it to io.EOF or an error, or call Close.
// Its end is what the interface's ClientStream interceptors are told of.
type Stream struct {
	end  *streamEnd // told of the stream's end; nil without ClientStream interceptors
	proc procedures.Index
	ctx  context.Context
	p    *actors.Call
	stop func() bool
}

// DefaultMaxStreamWindow is how far a Stream's adaptive response window
// grows (see Stream): the most a callee sends ahead of a reader that has
// not fixed its window with WithStreamWindow.
const DefaultMaxStreamWindow = actors.DefaultMaxWindow

// Open starts a call of procedure proc whose arguments are sent with Send
// and ended with CloseSend. Nothing is written before the first Send or
// CloseSend. ctx bounds the whole call: when it ends before the call has,
// the call is cancelled (a peer with the extensions has its procedure's
// context cancelled) and Send, CloseSend and Recv return its cause; a
// call that had ended keeps its outcome (a complete response is still
// read to io.EOF).
// An option it cannot use (one that is not a stream's, a negative window)
// is an error matching ErrInvalidOption. The interface's ClientStream
// interceptors see the stream open (with KindOpen) and end.
func (w *Wire) Open(ctx context.Context, proc procedures.Index, opts ...Option) (*Stream, error) {
	return w.open(ctx, proc, KindOpen, opts)
}

// open opens a stream for Open and Stream, through the ClientStream
// interceptors if the interface has any.
func (w *Wire) open(ctx context.Context, proc procedures.Index, kind CallKind, opts []Option) (*Stream, error) {
	if w == nil {
		return nil, ErrNoWire
	}
	c, err := streamSettings(opts)
	if err != nil {
		return nil, err
	}
	var end *streamEnd
	if w.streamIntercepted() {
		if ctx, end, err = w.startStream(ctx, proc, kind); err != nil {
			return nil, err
		}
	}
	p, err := w.w.Open(ctx, uint64(proc), actors.OpenOptions{Window: int64(c.window)})
	if err != nil {
		if end != nil {
			end.report(err)
		}
		return nil, err
	}
	s := &Stream{end: end, proc: proc, ctx: ctx, p: p}
	s.stop = context.AfterFunc(ctx, func() { p.CancelCause(context.Cause(ctx)) })
	return s, nil
}

// Stream calls procedure proc with args, all at once, and returns the
// response to read value by value with Recv or Values. ctx bounds the
// whole call, as for Open. The interface's ClientStream interceptors see
// the stream open (with KindStream) and end.
func (w *Wire) Stream(ctx context.Context, proc procedures.Index, args []any, opts ...Option) (*Stream, error) {
	s, err := w.open(ctx, proc, KindStream, opts)
	if err != nil {
		return nil, err
	}
	payload, err := appendArgs(nil, args)
	err = inProcedure(proc, err)
	if err == nil {
		// One Call message, as a plain call: the Rust crate's bytes.
		err = s.p.CloseSend(s.ctx, payload)
	}
	if err != nil {
		s.closeWith(err)
		return nil, err
	}
	return s, nil
}

// Send sends args (MessagePack-encoded one after another; a Raw as it is)
// as more of the call's arguments: one Call message with terminator None,
// as the Rust crate's continue_given_call_with_args writes it. A
// bidirectional procedure receives each argument as one value. Sending no
// arguments sends nothing.
func (s *Stream) Send(args ...any) error {
	if len(args) == 1 {
		if r, ok := args[0].(Raw); ok {
			return s.p.Send(s.ctx, r)
		}
	}
	payload, err := appendArgs(nil, args)
	if err != nil {
		return inProcedure(s.proc, err)
	}
	return s.p.Send(s.ctx, payload)
}

// CloseSend ends the call's arguments. A procedure that takes its
// arguments whole starts then; a bidirectional one sees the end of its
// input. It waits for no flow-control credit, but blocks while the wire's
// writer is full (a peer slow to read); like Send it is bounded by the
// stream's context: if that ends first, the call is cancelled and
// CloseSend returns the context's cause. Once the arguments have ended
// (CloseSend, Close, a cancelled call) it returns nil.
func (s *Stream) CloseSend() error { return s.p.CloseSend(s.ctx, nil) }

// CloseSendContext is CloseSend bounded by ctx too: if ctx or the stream's
// context ends while it blocks, the call is cancelled with that context's
// cause, which CloseSendContext returns. On WebAssembly, whose one thread
// a write into the transport holds until the host takes the bytes, no
// context ends that write: the caller makes it itself.
func (s *Stream) CloseSendContext(ctx context.Context) error {
	switch {
	case ctx.Done() == nil:
		return s.CloseSend()
	case s.ctx.Done() == nil:
		return s.p.CloseSend(ctx, nil)
	}
	both, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer context.AfterFunc(s.ctx, func() { cancel(context.Cause(s.ctx)) })()
	return s.p.CloseSend(both, nil)
}

// Recv decodes the next value of the response into v (a pointer; nil
// discards it; a *Raw takes the value as it came, undecoded, an empty one
// included). It returns io.EOF itself, unwrapped, after the last value of a
// complete response, and only then; a response cut short ends with the
// call's error after the values that arrived before it: a *RemoteError, a
// *WireError (matching ErrWireTerminated), or ctx's cause. An empty value,
// how a peer without the extensions reports a failure, is an error
// matching ErrRemote (but for a *Raw). A value is the caller's alone: a
// []byte of 4 KiB or more decoded into a nil []byte shares its memory with
// the message it came in instead of being copied.
func (s *Stream) Recv(v any) error {
	b, err := s.p.Recv(s.ctx)
	if err != nil {
		s.finish(err)
		return err
	}
	if r, ok := v.(*Raw); ok {
		*r = b
		return nil
	}
	if len(b) == 0 {
		// Not a value: how a peer without the extensions reports a failure.
		return fmt.Errorf("%w (an empty value)", ErrRemote)
	}
	if v == nil {
		return nil
	}
	if err := codec.UnmarshalNoCopy(b, v); err != nil {
		return fmt.Errorf("%w of procedure %d: %w", ErrDecode, s.proc, unprefixed(err))
	}
	return nil
}

// Close abandons the call if it is still going (see Pending.Cancel) and
// releases the stream. It is safe to call at any time, more than once.
func (s *Stream) Close() error {
	var err error
	if s.end != nil {
		err = s.abandon()
	} else {
		s.p.Cancel()
	}
	s.finish(err)
	return nil
}

// abandon cancels the call for Close, with the cause of the stream's
// context if that has ended (its cancellation, on a goroutine of its own,
// may not have run yet), and returns the stream's outcome: the error the
// call ended with, or ErrCancelled for a response not read to its end.
func (s *Stream) abandon() error {
	if s.ctx.Err() != nil {
		s.p.CancelCause(context.Cause(s.ctx))
	} else {
		s.p.Cancel()
	}
	if err := s.p.Err(); err != nil {
		return err
	}
	return ErrCancelled
}

// closeWith is Close for a stream whose reader gives up on it because of
// err (its opening failed, a value did not decode): the stream's
// interceptors are told err.
func (s *Stream) closeWith(err error) {
	s.p.Cancel()
	s.finish(err)
}

// finish is the one way a stream ends: Recv's last result (err, io.EOF
// for a complete response), Close (its outcome) and closeWith come here.
// It stops watching the stream's context and tells the ClientStream
// interceptors (once: streamEnd.report).
func (s *Stream) finish(err error) {
	if s.stop != nil {
		s.stop()
	}
	if s.end != nil {
		s.end.report(err)
	}
}

// Values returns the rest of the stream's response as an iterator of
// values decoded into T. It ends silently after the last value of a
// complete response (Recv's io.EOF), and otherwise with one non-nil error
// (the iteration then stops): a stream cut short by its wire ends with a
// *WireError, never silently. Breaking out of the loop closes the stream,
// cancelling the call. The stream's ClientStream interceptors are told the
// error it ends with (a value that does not decode ends it too), or
// ErrCancelled for a loop left early.
func Values[T any](s *Stream) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		defer s.Close()
		v := new(T) // one target for every value: no allocation per value
		for {
			var zero T
			*v = zero
			err := s.Recv(v)
			if err == io.EOF { // the clean end only, never a wrapped EOF
				return
			}
			if err != nil {
				// The stream ends with it: a call's error has ended it
				// already, a value that did not decode ends it here.
				s.closeWith(err)
				yield(*v, err)
				return
			}
			if !yield(*v, nil) {
				return
			}
		}
	}
}

// Iter calls procedure proc with args through c (a *Wire, a *Supervised,
// ...) and returns its streamed response as an iterator (see Values). An
// error starting the call is the iterator's only element.
//
//	for n, err := range ipfi.Iter[int](ctx, w, 3, 10) { ... }
func Iter[T any](ctx context.Context, c Caller, proc procedures.Index, args ...any) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		s, err := streamOn(ctx, c, proc, args)
		if err != nil {
			var zero T
			yield(zero, err)
			return
		}
		Values[T](s)(yield)
	}
}

// Collect calls procedure proc with args through c and returns every
// value of its streamed response, decoded into T.
func Collect[T any](ctx context.Context, c Caller, proc procedures.Index, args ...any) ([]T, error) {
	var out []T
	for v, err := range Iter[T](ctx, c, proc, args...) {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}
