package ipfi

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ipfi-go/ipfi/actors"
	"github.com/ipfi-go/ipfi/wire"
)

// Errors callers test with errors.Is. A call that ends because its wire did
// returns a *WireError: it matches ErrWireTerminated and wraps the cause
// (ErrPeerClosed, ErrPeerTerminated, ErrClosed, a read or write error, or an
// error matching wire.ErrMalformed). A wire's cause is never io.EOF, which
// means only the clean end of a stream's response (Stream.Recv).
var (
	// ErrWireTerminated: the wire the call was on has ended.
	ErrWireTerminated = actors.ErrWireTerminated
	// ErrClosed: the local program closed the wire or its interface.
	ErrClosed = actors.ErrClosed
	// ErrPeerTerminated: the peer sent a Termination message.
	ErrPeerTerminated = actors.ErrPeerTerminated
	// ErrPeerClosed: the peer's byte stream ended (end of stream, without a
	// Termination message). The calls this side made fail with it at once;
	// the wire ends with it once the peer's calls are answered (see
	// "Lifecycle" in the package documentation).
	ErrPeerClosed = actors.ErrPeerClosed
	// ErrCalleeOnly: a call was made on a callee-only wire.
	ErrCalleeOnly = actors.ErrCalleeOnly
	// ErrRemote: the peer answered with an empty response, which is how a
	// peer without the error extension (such as the Rust crate, or this
	// library talking to one) reports that the call failed on its side.
	// Every *RemoteError matches it too.
	ErrRemote = actors.ErrRemote
	// ErrTooManyCalls: no free call index for that procedure on the wire.
	ErrTooManyCalls = actors.ErrTooManyCalls
	// ErrLimit: a call exceeded one of the callee's limits.
	ErrLimit = actors.ErrLimit
	// ErrStreamed: a plain call received a streamed (multi-chunk) response.
	ErrStreamed = errors.New("ipfi: response is a stream")
	// ErrCancelled: the call was cancelled by its caller. A procedure's
	// context reports it as its cause; a caller sees it in a RemoteError.
	ErrCancelled = actors.ErrCancelled
	// ErrSendClosed: Send after CloseSend or after the call ended.
	ErrSendClosed = actors.ErrSendClosed
	// ErrNoExtensions: the peer has not announced this project's
	// extensions (needed by Ping).
	ErrNoExtensions = actors.ErrNoExtensions
	// ErrInvalidOption: New (or Wire.Open) was given an option it cannot
	// use, such as a negative limit; the error names the option.
	ErrInvalidOption = errors.New("ipfi: invalid option")
	// ErrDecode: a response's value did not decode into the type the
	// caller asked for; the error names the procedure and wraps the
	// decoder's error.
	ErrDecode = errors.New("ipfi: cannot decode the response")
	// ErrNoWire: a call was made on a nil *Wire, such as what WireFrom
	// returns outside a procedure.
	ErrNoWire = errors.New("ipfi: no wire (WireFrom outside a procedure?)")
	// ErrKeepaliveTimeout: the wire's cause when its peer sent nothing
	// for Timeouts.KeepaliveTimeout after a keepalive ping (a frozen peer
	// or path).
	ErrKeepaliveTimeout = actors.ErrKeepaliveTimeout
	// ErrWriteTimeout: the wire's cause when writing to its peer made no
	// progress for Timeouts.Write (a peer that stopped reading).
	ErrWriteTimeout = actors.ErrWriteTimeout
	// ErrHandshakeTimeout: the wire's cause when a peer that connected to
	// Serve sent nothing within Timeouts.Handshake.
	ErrHandshakeTimeout = actors.ErrHandshakeTimeout
	// ErrIdleTimeout: the wire's cause when a wire accepted by Serve had
	// no open call and received no message for Timeouts.Idle.
	ErrIdleTimeout = actors.ErrIdleTimeout
	// ErrShutdown: the call was refused because its callee is shutting
	// down (Shutdown): it did not run and may be made again elsewhere. A
	// call on a wire whose peer said it is shutting down fails with it at
	// once; so do Serve and Connect on an interface shutting down.
	ErrShutdown = actors.ErrShutdown
	// ErrStopTimeout: Close waited Timeouts.Stop for procedures to return
	// after their contexts were cancelled, and some did not: they are left
	// running, and the error says how many goroutines.
	ErrStopTimeout = actors.ErrStopTimeout
	// ErrQuickCallback: a procedures.Quick procedure called its own wire,
	// whose reader is the goroutine running it: waiting for the answer
	// would stop the wire.
	ErrQuickCallback = actors.ErrQuickCallback
)

