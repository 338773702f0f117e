package ipfi

import (
	"context"

	"github.com/ipfi-go/ipfi/procedures"
)

// Proc0 describes a procedure that takes no arguments and returns an R
// (procedures.Func0). See Proc2 for an example.
type Proc0[R any] struct {
	Index procedures.Index
	// Idempotent marks the procedure safe to run more than once: Call
	// marks its calls so (WithIdempotent), for a Caller that retries.
	Idempotent bool
}

// Register registers fn on i as the procedure at p.Index.
func (p Proc0[R]) Register(i *Interface, fn func(ctx context.Context) (R, error)) error {
	return i.Register(p.Index, p.Procedure(fn))
}

// Procedure returns fn as the procedure p describes, to register another
// way.
func (p Proc0[R]) Procedure(fn func(ctx context.Context) (R, error)) procedures.Procedure {
	return procedures.Func0(fn)
}

// Call calls the procedure through caller and returns its result, as Call does.
func (p Proc0[R]) Call(ctx context.Context, caller Caller) (R, error) {
	return Call[R](idempotentIf(ctx, p.Idempotent), caller, p.Index)
}

// Proc1 describes a procedure that takes one argument, of type A,
// and returns an R (procedures.Func1). See Proc2 for an example.
type Proc1[A, R any] struct {
	Index procedures.Index
	// Idempotent marks the procedure safe to run more than once: Call
	// marks its calls so (WithIdempotent), for a Caller that retries.
	Idempotent bool
}

// Register registers fn on i as the procedure at p.Index.
func (p Proc1[A, R]) Register(i *Interface, fn func(ctx context.Context, a A) (R, error)) error {
	return i.Register(p.Index, p.Procedure(fn))
}

// Procedure returns fn as the procedure p describes, to register another
// way.
func (p Proc1[A, R]) Procedure(fn func(ctx context.Context, a A) (R, error)) procedures.Procedure {
	return procedures.Func1(fn)
}

// Call calls the procedure through caller and returns its result, as Call does.
func (p Proc1[A, R]) Call(ctx context.Context, caller Caller, a A) (R, error) {
	return Call[R](idempotentIf(ctx, p.Idempotent), caller, p.Index, a)
}

// Proc2 describes a procedure that takes two arguments, of types A and B,
// and returns an R (procedures.Func2).
//
// A descriptor is declared once, in a package both programs import;
// the serving side registers the procedure through it and the calling side
// calls it through it, so that a procedure and its callers that disagree
// on its index or types do not compile:
//
//	// package greet, imported by both programs
//	var Hello = ipfi.Proc2[string, string, string]{Index: 1}
//
//	// the server
//	err := greet.Hello.Register(server, func(ctx context.Context, first, last string) (string, error) {
//		return "Hello, " + first + " " + last + "!", nil
//	})
//
//	// the client
//	greeting, err := greet.Hello.Call(ctx, w, "John", "Doe")
//
// The bytes on the wire are those of the untyped forms (Interface.Register
// with procedures.Func2, Call): a descriptor's peer may use either, or be
// the Rust crate. Procedure registers a descriptor's procedure another
// way, for example procedures.Quick(greet.Hello.Procedure(fn)).
type Proc2[A, B, R any] struct {
	Index procedures.Index
	// Idempotent marks the procedure safe to run more than once: Call
	// marks its calls so (WithIdempotent), for a Caller that retries.
	Idempotent bool
}

// Register registers fn on i as the procedure at p.Index.
func (p Proc2[A, B, R]) Register(i *Interface, fn func(ctx context.Context, a A, b B) (R, error)) error {
	return i.Register(p.Index, p.Procedure(fn))
}

// Procedure returns fn as the procedure p describes, to register another
// way.
func (p Proc2[A, B, R]) Procedure(fn func(ctx context.Context, a A, b B) (R, error)) procedures.Procedure {
	return procedures.Func2(fn)
}

// Call calls the procedure through caller and returns its result, as Call does.
func (p Proc2[A, B, R]) Call(ctx context.Context, caller Caller, a A, b B) (R, error) {
	return Call[R](idempotentIf(ctx, p.Idempotent), caller, p.Index, a, b)
}

// Proc3 describes a procedure that takes three arguments, of types A, B and C,
// and returns an R (procedures.Func3). See Proc2 for an example.
type Proc3[A, B, C, R any] struct {
	Index procedures.Index
	// Idempotent marks the procedure safe to run more than once: Call
	// marks its calls so (WithIdempotent), for a Caller that retries.
	Idempotent bool
}

