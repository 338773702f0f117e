package ipfiquic_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiquic"
	"github.com/quic-go/quic-go"
)

var (
	add    = ipfi.Proc2[int, int, int]{Index: 1}
	hangUp = ipfi.Proc0[int]{Index: 2} // closes the server's end of its own wire
	block  = ipfi.Proc0[int]{Index: 3} // returns as its context ends
	proto  = ipfi.Proc0[string]{Index: 4}
)

// callee is an interface with the tests' procedures.
func callee(t *testing.T, opts ...ipfi.Option) *ipfi.Interface {
	t.Helper()
	i := newInterface(t, opts...)
	must(t, add.Register(i, func(_ context.Context, x, y int) (int, error) { return x + y, nil }))
	must(t, hangUp.Register(i, func(ctx context.Context) (int, error) {
		go ipfi.WireFrom(ctx).Close()
		return 0, nil
	}))
	must(t, block.Register(i, func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, context.Cause(ctx)
	}))
	must(t, proto.Register(i, func(ctx context.Context) (string, error) {
		if s := ipfi.WireFrom(ctx).TLS(); s != nil {
			return s.NegotiatedProtocol, nil
		}
		return "no TLS", nil
	}))
	return i
}

// TestManyWiresOneConnection: ten wires on one connection; one ended by
// the server and one by the client end alone, while the other eight go
// on; closing the connection then ends those eight with
// ErrWireTerminated.
func TestManyWiresOneConnection(t *testing.T) {
	addr, client := serve(t, callee(t))
	c := dial(t, newInterface(t), addr, client)
	ctx := bounded(t)
	var wires []*ipfi.Wire
	for range 10 {
		w, err := c.Open(ctx)
		must(t, err)
		wires = append(wires, w)
	}
	if _, err := hangUp.Call(ctx, wires[0]); err != nil && !errors.Is(err, ipfi.ErrWireTerminated) {
		t.Fatalf("hangUp: %v", err)
	}
	wires[1].Close()
	for _, w := range wires[:2] {
		select {
		case <-w.Done():
		case <-ctx.Done():
			t.Fatal("a wire whose stream ended is still up")
		}
	}
	pending, err := wires[2].Start(ctx, block.Index)
	must(t, err)
	for k, w := range wires[2:] {
		if got, err := add.Call(ctx, w, k, 1); err != nil || got != k+1 {
			t.Fatalf("wire %d after two others ended: %v, %v", k+2, got, err)
		}
	}
	c.Close()
	if err := pending.Wait(ctx, nil); !errors.Is(err, ipfi.ErrWireTerminated) {
		t.Fatalf("a call pending as the connection closed: %v, want ErrWireTerminated", err)
	}
	for k, w := range wires[2:] {
		select {
		case <-w.Done():
		case <-ctx.Done():
			t.Fatalf("wire %d outlived its connection", k+2)
		}
	}
	var ae *quic.ApplicationError
	if <-c.Done(); !errors.As(c.Err(), &ae) || ae.ErrorCode != ipfiquic.CodeClosed {
		t.Fatalf("Err() = %v, want an application close with CodeClosed", c.Err())
	}
}

// TestServerOpensWires: a server's procedure reaches the client over its
// own wire (a call back), and the client's interface serves the streams
// the server opens: both directions on one connection.
func TestServerOpensWires(t *testing.T) {
	back := ipfi.Proc1[int, int]{Index: 9}
	srv := newInterface(t)
	must(t, back.Register(srv, func(ctx context.Context, x int) (int, error) {
		return add.Call(ctx, ipfi.WireFrom(ctx), x, x)
	}))
	addr, client := serve(t, srv)
	cli := callee(t)
	c := dial(t, cli, addr, client)
	w, err := c.Open(bounded(t))
	must(t, err)
	if got, err := back.Call(bounded(t), w, 21); err != nil || got != 42 {
		t.Fatalf("a call answered by calling back: %v, %v", got, err)
	}
}

// TestWireTLSOverQUIC: a wire on a QUIC stream has its connection's TLS
// state (QUIC always speaks TLS 1.3, with ALPN "ipfi"), on both sides.
func TestWireTLSOverQUIC(t *testing.T) {
	addr, client := serve(t, callee(t))
	w, err := dial(t, newInterface(t), addr, client).Open(bounded(t))
	must(t, err)
	if s := w.TLS(); s == nil || s.NegotiatedProtocol != ipfiquic.NextProto || len(s.VerifiedChains) == 0 {
		t.Fatalf("the client's wire TLS = %+v, want verified, with ALPN %q", s, ipfiquic.NextProto)
	}
	if got, err := proto.Call(bounded(t), w); err != nil || got != ipfiquic.NextProto {
		t.Fatalf("the server's wire saw ALPN %q, %v; want %q", got, err, ipfiquic.NextProto)
	}
}

