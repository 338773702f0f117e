package ipfiotel

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// token is what every attribute value is: a lower-case token.
var token = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// TestCodeValues: each kind of result is recorded under its own code
// value, on the client (the peer's code, or what failed on this side) and
// on the server (the code the caller is answered with): an application
// error under the name WithErrorCodes gives its code, or "other"; a code
// the protocol does not define, "other". Every value is a token of the
// documented set.
func TestCodeValues(t *testing.T) {
	tel := &telemetry{appCodes: map[uint64]string{401: "unauthenticated"}}
	app := func(code uint64) error {
		return &ipfi.RemoteError{Code: ipfi.CodeApplication, App: &ipfi.Error{Code: code}}
	}
	cancelled, cancel := context.WithCancelCause(context.Background())
	errMine := errors.New("the program's own cause")
	cancel(errMine)
	for _, c := range []struct {
		name string
		ctx  context.Context
		err  error
		want string
	}{
		{"success", nil, nil, "ok"},
		{"a named application code", nil, app(401), "unauthenticated"},
		{"an application code not named", nil, app(500), "other"},
		{"unknown procedure", nil, &ipfi.RemoteError{Code: ipfi.CodeUnknownProcedure}, "unknown_procedure"},
		{"bad arguments", nil, &ipfi.RemoteError{Code: ipfi.CodeBadArguments}, "bad_arguments"},
		{"procedure error", nil, &ipfi.RemoteError{Code: ipfi.CodeProcedure}, "procedure_error"},
		{"panic", nil, &ipfi.RemoteError{Code: ipfi.CodePanic}, "panic"},
		{"the callee's limit", nil, &ipfi.RemoteError{Code: ipfi.CodeLimit}, "limit"},
		{"cancelled at the callee", nil, &ipfi.RemoteError{Code: ipfi.CodeCancelled}, "cancelled"},
		{"the callee's deadline", nil, &ipfi.RemoteError{Code: ipfi.CodeDeadline}, "deadline_exceeded"},
		{"refused by a callee shutting down", nil, &ipfi.RemoteError{Code: ipfi.CodeShutdown}, "shutdown"},
		{"a code of a newer peer", nil, &ipfi.RemoteError{Code: 42}, "other"},
		{"the wire's end", nil, &ipfi.WireError{Cause: ipfi.ErrPeerClosed}, "wire_terminated"},
		{"a stream closed before its end", nil, ipfi.ErrCancelled, "cancelled"},
		{"a context cancelled", nil, context.Canceled, "cancelled"},
		{"a context's cause of the program's", cancelled, errMine, "cancelled"},
		{"a deadline", nil, fmt.Errorf("waiting: %w", context.DeadlineExceeded), "deadline_exceeded"},
		{"a peer going away", nil, ipfi.ErrShutdown, "shutdown"},
		{"metadata over the limits", nil, fmt.Errorf("%w: too much", ipfi.ErrLimit), "limit"},
		{"no call index left", nil, ipfi.ErrTooManyCalls, "limit"},
		{"a peer without the extensions failed", nil, ipfi.ErrRemote, "remote"},
		{"a response that does not decode", nil, fmt.Errorf("%w: bad", ipfi.ErrDecode), "decode"},
		{"a streamed response to Call", nil, ipfi.ErrStreamed, "decode"},
		{"refused by an interceptor, named", nil, &ipfi.Error{Code: 401}, "unauthenticated"},
		{"refused by an interceptor, not named", nil, &ipfi.Error{Code: 403}, "other"},
		{"no wire", nil, ipfi.ErrNoWire, "local"},
		{"another error of this side", nil, errors.New("cannot encode"), "local"},
	} {
		t.Run("client: "+c.name, func(t *testing.T) {
			ctx := c.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			if got := tel.clientCode(ctx, c.err); got != c.want || !token.MatchString(got) {
				t.Fatalf("%v: %q, want %q", c.err, got, c.want)
			}
		})
	}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"success", nil, "ok"},
		{"a named application error", fmt.Errorf("user 7: %w", &ipfi.Error{Code: 401}), "unauthenticated"},
		{"an application error not named", &ipfi.Error{Code: 500}, "other"},
		{"an error of no code", errors.New("boom"), "procedure_error"},
		{"a call it made that failed with an application error", fmt.Errorf("callback: %w", &ipfi.RemoteError{Code: ipfi.CodeApplication, App: &ipfi.Error{Code: 401}}), "procedure_error"},
		{"its context cancelled by the caller", ipfi.ErrCancelled, "cancelled"},
		{"its deadline", context.DeadlineExceeded, "deadline_exceeded"},
		{"unknown procedure", procedures.ErrUnknown, "unknown_procedure"},
		{"bad arguments", fmt.Errorf("%w: want 2", procedures.ErrBadArguments), "bad_arguments"},
		{"a limit", ipfi.ErrLimit, "limit"},
		{"shutting down", ipfi.ErrShutdown, "shutdown"},
		{"its wire's end", &ipfi.WireError{Cause: ipfi.ErrClosed}, "wire_terminated"},
	} {
		t.Run("server: "+c.name, func(t *testing.T) {
			if got := tel.serverCode(c.err); got != c.want || !token.MatchString(got) {
				t.Fatalf("%v: %q, want %q", c.err, got, c.want)
			}
		})
	}
	for _, v := range builtinCodes {
		if !token.MatchString(v) {
			t.Errorf("code value %q is not a token", v)
		}
	}
	if len(builtinCodes) != 14 {
		t.Errorf("%d code values, the package doc says 14", len(builtinCodes))
	}
}

// TestCauseValues: a wire's cause is recorded as a token naming the
// sentinel it matches, "other" for any other.
func TestCauseValues(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{ipfi.ErrClosed, "closed"},
		{ipfi.ErrPeerTerminated, "peer_terminated"},
		{ipfi.ErrPeerClosed, "peer_closed"},
		{ipfi.ErrKeepaliveTimeout, "keepalive_timeout"},
		{ipfi.ErrWriteTimeout, "write_timeout"},
		{ipfi.ErrHandshakeTimeout, "handshake_timeout"},
		{ipfi.ErrIdleTimeout, "idle_timeout"},
		{fmt.Errorf("%w: exit status 1", ipfi.ErrProcessExited), "process_exited"},
		{fmt.Errorf("%w: bad kind", wire.ErrMalformed), "malformed"},
		{errors.New("connection reset by peer"), "other"},
	} {
		if got := causeName(c.err); got != c.want || !token.MatchString(got) {
			t.Errorf("%v: %q, want %q", c.err, got, c.want)
		}
	}
}
