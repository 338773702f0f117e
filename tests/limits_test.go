package tests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
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

// TestArgumentsInPiecesOverTheLimitAreRefusedAtOnce: arguments sent in
// pieces that pass MaxCallArgs are answered ErrLimit as soon as they do,
// to a caller that speaks version 2 of the extensions: its next Send
// returns the error (the callee drops the rest without buffering it), and
// the pair and the wire go on. A caller without the extensions (Plain)
// cannot be answered early: its pieces are dropped, their credit given
// back, and the call is answered at its end. A callee that stopped
// granting credit instead would leave the caller's Send waiting for ever.
func TestArgumentsInPiecesOverTheLimitAreRefusedAtOnce(t *testing.T) {
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprintf("plain=%v", plain), func(t *testing.T) {
			piecesLimitRefusedAtOnce(t, plain)
		})
	}
}

// piecesLimitRefusedAtOnce is TestArgumentsInPiecesOverTheLimitAreRefusedAtOnce
// with a caller that is plain or speaks version 2 of the extensions.
func piecesLimitRefusedAtOnce(t *testing.T, plain bool) {
	wa, ctx := piecesLimitConnect(t, plain)
	s, err := wa.Open(ctx, 1)
	must(t, err)
	defer s.Close()
	refused := piecesLimitSend(t, s)
	switch {
	case plain && refused >= 0:
		t.Fatalf("a plain caller's Send of piece %d was refused: it cannot be answered before its end", refused)
	case !plain && refused < 0:
		t.Fatal("every Send of 2 MiB of pieces went through: the call over 100 KiB was not refused at once")
	}
	t.Logf("refused at piece %d (the limit is passed by piece 3)", refused)
	must(t, s.CloseSend())
	err = s.Recv(nil)
	switch {
	case plain && err != io.EOF && !errors.Is(err, ipfi.ErrRemote):
		// The empty response that reports a failure to a plain
		// caller ends a stream with no value (actors/STATES.md).
		t.Fatalf("Recv = %v, want the end of the stream (an empty response)", err)
	case !plain && !errors.Is(err, ipfi.ErrLimit):
		t.Fatalf("Recv = %v, want ErrLimit", err)
	}
	for range 3 { // the pair, and the wire, go on
		if n, err := ipfi.Call[any](ctx, wa, 1); err != nil || n != nil {
			t.Fatalf("next call: %v, %v", n, err)
		}
	}
}

// piecesLimitConnect connects a caller, plain or not, to a callee whose
// MaxCallArgs is 100 KiB and whose procedure 1 answers nil, and returns the
// caller's wire, its announcements in unless plain, with the test's
// context.
func piecesLimitConnect(t *testing.T, plain bool) (*ipfi.Wire, context.Context) {
	t.Helper()
	a := newInterface(t)
	b := newInterface(t, ipfi.WithLimits(ipfi.Limits{MaxCallArgs: 100 << 10}))
	must(t, b.Register(1, procedures.Raw(func(_ context.Context, args []byte) ([]byte, error) {
		return []byte{0xc0}, nil
	})))
	ca, cb := tcpPair(t)
	var opts []ipfi.Option
	if plain {
		opts = append(opts, ipfi.WithPlain())
	}
	wa, err := a.Connect(ca, ca, opts...)
	must(t, err)
	_, err = b.Connect(cb, cb)
	must(t, err)
	ctx := bounded(t, 10*time.Second)
	if !plain {
		_, err := wa.Ping(ctx) // the announcements are in
		must(t, err)
	}
	return wa, ctx
}

// piecesLimitSend sends up to 64 pieces of 32 KiB on s and returns the
// index of the one whose Send returned ErrLimit, or -1 if all went through.
func piecesLimitSend(t *testing.T, s *ipfi.Stream) int {
	t.Helper()
	piece := repeat(0xc0, 32<<10) // 32 KiB of MessagePack nils

	for i := range 64 { // 2 MiB in all, twenty times the limit
		if err := s.Send(ipfi.Raw(piece)); err != nil {
			if !errors.Is(err, ipfi.ErrLimit) {
				t.Fatalf("Send of piece %d: %v, want ErrLimit", i, err)
			}
			return i
		}
	}
	return -1
}

