package ipfi_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// TestUsingTheLibraryPrintsNothing: creating interfaces, calling, failing
// calls, panicking procedures and closing write nothing to stdout or stderr.
func TestUsingTheLibraryPrintsNothing(t *testing.T) {
	out := captureOutput(t, func() {
		a, b := ipfi.New(), ipfi.New()
		b.Register(1, procedures.Func0(func(context.Context) (int, error) { panic("boom") }))
		b.Register(2, procedures.Func0(func(context.Context) (int, error) { return 2, nil }))
		ca, cb := net.Pipe()
		w, err := a.ConnectConn(ca)
		if err != nil {
			t.Error(err)
		}
		if _, err := b.ConnectConn(cb); err != nil {
			t.Error(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := ipfi.Call[int](ctx, w, 1); !errors.Is(err, ipfi.ErrRemote) {
			t.Errorf("panicking procedure: %v", err)
		}
		if n, err := ipfi.Call[int](ctx, w, 2); n != 2 || err != nil {
			t.Errorf("call: %v %v", n, err)
		}
		w.Close()
		a.Close()
		b.Close()
	})
	if out != "" {
		t.Fatalf("the library printed:\n%s", out)
	}
}

// captureOutput runs f with stdout and stderr redirected and returns what
// was written to them.
func captureOutput(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	func() {
		defer func() { os.Stdout, os.Stderr = stdout, stderr }()
		f()
	}()
	w.Close()
	out := <-done
	r.Close()
	return out
}

// TestServeAndDial: Serve accepts wires until its context ends; Dial
// connects; calls flow; Serve returns the context's error.
func TestServeAndDial(t *testing.T) {
	srv, cli := ipfi.New(), ipfi.New()
	defer srv.Close()
	defer cli.Close()
	srv.Register(1, procedures.Func1(func(_ context.Context, n int) (int, error) { return n * 2, nil }))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, l) }()

	callCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	for i := range 3 {
		w, err := cli.Dial(callCtx, "tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if n, err := ipfi.Call[int](callCtx, w, 1, i); err != nil || n != 2*i {
			t.Fatalf("call %d: %v %v", i, n, err)
		}
		w.Close()
	}
	cancel()
	if err := <-served; !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve returned %v, want context.Canceled", err)
	}
}

// TestStartAndWait: calls started without waiting complete independently.
func TestStartAndWait(t *testing.T) {
	srv, cli := ipfi.New(), ipfi.New()
	defer srv.Close()
	defer cli.Close()
	srv.Register(1, procedures.Func1(func(_ context.Context, n int) (int, error) { return n + 1, nil }))
	a, b := net.Pipe()
	if _, err := srv.ConnectConn(a); err != nil {
		t.Fatal(err)
	}
	w, err := cli.ConnectConn(b)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var ps []*ipfi.Pending
	for i := range 100 {
		p, err := w.Start(ctx, 1, i)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	for i, p := range ps {
		var n int
		if err := p.Wait(ctx, &n); err != nil || n != i+1 {
			t.Fatalf("call %d: %v %v", i, n, err)
		}
	}
}

// TestClosedInterface: a closed interface refuses new wires.
func TestClosedInterface(t *testing.T) {
	i := ipfi.New()
	i.Close()
	i.Close() // idempotent
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if _, err := i.ConnectConn(a); !errors.Is(err, ipfi.ErrClosed) {
		t.Fatalf("ConnectConn on a closed interface: %v", err)
	}
}
