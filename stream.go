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
type Stream struct {
	w    *Wire
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
// context cancelled) and Send and Recv return its cause; a call that had
// ended keeps its outcome (a complete response is still read to io.EOF).
// An option it cannot use (one that is not a stream's, a negative window)
// is an error matching ErrInvalidOption.
func (w *Wire) Open(ctx context.Context, proc procedures.Index, opts ...Option) (*Stream, error) {
	if w == nil {
		return nil, ErrNoWire
	}
	c, err := streamSettings(opts)
	if err != nil {
		return nil, err
	}
	p, err := w.w.Open(ctx, uint64(proc), actors.OpenOptions{Window: int64(c.window)})
	if err != nil {
		return nil, err
	}
	s := &Stream{w: w, proc: proc, ctx: ctx, p: p}
	s.stop = context.AfterFunc(ctx, func() { p.CancelCause(context.Cause(ctx)) })
	return s, nil
}

// Stream calls procedure proc with args, all at once, and returns the
// response to read value by value with Recv or Values.
func (w *Wire) Stream(ctx context.Context, proc procedures.Index, args []any, opts ...Option) (*Stream, error) {
	s, err := w.Open(ctx, proc, opts...)
	if err != nil {
		return nil, err
	}
	payload, err := appendArgs(nil, args)
	if err == nil {
		// One Call message, as a plain call: the Rust crate's bytes.
		err = s.p.CloseSend(payload)
	}
	if err != nil {
		s.Close()
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
		return err
	}
	return s.p.Send(s.ctx, payload)
}

// CloseSend ends the call's arguments. A procedure that takes its
// arguments whole starts then; a bidirectional one sees the end of its
// input.
func (s *Stream) CloseSend() error { return s.p.CloseSend(nil) }

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
		s.release()
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
		return fmt.Errorf("%w of procedure %d: %w", ErrDecode, s.proc, err)
	}
	return nil
}

// Close abandons the call if it is still going (see Pending.Cancel) and
// releases the stream. It is safe to call at any time, more than once.
func (s *Stream) Close() error {
	s.p.Cancel()
	s.release()
	return nil
}

func (s *Stream) release() {
	if s.stop != nil {
		s.stop()
	}
}

// Values returns the rest of the stream's response as an iterator of
// values decoded into T. It ends silently after the last value of a
// complete response (Recv's io.EOF), and otherwise with one non-nil error
// (the iteration then stops): a stream cut short by its wire ends with a
// *WireError, never silently. Breaking out of the loop closes the stream,
// cancelling the call.
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