// WireError is the error of every call that ended because its wire did. It
// matches ErrWireTerminated with errors.Is and unwraps to its Cause, so
// errors.Is also finds the cause (ErrClosed, ErrPeerTerminated,
// ErrPeerClosed, wire.ErrMalformed, ...).
type WireError struct {
	// Cause is why the wire ended: what Wire.Err returns.
	Cause error
}

// Error says the wire terminated, and why.
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

// Code says what kind of failure a peer reported for a call (a
// RemoteError's Code). It is the wire's error code (wire.ErrorCode); the
// codes are these constants.
type Code = wire.ErrorCode

// The codes of RemoteError.Code.
const (
	// CodeUnknownProcedure: the callee has no procedure of that index
	// (matches procedures.ErrUnknown).
	CodeUnknownProcedure = wire.CodeUnknownProcedure
	// CodeBadArguments: the arguments did not decode into the procedure's
	// parameters (matches procedures.ErrBadArguments).
	CodeBadArguments = wire.CodeBadArguments
	// CodeProcedure: the procedure returned an error (including the
	// failure of a call it made itself, whatever that call's code).
	CodeProcedure = wire.CodeProcedure
	// CodePanic: the procedure panicked.
	CodePanic = wire.CodePanic
	// CodeLimit: the call went over one of the callee's limits (matches
	// ErrLimit; the message names the limit).
	CodeLimit = wire.CodeLimit
	// CodeCancelled: the call was cancelled (matches ErrCancelled).
	CodeCancelled = wire.CodeCancelled
	// CodeDeadline: the call's deadline passed (matches
	// context.DeadlineExceeded).
	CodeDeadline = wire.CodeDeadline
	// CodeApplication: the procedure returned an application error, an
	// *Error, which the RemoteError unwraps to.
	CodeApplication = wire.CodeApplication
)

// Error is an application error: a procedure returns one (or an error
// wrapping one) to give its caller a code of the application's own, a
// message and optional details, and the caller gets it back: its call's
// error is a *RemoteError with Code CodeApplication that unwraps to an
// *Error, so errors.As finds it and errors.Is matches it against an *Error
// with the same Code:
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

// Is matches an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// RemoteError is a call's failure as reported by a peer that speaks the
// extensions: a code and a message. It matches ErrRemote with errors.Is,
// and by its code procedures.ErrUnknown (CodeUnknownProcedure),
// procedures.ErrBadArguments (CodeBadArguments), ErrLimit (CodeLimit),
// ErrCancelled (CodeCancelled) or context.DeadlineExceeded (CodeDeadline);
// with CodeApplication it unwraps to the procedure's *Error.
type RemoteError struct {
	// Code says what kind of failure it was.
	Code Code
	// Message is the peer's description of the failure, as it sent it
	// (a procedure's error text, a panic's value); it may be empty.
	Message string
	// App is the application error, for Code CodeApplication; else nil.
	App *Error
}

// Error says the remote call failed, with the code and the message.
func (e *RemoteError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%v: %v", ErrRemote, e.Code)
	}
	return fmt.Sprintf("%v: %v: %s", ErrRemote, e.Code, e.Message)
}

// Is matches ErrRemote and the sentinel that the code stands for.
func (e *RemoteError) Is(target error) bool { return actors.RemoteMatches(e.Code, target) }

// Unwrap returns the application error, or nil.
func (e *RemoteError) Unwrap() error {
	if e.App == nil {
		return nil
	}
	return e.App
}

// The actors package builds the errors it hands to callers with these
// constructors, so that their types are this package's.
func init() {
	actors.SetErrorTypes(actors.ErrorTypes{
		Wire: func(cause error) error { return &WireError{Cause: cause} },
		Remote: func(b wire.ErrorBody) error {
			e := &RemoteError{Code: b.Code, Message: b.Message}
			if b.Code == wire.CodeApplication {
				e.App = &Error{Code: b.App, Message: b.Message, Details: bytes.Clone(b.Details)}
			}
			return e
		},
		Application: func(err error) (uint64, []byte, bool) {
			var e *Error
			if !errors.As(err, &e) {
				return 0, nil, false
			}
			return e.Code, e.Details, true
		},
	})
}
