package transporttest

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// Server serves i over the transport under test as the transport's
// servers do, every wire accepted (ipfi.WithAccepted: i's
// Timeouts.Handshake and Timeouts.Idle apply), until the test ends. It
// returns dial, which opens a raw connection to that server: the
// transport's own handshakes done (TLS, an HTTP upgrade, a QUIC stream),
// no byte of IPFI sent. Closing the connection closes what dial made.
type Server func(t *testing.T, i *ipfi.Interface) (dial func(ctx context.Context) (io.ReadWriteCloser, error))

// The timeouts the adversarial essentials set, short for a test.
const (
	handshake    = 300 * time.Millisecond
	idle         = 400 * time.Millisecond
	writeTimeout = 300 * time.Millisecond
	// slack is what a bound may be passed by on a loaded machine: the
	// watchdog's period (half the timeout), a scheduler's delays.
	slack = 3 * time.Second
)

// RunAdversarial runs the adversarial essentials against a server of the
// transport, each a subtest with the bound SECURITY.md states:
//   - a peer that never finishes its handshake (sends nothing) is closed
//     after Timeouts.Handshake, and not before;
//   - an idle peer's wire ends after Timeouts.Idle with a Termination
//     message (the peer's wire ends with ipfi.ErrPeerTerminated) and the
//     server's with ipfi.ErrIdleTimeout;
//   - a frame declaring more than Limits.MaxFrame (the default 16 MiB)
//     ends that wire with wire.ErrFrameTooLarge, and a wire to the same
//     server goes on;
//   - a peer that calls and stops reading ends its wire with
//     ipfi.ErrWriteTimeout after Timeouts.Write.
func RunAdversarial(t *testing.T, serve Server) {
	t.Helper()
	t.Run("a peer that never finishes its handshake", func(t *testing.T) { neverHandshakes(t, serve) })
	t.Run("an idle peer", func(t *testing.T) { idlePeer(t, serve) })
	t.Run("an oversized frame", func(t *testing.T) { oversizedFrame(t, serve) })
	t.Run("a peer that stops reading", func(t *testing.T) { stopsReading(t, serve) })
}

func neverHandshakes(t *testing.T, serve Server) {
	ends := make(chan error, 16)
	i := newInterface(t, ipfi.WithTimeouts(ipfi.Timeouts{Handshake: handshake}), endsTo(ends))
	dial := serve(t, i)
	// The server's timeout may start before dial returns: the time is
	// taken before.
	start := time.Now()
	c := dialRaw(t, dial)
	took := waitClosed(t, c, handshake+slack).Sub(start)
	t.Logf("closed %v after dialling (handshake timeout %v)", took, handshake)
	if took < handshake {
		t.Fatalf("closed after %v, before the %v handshake timeout", took, handshake)
	}
	// A transport that makes no wire before the peer's first byte (QUIC)
	// closes the connection itself: then no wire ends.
	select {
	case cause := <-ends:
		if !errors.Is(cause, ipfi.ErrHandshakeTimeout) {
			t.Fatalf("the server's wire ended with %v, want ErrHandshakeTimeout", cause)
		}
	case <-time.After(time.Second):
		t.Log("no wire ended: the transport closed the connection itself")
	}
}

func idlePeer(t *testing.T, serve Server) {
	ends := make(chan error, 16)
	i := newInterface(t, ipfi.WithTimeouts(ipfi.Timeouts{Idle: idle, Handshake: -1}), endsTo(ends))
	dial := serve(t, i)
	// Before the dial: the server's wire, whose idle timeout ends it, may
	// begin before the dial returns here.
	start := time.Now()
	c := dialRaw(t, dial)
	w, err := newInterface(t).Connect(c, c)
	mustOK(t, err)
	select {
	case <-w.Done():
	case <-time.After(idle + slack):
		t.Fatalf("an idle wire was not ended within %v (idle timeout %v)", idle+slack, idle)
	}
	took := time.Since(start)
	t.Logf("ended %v after connecting (idle timeout %v)", took, idle)
	if !errors.Is(w.Err(), ipfi.ErrPeerTerminated) {
		t.Fatalf("the idle peer's wire ended with %v, want ErrPeerTerminated (the server says goodbye)", w.Err())
	}
	if took < idle {
		t.Fatalf("ended after %v, before the %v idle timeout", took, idle)
	}
	serverEnd(t, ends, ipfi.ErrIdleTimeout)
}