// TestServeReturnsWithItsInterface: Close of the serving interface ends
// Serve with ErrClosed and closes the connections it accepted.
func TestServeReturnsWithItsInterface(t *testing.T) {
	srv, err := ipfi.New()
	must(t, err)
	addr, client := serve(t, srv) // its cleanup checks Serve's error
	c := dial(t, newInterface(t), addr, client)
	w, err := c.Open(bounded(t))
	must(t, err)
	srv.Close()
	for _, done := range []<-chan struct{}{w.Done(), c.Done()} {
		select {
		case <-done:
		case <-bounded(t).Done():
			t.Fatal("the client's wire or connection outlived the server's interface")
		}
	}
}

// TestServeShutdownLetsCallsFinish: Shutdown of the serving interface
// lets a call open on a QUIC wire finish before the connection closes.
func TestServeShutdownLetsCallsFinish(t *testing.T) {
	srv := newInterface(t)
	slow := ipfi.Proc0[string]{Index: 1}
	running, release := make(chan struct{}), make(chan struct{})
	must(t, slow.Register(srv, func(context.Context) (string, error) {
		close(running)
		<-release
		return "finished", nil
	}))
	addr, client := serve(t, srv)
	w, err := dial(t, newInterface(t), addr, client).Open(bounded(t))
	must(t, err)
	p, err := w.Start(bounded(t), slow.Index)
	must(t, err)
	<-running
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(bounded(t)) }()
	<-srv.Stopping()
	close(release)
	var got string
	if err := p.Wait(bounded(t), &got); err != nil || got != "finished" {
		t.Fatalf("a call open as Shutdown began: %q, %v; want finished", got, err)
	}
	must(t, <-shut)
}

// TestConfigFromTimeouts: Config sets QUIC's zero timers from the
// interface's Timeouts and keeps the ones given.
func TestConfigFromTimeouts(t *testing.T) {
	i := newInterface(t, ipfi.WithTimeouts(ipfi.Timeouts{Handshake: 3 * time.Second, KeepaliveInterval: 5 * time.Second, KeepaliveTimeout: 2 * time.Second}))
	c := ipfiquic.Config(i, nil)
	if c.HandshakeIdleTimeout != 3*time.Second || c.KeepAlivePeriod != 5*time.Second || c.MaxIdleTimeout != 7*time.Second {
		t.Fatalf("Config = handshake %v, keepalive %v, idle %v; want 3s, 5s, 7s", c.HandshakeIdleTimeout, c.KeepAlivePeriod, c.MaxIdleTimeout)
	}
	base := &quic.Config{KeepAlivePeriod: time.Second, MaxIncomingStreams: 500}
	c = ipfiquic.Config(i, base)
	if c.KeepAlivePeriod != time.Second || c.MaxIncomingStreams != 500 || c.MaxIdleTimeout != 7*time.Second {
		t.Fatalf("Config(base) = keepalive %v, streams %d, idle %v; want base's 1s and 500, idle 7s", c.KeepAlivePeriod, c.MaxIncomingStreams, c.MaxIdleTimeout)
	}
	off := newInterface(t, ipfi.WithTimeouts(ipfi.Timeouts{KeepaliveInterval: -1}))
	if c := ipfiquic.Config(off, nil); c.KeepAlivePeriod != 0 || c.MaxIdleTimeout != 0 {
		t.Fatalf("keepalive off: Config = keepalive %v, idle %v; want quic-go's defaults (0, 0)", c.KeepAlivePeriod, c.MaxIdleTimeout)
	}
}

// TestDialNeedsTLS: Dial and Listen refuse a nil tls.Config with an error
// that says QUIC always speaks TLS.
func TestDialNeedsTLS(t *testing.T) {
	i := newInterface(t)
	if _, err := ipfiquic.Dial(bounded(t), i, "127.0.0.1:1", nil, nil); err == nil {
		t.Fatal("Dial with a nil tls.Config succeeded")
	}
	if _, err := ipfiquic.Listen(i, "127.0.0.1:0", nil, nil); err == nil {
		t.Fatal("Listen with a nil tls.Config succeeded")
	}
}
