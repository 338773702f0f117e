package actors

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

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
	// ErrPeerClosed is the cause when the peer's byte stream ended (the
	// transport's Read returned io.EOF) without a Termination message. A
	// wire's cause is never io.EOF itself: io.EOF means only the clean end
	// of a stream's response.
	ErrPeerClosed = errors.New("ipfi: peer closed the stream")
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
	// ErrCancelled is the cause of a call cancelled by its caller (a stream
	// closed early, a context done): it is what the callee's procedure
	// context reports, and what a caller sees when the callee says a call
	// was cancelled.
	ErrCancelled = errors.New("ipfi: call cancelled")
	// ErrNoExtensions is returned by what needs the peer to speak this
	// project's extensions (Ping) when it has not announced them.
	ErrNoExtensions = errors.New("ipfi: peer does not speak the extensions")
	// ErrSendClosed is returned by a Send after CloseSend or after the call
	// ended.
	ErrSendClosed = errors.New("ipfi: call's arguments already ended")
	// ErrKeepaliveTimeout is the cause of a wire whose peer sent nothing
	// for Timeouts.KeepaliveTimeout after a keepalive ping.
	ErrKeepaliveTimeout = errors.New("ipfi: keepalive timeout: the peer stopped answering")
	// ErrWriteTimeout is the cause of a wire whose writes made no progress
	// for Timeouts.Write (a peer that stopped reading).
	ErrWriteTimeout = errors.New("ipfi: write timeout: the peer stopped reading")
	// ErrHandshakeTimeout is the cause of a wire accepted by Serve whose
	// peer sent nothing within Timeouts.Handshake.
	ErrHandshakeTimeout = errors.New("ipfi: handshake timeout: the peer sent nothing")
	// ErrIdleTimeout is the cause of a wire accepted by Serve that had no
	// open call and received no message for Timeouts.Idle.
	ErrIdleTimeout = errors.New("ipfi: idle timeout")
	// ErrStopTimeout is what Close returns when procedures of the wire (or
	// the interface) have not returned within Timeouts.Stop of their
	// contexts being cancelled: they ignore their contexts, and are left
	// running (the error says how many goroutines).
	ErrStopTimeout = errors.New("ipfi: procedures still running after close")
	// ErrShutdown is returned by a call on a wire whose peer is shutting
	// down (it sent KindGoAway), and is what a call refused by a callee
	// that is shutting down matches: the procedure did not run, and the
	// call may be made again elsewhere.
	ErrShutdown = errors.New("ipfi: shutting down")
	// ErrQuickCallback is returned by a call or Ping that a quick procedure
	// makes on its own wire: the goroutine running it is the wire's reader,
	// so the answer could never be read.
	ErrQuickCallback = errors.New("ipfi: a quick procedure cannot call its own wire")
)

// ErrorTypes builds the errors this package hands to callers, so that they
// have the types of the package that owns the public API (the root package
// ipfi installs its own with SetErrorTypes). Without them this package uses
// unexported types that behave the same.
type ErrorTypes struct {
	// Wire wraps the cause of a wire's end as the error of every call on
	// it. The error must match ErrWireTerminated with errors.Is and unwrap
	// to cause.
	Wire func(cause error) error
	// Remote builds a call's failure as reported by a peer that speaks the
	// extensions. The error must match what RemoteMatches says it matches.
	Remote func(b wire.ErrorBody) error
	// Application reports whether a procedure's error is (or wraps) an
	// application error, and its code and details: it is then sent with
	// wire.CodeApplication.
	Application func(err error) (app uint64, details []byte, ok bool)
}

// errorTypes holds the installed ErrorTypes, nil until SetErrorTypes.
var errorTypes atomic.Pointer[ErrorTypes]

// SetErrorTypes installs the constructors of the errors this package
// returns. Only the first call has an effect, and it should happen before
// any System is made (the root package calls it from its init); a nil field
// keeps this package's own type. It is safe for concurrent use.
func SetErrorTypes(t ErrorTypes) {
	errorTypes.CompareAndSwap(nil, &t)
}

