package core

import (
	"testing"

	"github.com/ipfi-go/ipfi/wire"
)

// TestFailureTextSaysEachThingOnce: a failure's text is its code's words
// and its message, but the message alone when it says the code's words
// itself, and without the package prefix a peer of this library puts in
// front ("ipfi: shutting down" crossing with CodeShutdown is "shutting
// down", not "shutting down: ipfi: shutting down").
func TestFailureTextSaysEachThingOnce(t *testing.T) {
	for _, c := range []struct {
		code wire.ErrorCode
		msg  string
		want string
	}{
		{wire.CodeShutdown, "ipfi: shutting down", "shutting down"},
		{wire.CodeShutdown, "shutting down", "shutting down"},
		{wire.CodeBadArguments, "procedures: bad arguments: argument 1 of 1: got string, want int", "bad arguments: argument 1 of 1: got string, want int"},
		{wire.CodeBadArguments, "argument 1 of 1: got string, want int", "bad arguments: argument 1 of 1: got string, want int"},
		{wire.CodeUnknownProcedure, "procedures: unknown procedure 9", "unknown procedure 9"},
		{wire.CodePanic, "ipfi: procedure 5 (call 0) panicked: boom", "panic: procedure 5 (call 0) panicked: boom"},
		{wire.CodeDeadline, "context deadline exceeded", "context deadline exceeded"},
		{wire.CodeLimit, "ipfi: limit exceeded: 3 calls open on the wire (MaxOpenCalls)", "limit exceeded: 3 calls open on the wire (MaxOpenCalls)"},
		{wire.CodeLimit, "3 calls open on the wire (MaxOpenCalls)", "limit exceeded: 3 calls open on the wire (MaxOpenCalls)"},
		{wire.CodeProcedure, "boom", "procedure error: boom"},
		{wire.CodeProcedure, "procedures: procedure 3: cannot encode result: chan int", "procedure error: procedure 3: cannot encode result: chan int"},
		{wire.CodeCancelled, "", "cancelled"},
		// Words that only start like the code's are not the code's.
		{wire.CodePanic, "panicky: boom", "panic: panicky: boom"},
	} {
		f := &Failure{Code: c.code, Message: c.msg}
		if got := f.Error(); got != c.want {
			t.Errorf("Failure{%v, %q}.Error() = %q, want %q", c.code, c.msg, got, c.want)
		}
	}
}

// TestUnprefixed: the text of an error of this module without its package
// prefix; other texts as they are.
func TestUnprefixed(t *testing.T) {
	for in, want := range map[string]string{
		"ipfi: peer terminated the wire":     "peer terminated the wire",
		"wire: malformed frame: too large":   "malformed frame: too large",
		"procedures: bad arguments: x":       "bad arguments: x",
		"codec: got string, want int":        "got string, want int",
		"read tcp 1.2.3.4: connection reset": "read tcp 1.2.3.4: connection reset",
		"ipfiotel: something":                "ipfiotel: something",
	} {
		if got := Unprefixed(in); got != want {
			t.Errorf("Unprefixed(%q) = %q, want %q", in, got, want)
		}
	}
}
