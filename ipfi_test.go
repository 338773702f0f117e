package ipfi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// TestUsingTheLibraryPrintsNothing: creating interfaces, calling, failing
// calls, panicking procedures and closing write nothing to stdout or stderr.
func TestUsingTheLibraryPrintsNothing(t *testing.T) {
	out := captureOutput(t, func() {
		a, b := newInterface(t), newInterface(t)
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

// newInterface returns a new interface, failing the test if New fails; the
// caller closes it.
func newInterface(t testing.TB, opts ...ipfi.Option) *ipfi.Interface {
	t.Helper()
	i, err := ipfi.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// captureOutput runs f with stdout and stderr redirected and returns what
// was written to them.
func captureOutput(t *testing.T, f func()) string {
	t.Helper()
	// A file rather than a pipe: os.Pipe does not exist on wasip1.
	out, err := os.CreateTemp(t.TempDir(), "output")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = out, out
	func() {
		defer func() { os.Stdout, os.Stderr = stdout, stderr }()
		f()
	}()
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestServeAndDial: Serve accepts wires until its context ends; Dial
// connects; calls flow; Serve returns the context's error.
func TestServeAndDial(t *testing.T) {
	srv, cli := newInterface(t), newInterface(t)
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
	srv, cli := newInterface(t), newInterface(t)
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
	i := newInterface(t)
	i.Close()
	i.Close() // idempotent
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if _, err := i.ConnectConn(a); !errors.Is(err, ipfi.ErrClosed) {
		t.Fatalf("ConnectConn on a closed interface: %v", err)
	}
}

// TestErrorTypes: the errors a caller meets are this package's own types,
// so that %T names them: a failure reported by a peer with the extensions
// is a *ipfi.RemoteError; a call pending when its wire ends, and a call on
// a dead wire, fail with a *ipfi.WireError.
func TestErrorTypes(t *testing.T) {
	a, b := newInterface(t), newInterface(t)
	defer a.Close()
	defer b.Close()
	must(t, b.Register(1, procedures.Func0(func(context.Context) (int, error) { return 0, errors.New("boom") })))
	must(t, b.Register(2, procedures.Func0(func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	})))
	ca, cb := net.Pipe()
	wa, err := a.ConnectConn(ca)
	must(t, err)
	wb, err := b.ConnectConn(cb)
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	_, err = ipfi.Call[int](ctx, wa, 1)
	if got := fmt.Sprintf("%T", err); got != "*ipfi.RemoteError" {
		t.Errorf("a failed procedure's error is a %s (%v), want *ipfi.RemoteError", got, err)
	}
	var re *ipfi.RemoteError
	if !errors.As(err, &re) || re.Code != wire.CodeProcedure || re.Message != "boom" || !errors.Is(err, ipfi.ErrRemote) {
		t.Errorf("a failed procedure's error = %v, want a RemoteError with code %v and message boom", err, wire.CodeProcedure)
	}

	p, err := wa.Start(ctx, 2)
	must(t, err)
	must(t, wb.Close())
	pendingErr := p.Wait(ctx, nil)
	<-wa.Done()
	_, deadErr := ipfi.Call[int](ctx, wa, 1)
	for _, c := range []struct {
		name string
		err  error
	}{{"a call pending when the wire ended", pendingErr}, {"a call on a dead wire", deadErr}} {
		if got := fmt.Sprintf("%T", c.err); got != "*ipfi.WireError" {
			t.Errorf("%s: error is a %s (%v), want *ipfi.WireError", c.name, got, c.err)
		}
		var we *ipfi.WireError
		if !errors.As(c.err, &we) || we.Cause != ipfi.ErrPeerTerminated || !errors.Is(c.err, ipfi.ErrWireTerminated) {
			t.Errorf("%s: %v, want a WireError with cause ErrPeerTerminated", c.name, c.err)
		}
	}
}

// TestErrorMatching: a RemoteError matches ErrRemote and the sentinel its
// code stands for, nothing else; a WireError matches ErrWireTerminated and
// its cause.
func TestErrorMatching(t *testing.T) {
	sentinels := []error{procedures.ErrUnknown, procedures.ErrBadArguments, ipfi.ErrLimit, ipfi.ErrCancelled, context.DeadlineExceeded}
	for _, tc := range []struct {
		code wire.ErrorCode
		want error // besides ErrRemote; nil for none
	}{
		{wire.CodeUnknownProcedure, procedures.ErrUnknown},
		{wire.CodeBadArguments, procedures.ErrBadArguments},
		{wire.CodeLimit, ipfi.ErrLimit},
		{wire.CodeCancelled, ipfi.ErrCancelled},
		{wire.CodeDeadline, context.DeadlineExceeded},
		{wire.CodeProcedure, nil},
		{wire.CodePanic, nil},
	} {
		t.Run(tc.code.String(), func(t *testing.T) {
			err := error(&ipfi.RemoteError{Code: tc.code, Message: "m"})
			if !errors.Is(err, ipfi.ErrRemote) {
				t.Errorf("%v does not match ErrRemote", err)
			}
			for _, s := range sentinels {
				if got := errors.Is(err, s); got != (s == tc.want) {
					t.Errorf("errors.Is(%v, %v) = %v", err, s, got)
				}
			}
		})
	}
	err := error(&ipfi.WireError{Cause: ipfi.ErrPeerClosed})
	if !errors.Is(err, ipfi.ErrWireTerminated) || !errors.Is(err, ipfi.ErrPeerClosed) || errors.Is(err, io.EOF) {
		t.Errorf("%v: want a match for ErrWireTerminated and ErrPeerClosed, not io.EOF", err)
	}
}

// TestValuesReportsACutStream: a stream whose wire ends mid-response ends
// Values with the wire's error, never silently as if it were complete,
// even when the wire ended because the peer's byte stream did.
func TestValuesReportsACutStream(t *testing.T) {
	a, b := newInterface(t), newInterface(t)
	defer a.Close()
	defer b.Close()
	must(t, b.Register(1, procedures.Sequence0(func(ctx context.Context, yield func(int) error) error {
		for n := range 3 {
			if err := yield(n); err != nil {
				return err
			}
		}
		<-ctx.Done()
		return ctx.Err()
	})))
	ca, cb := net.Pipe()
	wa, err := a.ConnectConn(ca)
	must(t, err)
	_, err = b.ConnectConn(cb)
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	s, err := wa.Stream(ctx, 1, nil)
	must(t, err)
	var got []int
	var end error
	for v, err := range ipfi.Values[int](s) {
		if err != nil {
			end = err
			break
		}
		if got = append(got, v); len(got) == 3 {
			cb.Close() // the peer's bytes end, without a Termination message
		}
	}
	if len(got) != 3 || !errors.Is(end, ipfi.ErrWireTerminated) {
		t.Fatalf("Values of a cut stream: %v then %v, want 3 values then ErrWireTerminated", got, end)
	}
}

// TestInvalidOptions: New refuses an option it cannot use, naming it,
// rather than replacing it with its default; zero means the default.
func TestInvalidOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  ipfi.Option
	}{
		{"MaxFrame", ipfi.WithLimits(ipfi.Limits{MaxFrame: -1})},
		{"MaxCallArgs", ipfi.WithLimits(ipfi.Limits{MaxCallArgs: -1})},
		{"MaxOpenCalls", ipfi.WithLimits(ipfi.Limits{MaxOpenCalls: -1})},
		{"MaxWireArgs", ipfi.WithLimits(ipfi.Limits{MaxWireArgs: -1})},
		{"MaxOpenStreams", ipfi.WithLimits(ipfi.Limits{MaxOpenStreams: -1})},
		{"MaxCalls", ipfi.WithLimits(ipfi.Limits{MaxCalls: -1})},
		{"MaxWires", ipfi.WithLimits(ipfi.Limits{MaxWires: -1})},
		{"MaxWriteQueue", ipfi.WithLimits(ipfi.Limits{MaxWriteQueue: -1})},
		{"MaxCollected", ipfi.WithLimits(ipfi.Limits{MaxCollected: -1})},
		{"close grace", ipfi.WithCloseGrace(-time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i, err := ipfi.New(tc.opt)
			if !errors.Is(err, ipfi.ErrInvalidOption) || !strings.Contains(err.Error(), tc.name) || i != nil {
				t.Fatalf("New = %v, %v; want no interface and ErrInvalidOption naming %s", i, err, tc.name)
			}
		})
	}
	i := newInterface(t, ipfi.WithLimits(ipfi.Limits{}), ipfi.WithCloseGrace(0), ipfi.WithLogger(nil))
	defer i.Close()
	peer := newInterface(t)
	defer peer.Close()

	a, b := net.Pipe()
	w, err := i.ConnectConn(a)
	must(t, err)
	_, err = peer.ConnectConn(b)
	must(t, err)
	if _, err := w.Open(context.Background(), 1, ipfi.StreamWindow(-1)); !errors.Is(err, ipfi.ErrInvalidOption) {
		t.Fatalf("Open with a negative window: %v, want ErrInvalidOption", err)
	}
}

// TestDefaultLimits pins the defaults the Limits fields document.
func TestDefaultLimits(t *testing.T) {
	want := ipfi.Limits{
		MaxFrame: 16 << 20, MaxCallArgs: 16 << 20, MaxWireArgs: 32 << 20,
		MaxOpenCalls: 1_000, MaxOpenStreams: 256, MaxCalls: 10_000, MaxWires: 10_000,
		MaxWriteQueue: 4 << 20, MaxCollected: 64 << 20,
	}
	if got := ipfi.DefaultLimits(); got != want {
		t.Fatalf("DefaultLimits() = %+v, want %+v", got, want)
	}
}

// TestDefaultTimeouts pins the defaults the Timeouts fields document.
func TestDefaultTimeouts(t *testing.T) {
	want := ipfi.Timeouts{
		KeepaliveInterval: 30 * time.Second, KeepaliveTimeout: 20 * time.Second,
		Write: 10 * time.Second, Handshake: 10 * time.Second, Idle: 2 * time.Minute, Stop: 10 * time.Second,
	}
	if got := ipfi.DefaultTimeouts(); got != want {
		t.Fatalf("DefaultTimeouts() = %+v, want %+v", got, want)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
