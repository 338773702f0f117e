package tests

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/internal/vectors"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// TestMalformedFrameEndsOnlyThatWire: a peer sending garbage loses its wire;
// another wire of the same interface keeps working.
func TestMalformedFrameEndsOnlyThatWire(t *testing.T) {
	callee := newInterface(t)
	registerVectorProcedures(t, callee)
	bad, badPeer := newRawPeer(t, callee)
	good, goodPeer := newRawPeer(t, callee)

	badPeer.send([]byte{byte(wire.KindCall), 0x80, 0, 0, 0}, false) // terminator bits (0,1)
	<-bad.Done()
	if !errors.Is(bad.Err(), wire.ErrMalformed) {
		t.Fatalf("bad wire Err() = %v, want wire.ErrMalformed", bad.Err())
	}
	goodPeer.send(vectors.Get("call_p1_john_doe"), false)
	goodPeer.expectBytes("resp_p1", vectors.Get("resp_p1"))
	if good.Err() != nil {
		t.Fatalf("good wire ended: %v", good.Err())
	}
}

// TestFrameLimit: a frame declaring more than MaxFrame ends the wire as
// malformed (the decoder refuses before allocating; see package wire).
func TestFrameLimit(t *testing.T) {
	callee := newInterface(t, ipfi.WithLimits(ipfi.Limits{MaxFrame: 1024}))
	w, peer := newRawPeer(t, callee)
	// Call of procedure 0, call 0, u64 payload length 1<<40.
	peer.send(wire.AppendHeader(nil, wire.KindCall, wire.TermComplete, 0, 0, 1<<40), false)
	<-w.Done()
	if !errors.Is(w.Err(), wire.ErrFrameTooLarge) {
		t.Fatalf("Err() = %v, want wire.ErrFrameTooLarge", w.Err())
	}
}

// TestArgumentLimit: a call whose arguments exceed MaxCallArgs is answered
// with an error; the wire and later calls go on.
func TestArgumentLimit(t *testing.T) {
	a := newInterface(t)
	b := newInterface(t, ipfi.WithLimits(ipfi.Limits{MaxCallArgs: 100}))
	must(t, b.Register(1, procedures.Func1(func(_ context.Context, s string) (int, error) { return len(s), nil })))
	wa, _ := connect(t, tcp, a, b)
	ctx := bounded(t, 5*time.Second)
	if _, err := ipfi.Call[int](ctx, wa, 1, string(repeat('x', 200))); !errors.Is(err, ipfi.ErrRemote) {
		t.Fatalf("oversized call: err = %v, want ErrRemote", err)
	}
	if n, err := ipfi.Call[int](ctx, wa, 1, "ok"); err != nil || n != 2 {
		t.Fatalf("next call: %v, %v", n, err)
	}
}

// TestArgumentsInPiecesOverTheLimitDoNotHang: arguments sent in pieces
// that pass MaxCallArgs are dropped by the callee, which still gives their
// credit back, so the caller's Sends go through and the call is answered
// with ErrLimit at its end. (The callee used to stop granting credit, and
// the caller's Send waited forever for it.)
func TestArgumentsInPiecesOverTheLimitDoNotHang(t *testing.T) {
	a := newInterface(t)
	b := newInterface(t, ipfi.WithLimits(ipfi.Limits{MaxCallArgs: 100 << 10}))
	must(t, b.Register(1, procedures.Raw(func(_ context.Context, args []byte) ([]byte, error) {
		return []byte{0xc0}, nil
	})))
	wa, _ := connect(t, tcp, a, b)
	ctx := bounded(t, 10*time.Second)
	s, err := wa.Open(ctx, 1)
	must(t, err)
	defer s.Close()
	piece := repeat(0xc0, 32<<10) // 32 KiB of MessagePack nils
	for i := range 16 {           // 512 KiB in all, five times the limit
		if err := s.SendRaw(piece); err != nil {
			t.Fatalf("Send of piece %d: %v (want the pieces over the limit to be taken and dropped)", i, err)
		}
	}
	must(t, s.CloseSend())
	if err := s.Recv(nil); !errors.Is(err, ipfi.ErrLimit) {
		t.Fatalf("Recv = %v, want ErrLimit", err)
	}
	if n, err := ipfi.Call[any](ctx, wa, 1); err != nil || n != nil {
		t.Fatalf("next call: %v, %v", n, err)
	}
}

