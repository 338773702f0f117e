package procedures

import (
	"context"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/internal/bufpool"
)

// This file holds the typed constructors. Each decodes its arguments into one
// struct (a single allocation for all of them) and hands the function's
// results to result, the one place where results are encoded.

// result encodes a typed procedure's result as its response payload, or
// passes its error through unchanged.
func result[R any](r R, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	first := bufpool.Get()
	out, err := codec.Append(first, r)
	bufpool.PutMoved(first, out) // a large result grew into a buffer of its size
	if err != nil {
		return nil, badResult(err)
	}
	return out, nil
}

// Func0 returns a procedure without arguments: it ignores the payload, as
// the Rust crate does, and answers fn's result encoded with codec.Append.
// Func0 returns the zero Procedure if fn is nil.
func Func0[R any](fn func(ctx context.Context) (R, error)) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{arity: 0, pooled: true, invoke: func(ctx context.Context, _ []byte) ([]byte, error) {
		return result(fn(ctx))
	}}
}

// Func1 returns a procedure of one argument, decoded with
// codec.DecodeArgsNoCopy (Rust's (A,): a []byte argument of 4 KiB or more
// is not copied); the response is fn's result encoded with codec.Append. It
// returns the zero Procedure if fn is nil.
func Func1[A, R any](fn func(ctx context.Context, a A) (R, error)) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{arity: 1, pooled: true, invoke: func(ctx context.Context, args []byte) ([]byte, error) {
		var in struct{ a A }
		if err := codec.DecodeArgsNoCopy(args, &in.a); err != nil {
			return nil, badArgs(err)
		}
		return result(fn(ctx, in.a))
	}}
}

// Func2 returns a procedure of two arguments, like Func1.
func Func2[A, B, R any](fn func(ctx context.Context, a A, b B) (R, error)) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{arity: 2, pooled: true, invoke: func(ctx context.Context, args []byte) ([]byte, error) {
		var in struct {
			a A
			b B
		}
		if err := codec.DecodeArgsNoCopy(args, &in.a, &in.b); err != nil {
			return nil, badArgs(err)
		}
		return result(fn(ctx, in.a, in.b))
	}}
}

// Func3 returns a procedure of three arguments, like Func1.
func Func3[A, B, C, R any](fn func(ctx context.Context, a A, b B, c C) (R, error)) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{arity: 3, pooled: true, invoke: func(ctx context.Context, args []byte) ([]byte, error) {
		var in struct {
			a A
			b B
			c C
		}
		if err := codec.DecodeArgsNoCopy(args, &in.a, &in.b, &in.c); err != nil {
			return nil, badArgs(err)
		}
		return result(fn(ctx, in.a, in.b, in.c))
	}}
}

// Func4 returns a procedure of four arguments, like Func1.
func Func4[A, B, C, D, R any](fn func(ctx context.Context, a A, b B, c C, d D) (R, error)) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{arity: 4, pooled: true, invoke: func(ctx context.Context, args []byte) ([]byte, error) {
		var in struct {
			a A
			b B
			c C
			d D
		}
		if err := codec.DecodeArgsNoCopy(args, &in.a, &in.b, &in.c, &in.d); err != nil {
			return nil, badArgs(err)
		}
		return result(fn(ctx, in.a, in.b, in.c, in.d))
	}}
}

// Func5 returns a procedure of five arguments, like Func1.
func Func5[A, B, C, D, E, R any](fn func(ctx context.Context, a A, b B, c C, d D, e E) (R, error)) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{arity: 5, pooled: true, invoke: func(ctx context.Context, args []byte) ([]byte, error) {
		var in struct {
			a A
			b B
			c C
			d D
			e E
		}
		if err := codec.DecodeArgsNoCopy(args, &in.a, &in.b, &in.c, &in.d, &in.e); err != nil {
			return nil, badArgs(err)
		}
		return result(fn(ctx, in.a, in.b, in.c, in.d, in.e))
	}}
}

// Func6 returns a procedure of six arguments, like Func1.
func Func6[A, B, C, D, E, F, R any](fn func(ctx context.Context, a A, b B, c C, d D, e E, f F) (R, error)) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{arity: 6, pooled: true, invoke: func(ctx context.Context, args []byte) ([]byte, error) {
		var in struct {
			a A
			b B
			c C
			d D
			e E
			f F
		}
		if err := codec.DecodeArgsNoCopy(args, &in.a, &in.b, &in.c, &in.d, &in.e, &in.f); err != nil {
			return nil, badArgs(err)
		}
		return result(fn(ctx, in.a, in.b, in.c, in.d, in.e, in.f))
	}}
}
