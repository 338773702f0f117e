package ipfi

import (
	"context"

	"github.com/ipfi-go/ipfi/procedures"
)

var _ Caller = (*Supervised)(nil)

// Call waits for the wire to be up, within ctx (as Supervised.Wire does),
// then calls proc on it as Wire.Call does. While the wire is being made,
// it returns what Wire returns: ctx's cause if ctx ends first, an error
// matching ErrGaveUp once the policy has given up, ErrClosed once s is
// closed. A call that fails because its wire ended (a *WireError) is not
// made again on the next wire: its procedure may have run, and retrying
// is the program's choice. A nil *Supervised returns ErrNoWire.
func (s *Supervised) Call(ctx context.Context, proc procedures.Index, reply any, args ...any) error {
	w, err := s.Wire(ctx)
	if err != nil {
		return err
	}
	return w.Call(ctx, proc, reply, args...)
}

// Stream waits for the wire to be up, within ctx, then calls proc on it as
// Wire.Stream does; the stream stays on that wire, and ends with it. Its
// errors are Call's.
func (s *Supervised) Stream(ctx context.Context, proc procedures.Index, args []any, opts ...Option) (*Stream, error) {
	w, err := s.Wire(ctx)
	if err != nil {
		return nil, err
	}
	return w.Stream(ctx, proc, args, opts...)
}

// Open waits for the wire to be up, within ctx, then starts a call on it
// as Wire.Open does; the stream stays on that wire, and ends with it. Its
// errors are Call's.
func (s *Supervised) Open(ctx context.Context, proc procedures.Index, opts ...Option) (*Stream, error) {
	w, err := s.Wire(ctx)
	if err != nil {
		return nil, err
	}
	return w.Open(ctx, proc, opts...)
}
