package procedures

import (
	"context"
	"fmt"
	"io"
	"iter"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/wire"
)

// IsSequence reports whether p is a sequence procedure (built with
// Sequence0 to Sequence2), run with Stream rather than Invoke.
func (p Procedure) IsSequence() bool { return p.stream != nil }

// Kind says how a procedure is run.
type Kind uint8

const (
	// KindInvalid is the zero Procedure's kind.
	KindInvalid Kind = iota
	// KindUnary procedures (Raw, Func0..Func6) run with Invoke on the
	// complete arguments and answer one value.
	KindUnary
	// KindSequence procedures (Sequence0..Sequence2) run with Stream on the
	// complete arguments and answer one value per chunk.
	KindSequence
	// KindRawStream procedures (RawStream) run with StreamRaw on the
	// complete arguments and choose every response message's terminator.
	KindRawStream
	// KindBidi procedures (Bidi, BidiFunc, RawBidi) start as soon as the first piece
	// of their arguments arrives and run with RunBidi: they read the
	// caller's values as they come while they answer one value per chunk.
	KindBidi
)

// String returns "invalid", "unary", "sequence", "raw stream" or "bidi".
func (k Kind) String() string {
	switch k {
	case KindUnary:
		return "unary"
	case KindSequence:
		return "sequence"
	case KindRawStream:
		return "raw stream"
	case KindBidi:
		return "bidi"
	}
	return "invalid"
}

// Kind returns how p is run.
func (p Procedure) Kind() Kind {
	switch {
	case p.invoke != nil:
		return KindUnary
	case p.stream != nil:
		return KindSequence
	case p.raw != nil:
		return KindRawStream
	case p.bidi != nil:
		return KindBidi
	}
	return KindInvalid
}

// Sender sends the response of a raw streaming procedure, one message at a
// time: payload with terminator wire.TermNone is part of the current
// value, wire.TermChunk ends the value, wire.TermComplete ends the value and
// the response (later sends fail). It blocks while the caller's flow control
// window is used up, and fails once the call is over (cancelled, the wire
// ended). The payload may be reused once Send returns.
type Sender func(payload []byte, t wire.Terminator) error

// RawStream returns a procedure that streams its response with explicit
// control of the terminators (see Sender), so one value can be sent in
// pieces. args is the complete argument payload, valid until fn returns. If
// fn returns nil without sending TermComplete, the response is ended with an
// empty Complete message; if it returns an error, the call ends with that
// error. It returns the zero Procedure if fn is nil.
func RawStream(fn func(ctx context.Context, args []byte, send Sender) error) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{arity: -1, raw: fn}
}

// StreamRaw runs a raw streaming procedure (see RawStream). A procedure of
// another kind returns ErrInvalid.
func (p Procedure) StreamRaw(ctx context.Context, args []byte, send Sender) error {
	if p.raw == nil {
		return fmt.Errorf("%w: not a raw stream procedure", ErrInvalid)
	}
	return p.raw(ctx, args, send)
}

// Input gives a bidirectional procedure its caller's values, one
// MessagePack value at a time, as they arrive: it blocks until the next
// complete value has arrived and returns its bytes (valid until the next
// call), or io.EOF once the caller has ended its arguments, or the call's
// end (cancelled, the wire ended) as an error.
type Input func() ([]byte, error)

// Bidi returns a procedure that runs while its caller is still sending:
// in yields the caller's argument values one by one as they arrive (each
// decoded into In; a value that does not decode ends the iteration with an
// error wrapping ErrBadArguments), and yield sends values back, one per
// chunk, as a sequence procedure does. The caller sends its values with a
// stream's Send and ends them with CloseSend. It returns the zero Procedure
// if fn is nil.
func Bidi[In, Out any](fn func(ctx context.Context, in iter.Seq2[In, error], yield func(Out) error) error) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{arity: -1, bidi: func(ctx context.Context, next Input, emit func([]byte) error) error {
		return fn(ctx, values[In](next), yielder[Out](emit))
	}}
}