// TestLargeArgumentsGoInPieces: an argument larger than the peer's frame
// limit goes as several frames, so it reaches a callee whose argument
// limit allows it (it used to end the wire, its frame over MaxFrame), and
// one over the callee's argument limit is answered with ErrLimit (an empty
// response to a plain caller) while the wire goes on.
func TestLargeArgumentsGoInPieces(t *testing.T) {
	a := newInterface(t)
	b := newInterface(t, ipfi.WithLimits(ipfi.Limits{MaxCallArgs: 32 << 20})) // MaxFrame stays 16 MiB
	must(t, b.Register(1, procedures.Func1(func(_ context.Context, p []byte) (int, error) { return len(p), nil })))
	must(t, b.Register(2, procedures.Func1(func(_ context.Context, n int) ([]byte, error) { return make([]byte, n), nil })))
	wa, wb := connect(t, tcp, a, b)
	ctx := bounded(t, 30*time.Second)
	if n, err := ipfi.Call[int](ctx, wa, 1, make([]byte, 20<<20)); err != nil || n != 20<<20 {
		t.Fatalf("20 MiB argument, frame limit 16 MiB, argument limit 32 MiB: %v, %v", n, err)
	}
	if got, err := ipfi.Call[[]byte](ctx, wa, 2, 20<<20); err != nil || len(got) != 20<<20 {
		t.Fatalf("20 MiB result over a 16 MiB frame limit: %d bytes, %v", len(got), err)
	}
	if _, err := ipfi.Call[int](ctx, wa, 1, make([]byte, 40<<20)); !errors.Is(err, ipfi.ErrLimit) {
		t.Fatalf("40 MiB argument over a 32 MiB argument limit: %v, want ErrLimit", err)
	}
	if n, err := ipfi.Call[int](ctx, wa, 1, []byte("ok")); err != nil || n != 2 || wa.Err() != nil || wb.Err() != nil {
		t.Fatalf("the wire after it: %v, %v (wire ends: %v, %v)", n, err, wa.Err(), wb.Err())
	}

	ca, cb := tcpPair(t)
	wp, err := newInterface(t).ConnectConn(ca, ipfi.Plain())
	must(t, err)
	_, err = b.ConnectConn(cb)
	must(t, err)
	if _, err := ipfi.Call[int](ctx, wp, 1, make([]byte, 40<<20)); !errors.Is(err, ipfi.ErrRemote) {
		t.Fatalf("40 MiB argument from a plain caller: %v, want ErrRemote", err)
	}
	if n, err := ipfi.Call[int](ctx, wp, 1, []byte("ok")); err != nil || n != 2 {
		t.Fatalf("the plain wire after it: %v, %v", n, err)
	}
}

// TestOpenCallLimit: calls beyond MaxOpenCalls are answered with an error at
// once, while the open ones go on.
func TestOpenCallLimit(t *testing.T) {
	a := newInterface(t)
	b := newInterface(t, ipfi.WithLimits(ipfi.Limits{MaxOpenCalls: 2}))
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	must(t, b.Register(1, procedures.Func0(func(ctx context.Context) (int, error) {
		started <- struct{}{}
		<-release
		return 1, nil
	})))
	wa, _ := connect(t, tcp, a, b)
	ctx := bounded(t, 5*time.Second)
	p1, err := wa.Start(ctx, 1)
	must(t, err)
	p2, err := wa.Start(ctx, 1)
	must(t, err)
	<-started
	<-started
	if _, err := ipfi.Call[int](ctx, wa, 1); !errors.Is(err, ipfi.ErrRemote) {
		t.Fatalf("third call: err = %v, want ErrRemote", err)
	}
	close(release)
	for _, p := range []*ipfi.Pending{p1, p2} {
		var n int
		if err := p.Wait(ctx, &n); err != nil || n != 1 {
			t.Fatalf("open call: %v, %v", n, err)
		}
	}
}
