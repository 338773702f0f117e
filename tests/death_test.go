package tests

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

const pendingCalls = 1000

// TestWireDeathFailsEveryPendingCall opens 1,000 calls from a to b, all
// blocked in b's procedure, then ends the wire one way or another. Every
// call must fail with ErrWireTerminated wrapping the cause (never io.EOF,
// which means only a stream's clean end: end of stream is ErrPeerClosed),
// every procedure on b must see its context cancelled, and no goroutine may
// remain.
func TestWireDeathFailsEveryPendingCall(t *testing.T) {
	cases := []struct {
		name  string
		cause error
		kill  func(t *testing.T, wa *ipfi.Wire, rawB net.Conn)
	}{
		{"eof", ipfi.ErrPeerClosed, func(t *testing.T, _ *ipfi.Wire, rawB net.Conn) {
			if err := rawB.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
		}},
		{"termination", ipfi.ErrPeerTerminated, func(t *testing.T, _ *ipfi.Wire, rawB net.Conn) {
			if _, err := rawB.Write([]byte{byte(wire.KindTermination)}); err != nil {
				t.Fatal(err)
			}
		}},
		{"malformed", wire.ErrMalformed, func(t *testing.T, _ *ipfi.Wire, rawB net.Conn) {
			// A response whose terminator bits are (0,1): invalid.
			if _, err := rawB.Write([]byte{byte(wire.KindResponse), 0x80, 0, 0, 0}); err != nil {
				t.Fatal(err)
			}
		}},
		{"close", ipfi.ErrClosed, func(t *testing.T, wa *ipfi.Wire, _ net.Conn) {
			if err := wa.Close(); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testWireDeath(t, tc.cause, tc.kill)
			goleak.VerifyNone(t)
		})
	}
}

func testWireDeath(t *testing.T, cause error, kill func(*testing.T, *ipfi.Wire, net.Conn)) {
	a, b := mustNew(t), mustNew(t)
	defer a.Close()
	defer b.Close()

	started := make(chan struct{}, pendingCalls)
	cancelled := make(chan struct{}, pendingCalls)
	err := b.Register(1, procedures.Func1(func(ctx context.Context, n int) (int, error) {
		started <- struct{}{}
		<-ctx.Done()
		cancelled <- struct{}{}
		return 0, ctx.Err()
	}))
	if err != nil {
		t.Fatal(err)
	}

	ca, cb := tcpPair(t)
	wa, err := a.Connect(ca, ca)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Connect(cb, cb); err != nil {
		t.Fatal(err)
	}

	errs := make(chan error, pendingCalls)
	for n := range pendingCalls {
		go func() {
			_, err := ipfi.Call[int](context.Background(), wa, 1, n)
			errs <- err
		}()
	}
	hang := time.NewTimer(5 * time.Second)
	defer hang.Stop()
	for range pendingCalls {
		select {
		case <-started:
		case <-hang.C:
			t.Fatal("not every call reached the procedure within 5s")
		}
	}

	kill(t, wa, cb)

	for n := range pendingCalls {
		select {
		case err := <-errs:
			if !errors.Is(err, ipfi.ErrWireTerminated) || !errors.Is(err, cause) || errors.Is(err, io.EOF) {
				t.Fatalf("call %d: err = %v, want ErrWireTerminated wrapping %v", n, err, cause)
			}
		case <-hang.C:
			t.Fatalf("only %d of %d calls returned within 5s", n, pendingCalls)
		}
	}
	select {
	case <-wa.Done():
	case <-hang.C:
		t.Fatal("wire not done within 5s")
	}
	if !errors.Is(wa.Err(), cause) || errors.Is(wa.Err(), io.EOF) {
		t.Errorf("wire Err() = %v, want %v", wa.Err(), cause)
	}
	// The caller's end closed its connection, so b's wire ends too and
	// every procedure running for it is cancelled.
	for n := range pendingCalls {
		select {
		case <-cancelled:
		case <-hang.C:
			t.Fatalf("only %d of %d procedures saw their context cancelled within 5s", n, pendingCalls)
		}
	}
}
