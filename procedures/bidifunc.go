package procedures

import (
	"context"

	"github.com/ipfi-go/ipfi/codec"
)

// BidiFunc is Bidi for a function that reads its caller's values with recv
// instead of ranging over an iterator, a form that is shorter to write as a
// function literal:
//
//	procedures.BidiFunc(func(ctx context.Context, recv func() (string, error), send func(string) error) error {
//		for {
//			s, err := recv()
//			if err == io.EOF {
//				return nil // the caller's CloseSend
//			}
//			if err != nil {
//				return err
//			}
//			if err := send(strings.ToUpper(s)); err != nil {
//				return err
//			}
//		}
//	})
//
// recv blocks until the caller's next value, and returns io.EOF itself,
// unwrapped, once the caller has ended its input; a value that does not
// decode into In is an error wrapping ErrBadArguments. send is Bidi's
// yield. Both are for fn's goroutine only and only until fn returns.
func BidiFunc[In, Out any](fn func(ctx context.Context, recv func() (In, error), send func(Out) error) error) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{arity: -1, bidi: func(ctx context.Context, next Input, emit func([]byte) error) error {
		return fn(ctx, receiver[In](next), yielder[Out](emit))
	}}
}

// receiver returns the recv handed to a BidiFunc procedure.
func receiver[T any](next Input) func() (T, error) {
	return func() (T, error) {
		var v T
		b, err := next()
		if err != nil {
			return v, err
		}
		if err := codec.Unmarshal(b, &v); err != nil {
			return v, badArgs(err)
		}
		return v, nil
	}
}
