package actors

import "github.com/ipfi-go/ipfi/wire"

// Limits bound what one peer can make an interface hold. Each field's zero
// value means its default (see DefaultLimits); so does a negative value
// here, which the root package refuses before it builds a Config (ipfi.New
// validates its options). ipfi.Limits mirrors this struct field for field:
// the root package converts one into the other.
type Limits struct {
	// MaxFrame is the largest payload one frame may declare; a larger one
	// ends the wire as malformed before any memory is spent on it.
	// Default 16 MiB.
	MaxFrame int
	// MaxCallArgs is the most argument bytes one inbound call may accumulate
	// across its pieces; a call over it is answered with an error.
	// Default 16 MiB.
	MaxCallArgs int
	// MaxOpenCalls is the most inbound calls one wire may have open at once;
	// a call over it is answered with an error. Default 100,000.
	MaxOpenCalls int
}

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{
		MaxFrame:     wire.DefaultMaxPayload,
		MaxCallArgs:  16 << 20,
		MaxOpenCalls: 100_000,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFrame <= 0 {
		l.MaxFrame = d.MaxFrame
	}
	if l.MaxCallArgs <= 0 {
		l.MaxCallArgs = d.MaxCallArgs
	}
	if l.MaxOpenCalls <= 0 {
		l.MaxOpenCalls = d.MaxOpenCalls
	}
	return l
}
