package core

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// Failure is how a call ended without a value, as it crosses the wire: an
// Error message's code and message (wire/PROTOCOL.md, "Error codes"), and
// an application error's own code and details.
type Failure struct {
	Code    wire.ErrorCode
	Message string
	App     uint64 // CodeApplication only
	Details []byte // CodeApplication only
}

// Error says the failure once: the code's words and the message, without
// the package prefix a peer of this library puts in front of it (see
// Unprefixed); the message alone when it says the code's words itself
// ("unknown procedure 9", "shutting down"), the code's alone without a
// message.
func (f *Failure) Error() string {
	code := f.Code.String()
	msg := Unprefixed(f.Message)
	switch {
	case msg == "":
		return code
	case hasPhrase(msg, code):
		return msg
	}
	return code + ": " + msg
}

// hasPhrase reports whether s says phrase as whole words.
func hasPhrase(s, phrase string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], phrase)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(phrase)
		if (start == 0 || !isLetter(s[start-1])) && (end == len(s) || !isLetter(s[end])) {
			return true
		}
		i = start + 1
	}
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// packagePrefixes are the prefixes the errors of this module's packages
// start with.
var packagePrefixes = [...]string{"ipfi: ", "wire: ", "procedures: ", "codec: ", "guest: ", "actors: ", "core: "}

// Unprefixed returns s, the text of an error, without the package prefix
// of this module it starts with, if any: for an error that wraps another
// and says its own package once, at the outside.
func Unprefixed(s string) string {
	for _, p := range packagePrefixes {
		if t, ok := strings.CutPrefix(s, p); ok {
			return t
		}
	}
	return s
}

// The failures the core itself answers with.
var (
	// ErrAnswered is Answer's and Send's error for a call that was answered
	// already: the first answer wins.
	ErrAnswered = errors.New("core: the call was answered already")
	// ErrNoCredit is Send's error while the caller has granted no credit
	// for the call's response: the producer waits for an EvCredit event for
	// the call, then sends again.
	ErrNoCredit = errors.New("core: no response credit")
	// ErrNoCall is the error of an operation on a call the Conn does not
	// have (ended, or never made).
	ErrNoCall = errors.New("core: no such call")
	// ErrCallsExhausted is Call's error when every call index of the
	// procedure is taken.
	ErrCallsExhausted = errors.New("core: every call index of the procedure is taken")
	// ErrCalleeOnly is Call's error on a callee-only Conn.
	ErrCalleeOnly = errors.New("core: the wire is callee-only")
)

func limitf(format string, args ...any) *Failure {
	return &Failure{Code: wire.CodeLimit, Message: fmt.Sprintf(format, args...)}
}

var (
	failCancelled = &Failure{Code: wire.CodeCancelled}
	failDeadline  = &Failure{Code: wire.CodeDeadline, Message: "the deadline passed before the call ran"}
	// FailArgsCut answers a call whose arguments the peer's stream ended
	// before they did.
	FailArgsCut = &Failure{Code: wire.CodeCancelled, Message: "the peer closed the stream before the call's arguments ended"}
	// FailShutdown refuses a call that arrives while this side drains.
	FailShutdown = &Failure{Code: wire.CodeShutdown, Message: "shutting down"}
)

func failRefused(proc uint64) *Failure {
	return &Failure{Code: wire.CodeProcedure, Message: fmt.Sprintf("procedure %d is of a kind this peer does not serve", proc)}
}

func failUnknown(proc uint64) *Failure {
	return &Failure{Code: wire.CodeUnknownProcedure, Message: fmt.Sprintf("procedures: unknown procedure %d", proc)}
}

// AppendAnswer appends f as call k's final message: an Error message to a
// peer with the extensions (without a message for CodeCancelled: the code
// says it), an empty Complete response to one without (which a Rust caller
// fails to decode, instead of waiting forever).
func AppendAnswer(dst []byte, k Key, f *Failure, ext bool) []byte {
	switch {
	case !ext:
		return wire.AppendHeader(dst, wire.KindResponse, wire.TermComplete, k.Proc, k.Call, 0)
	case f.Code == wire.CodeApplication:
		return wire.AppendApplicationError(dst, k.Proc, k.Call, f.App, f.Message, f.Details)
	case f.Code == wire.CodeCancelled:
		return wire.AppendError(dst, k.Proc, k.Call, f.Code, "")
	}
	return wire.AppendError(dst, k.Proc, k.Call, f.Code, f.Message)
}

// Coded is an error that says which code it crosses the wire with: an
// engine's sentinels (a limit, a shutdown, a cancel), an application error,
// a recovered panic, and the failure of a call the procedure made (whose
// code is CodeProcedure: the procedure failed, whatever the nested call's
// code was).
type Coded interface {
	error
	WireCode() wire.ErrorCode
}

// CodeOf returns the code a procedure's error is answered with: that of
// the first Coded error in its chain; else that of the procedures' and the
// context's sentinels (unknown procedure, bad arguments, cancelled,
// deadline); else CodeProcedure. Both engines answer with it.
func CodeOf(err error) wire.ErrorCode {
	var c Coded
	switch {
	case errors.As(err, &c):
		return c.WireCode()
	case errors.Is(err, procedures.ErrUnknown):
		return wire.CodeUnknownProcedure
	case errors.Is(err, procedures.ErrBadArguments):
		return wire.CodeBadArguments
	case errors.Is(err, context.Canceled):
		return wire.CodeCancelled
	case errors.Is(err, context.DeadlineExceeded):
		return wire.CodeDeadline
	}
	return wire.CodeProcedure
}

// FailureOf returns the failure a procedure's error is answered with (nil
// for nil): its code (CodeOf) and its text.
func FailureOf(err error) *Failure {
	if err == nil {
		return nil
	}
	return &Failure{Code: CodeOf(err), Message: err.Error()}
}
