package actors

import (
	"errors"
	"fmt"
)

// Errors. The root package ipfi re-exports them.
var (
	// ErrWireTerminated is what every call pending on a wire fails with when
	// the wire ends, whatever the cause; the cause is wrapped beside it.
	ErrWireTerminated = errors.New("ipfi: wire terminated")
	// ErrClosed is the cause when the local program closed the wire or its
	// interface.
	ErrClosed = errors.New("ipfi: closed")
	// ErrPeerTerminated is the cause when the peer sent a Termination message.
	ErrPeerTerminated = errors.New("ipfi: peer terminated the wire")
	// ErrCalleeOnly is returned by a call made on a callee-only wire.
	ErrCalleeOnly = errors.New("ipfi: wire is callee-only")
	// ErrRemote is returned when the peer answered a call with an empty
	// response, which is how a peer without the error extension reports that
	// the call failed on its side.
	ErrRemote = errors.New("ipfi: remote call failed")
	// ErrTooManyCalls is returned when a wire has no free call index for a
	// procedure (a peer without extensions allows 65,536 open calls per
	// procedure).
	ErrTooManyCalls = errors.New("ipfi: too many open calls")
	// ErrLimit is the cause of a call refused because it exceeded one of the
	// callee's limits.
	ErrLimit = errors.New("ipfi: limit exceeded")
)

// WireError is the error of a call that ended because its wire did. It
// matches ErrWireTerminated with errors.Is and unwraps to the cause.
type WireError struct {
	Cause error
}

func (e *WireError) Error() string {
	if e.Cause == nil {
		return ErrWireTerminated.Error()
	}
	return fmt.Sprintf("%v: %v", ErrWireTerminated, e.Cause)
}

// Is reports whether target is ErrWireTerminated.
func (e *WireError) Is(target error) bool { return target == ErrWireTerminated }

// Unwrap returns the cause.
func (e *WireError) Unwrap() error { return e.Cause }

// terminated wraps a cause as a WireError (a WireError stays as it is).
func terminated(cause error) error {
	var we *WireError
	if errors.As(cause, &we) {
		return cause
	}
	return &WireError{Cause: cause}
}