// RawBidi is Bidi without decoding: fn reads the caller's values as encoded
// MessagePack with next and emits each response value as one encoded
// MessagePack value.
func RawBidi(fn func(ctx context.Context, next Input, emit func(payload []byte) error) error) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{arity: -1, bidi: fn}
}

// RunBidi runs a bidirectional procedure (see Bidi) with next giving the
// caller's values and emit sending each response value (emit must not
// keep the payload after it returns). A procedure of
// another kind returns ErrInvalid.
func (p Procedure) RunBidi(ctx context.Context, next Input, emit func(payload []byte) error) error {
	if p.bidi == nil {
		return fmt.Errorf("%w: not a bidi procedure", ErrInvalid)
	}
	err := p.bidi(ctx, next, emit)
	if err != nil {
		p.named(err)
	}
	return err
}

// values turns an Input into a typed iterator that stops at io.EOF.
func values[T any](next Input) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			b, err := next()
			if err == io.EOF {
				return
			}
			var v T
			if err == nil {
				if derr := codec.Unmarshal(b, &v); derr != nil {
					err = badArgs(derr)
				}
			}
			if err != nil {
				yield(v, err)
				return
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}

// Stream runs a sequence procedure on one call's complete argument bytes,
// calling emit with each value it yields, encoded as one MessagePack value,
// in order. emit must not keep the payload after it returns (it is reused
// for the next value). If emit returns an error the procedure's yield returns it (the
// procedure should stop). Stream blocks for as long as the procedure runs.
// Argument errors wrap ErrBadArguments; a procedure that is not a sequence
// returns ErrInvalid.
func (p Procedure) Stream(ctx context.Context, args []byte, emit func(payload []byte) error) error {
	if p.stream == nil {
		return fmt.Errorf("%w: not a sequence procedure", ErrInvalid)
	}
	err := p.stream(ctx, args, emit)
	if err != nil {
		p.named(err)
	}
	return err
}

// yielder returns the typed yield handed to a sequence procedure. It
// encodes every value into the same buffer: emit does not keep it.
func yielder[T any](emit func([]byte) error) func(T) error {
	var buf []byte
	box := new(T) // encoded through a pointer: no allocation per value
	return func(v T) error {
		*box = v
		out, err := codec.Append(buf[:0], box)
		if err != nil {
			return badResult(err)
		}
		if cap(out) != cap(buf) {
			buf = out // only when it grew: no pointer store (and its write barrier) per value
		}
		return emit(out)
	}
}

// Sequence0 returns a sequence procedure without arguments: fn yields any
// number of values, each sent as one chunk of the response (the Rust
// crate's sequence procedures). To a caller with the extensions a value is
// sent when yield returns (yield waits while the caller's flow-control
// window is full); to one without, the last value yielded is held until
// the next yield or fn's return, since the Rust crate expects the last
// value in the message that ends the response. yield fails once the call
// is over (the caller gone, the wire ended); fn should then return. It
// returns the zero Procedure if fn is nil.
func Sequence0[T any](fn func(ctx context.Context, yield func(T) error) error) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{arity: 0, stream: func(ctx context.Context, _ []byte, emit func([]byte) error) error {
		return fn(ctx, yielder[T](emit))
	}}
}

// Sequence1 returns a sequence procedure of one argument, like Sequence0.
func Sequence1[A, T any](fn func(ctx context.Context, a A, yield func(T) error) error) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{arity: 1, stream: func(ctx context.Context, args []byte, emit func([]byte) error) error {
		var a A
		if err := codec.DecodeArgsNoCopy(args, &a); err != nil {
			return badArgs(err)
		}
		return fn(ctx, a, yielder[T](emit))
	}}
}

// Sequence2 returns a sequence procedure of two arguments, like Sequence0.
func Sequence2[A, B, T any](fn func(ctx context.Context, a A, b B, yield func(T) error) error) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{arity: 2, stream: func(ctx context.Context, args []byte, emit func([]byte) error) error {
		var in struct {
			a A
			b B
		}
		if err := codec.DecodeArgsNoCopy(args, &in.a, &in.b); err != nil {
			return badArgs(err)
		}
		return fn(ctx, in.a, in.b, yielder[T](emit))
	}}
}
