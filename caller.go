package ipfi

import (
	"context"

	"github.com/ipfi-go/ipfi/procedures"
)

// Caller is what calls and streams go through: a *Wire, a *Supervised
// (the wire it keeps up at the time of the call), or any other handle that
// routes each call to one wire, such as a client over many servers. Call,
// Iter, Collect and the procedure descriptors (Proc0..Proc6,
// SeqProc0..SeqProc2, BidiProc) take one.
//
// Each method keeps the contract of the *Wire method of its name: an
// implementation picks a wire and returns what that wire's method
// returns. A nil Caller, like a nil *Wire, fails every call with
// ErrNoWire.
type Caller interface {
	// Call calls proc with args and decodes its response into reply, as
	// Wire.Call does.
	Call(ctx context.Context, proc procedures.Index, reply any, args ...any) error
	// Stream calls proc with args and returns its response to read value
	// by value, as Wire.Stream does.
	Stream(ctx context.Context, proc procedures.Index, args []any, opts ...Option) (*Stream, error)
	// Open starts a call whose arguments are sent in pieces, as Wire.Open
	// does.
	Open(ctx context.Context, proc procedures.Index, opts ...Option) (*Stream, error)
}

var _ Caller = (*Wire)(nil)

// callOn is c.Call, with a *Wire called directly. Through the interface
// the compiler cannot tell that Wire.Call keeps nothing of args, so args
// would escape and every call's variadic slice would be allocated; other
// Callers get a copy instead.
func callOn(ctx context.Context, c Caller, proc procedures.Index, reply any, args []any) error {
	switch c := c.(type) {
	case *Wire:
		return c.Call(ctx, proc, reply, args...)
	case nil:
		return ErrNoWire
	default:
		return c.Call(ctx, proc, reply, append([]any(nil), args...)...)
	}
}

// streamOn is c.Stream, ErrNoWire for a nil Caller.
func streamOn(ctx context.Context, c Caller, proc procedures.Index, args []any, opts ...Option) (*Stream, error) {
	if c == nil {
		return nil, ErrNoWire
	}
	return c.Stream(ctx, proc, args, opts...)
}

// openOn is c.Open, ErrNoWire for a nil Caller.
func openOn(ctx context.Context, c Caller, proc procedures.Index, opts ...Option) (*Stream, error) {
	if c == nil {
		return nil, ErrNoWire
	}
	return c.Open(ctx, proc, opts...)
}
