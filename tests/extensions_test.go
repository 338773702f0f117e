package tests

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// TestCollectingCallGrantsCredit: a plain Call on a sequence procedure
// whose values far exceed the flow-control window still gets all of them
// (the caller grants credit as they arrive) and reports ErrStreamed.
func TestCollectingCallGrantsCredit(t *testing.T) {
	callee, caller := newInterface(t), newInterface(t)
	must(t, callee.Register(3, procedures.Sequence1(func(_ context.Context, n int, yield func([]byte) error) error {
		v := make([]byte, 1000)
		for range n {
			if err := yield(v); err != nil {
				return err
			}
		}
		return nil
	})))
	w, _ := connect(t, tcp, caller, callee)
	ctx := bounded(t, 10*time.Second)
	if err := w.Call(ctx, 3, nil, 1000); !errors.Is(err, ipfi.ErrStreamed) {
		t.Fatalf("Call on a 1 MB sequence = %v, want ErrStreamed", err)
	}
	if !w.PeerExtensions() {
		t.Fatal("the peer's announcement was not seen")
	}
}

// TestPingAndPlainWires: two wires with the extensions ping each other; a
// Plain wire neither announces nor uses a peer's announcement.
func TestPingAndPlainWires(t *testing.T) {
	a, b := newInterface(t), newInterface(t)
	w, _ := connect(t, pipe, a, b)
	ctx := bounded(t, 10*time.Second)
	if rtt, err := w.Ping(ctx); err != nil || rtt <= 0 {
		t.Fatalf("Ping = %v, %v", rtt, err)
	}

	must(t, b.Register(6, procedures.Func0(func(context.Context) (int, error) { return 0, errors.New("boom") })))
	ca, cb := net.Pipe()
	plain, err := a.Connect(ca, ca, ipfi.WithPlain())
	must(t, err)
	_, err = b.Connect(cb, cb)
	must(t, err)
	err = plain.Call(ctx, 6, nil)
	var re *ipfi.RemoteError
	if !errors.Is(err, ipfi.ErrRemote) || errors.As(err, &re) {
		t.Fatalf("a failed call on a plain wire = %v, want bare ErrRemote (an empty response)", err)
	}
	if plain.PeerExtensions() {
		t.Fatal("a plain wire uses the peer's extensions")
	}
	if _, err := plain.Ping(ctx); !errors.Is(err, ipfi.ErrNoExtensions) {
		t.Fatalf("Ping on a plain wire = %v", err)
	}
	if err := w.Call(ctx, 6, nil); !errors.As(err, &re) || re.Code != wire.CodeProcedure || re.Message != "boom" {
		t.Fatalf("a failed call with the extensions = %v, want a RemoteError with code %v and message boom", err, wire.CodeProcedure)
	}
}
