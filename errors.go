package ipfi

import (
	"errors"

	"github.com/ipfi-go/ipfi/actors"
)

// Errors callers test with errors.Is. A call that ends because its wire did
// returns an error matching ErrWireTerminated that also wraps the cause
// (io.EOF, ErrPeerTerminated, ErrClosed, a read or write error, or an error
// matching wire.ErrMalformed).
var (
	// ErrWireTerminated: the wire the call was on has ended.
	ErrWireTerminated = actors.ErrWireTerminated
	// ErrClosed: the local program closed the wire or its interface.
	ErrClosed = actors.ErrClosed
	// ErrPeerTerminated: the peer sent a Termination message.
	ErrPeerTerminated = actors.ErrPeerTerminated
	// ErrCalleeOnly: a call was made on a callee-only wire.
	ErrCalleeOnly = actors.ErrCalleeOnly
	// ErrRemote: the peer answered with an empty response, which is how a
	// peer without the error extension (such as the Rust crate, or this
	// library talking to one) reports that the call failed on its side.
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
)

// RemoteError is a call's failure as reported by a peer that speaks the
// extensions: a code (wire.CodeUnknownProcedure, wire.CodeProcedure, ...)
// and a message. It matches ErrRemote, and by its code
// procedures.ErrUnknown, procedures.ErrBadArguments, ErrLimit, ErrCancelled
// or context.DeadlineExceeded.
type RemoteError = actors.RemoteError

// WireError is the type of the errors matching ErrWireTerminated; its Cause
// says why the wire ended.
type WireError = actors.WireError

// Limits bound what one peer can make an interface hold; see DefaultLimits.
type Limits = actors.Limits

// DefaultLimits returns the limits an interface uses unless told otherwise.
func DefaultLimits() Limits { return actors.DefaultLimits() }