func oversizedFrame(t *testing.T, serve Server) {
	ends := make(chan error, 16)
	i := newInterface(t, endsTo(ends))
	mustOK(t, i.Register(Add, procedures.Func2(add)))
	dial := serve(t, i)
	gc := dialRaw(t, dial)
	good, err := newInterface(t).Connect(gc, gc)
	mustOK(t, err)
	bad := dialRaw(t, dial)
	// A call of procedure 0 declaring a payload of 1 TiB: refused before
	// anything is allocated for it.
	if _, err := bad.Write(wire.AppendHeader(nil, wire.KindCall, wire.TermComplete, 0, 0, 1<<40)); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, bad, slack)
	serverEnd(t, ends, wire.ErrFrameTooLarge)
	ctx, cancel := context.WithTimeout(context.Background(), slack)
	defer cancel()
	if err := expect(ipfi.Call[int](ctx, good, Add, 1, 2))(3); err != nil {
		t.Fatalf("a call on another wire to the same server: %v", err)
	}
}

func stopsReading(t *testing.T, serve Server) {
	ends := make(chan error, 16)
	i := newInterface(t, ipfi.WithTimeouts(ipfi.Timeouts{Write: writeTimeout}), endsTo(ends))
	big := make([]byte, 64<<10)
	mustOK(t, i.Register(1, procedures.Func0(func(context.Context) ([]byte, error) { return big, nil })))
	dial := serve(t, i)
	c := dialRaw(t, dial)
	// 400 calls whose answers (25 MiB) fill every buffer on the way: never
	// read.
	calls := []byte{byte(wire.KindAnnounce)}
	for n := range 400 {
		calls = append(calls, wire.AppendFrame(nil, wire.Frame{Kind: wire.KindCall, Terminator: wire.TermComplete, Procedure: 1, Call: uint64(n)})...)
	}
	written := make(chan struct{})
	go func() {
		defer close(written)
		_, _ = c.Write(calls) // returns at the latest when the wire ends and closes the connection
	}()
	defer func() { <-written }()
	defer c.Close()
	start := time.Now()
	serverEndWithin(t, ends, ipfi.ErrWriteTimeout, writeTimeout+2*slack)
	t.Logf("ended %v after the calls were sent (write timeout %v)", time.Since(start), writeTimeout)
}

// endsTo is an interceptor that sends the cause of each wire's end to ends
// (dropping it if ends is full).
func endsTo(ends chan<- error) ipfi.Option {
	return ipfi.WithInterceptors(ipfi.Interceptor{WireEnded: func(_ *ipfi.Wire, cause error) {
		select {
		case ends <- cause:
		default:
		}
	}})
}

// serverEnd waits for the server's wire to end with a cause matching want.
func serverEnd(t *testing.T, ends <-chan error, want error) {
	t.Helper()
	serverEndWithin(t, ends, want, slack)
}

func serverEndWithin(t *testing.T, ends <-chan error, want error, limit time.Duration) {
	t.Helper()
	select {
	case cause := <-ends:
		if !errors.Is(cause, want) {
			t.Fatalf("the server's wire ended with %v, want %v", cause, want)
		}
	case <-time.After(limit):
		t.Fatalf("the server's wire did not end within %v (want %v)", limit, want)
	}
}

// dialRaw dials a raw connection, closed as the test ends.
func dialRaw(t *testing.T, dial func(ctx context.Context) (io.ReadWriteCloser, error)) io.ReadWriteCloser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), slack)
	defer cancel()
	c, err := dial(ctx)
	mustOK(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// waitClosed reads c, discarding what it reads, until the server closes it
// or limit passes (then the test fails), and returns when it was closed.
func waitClosed(t *testing.T, c io.ReadWriteCloser, limit time.Duration) time.Time {
	t.Helper()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_, _ = io.Copy(io.Discard, c)
	}()
	select {
	case <-closed:
		return time.Now()
	case <-time.After(limit):
		c.Close()
		<-closed
		t.Fatalf("the server did not close the connection within %v", limit)
		return time.Time{}
	}
}
