package actors

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// Errors callers test with errors.Is; the root package ipfi re-exports
// each under the same name. A call that ends because its wire did returns
// a *WireError: it matches ErrWireTerminated and wraps the cause
// (ErrPeerClosed, ErrPeerTerminated, ErrClosed, a read or write error, an
// error matching wire.ErrMalformed, or whatever the program gave Push.End).
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
	ErrLimit error = &codedSentinel{"ipfi: limit exceeded", wire.CodeLimit}
	// ErrCancelled is the cause of a call cancelled by its caller (a stream
	// closed early, a context done): it is what the callee's procedure
	// context reports, and what a caller sees when the callee says a call
	// was cancelled.
	ErrCancelled error = &codedSentinel{"ipfi: call cancelled", wire.CodeCancelled}
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
	// call may be made again, on another wire, or later with a backoff
	// between attempts; not in a tight loop, since every call on that wire
	// fails with it at once until the wire ends.
	ErrShutdown error = &codedSentinel{"ipfi: shutting down", wire.CodeShutdown}
	// ErrQuickCallback is returned by a call or Ping that a quick procedure
	// makes on its own wire: the goroutine running it is the wire's reader,
	// so the answer could never be read.
	ErrQuickCallback = errors.New("ipfi: a quick procedure cannot call its own wire")
)

// codedSentinel is a sentinel error that says the code a call failing
// with it is answered with (core.Coded).
type codedSentinel struct {
	msg  string
	code wire.ErrorCode
}

func (e *codedSentinel) Error() string { return e.msg }

// WireCode is the code a call failing with this error is answered with.
func (e *codedSentinel) WireCode() wire.ErrorCode { return e.code }

// unprefixed returns err with its text without the package prefix it
// starts with (core.Unprefixed), for wrapping in an error of this package,
// which says "ipfi: " once, at the outside. It matches what err matches.
func unprefixed(err error) error { return bareError{err} }

// bareError is an error whose text is another's without its package
// prefix.
type bareError struct{ err error }

func (e bareError) Error() string { return core.Unprefixed(e.err.Error()) }
func (e bareError) Unwrap() error { return e.err }

// wireFailure is the cause of a wire whose actor failed for reason (a
// panic's value, an error).
func wireFailure(reason any) error {
	if err, ok := reason.(error); ok {
		return fmt.Errorf("ipfi: wire failed: %w", unprefixed(err))
	}
	return fmt.Errorf("ipfi: wire failed: %v", reason)
}

// terminated wraps a cause as a wire-terminated error; an error that
// already matches ErrWireTerminated stays as it is. It is the only way this
// package builds one.
func terminated(cause error) error {
	if errors.Is(cause, ErrWireTerminated) {
		return cause
	}
	return &WireError{Cause: cause}
}

// remoteErr builds the failure of a call as a peer with the extensions
// reported it: code and message (and, for wire.CodeApplication, the
// application error). It is the only way this package builds one.
func remoteErr(b wire.ErrorBody) error {
	e := &RemoteError{Code: b.Code, Message: b.Message}
	if b.Code == wire.CodeApplication {
		e.App = &Error{Code: b.App, Message: b.Message, Details: bytes.Clone(b.Details)}
	}
	return e
}

// application reports whether err is (or wraps) an application error, an
// *Error, and its code and details: it is then sent with
// wire.CodeApplication.
func application(err error) (app uint64, details []byte, ok bool) {
	var e *Error
	if !errors.As(err, &e) {
		return 0, nil, false
	}
	return e.Code, e.Details, true
}

// WireError is the error of every call that ended because its wire did. It
// matches ErrWireTerminated with errors.Is and unwraps to its Cause, so
// errors.Is also finds the cause (ErrClosed, ErrPeerTerminated,
// ErrPeerClosed, wire.ErrMalformed, ...). The root package ipfi names it
// ipfi.WireError.
type WireError struct {
	// Cause is why the wire ended: what Wire.Err returns.
	Cause error
}

// Error says the wire terminated, and why: the cause's text without its
// package prefix ("ipfi: wire terminated: peer terminated the wire").
func (e *WireError) Error() string {
	if e.Cause == nil {
		return ErrWireTerminated.Error()
	}
	return ErrWireTerminated.Error() + ": " + core.Unprefixed(e.Cause.Error())
}

// Is reports whether target is ErrWireTerminated.
func (e *WireError) Is(target error) bool { return target == ErrWireTerminated }

// Unwrap returns the cause.
func (e *WireError) Unwrap() error { return e.Cause }

// WireCode is the code a procedure that fails with this error (a call it
// made ended with its wire) is answered with: CodeProcedure.
func (e *WireError) WireCode() wire.ErrorCode { return wire.CodeProcedure }

