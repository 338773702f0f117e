package tests

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/internal/vectors"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// TestGoCallerStreamsPartialArgsVectorBytes: arguments sent in pieces with
// Open, Send, Send, CloseSend come out exactly as the Rust crate's
// start_call_with_partial_args / continue_given_call_with_args /
// end_given_call, with and without the announcement; the response is read
// with Recv, which ends with io.EOF.
func TestGoCallerStreamsPartialArgsVectorBytes(t *testing.T) {
	for _, plain := range []bool{false, true} {
		caller := newInterface(t)
		var w *ipfi.Wire
		var peer *rawPeer
		if plain {
			w, peer = newPlainRawPeer(t, caller, ipfi.WithPlain())
		} else {
			w, peer = newRawPeer(t, caller)
		}
		ctx := bounded(t, 10*time.Second)
		s, err := w.Open(ctx, 1)
		must(t, err)
		sent := make(chan error, 1)
		go func() {
			if err := s.Send("John"); err != nil {
				sent <- err
				return
			}
			if err := s.Send("Doe"); err != nil {
				sent <- err
				return
			}
			sent <- s.CloseSend()
		}()
		peer.expectBytes("call_p1_partial_stream", vectors.Get("call_p1_partial_stream"))
		must(t, <-sent)
		peer.send(vectors.Get("resp_p1_partial"), false)
		var got string
		must(t, s.Recv(&got))
		if got != "Hello, John Doe!" {
			t.Fatalf("plain=%v: Recv = %q", plain, got)
		}
		if err := s.Recv(&got); err != io.EOF {
			t.Fatalf("plain=%v: Recv after the last value = %v, want io.EOF", plain, err)
		}
		if err := s.Send("late"); !errors.Is(err, ipfi.ErrSendClosed) {
			t.Fatalf("Send after CloseSend = %v", err)
		}
	}
}

// TestGoCallerReadsRustStream: the Rust crate's streamed response
// (Chunk, Chunk, Complete) read three ways: Iter, Recv to io.EOF, Collect.
func TestGoCallerReadsRustStream(t *testing.T) {
	caller := newInterface(t)
	w, peer := newRawPeer(t, caller)
	ctx := bounded(t, 10*time.Second)
	// answer expects the call of procedure 3 with n = 3 and call index idx
	// (the first is the vector's) and answers as the Rust crate does.
	answer := func(idx uint64) {
		if idx == 0 {
			peer.expectBytes("call_p3_n3", vectors.Get("call_p3_n3"))
			peer.send(vectors.Get("resp_p3_n3_stream"), true)
			return
		}
		peer.expectBytes("call_p3_n3", frame(wire.KindCall, wire.TermComplete, 3, idx, []byte{3}))
		peer.send(slices.Concat(frame(wire.KindResponse, wire.TermChunk, 3, idx, []byte{0}),
			frame(wire.KindResponse, wire.TermChunk, 3, idx, []byte{1}),
			frame(wire.KindResponse, wire.TermComplete, 3, idx, []byte{2})), true)
	}
	want := []uint32{0, 1, 2}

	// 1. The iterator.
	go answer(0)
	var got []uint32
	for v, err := range ipfi.Iter[uint32](ctx, w, 3, uint32(3)) {
		must(t, err)
		got = append(got, v)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Iter: %v, want %v", got, want)
	}

	// 2. Recv until io.EOF.
	go answer(1)
	s, err := w.Stream(ctx, 3, []any{uint32(3)})
	must(t, err)
	got = got[:0]
	for {
		var v uint32
		err := s.Recv(&v)
		if err == io.EOF {
			break
		}
		must(t, err)
		got = append(got, v)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Recv: %v, want %v", got, want)
	}

	// 3. Collect.
	go answer(2)
	got, err = ipfi.Collect[uint32](ctx, w, 3, uint32(3))
	must(t, err)
	if !slices.Equal(got, want) {
		t.Fatalf("Collect: %v, want %v", got, want)
	}

	// 4. An empty sequence: the crate's one empty Complete (resp_p3_n0) is
	// an empty stream to a stream reader (a plain Call reports it as
	// ErrRemote: TestGoCallerWritesVectorBytes).
	go func() {
		peer.expectBytes("call_p3_n0", frame(wire.KindCall, wire.TermComplete, 3, 3, []byte{0}))
		peer.send(frame(wire.KindResponse, wire.TermComplete, 3, 3, nil), true)
	}()
	got, err = ipfi.Collect[uint32](ctx, w, 3, uint32(0))
	if err != nil || len(got) != 0 {
		t.Fatalf("Collect of the empty sequence: %v, %v; want no values and no error", got, err)
	}
}