// Register registers fn on i as the procedure at p.Index.
func (p Proc3[A, B, C, R]) Register(i *Interface, fn func(ctx context.Context, a A, b B, c C) (R, error)) error {
	return i.Register(p.Index, p.Procedure(fn))
}

// Procedure returns fn as the procedure p describes, to register another
// way.
func (p Proc3[A, B, C, R]) Procedure(fn func(ctx context.Context, a A, b B, c C) (R, error)) procedures.Procedure {
	return procedures.Func3(fn)
}

// Call calls the procedure through caller and returns its result, as Call does.
func (p Proc3[A, B, C, R]) Call(ctx context.Context, caller Caller, a A, b B, c C) (R, error) {
	return Call[R](idempotentIf(ctx, p.Idempotent), caller, p.Index, a, b, c)
}

// Proc4 describes a procedure that takes four arguments, of types A, B, C and D,
// and returns an R (procedures.Func4). See Proc2 for an example.
type Proc4[A, B, C, D, R any] struct {
	Index procedures.Index
	// Idempotent marks the procedure safe to run more than once: Call
	// marks its calls so (WithIdempotent), for a Caller that retries.
	Idempotent bool
}

// Register registers fn on i as the procedure at p.Index.
func (p Proc4[A, B, C, D, R]) Register(i *Interface, fn func(ctx context.Context, a A, b B, c C, d D) (R, error)) error {
	return i.Register(p.Index, p.Procedure(fn))
}

// Procedure returns fn as the procedure p describes, to register another
// way.
func (p Proc4[A, B, C, D, R]) Procedure(fn func(ctx context.Context, a A, b B, c C, d D) (R, error)) procedures.Procedure {
	return procedures.Func4(fn)
}

// Call calls the procedure through caller and returns its result, as Call does.
func (p Proc4[A, B, C, D, R]) Call(ctx context.Context, caller Caller, a A, b B, c C, d D) (R, error) {
	return Call[R](idempotentIf(ctx, p.Idempotent), caller, p.Index, a, b, c, d)
}

// Proc5 describes a procedure that takes five arguments, of types A, B, C, D and E,
// and returns an R (procedures.Func5). See Proc2 for an example.
type Proc5[A, B, C, D, E, R any] struct {
	Index procedures.Index
	// Idempotent marks the procedure safe to run more than once: Call
	// marks its calls so (WithIdempotent), for a Caller that retries.
	Idempotent bool
}

// Register registers fn on i as the procedure at p.Index.
func (p Proc5[A, B, C, D, E, R]) Register(i *Interface, fn func(ctx context.Context, a A, b B, c C, d D, e E) (R, error)) error {
	return i.Register(p.Index, p.Procedure(fn))
}

// Procedure returns fn as the procedure p describes, to register another
// way.
func (p Proc5[A, B, C, D, E, R]) Procedure(fn func(ctx context.Context, a A, b B, c C, d D, e E) (R, error)) procedures.Procedure {
	return procedures.Func5(fn)
}

// Call calls the procedure through caller and returns its result, as Call does.
func (p Proc5[A, B, C, D, E, R]) Call(ctx context.Context, caller Caller, a A, b B, c C, d D, e E) (R, error) {
	return Call[R](idempotentIf(ctx, p.Idempotent), caller, p.Index, a, b, c, d, e)
}

// Proc6 describes a procedure that takes six arguments, of types A, B, C, D, E and F,
// and returns an R (procedures.Func6). See Proc2 for an example.
type Proc6[A, B, C, D, E, F, R any] struct {
	Index procedures.Index
	// Idempotent marks the procedure safe to run more than once: Call
	// marks its calls so (WithIdempotent), for a Caller that retries.
	Idempotent bool
}

// Register registers fn on i as the procedure at p.Index.
func (p Proc6[A, B, C, D, E, F, R]) Register(i *Interface, fn func(ctx context.Context, a A, b B, c C, d D, e E, f F) (R, error)) error {
	return i.Register(p.Index, p.Procedure(fn))
}

// Procedure returns fn as the procedure p describes, to register another
// way.
func (p Proc6[A, B, C, D, E, F, R]) Procedure(fn func(ctx context.Context, a A, b B, c C, d D, e E, f F) (R, error)) procedures.Procedure {
	return procedures.Func6(fn)
}

// Call calls the procedure through caller and returns its result, as Call does.
func (p Proc6[A, B, C, D, E, F, R]) Call(ctx context.Context, caller Caller, a A, b B, c C, d D, e E, f F) (R, error) {
	return Call[R](idempotentIf(ctx, p.Idempotent), caller, p.Index, a, b, c, d, e, f)
}
