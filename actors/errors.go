package actors

import (
	"context"
	"errors"
	"fmt"

	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
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

// ErrCancelled is the cause of a call cancelled by its caller (a stream
// closed early, a context done): it is what the callee's procedure context
// reports, and what a caller sees when the callee says a call was cancelled.
var ErrCancelled = errors.New("ipfi: call cancelled")

// ErrNoExtensions is returned by what needs the peer to speak this
// project's extensions (Ping) when it has not announced them.
var ErrNoExtensions = errors.New("ipfi: peer does not speak the extensions")

// ErrSendClosed is returned by a Send after CloseSend or after the call
// ended.
var ErrSendClosed = errors.New("ipfi: call's arguments already ended")

// RemoteError is how a peer that speaks the extensions reports a failed
// call: an error code and a message. It matches ErrRemote with errors.Is,
// and also, by its code, procedures.ErrUnknown, procedures.ErrBadArguments,
// ErrLimit, ErrCancelled or context.DeadlineExceeded.
type RemoteError struct {
	Code    wire.ErrorCode
	Message string
}

func (e *RemoteError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%v: %v", ErrRemote, e.Code)
	}
	return fmt.Sprintf("%v: %v: %s", ErrRemote, e.Code, e.Message)
}

// Is matches ErrRemote and the sentinel that the code stands for.
func (e *RemoteError) Is(target error) bool {
	if target == ErrRemote {
		return true
	}
	switch e.Code {
	case wire.CodeUnknownProcedure:
		return target == procedures.ErrUnknown
	case wire.CodeBadArguments:
		return target == procedures.ErrBadArguments
	case wire.CodeLimit:
		return target == ErrLimit
	case wire.CodeCancelled:
		return target == ErrCancelled
	case wire.CodeDeadline:
		return target == context.DeadlineExceeded
	}
	return false
}

// errorCode maps a call's failure to the code sent to a peer with the
// extensions.
func errorCode(err error) wire.ErrorCode {
	var pf *ProcedureFailure
	switch {
	case errors.Is(err, procedures.ErrUnknown):
		return wire.CodeUnknownProcedure
	case errors.Is(err, procedures.ErrBadArguments):
		return wire.CodeBadArguments
	case errors.As(err, &pf):
		return wire.CodePanic
	case errors.Is(err, ErrLimit):
		return wire.CodeLimit
	case errors.Is(err, ErrCancelled), errors.Is(err, context.Canceled):
		return wire.CodeCancelled
	case errors.Is(err, context.DeadlineExceeded):
		return wire.CodeDeadline
	}
	return wire.CodeProcedure
}
