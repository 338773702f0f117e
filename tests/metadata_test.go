package tests

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// TestMetadata: metadata a caller appends to its context reaches the
// procedure (unary, sequence, Quick) and the server's interceptors, which
// authorise from it; a call without the token is refused before its
// procedure runs; client interceptors see it and may add to it; metadata
// over the limits fails the call with ErrLimit before anything is sent.
func TestMetadata(t *testing.T) {
	errNoToken := &ipfi.Error{Code: 401, Message: "no token"}
	auth := func(ctx context.Context, info ipfi.CallInfo, next func(context.Context) error) error {
		if info.Metadata["authorization"] != "Bearer s3cret" {
			return errNoToken
		}
		return next(ctx)
	}
	server := newInterface(t, ipfi.WithInterceptors(ipfi.Interceptor{Server: auth}))
	echo := func(ctx context.Context) (string, error) {
		m := ipfi.MetadataFrom(ctx)
		return m["authorization"] + "|" + m["trace"], nil
	}
	must(t, server.Register(1, procedures.Func0(echo)))
	must(t, server.Register(2, procedures.Quick(procedures.Func0(echo))))
	must(t, server.Register(3, procedures.Sequence0(func(ctx context.Context, yield func(string) error) error {
		v, _ := echo(ctx)
		return yield(v)
	})))
	var sawTrace string
	addTrace := func(ctx context.Context, info ipfi.CallInfo, invoke func(context.Context) error) error {
		sawTrace = info.Metadata["authorization"]
		return invoke(ipfi.AppendMetadata(ctx, "trace", "t-1"))
	}
	client := newInterface(t, ipfi.WithInterceptors(ipfi.Interceptor{Client: addTrace}))
	w, _ := connect(t, tcp, client, server)
	ctx := bounded(t, 10*time.Second)
	_, err := w.Ping(ctx) // the announcements are in: metadata travels from the first call
	must(t, err)

	if _, err := ipfi.Call[string](ctx, w, 1); !errors.Is(err, errNoToken) {
		t.Fatalf("a call without the token: %v, want the interceptor's 401", err)
	}
	actx := ipfi.AppendMetadata(ctx, "authorization", "Bearer s3cret")
	for _, proc := range []procedures.Index{1, 2} {
		if got, err := ipfi.Call[string](actx, w, proc); err != nil || got != "Bearer s3cret|t-1" {
			t.Fatalf("procedure %d: %q, %v", proc, got, err)
		}
	}
	if sawTrace != "Bearer s3cret" {
		t.Fatalf("the client interceptor saw %q", sawTrace)
	}
	if got, err := ipfi.Collect[string](actx, w, 3); err != nil || len(got) != 1 || got[0] != "Bearer s3cret|" {
		// Collect is a stream: client interceptors (unary calls) do not add the trace.
		t.Fatalf("sequence: %q, %v", got, err)
	}
	many := ctx
	for k := range wire.MaxMetadataEntries + 1 {
		many = ipfi.AppendMetadata(many, fmt.Sprint("k", k), "v")
	}
	if _, err := ipfi.Call[string](many, w, 1); !errors.Is(err, ipfi.ErrLimit) || !errors.Is(err, wire.ErrMetadataTooLarge) {
		t.Fatalf("metadata over its limits: %v, want ErrLimit", err)
	}
}

// TestMetadataOnTheWire: a caller's deadline and metadata go, in that
// order, right before its call to a peer that announced version 2; to a
// peer that announced only version 1, or none (the Rust crate), the bytes
// are the call alone. A callee refuses a call whose metadata is over the
// limits (CodeLimit) and ends the wire on malformed metadata.
func TestMetadataOnTheWire(t *testing.T) {
	for _, announce := range [][]byte{announcements, {byte(wire.KindAnnounce)}, nil} {
		w, peer := newRawPeer(t, newInterface(t))
		if announce != nil {
			peer.send(announce, false)
		} else {
			peer.send(frame(wire.KindEndOfInput, 0, 0, 0, nil), false)
		}
		if announce != nil {
			pinged := make(chan error, 1)
			go func() { _, err := w.Ping(bounded(t, 5*time.Second)); pinged <- err }()
			ping := readFrames(t, peer.r, 1)[0]
			peer.send(wire.AppendPing(nil, wire.KindPong, ping.Call), false)
			must(t, <-pinged)
		} else {
			_ = w.PeerExtensions()
		}
		ctx, cancel := context.WithTimeout(ipfi.AppendMetadata(context.Background(), "k", "v"), 5*time.Second)
		p, err := w.Start(ctx, 4)
		must(t, err)
		var kinds []wire.Kind
		for _, f := range readFrames(t, peer.r, map[bool]int{true: 3, false: 1}[len(announce) == 2]) {
			kinds = append(kinds, f.Kind)
			if f.Kind == wire.KindMetadata {
				if kv, err := wire.ParseMetadata(f); err != nil || fmt.Sprint(kv) != "[k v]" {
					t.Fatalf("metadata %q, %v", kv, err)
				}
			}
		}
		want := []wire.Kind{wire.KindCall}
		if len(announce) == 2 {
			want = []wire.Kind{wire.KindDeadline, wire.KindMetadata, wire.KindCall}
		}
		if fmt.Sprint(kinds) != fmt.Sprint(want) {
			t.Fatalf("announced %x: the caller wrote %v, want %v", announce, kinds, want)
		}
		peer.send(frame(wire.KindResponse, wire.TermComplete, 4, 0, []byte{1}), false)
		var v int
		must(t, p.Wait(ctx, &v))
		cancel()
	}

	// The callee's side.
	i := newInterface(t)
	must(t, i.Register(1, procedures.Func0(func(context.Context) (int, error) { return 1, nil })))
	_, peer := newRawPeer(t, i)
	peer.send(announcements, false)
	tooMany := []byte{0x41}
	for range 0x41 {
		tooMany = append(tooMany, 1, 'k', 1, 'v')
	}
	peer.send(append(wire.AppendHeader(nil, wire.KindMetadata, wire.TermComplete, 1, 0, len(tooMany)), tooMany...), false)
	peer.send(frame(wire.KindCall, wire.TermComplete, 1, 0, nil), false)
	f := readFrames(t, peer.r, 1)[0]
	if b, _ := wire.ParseErrorBody(f); f.Kind != wire.KindError || b.Code != wire.CodeLimit {
		t.Fatalf("a call with 65 metadata pairs: %v %+v, want CodeLimit", f.Kind, b)
	}
	w2, peer2 := newRawPeer(t, i)
	peer2.send(announcements, false)
	peer2.send(append(wire.AppendHeader(nil, wire.KindMetadata, wire.TermComplete, 1, 0, 2), 0x01, 0x05), false)
	select {
	case <-w2.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("malformed metadata did not end the wire")
	}
	if !errors.Is(w2.Err(), wire.ErrMalformed) {
		t.Fatalf("the wire ended with %v, want ErrMalformed", w2.Err())
	}
}
