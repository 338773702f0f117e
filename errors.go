package ipfi

import (
	"errors"
	"strconv"

	"github.com/ipfi-go/ipfi/actors"
	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// Errors callers test with errors.Is. A call that ends because its wire did
// returns a *WireError: it matches ErrWireTerminated and wraps the cause
// (ErrPeerClosed, ErrPeerTerminated, ErrClosed, one of the timeouts'
// errors, ErrProcessExited, a read or write error, an error matching
// wire.ErrMalformed, or the error a program gave Push.End). A call refused
// because its callee is shutting down matches ErrShutdown, and one over a
// callee's limit ErrLimit. The library itself never makes io.EOF a wire's
// cause (io.EOF means the clean end of a stream's response, Stream.Recv);
// only Push.End(io.EOF) can.
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
	// ErrStreamed: a plain call (Call, Wire.Call, Pending.Wait, a Proc's
	// Call) received a streamed (multi-chunk) response: the procedure is a
	// sequence. Read such a response with Iter or Collect (Iter[Raw] or
	// Collect[Raw] for its values as they came), with a SeqProc's
	// descriptor, or with Wire.Stream and Stream.Recv (into a *Raw for
	// the values undecoded). The error names the procedure.
	ErrStreamed = errors.New("ipfi: response is a stream (read it with Iter, Collect or Wire.Stream)")
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
	// Serve sent nothing within Timeouts.Handshake; and, wrapped in
	// ErrTLSHandshake, a TLS handshake (WithTLS) not finished within it.
	ErrHandshakeTimeout = actors.ErrHandshakeTimeout
	// ErrTLSHandshake: the TLS handshake of Dial or Serve (WithTLS) failed.
	// The error names the peer's address and why, and wraps the tls or
	// x509 error (errors.As finds a *tls.CertificateVerificationError,
	// an x509.UnknownAuthorityError, a tls.RecordHeaderError for a peer
	// that does not speak TLS...), or ErrHandshakeTimeout when the
	// handshake did not finish within Timeouts.Handshake.
	ErrTLSHandshake = errors.New("ipfi: TLS handshake failed")
	// ErrIdleTimeout: the wire's cause when a wire accepted by Serve had
	// no open call and received no message for Timeouts.Idle.
	ErrIdleTimeout = actors.ErrIdleTimeout
	// ErrShutdown: the call was refused because its callee is shutting
	// down (Shutdown): it did not run, so it is safe to make again, on
	// another wire, or later with a backoff between attempts on a new
	// wire once the callee is back (Supervise redials with one). Not in a
	// tight loop: a call on a wire whose peer said it is shutting down
	// fails with it at once, every time, until the wire ends. Serve and
	// Connect on an interface shutting down fail with it too.
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

// WireError is the error of every call that ended because its wire did.
// It matches ErrWireTerminated with errors.Is and unwraps to its Cause
// (see actors.WireError).
type WireError = actors.WireError

// Error is an application error a procedure returns to give its caller a
// code of the application's own, a message and details; the caller's
// errors.Is matches it by Code and errors.As finds it (see actors.Error).
type Error = actors.Error

// RemoteError is a call's failure as reported by a peer that speaks the
// extensions: a Code (one of the Code constants) and a Message. It matches
// ErrRemote, and the sentinel its code stands for; with CodeApplication it
// unwraps to the procedure's *Error (see actors.RemoteError).
type RemoteError = actors.RemoteError

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
	// CodeShutdown: the callee is shutting down and did not run the call
	// (matches ErrShutdown).
	CodeShutdown = wire.CodeShutdown
)

// The errors this package builds around another package's say "ipfi: "
// once, at the outside, and the other's text follows without its own
// prefix; they match what they wrap. They are built on failures only.

// unprefixed returns err with its text without the package prefix it
// starts with ("codec: "), matching what err matches.
func unprefixed(err error) error { return bareError{err} }

type bareError struct{ err error }

func (e bareError) Error() string { return core.Unprefixed(e.err.Error()) }
func (e bareError) Unwrap() error { return e.err }

// argsError is the failure of a call's arguments to encode: their
// position and why (codec's words), and the procedure once the caller
// names it (inProcedure). It matches codec.ErrEncode.
type argsError struct {
	detail string // "argument 2 of 3: cannot encode chan int"
	err    error
	proc   procedures.Index
	named  bool
}

func (e *argsError) Error() string {
	if !e.named {
		return "ipfi: " + e.detail
	}
	return "ipfi: procedure " + strconv.FormatUint(uint64(e.proc), 10) + ": " + e.detail
}

func (e *argsError) Unwrap() error { return e.err }

// badArg is the failure of argument i (from 0) of n to encode, err
// codec.Append's error.
func badArg(i, n int, err error) error {
	return &argsError{detail: "argument " + strconv.Itoa(i+1) + " of " + strconv.Itoa(n) + ": " + core.Unprefixed(err.Error()), err: err}
}

// badArgs is codec.AppendArgs' failure err, which names the argument.
func badArgs(err error) error {
	return &argsError{detail: core.Unprefixed(err.Error()), err: err}
}

// inProcedure names proc in err if it is the failure of a call's
// arguments to encode; other errors are returned as they are.
func inProcedure(proc procedures.Index, err error) error {
	if e, ok := err.(*argsError); ok {
		e.proc, e.named = proc, true
	}
	return err
}

// streamedError is a plain call's ErrStreamed: the procedure and how many
// chunks its response had.
type streamedError struct {
	proc   procedures.Index
	chunks int
}

func (e *streamedError) Error() string {
	return "ipfi: procedure " + strconv.FormatUint(uint64(e.proc), 10) + " answered with a stream of " +
		strconv.Itoa(e.chunks) + " chunks: read it with Iter, Collect or Wire.Stream (Iter[Raw] for its values as they came)"
}

// Is matches ErrStreamed.
func (e *streamedError) Is(target error) bool { return target == ErrStreamed }
