package procedures

import (
	"context"
	"fmt"

	"github.com/ipfi-go/ipfi/codec"
)

// IsSequence reports whether p is a sequence procedure (built with
// Sequence0 to Sequence2), run with Stream rather than Invoke.
func (p Procedure) IsSequence() bool { return p.stream != nil }

// Stream runs a sequence procedure on one call's complete argument bytes,
// calling emit with each value it yields, encoded as one MessagePack value,
// in order. If emit returns an error the procedure's yield returns it (the
// procedure should stop). Stream blocks for as long as the procedure runs.
// Argument errors wrap ErrBadArguments; a procedure that is not a sequence
// returns ErrInvalid.
func (p Procedure) Stream(ctx context.Context, args []byte, emit func(payload []byte) error) error {
	if p.stream == nil {
		return fmt.Errorf("%w: not a sequence procedure", ErrInvalid)
	}
	return p.stream(ctx, args, emit)
}

// yielder returns the typed yield handed to a sequence procedure.
func yielder[T any](emit func([]byte) error) func(T) error {
	return func(v T) error {
		out, err := codec.Append(nil, v)
		if err != nil {
			return fmt.Errorf("%w: %T: %w", ErrBadResult, v, err)
		}
		return emit(out)
	}
}

// Sequence0 returns a sequence procedure without arguments: fn yields any
// number of values, each sent as one chunk of the response (the Rust
// crate's sequence procedures). yield fails once the call is over (the
// caller gone, the wire ended); fn should then return. It returns the zero
// Procedure if fn is nil.
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
		if err := codec.DecodeArgs(args, &a); err != nil {
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
		if err := codec.DecodeArgs(args, &in.a, &in.b); err != nil {
			return badArgs(err)
		}
		return fn(ctx, in.a, in.b, yielder[T](emit))
	}}
}
