package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/internal/vectors"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// errNotFound is an application error, as an application declares one.
var errNotFound = &ipfi.Error{Code: 404, Message: "not found"}

// TestApplicationErrors: a procedure's application error (an *ipfi.Error,
// wrapped or not) reaches its caller with its code, its message and its
// details, testable with errors.Is and errors.As without package wire; an
// application error that a procedure got from a call it made, and
// returns, is that procedure's failure (CodeProcedure); a caller without
// the extensions gets an empty response, as for any failure.
func TestApplicationErrors(t *testing.T) {
	server, client := newInterface(t), newInterface(t)
	details, err := codec.Marshal(map[string]int{"id": 7})
	must(t, err)
	must(t, server.Register(1, procedures.Func1(func(_ context.Context, id int) (string, error) {
		return "", fmt.Errorf("user %d: %w", id, &ipfi.Error{Code: 404, Message: "not found", Details: details})
	})))
	must(t, server.Register(2, procedures.Func0(func(ctx context.Context) (string, error) {
		_, err := ipfi.Call[string](ctx, ipfi.WireFrom(ctx), 1, 7) // the client's procedure 1 fails with 404
		return "", err
	})))
	must(t, client.Register(1, procedures.Func1(func(_ context.Context, id int) (string, error) {
		return "", errNotFound
	})))
	w, _ := connect(t, pipe, client, server)
	ctx := bounded(t, 10*time.Second)

	_, err = ipfi.Call[string](ctx, w, 1, 7)
	if !errors.Is(err, errNotFound) || !errors.Is(err, ipfi.ErrRemote) {
		t.Fatalf("application error: %v; want it to match the *Error of code 404 and ErrRemote", err)
	}
	var re *ipfi.RemoteError
	var app *ipfi.Error
	if !errors.As(err, &re) || re.Code != ipfi.CodeApplication || !errors.As(err, &app) {
		t.Fatalf("application error: %#v, want a RemoteError of CodeApplication unwrapping to an *Error", err)
	}
	var got map[string]int
	must(t, codec.Unmarshal(app.Details, &got))
	if app.Code != 404 || app.Message != "user 7: not found" || got["id"] != 7 {
		t.Fatalf("application error = %+v (details %v), want code 404, \"user 7: not found\", {id: 7}", app, got)
	}
	if errors.Is(err, &ipfi.Error{Code: 500}) {
		t.Fatal("an application error matched another code")
	}

	_, err = ipfi.Call[string](ctx, w, 2)
	if !errors.As(err, &re) || re.Code != ipfi.CodeProcedure || errors.Is(err, errNotFound) {
		t.Fatalf("a procedure returning a nested call's application error: %v, want CodeProcedure, not the nested 404", err)
	}

	plain, other := newInterface(t), newInterface(t)
	must(t, other.Register(1, procedures.Func0(func(context.Context) (int, error) { return 0, errNotFound })))
	ca, cb := tcpPair(t)
	pw, err := plain.Connect(ca, ca, ipfi.WithPlain())
	must(t, err)
	_, err = other.Connect(cb, cb)
	must(t, err)
	if _, err := ipfi.Call[int](ctx, pw, 1); !errors.Is(err, ipfi.ErrRemote) || errors.As(err, &re) {
		t.Fatalf("application error to a caller without the extensions: %v, want ErrRemote (an empty response)", err)
	}
}

// TestGoCalleeWritesApplicationErrorVector: a Go callee answers an
// application error with exactly the bytes of the extension vector.
func TestGoCalleeWritesApplicationErrorVector(t *testing.T) {
	i := newInterface(t)
	must(t, i.Register(1, procedures.Func0(func(context.Context) (int, error) {
		return 0, &ipfi.Error{Code: 404, Message: "not found", Details: []byte{0x81, 0xa2, 0x69, 0x64, 0x07}}
	})))
	_, peer := newRawPeer(t, i)
	peer.send([]byte{byte(wire.KindAnnounce)}, false)
	peer.send(frame(wire.KindCall, wire.TermComplete, 1, 2, nil), false)
	want := extensionVector(t, "ext_error_p1_c2_application_404")
	peer.expectBytes("application error", want)
	if !bytes.Equal(want[len(want)-5:], []byte{0x81, 0xa2, 0x69, 0x64, 0x07}) {
		t.Fatal("the vector does not end with its details")
	}
}

// extensionVector returns the named vector of wire/testdata/extensions.txt.
func extensionVector(t *testing.T, name string) []byte {
	t.Helper()
	text, err := os.ReadFile("../wire/testdata/extensions.txt")
	must(t, err)
	all, err := vectors.Parse(string(text))
	must(t, err)
	for _, v := range all {
		if v.Name == name {
			return v.Bytes
		}
	}
	t.Fatalf("no extension vector %s", name)
	return nil
}