// TestRawStreamReassemblesSplitValues: a raw streaming procedure sends one
// value in three None pieces and a Chunk, then a whole value, then ends
// with a Complete that carries a third; the bytes on the wire are exactly
// those messages, and a Go caller reassembles three values.
func TestRawStreamReassemblesSplitValues(t *testing.T) {
	long := []byte("\xabhello world") // msgpack fixstr of 11 bytes
	callee := newInterface(t)
	must(t, callee.Register(7, procedures.RawStream(func(_ context.Context, _ []byte, send procedures.Sender) error {
		for _, m := range []struct {
			p []byte
			t wire.Terminator
		}{
			{long[:3], wire.TermNone}, {long[3:6], wire.TermNone}, {long[6:9], wire.TermNone},
			{long[9:], wire.TermChunk}, {[]byte{0xa1, 'x'}, wire.TermChunk}, {[]byte{0xa1, 'y'}, wire.TermComplete},
		} {
			if err := send(m.p, m.t); err != nil {
				return err
			}
		}
		return nil
	})))

	// The bytes, to a caller without extensions.
	_, peer := newRawPeer(t, callee)
	peer.send(frame(wire.KindCall, wire.TermComplete, 7, 0, nil), false)
	var want []byte
	for _, m := range []struct {
		p []byte
		t wire.Terminator
	}{
		{long[:3], wire.TermNone}, {long[3:6], wire.TermNone}, {long[6:9], wire.TermNone},
		{long[9:], wire.TermChunk}, {[]byte{0xa1, 'x'}, wire.TermChunk}, {[]byte{0xa1, 'y'}, wire.TermComplete},
	} {
		want = append(want, frame(wire.KindResponse, m.t, 7, 0, m.p)...)
	}
	peer.expectBytes("raw stream", want)

	// Reassembled by a Go caller: split one byte per read, and in whole
	// reads, where the completed value and the next one arrive together
	// (one run of values after pieces).
	for _, tr := range transports {
		caller := newInterface(t)
		w, _ := connect(t, tr, caller, callee)
		for range 20 {
			got, err := ipfi.Collect[string](bounded(t, 10*time.Second), w, 7)
			must(t, err)
			if !slices.Equal(got, []string{"hello world", "x", "y"}) {
				t.Fatalf("%s: values %q", tr, got)
			}
		}
	}
}

// TestExtensionMessagesOnTheWire: to a peer that announced, failures are
// Error messages with a code, a Cancel stops a procedure and is answered
// with a cancelled Error, a ping is answered with a pong; a Go caller's
// cancel writes a Cancel message. Every byte is checked against the
// extension layouts.
func TestExtensionMessagesOnTheWire(t *testing.T) {
	callee := newInterface(t)
	started := make(chan struct{})
	must(t, callee.Register(5, procedures.Func0(func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		if !errors.Is(context.Cause(ctx), ipfi.ErrCancelled) {
			t.Errorf("procedure's cause = %v, want ErrCancelled", context.Cause(ctx))
		}
		return 0, ctx.Err()
	})))
	must(t, callee.Register(6, procedures.Func0(func(context.Context) (int, error) {
		return 0, errors.New("boom")
	})))
	w, peer := newRawPeer(t, callee)
	peer.send([]byte{byte(wire.KindAnnounce)}, false)

	peer.send(frame(wire.KindCall, wire.TermComplete, 9, 0, nil), false)
	peer.expectBytes("unknown procedure", wire.AppendError(nil, 9, 0, wire.CodeUnknownProcedure, procedures.ErrUnknown.Error()+" 9"))
	peer.send(frame(wire.KindCall, wire.TermComplete, 6, 0, nil), false)
	peer.expectBytes("procedure error", wire.AppendError(nil, 6, 0, wire.CodeProcedure, "boom"))

	peer.send(frame(wire.KindCall, wire.TermComplete, 5, 0, nil), false)
	<-started
	peer.send(wire.AppendCancel(nil, 5, 0), false)
	peer.expectBytes("cancelled", wire.AppendError(nil, 5, 0, wire.CodeCancelled, ""))

	peer.send(wire.AppendPing(nil, wire.KindPing, 7), true)
	peer.expectBytes("pong", wire.AppendPing(nil, wire.KindPong, 7))

	// This side's cancel of its own call.
	ctx, cancel := context.WithCancel(bounded(t, 10*time.Second))
	res := make(chan error, 1)
	go func() { res <- w.Call(ctx, 2, nil) }()
	peer.expectBytes("call", frame(wire.KindCall, wire.TermComplete, 2, 0, nil))
	cancel()
	peer.expectBytes("cancel", wire.AppendCancel(nil, 2, 0))
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call = %v", err)
	}
	// The peer ends it with a cancelled error. The next call's error
	// carries a code and a message.
	peer.send(wire.AppendError(nil, 2, 0, wire.CodeCancelled, ""), false)
	go func() { res <- w.Call(bounded(t, 10*time.Second), 2, nil) }()
	peer.expectBytes("next call", frame(wire.KindCall, wire.TermComplete, 2, 1, nil))
	peer.send(wire.AppendError(nil, 2, 1, wire.CodeUnknownProcedure, "no"), false)
	var re *ipfi.RemoteError
	if err := <-res; !errors.As(err, &re) || re.Code != wire.CodeUnknownProcedure || re.Message != "no" ||
		!errors.Is(err, procedures.ErrUnknown) || !errors.Is(err, ipfi.ErrRemote) {
		t.Fatalf("remote error = %v", err)
	}
}
