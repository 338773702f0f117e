package tests

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// TestFirstCallCarriesMetadataAndDeadline: the first call on a freshly
// made wire, sent before the peer's announcement has been read, carries
// its metadata and deadline like every later one (by every transport, by
// Start and by a stream opened with Open).
func TestFirstCallCarriesMetadataAndDeadline(t *testing.T) {
	seen := func(ctx context.Context) (string, error) {
		_, hasDeadline := ctx.Deadline()
		return fmt.Sprintf("metadata=%v deadline=%v", map[string]string(ipfi.MetadataFrom(ctx)), hasDeadline), nil
	}
	const want = "metadata=map[authorization:Bearer x] deadline=true"
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			server := newInterface(t)
			must(t, server.Register(1, procedures.Func0(seen)))
			must(t, server.Register(2, procedures.Sequence0(func(ctx context.Context, yield func(string) error) error {
				s, _ := seen(ctx)
				return yield(s)
			})))
			client := newInterface(t)
			for round := range 2 {
				w, _ := connect(t, tr, client, server)
				ctx, cancel := context.WithTimeout(ipfi.AppendMetadata(context.Background(), "authorization", "Bearer x"), 5*time.Second)
				var got string
				if round == 0 {
					must(t, w.Call(ctx, 1, &got))
				} else {
					vs, err := ipfi.Collect[string](ctx, w, 2)
					must(t, err)
					got = fmt.Sprint(vs[0])
				}
				cancel()
				if got != want {
					t.Fatalf("round %d, the wire's first call saw %q, want %q", round, got, want)
				}
			}
		})
	}
}

// TestFirstCallWithoutExtrasDoesNotWait: a call with neither metadata nor a
// deadline is written at once on a wire whose peer has said nothing yet (a
// Rust peer says nothing before its answers); so is any call on a Plain
// wire. A call with metadata to a peer that never announces goes without
// it once the wait for the announcement is over.
func TestFirstCallWithoutExtrasDoesNotWait(t *testing.T) {
	ctx := bounded(t, 10*time.Second)
	w, peer := newRawPeer(t, newInterface(t))
	p, err := w.Start(ctx, 4)
	must(t, err)
	if f := readFrames(t, peer.r, 1)[0]; f.Kind != wire.KindCall || f.Procedure != 4 {
		t.Fatalf("wrote %v for procedure %d, want the call", f.Kind, f.Procedure)
	}
	peer.send(frame(wire.KindResponse, wire.TermComplete, 4, 0, []byte{1}), false)
	var v int
	must(t, p.Wait(ctx, &v))

	pw, ppeer := newPlainRawPeer(t, newInterface(t), ipfi.WithPlain())
	p, err = pw.Start(ipfi.AppendMetadata(ctx, "k", "v"), 5)
	must(t, err)
	if f := readFrames(t, ppeer.r, 1)[0]; f.Kind != wire.KindCall || f.Procedure != 5 {
		t.Fatalf("Plain wire wrote %v for procedure %d, want the call", f.Kind, f.Procedure)
	}
	ppeer.send(frame(wire.KindResponse, wire.TermComplete, 5, 0, []byte{1}), false)
	must(t, p.Wait(ctx, &v))

	sw, speer := newRawPeer(t, newInterface(t))
	p, err = sw.Start(ipfi.AppendMetadata(ctx, "k", "v"), 6)
	must(t, err)
	if f := readFrames(t, speer.r, 1)[0]; f.Kind != wire.KindCall || f.Procedure != 6 {
		t.Fatalf("to a silent peer wrote %v for procedure %d, want the call alone", f.Kind, f.Procedure)
	}
	speer.send(frame(wire.KindResponse, wire.TermComplete, 6, 0, []byte{1}), false)
	must(t, p.Wait(ctx, &v))
}

// TestServerCallsADialerThatNeverCalled: a dialer writes its announcement
// with its first message, or once the server's has arrived; one that never
// calls still announces, so the server's first call to it carries its
// deadline at once instead of waiting for the announcement in vain.
func TestServerCallsADialerThatNeverCalled(t *testing.T) {
	opened := make(chan *ipfi.Wire, 1)
	server := newInterface(t, ipfi.WithInterceptors(ipfi.Interceptor{WireOpened: func(w *ipfi.Wire) { opened <- w }}))
	client := newInterface(t)
	must(t, client.Register(1, procedures.Func0(func(ctx context.Context) (bool, error) {
		_, hasDeadline := ctx.Deadline()
		return hasDeadline, nil
	})))
	addr, stop := serveLoopback(t, server)
	defer stop()
	ctx := bounded(t, 10*time.Second)
	w, err := client.Dial(ctx, "tcp", addr)
	must(t, err)
	defer w.Close()
	sw := <-opened
	hasDeadline, err := ipfi.Call[bool](ctx, sw, 1)
	must(t, err)
	if !hasDeadline {
		t.Fatal("the server's call reached the dialer without its deadline: the dialer's announcement did not come")
	}
}