// TestLargeArgumentsGoInPieces: an argument larger than the peer's frame
// limit goes as several frames, so it reaches a callee whose argument
// limit allows it (as one frame it would be over MaxFrame and end the
// wire), and one over the callee's argument limit is answered with
// ErrLimit (an empty response to a plain caller) while the wire goes on.
func TestLargeArgumentsGoInPieces(t *testing.T) {
	a := newInterface(t)
	b := newInterface(t, ipfi.WithLimits(ipfi.Limits{MaxCallArgs: 32 << 20})) // MaxFrame stays 16 MiB
	must(t, b.Register(1, procedures.Func1(func(_ context.Context, p []byte) (int, error) { return len(p), nil })))
	must(t, b.Register(2, procedures.Func1(func(_ context.Context, n int) ([]byte, error) { return make([]byte, n), nil })))
	wa, wb := connect(t, tcp, a, b)
	// A hang detector for about 120 MiB both ways under -race, which takes
	// 10 s on a busy 2-core machine.
	ctx := bounded(t, 90*time.Second)
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
	wp, err := newInterface(t).Connect(ca, ca, ipfi.WithPlain())
	must(t, err)
	_, err = b.Connect(cb, cb)
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

// TestPiecesOverTheOpenCallLimitAreRefusedAtOnce: a call in pieces beyond
// MaxOpenCalls is answered ErrLimit at its first piece, to a caller that
// speaks version 2 of the extensions, so its Send returns the error
// instead of waiting for credit that would never come (as it would if the
// callee dropped the pieces without a word and answered only at the end);
// the pair and the wire go on.
func TestPiecesOverTheOpenCallLimitAreRefusedAtOnce(t *testing.T) {
	blk := newBlocker()
	b := newInterface(t, ipfi.WithLimits(ipfi.Limits{MaxOpenCalls: 1}))
	must(t, b.Register(1, blk.unary()))
	must(t, b.Register(2, procedures.Raw(func(context.Context, []byte) ([]byte, error) { return []byte{0xc0}, nil })))
	w, _ := connect(t, tcp, newInterface(t), b)
	ctx := bounded(t, 10*time.Second)
	open, err := w.Start(ctx, 1)
	must(t, err)
	<-blk.started
	s, err := w.Open(ctx, 2)
	must(t, err)
	defer s.Close()
	piece := repeat(0xc0, 32<<10)
	refused := false
	for range 8 { // 256 KiB: past the 64 KiB the caller may send without credit
		if err := s.Send(ipfi.Raw(piece)); err != nil {
			if !errors.Is(err, ipfi.ErrLimit) || !strings.Contains(err.Error(), "MaxOpenCalls") {
				t.Fatalf("Send beyond MaxOpenCalls: %v, want ErrLimit naming it", err)
			}
			refused = true
			break
		}
	}
	if !refused {
		t.Fatal("256 KiB of pieces of a call beyond MaxOpenCalls went through")
	}
	close(blk.release)
	var v int
	must(t, open.Wait(ctx, &v))
	// A call counts until its procedure has returned, which may be just
	// after its answer reached the caller: each call waits for the one
	// before to be served in full.
	for range 3 {
		servedAll(t, b)
		if n, err := ipfi.Call[any](ctx, w, 2); err != nil || n != nil {
			t.Fatalf("a call once the open one ended: %v, %v", n, err)
		}
	}
}

// TestReusedPairEndsTheWire: a Call message for a call whose arguments
// had ended (the peer reused the pair while the call is open) ends the
// wire as malformed, with a cause saying so, instead of being dropped
// without a word.
func TestReusedPairEndsTheWire(t *testing.T) {
	blk := newBlocker()
	defer close(blk.release)
	i := newInterface(t)
	must(t, i.Register(1, blk.unary()))
	w, peer := newRawPeer(t, i)
	peer.send(announcements, false)
	peer.send(frame(wire.KindCall, wire.TermComplete, 1, 0, nil), false)
	<-blk.started
	peer.send(frame(wire.KindCall, wire.TermComplete, 1, 0, nil), false)
	select {
	case <-w.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the wire went on after its peer reused an open call's pair")
	}
	if err := w.Err(); !errors.Is(err, wire.ErrMalformed) || !strings.Contains(err.Error(), "reused") {
		t.Fatalf("the wire ended with %v, want a malformed-input cause naming the reused pair", err)
	}
}
