package ipfi

import (
	"context"
	"iter"

	"github.com/ipfi-go/ipfi/procedures"
)

// SeqProc0 describes a sequence procedure that takes no arguments and
// yields values of type T (procedures.Sequence0). Like Proc2, it is
// declared once where both programs see it:
//
//	var Ticks = ipfi.SeqProc1[int, int]{Index: 3}
//
//	err := Ticks.Register(server, func(ctx context.Context, n int, yield func(int) error) error { ... })
//
//	for tick, err := range Ticks.Iter(ctx, w, 10) { ... }
type SeqProc0[T any] struct {
	Index procedures.Index
}

// Register registers fn on i as the procedure at p.Index.
func (p SeqProc0[T]) Register(i *Interface, fn func(ctx context.Context, yield func(T) error) error) error {
	return i.Register(p.Index, p.Procedure(fn))
}

// Procedure returns fn as the procedure p describes, to register another
// way.
func (p SeqProc0[T]) Procedure(fn func(ctx context.Context, yield func(T) error) error) procedures.Procedure {
	return procedures.Sequence0(fn)
}

// Iter calls the procedure through caller and returns its values as an
// iterator, as Iter does.
func (p SeqProc0[T]) Iter(ctx context.Context, caller Caller) iter.Seq2[T, error] {
	return Iter[T](ctx, caller, p.Index)
}

// Collect calls the procedure through caller and returns all its values, as
// Collect does.
func (p SeqProc0[T]) Collect(ctx context.Context, caller Caller) ([]T, error) {
	return Collect[T](ctx, caller, p.Index)
}

// SeqProc1 describes a sequence procedure that takes one argument, of type
// A, and yields values of type T (procedures.Sequence1). See SeqProc0 for
// an example.
type SeqProc1[A, T any] struct {
	Index procedures.Index
}

// Register registers fn on i as the procedure at p.Index.
func (p SeqProc1[A, T]) Register(i *Interface, fn func(ctx context.Context, a A, yield func(T) error) error) error {
	return i.Register(p.Index, p.Procedure(fn))
}

// Procedure returns fn as the procedure p describes, to register another
// way.
func (p SeqProc1[A, T]) Procedure(fn func(ctx context.Context, a A, yield func(T) error) error) procedures.Procedure {
	return procedures.Sequence1(fn)
}

// Iter calls the procedure through caller and returns its values as an
// iterator, as Iter does.
func (p SeqProc1[A, T]) Iter(ctx context.Context, caller Caller, a A) iter.Seq2[T, error] {
	return Iter[T](ctx, caller, p.Index, a)
}

// Collect calls the procedure through caller and returns all its values, as
// Collect does.
func (p SeqProc1[A, T]) Collect(ctx context.Context, caller Caller, a A) ([]T, error) {
	return Collect[T](ctx, caller, p.Index, a)
}

// SeqProc2 describes a sequence procedure that takes two arguments, of
// types A and B, and yields values of type T (procedures.Sequence2). See
// SeqProc0 for an example.
type SeqProc2[A, B, T any] struct {
	Index procedures.Index
}

// Register registers fn on i as the procedure at p.Index.
func (p SeqProc2[A, B, T]) Register(i *Interface, fn func(ctx context.Context, a A, b B, yield func(T) error) error) error {
	return i.Register(p.Index, p.Procedure(fn))
}

// Procedure returns fn as the procedure p describes, to register another
// way.
func (p SeqProc2[A, B, T]) Procedure(fn func(ctx context.Context, a A, b B, yield func(T) error) error) procedures.Procedure {
	return procedures.Sequence2(fn)
}

// Iter calls the procedure through caller and returns its values as an
// iterator, as Iter does.
func (p SeqProc2[A, B, T]) Iter(ctx context.Context, caller Caller, a A, b B) iter.Seq2[T, error] {
	return Iter[T](ctx, caller, p.Index, a, b)
}

// Collect calls the procedure through caller and returns all its values, as
// Collect does.
func (p SeqProc2[A, B, T]) Collect(ctx context.Context, caller Caller, a A, b B) ([]T, error) {
	return Collect[T](ctx, caller, p.Index, a, b)
}