// terminated wraps a cause as a wire-terminated error; an error that
// already matches ErrWireTerminated stays as it is. It is the only way this
// package builds one.
func terminated(cause error) error {
	if errors.Is(cause, ErrWireTerminated) {
		return cause
	}
	if t := errorTypes.Load(); t != nil && t.Wire != nil {
		return t.Wire(cause)
	}
	return &wireError{cause: cause}
}

// remoteErr builds the failure of a call as a peer with the extensions
// reported it: code and message. It is the only way this package builds
// one.
func remoteErr(b wire.ErrorBody) error {
	if t := errorTypes.Load(); t != nil && t.Remote != nil {
		return t.Remote(b)
	}
	return &remoteError{code: b.Code, msg: b.Message}
}

// application reports whether err is an application error (see
// ErrorTypes.Application), and its code and details.
func application(err error) (app uint64, details []byte, ok bool) {
	if t := errorTypes.Load(); t != nil && t.Application != nil {
		return t.Application(err)
	}
	return 0, nil, false
}

// RemoteMatches reports whether a remote failure with code matches target
// with errors.Is: ErrRemote always, and the sentinel that the code stands
// for (procedures.ErrUnknown, procedures.ErrBadArguments, ErrLimit,
// ErrCancelled or context.DeadlineExceeded). It is the inverse of the
// mapping from a procedure's error to the code sent to the caller.
func RemoteMatches(code wire.ErrorCode, target error) bool {
	if target == ErrRemote {
		return true
	}
	switch code {
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
	case wire.CodeShutdown:
		return target == ErrShutdown
	}
	return false
}

// wireError is the wire-terminated error when no ErrorTypes are installed.
type wireError struct{ cause error }

func (e *wireError) Error() string {
	if e.cause == nil {
		return ErrWireTerminated.Error()
	}
	return fmt.Sprintf("%v: %v", ErrWireTerminated, e.cause)
}

func (e *wireError) Is(target error) bool { return target == ErrWireTerminated }
func (e *wireError) Unwrap() error        { return e.cause }

// remoteError is the remote failure when no ErrorTypes are installed.
type remoteError struct {
	code wire.ErrorCode
	msg  string
}

func (e *remoteError) Error() string {
	if e.msg == "" {
		return fmt.Sprintf("%v: %v", ErrRemote, e.code)
	}
	return fmt.Sprintf("%v: %v: %s", ErrRemote, e.code, e.msg)
}

func (e *remoteError) Is(target error) bool { return RemoteMatches(e.code, target) }

func isApplication(err error) bool {
	_, _, ok := application(err)
	return ok
}

// errorCode maps a call's failure to the code sent to a peer with the
// extensions.
func errorCode(err error) wire.ErrorCode {
	var pf *ProcedureFailure
	switch {
	case errors.Is(err, ErrRemote), errors.Is(err, ErrWireTerminated):
		// A call the procedure made failed (and the procedure returned
		// that): the procedure failed, whatever the nested call's code.
		return wire.CodeProcedure
	case isApplication(err):
		return wire.CodeApplication
	case errors.Is(err, procedures.ErrUnknown):
		return wire.CodeUnknownProcedure
	case errors.Is(err, procedures.ErrBadArguments):
		return wire.CodeBadArguments
	case errors.As(err, &pf):
		return wire.CodePanic
	case errors.Is(err, ErrLimit):
		return wire.CodeLimit
	case errors.Is(err, ErrShutdown):
		return wire.CodeShutdown
	case errors.Is(err, ErrCancelled), errors.Is(err, context.Canceled):
		return wire.CodeCancelled
	case errors.Is(err, context.DeadlineExceeded):
		return wire.CodeDeadline
	}
	return wire.CodeProcedure
}

// CodeOf returns the code a procedure's error is sent to a caller with (the
// one a peer with the extensions receives), for reports such as metrics;
// 0 for nil.
func CodeOf(err error) wire.ErrorCode {
	if err == nil {
		return 0
	}
	return errorCode(err)
}
