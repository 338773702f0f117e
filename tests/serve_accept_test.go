package tests

import (
	"context"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// failingListener fails its first Accepts with err, then accepts from the
// listener it wraps.
type failingListener struct {
	net.Listener
	err   error
	fails atomic.Int32 // Accepts left to fail
}

func (l *failingListener) Accept() (net.Conn, error) {
	if l.fails.Add(-1) >= 0 {
		return nil, l.err
	}
	return l.Listener.Accept()
}

// emfile is the error Accept returns when the process is out of file
// descriptors.
var emfile = &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept", syscall.EMFILE)}

// TestServeRetriesTemporaryAcceptErrors: Serve goes on after temporary
// Accept errors (too many open files) and serves the next connection; it
// returns a permanent error at once.
func TestServeRetriesTemporaryAcceptErrors(t *testing.T) {
	server := newInterface(t)
	must(t, server.Register(1, procedures.Func0(func(context.Context) (int, error) { return 7, nil })))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	fl := &failingListener{Listener: l, err: emfile}
	fl.fails.Store(3)
	ctx, cancel := context.WithCancel(bounded(t, 10*time.Second))
	served := make(chan error, 1)
	go func() { served <- server.Serve(ctx, fl) }()

	client := newInterface(t)
	w, err := client.Dial(ctx, "tcp", l.Addr().String())
	must(t, err)
	if n, err := ipfi.Call[int](ctx, w, 1); err != nil || n != 7 {
		t.Fatalf("call after three EMFILE Accepts: %v, %v; want 7 (Serve must go on)", n, err)
	}
	cancel()
	if err := <-served; !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve = %v, want context.Canceled", err)
	}

	// A permanent error ends Serve with that error.
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	boom := errors.New("boom")
	fl2 := &failingListener{Listener: l2, err: boom}
	fl2.fails.Store(1)
	if err := server.Serve(bounded(t, 10*time.Second), fl2); !errors.Is(err, boom) {
		t.Fatalf("Serve on a permanent Accept error = %v, want it", err)
	}
}
