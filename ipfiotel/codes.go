package ipfiotel

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/actors"
	"github.com/ipfi-go/ipfi/wire"
)

// The values of the code attribute that are not the application's
// (WithErrorCodes), and of the cause attribute. The package doc lists
// what each stands for.
const (
	codeOK               = "ok"
	codeCancelled        = "cancelled"
	codeDeadline         = "deadline_exceeded"
	codeWireTerminated   = "wire_terminated"
	codeShutdown         = "shutdown"
	codeLimit            = "limit"
	codeUnknownProcedure = "unknown_procedure"
	codeBadArguments     = "bad_arguments"
	codeProcedureError   = "procedure_error"
	codePanic            = "panic"
	codeRemote           = "remote"
	codeDecode           = "decode"
	codeLocal            = "local"
	codeOther            = "other"
)

// builtinCodes are the code values WithErrorCodes may not name a code
// with.
var builtinCodes = []string{codeOK, codeCancelled, codeDeadline, codeWireTerminated, codeShutdown, codeLimit,
	codeUnknownProcedure, codeBadArguments, codeProcedureError, codePanic, codeRemote, codeDecode, codeLocal, codeOther}

// WithErrorCodes names the application's error codes (those of the
// *ipfi.Error values its procedures return, and its interceptors refuse
// calls with) for the code attribute of metrics and spans: a call that
// fails with code 401 is recorded with code "unauthenticated" given
// map[uint64]string{401: "unauthenticated"}. Each name is a lower-case
// token ([a-z][a-z0-9_]*) that is not one of the library's own codes
// ("ok", "cancelled", ..., "other": see the package doc); New fails with
// an error matching ipfi.ErrInvalidOption otherwise. Several
// WithErrorCodes add in turn (a later name for a code replaces an
// earlier one). Default: none; every application error is recorded as
// "other".
func WithErrorCodes(names map[uint64]string) Option {
	return func(c *config) {
		if c.appCodes == nil {
			c.appCodes = map[uint64]string{}
		}
		for code, name := range names {
			c.appCodes[code] = name
		}
	}
}

// validCodes reports the first name WithErrorCodes cannot use.
func validCodes(names map[uint64]string) error {
	for code, name := range names {
		if !isToken(name) {
			return fmt.Errorf("%w: ipfiotel.WithErrorCodes: the name %q of code %d is not a lower-case token ([a-z][a-z0-9_]*)", ipfi.ErrInvalidOption, name, code)
		}
		if slices.Contains(builtinCodes, name) {
			return fmt.Errorf("%w: ipfiotel.WithErrorCodes: the name %q of code %d is one of the library's codes", ipfi.ErrInvalidOption, name, code)
		}
	}
	return nil
}

// isToken reports whether s matches [a-z][a-z0-9_]*.
func isToken(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// appCode is the code value of an application error's code.
func (t *telemetry) appCode(code uint64) string {
	if name, ok := t.appCodes[code]; ok {
		return name
	}
	return codeOther
}

// serverCode is the code value of a call served that next ended with err:
// the code the caller is answered with (actors.CodeOf), or the wire's end.
func (t *telemetry) serverCode(err error) string {
	if err == nil {
		return codeOK
	}
	if errors.Is(err, ipfi.ErrWireTerminated) {
		return codeWireTerminated
	}
	code := actors.CodeOf(err)
	if code == ipfi.CodeApplication {
		var e *ipfi.Error
		if errors.As(err, &e) {
			return t.appCode(e.Code)
		}
	}
	return wireCode(code)
}

// clientCode is the code value of a call or stream made with ctx that
// ended with err: the peer's code, or what failed on this side.
func (t *telemetry) clientCode(ctx context.Context, err error) string {
	if err == nil {
		return codeOK
	}
	var re *ipfi.RemoteError
	if errors.As(err, &re) {
		if re.App != nil {
			return t.appCode(re.App.Code)
		}
		return wireCode(re.Code)
	}
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, context.Cause(ctx)) {
		err = ctxErr // a cause of the program's own: the context was cancelled all the same
	}
	switch {
	case errors.Is(err, ipfi.ErrWireTerminated):
		return codeWireTerminated
	case errors.Is(err, ipfi.ErrCancelled), errors.Is(err, context.Canceled):
		return codeCancelled
	case errors.Is(err, context.DeadlineExceeded):
		return codeDeadline
	case errors.Is(err, ipfi.ErrShutdown):
		return codeShutdown
	case errors.Is(err, ipfi.ErrLimit), errors.Is(err, ipfi.ErrTooManyCalls):
		return codeLimit
	case errors.Is(err, ipfi.ErrRemote):
		return codeRemote
	case errors.Is(err, ipfi.ErrDecode), errors.Is(err, ipfi.ErrStreamed):
		return codeDecode
	}
	var e *ipfi.Error // an interceptor's refusal
	if errors.As(err, &e) {
		return t.appCode(e.Code)
	}
	return codeLocal
}

// wireCode is the code value of a failure code of the protocol's.
func wireCode(code wire.ErrorCode) string {
	switch code {
	case ipfi.CodeUnknownProcedure:
		return codeUnknownProcedure
	case ipfi.CodeBadArguments:
		return codeBadArguments
	case ipfi.CodeProcedure:
		return codeProcedureError
	case ipfi.CodePanic:
		return codePanic
	case ipfi.CodeLimit:
		return codeLimit
	case ipfi.CodeCancelled:
		return codeCancelled
	case ipfi.CodeDeadline:
		return codeDeadline
	case ipfi.CodeShutdown:
		return codeShutdown
	}
	return codeOther // CodeApplication without an application error, or a code this side does not know
}

// causes are the values of the cause attribute, by the sentinel a wire's
// cause matches.
var causes = []struct {
	err  error
	name string
}{
	{ipfi.ErrClosed, "closed"},
	{ipfi.ErrPeerTerminated, "peer_terminated"},
	{ipfi.ErrPeerClosed, "peer_closed"},
	{ipfi.ErrKeepaliveTimeout, "keepalive_timeout"},
	{ipfi.ErrWriteTimeout, "write_timeout"},
	{ipfi.ErrHandshakeTimeout, "handshake_timeout"},
	{ipfi.ErrIdleTimeout, "idle_timeout"},
	{ipfi.ErrProcessExited, "process_exited"},
	{wire.ErrMalformed, "malformed"},
}

// causeName is the cause value of a wire's cause.
func causeName(err error) string {
	for _, c := range causes {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return codeOther
}
