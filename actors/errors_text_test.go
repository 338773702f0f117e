package actors

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// checkText fails unless err's text is want, and no "words: " segment of
// it appears twice or a package prefix anywhere but at the start.
func checkText(t testing.TB, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if err.Error() != want {
		t.Errorf("error text\n  %q\nwant\n  %q", err.Error(), want)
	}
	pkg := map[string]bool{"ipfi": true, "codec": true, "procedures": true, "msgpack": true, "wire": true}
	seen := map[string]bool{}
	for i, seg := range strings.Split(err.Error(), ": ") {
		if seen[seg] {
			t.Errorf("%q says %q twice", err, seg)
		}
		seen[seg] = true
		if pkg[seg] && i > 0 {
			t.Errorf("%q has the package prefix %q inside", err, seg)
		}
	}
}

// TestRemoteErrorSaysEachThingOnce: a peer's failure reads "ipfi: remote
// call failed" once, then the code's words and the peer's message without
// a repetition of either (a peer of this library sends its errors' texts,
// package prefixes and all), and still matches what its code stands for.
func TestRemoteErrorSaysEachThingOnce(t *testing.T) {
	for _, c := range []struct {
		e     *RemoteError
		want  string
		match error
	}{
		{&RemoteError{Code: wire.CodeShutdown, Message: "ipfi: shutting down"},
			"ipfi: remote call failed: shutting down", ErrShutdown},
		{&RemoteError{Code: wire.CodeBadArguments, Message: "procedures: bad arguments: argument 1 of 1: got string, want int"},
			"ipfi: remote call failed: bad arguments: argument 1 of 1: got string, want int", procedures.ErrBadArguments},
		{&RemoteError{Code: wire.CodeUnknownProcedure, Message: "procedures: unknown procedure 9"},
			"ipfi: remote call failed: unknown procedure 9", procedures.ErrUnknown},
		{&RemoteError{Code: wire.CodePanic, Message: "ipfi: procedure 5 (call 0) panicked: boom"},
			"ipfi: remote call failed: panic: procedure 5 (call 0) panicked: boom", ErrRemote},
		{&RemoteError{Code: wire.CodeCancelled},
			"ipfi: remote call failed: cancelled", ErrCancelled},
		{&RemoteError{Code: wire.CodeLimit, Message: "3 calls open on the wire (MaxOpenCalls)"},
			"ipfi: remote call failed: limit exceeded: 3 calls open on the wire (MaxOpenCalls)", ErrLimit},
		{&RemoteError{Code: wire.CodeApplication, Message: "no key b", App: &Error{Code: 404, Message: "no key b"}},
			"ipfi: remote call failed: application error 404: no key b", &Error{Code: 404}},
		{&RemoteError{Code: wire.CodeApplication, Message: "application error 7", App: &Error{Code: 7}},
			"ipfi: remote call failed: application error 7", &Error{Code: 7}},
	} {
		checkText(t, c.e, c.want)
		if !errors.Is(c.e, c.match) || !errors.Is(c.e, ErrRemote) {
			t.Errorf("%v does not match %v and ErrRemote", c.e, c.match)
		}
	}
}

// TestWireErrorSaysIpfiOnce: a wire's end reads "ipfi: wire terminated"
// and its cause without the cause's package prefix, and matches both.
func TestWireErrorSaysIpfiOnce(t *testing.T) {
	err := terminated(ErrPeerTerminated)
	checkText(t, err, "ipfi: wire terminated: peer terminated the wire")
	if !errors.Is(err, ErrWireTerminated) || !errors.Is(err, ErrPeerTerminated) {
		t.Errorf("%v does not match ErrWireTerminated and ErrPeerTerminated", err)
	}
	err = terminated(fmt.Errorf("%w: declared payload of 9 bytes, limit 8", wire.ErrMalformed))
	checkText(t, err, "ipfi: wire terminated: malformed frame: declared payload of 9 bytes, limit 8")
	if !errors.Is(err, wire.ErrMalformed) {
		t.Errorf("%v does not match wire.ErrMalformed", err)
	}
}

// TestWrappedCausesSayTheirPackageOnce: the errors this package builds
// around another package's say one prefix, and match what they wrap.
func TestWrappedCausesSayTheirPackageOnce(t *testing.T) {
	err := fmt.Errorf("%w: %w", ErrLimit, unprefixed(wire.ErrMetadataTooLarge))
	checkText(t, err, "ipfi: limit exceeded: metadata over its limits")
	if !errors.Is(err, ErrLimit) || !errors.Is(err, wire.ErrMetadataTooLarge) {
		t.Errorf("%v does not match ErrLimit and wire.ErrMetadataTooLarge", err)
	}
	pf := &ProcedureFailure{Procedure: 5, Call: 0, Panic: "boom"}
	checkText(t, wireFailure(pf), "ipfi: wire failed: procedure 5 (call 0) panicked: boom")
}