// Error is an application error: a procedure returns one (or an error
// wrapping one) to give its caller a code of the application's own, a
// message and optional details, and the caller gets it back: its call's
// error is a *RemoteError with Code wire.CodeApplication that unwraps to an
// *Error, so errors.As finds it and errors.Is matches it against an *Error
// with the same Code. The root package ipfi names it ipfi.Error:
//
//	var ErrNotFound = &ipfi.Error{Code: 404, Message: "not found"}
//
//	// in the procedure
//	return fmt.Errorf("user %d: %w", id, ErrNotFound)
//
//	// in the caller
//	if errors.Is(err, ErrNotFound) { ... }
//	var e *ipfi.Error
//	if errors.As(err, &e) { log.Print(e.Code, e.Message) }
//
// The caller's Message is the text of the error the procedure returned
// (here "user 7: not found"), at most wire.MaxErrorMessage bytes; Details
// at most wire.MaxErrorDetails bytes (larger ones are left out). A peer
// without the extensions gets an empty response, as for any failure.
type Error struct {
	// Code is the application's own code.
	Code uint64
	// Message describes the failure.
	Message string
	// Details are optional data for the caller, MessagePack by
	// convention (codec.Marshal).
	Details []byte
}

// Error returns the message, or "application error <code>" without one.
func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("application error %d", e.Code)
	}
	return e.Message
}

// WireCode is the code a procedure that fails with this error is answered
// with: CodeApplication (its Code, Message and Details go with it).
func (e *Error) WireCode() wire.ErrorCode { return wire.CodeApplication }

// Is matches an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// RemoteError is a call's failure as reported by a peer that speaks the
// extensions: a code and a message. It matches ErrRemote with errors.Is,
// and by its code procedures.ErrUnknown (wire.CodeUnknownProcedure),
// procedures.ErrBadArguments (wire.CodeBadArguments), ErrLimit
// (wire.CodeLimit), ErrCancelled (wire.CodeCancelled),
// context.DeadlineExceeded (wire.CodeDeadline) or ErrShutdown
// (wire.CodeShutdown); with wire.CodeApplication it unwraps to the
// procedure's *Error. The root package ipfi names it ipfi.RemoteError and
// its codes ipfi.CodeUnknownProcedure and so on.
type RemoteError struct {
	// Code says what kind of failure it was.
	Code wire.ErrorCode
	// Message is the peer's description of the failure, as it sent it
	// (a procedure's error text, a panic's value); it may be empty.
	Message string
	// App is the application error, for Code wire.CodeApplication; else
	// nil.
	App *Error
}

// Error says the remote call failed ("ipfi: remote call failed: "), then
// the code's words and the message, each once: the message without the
// package prefix a peer of this library sends in it, and alone when it
// says the code's words itself ("ipfi: remote call failed: unknown
// procedure 9", "ipfi: remote call failed: shutting down"). An application
// error says its code ("ipfi: remote call failed: application error 404:
// no key b").
func (e *RemoteError) Error() string {
	if e.App != nil && e.Code == wire.CodeApplication {
		// The application's code, which tells one of its failures from
		// another ("application error 404: no key b").
		msg := core.Unprefixed(e.Message)
		if msg == "" || e.App.Message == "" {
			return ErrRemote.Error() + ": " + fmt.Sprintf("application error %d", e.App.Code)
		}
		return ErrRemote.Error() + ": " + fmt.Sprintf("application error %d: %s", e.App.Code, msg)
	}
	return ErrRemote.Error() + ": " + (&core.Failure{Code: e.Code, Message: e.Message}).Error()
}

// Is matches ErrRemote and the sentinel that the code stands for.
func (e *RemoteError) Is(target error) bool { return remoteMatches(e.Code, target) }

// WireCode is the code a procedure that fails with this error (a call it
// made failed) is answered with: CodeProcedure, whatever the nested call's
// code.
func (e *RemoteError) WireCode() wire.ErrorCode { return wire.CodeProcedure }

// Unwrap returns the application error, or nil.
func (e *RemoteError) Unwrap() error {
	if e.App == nil {
		return nil
	}
	return e.App
}

// remoteMatches reports whether a remote failure with code matches target
// with errors.Is: ErrRemote always, and the sentinel that the code stands
// for (procedures.ErrUnknown, procedures.ErrBadArguments, ErrLimit,
// ErrCancelled, context.DeadlineExceeded or ErrShutdown). It is the inverse of the
// mapping from a procedure's error to the code sent to the caller.
func remoteMatches(code wire.ErrorCode, target error) bool {
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

// errorCode maps a call's failure to the code sent to a peer with the
// extensions (core.CodeOf, through the core.Coded errors of this package).
func errorCode(err error) wire.ErrorCode { return core.CodeOf(err) }

// CodeOf returns the code a procedure's error is sent to a caller with (the
// one a peer with the extensions receives), for reports such as metrics;
// 0 for nil.
func CodeOf(err error) wire.ErrorCode {
	if err == nil {
		return 0
	}
	return errorCode(err)
}

// limitErr is the error of a limit the core decided was passed: it
// matches ErrLimit, and its message names the limit.
func limitErr(f *core.Failure) error { return fmt.Errorf("%w: %s", ErrLimit, f.Message) }
