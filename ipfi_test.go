package ipfi_test

import (
	"bytes"
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
	"github.com/ipfi-go/ipfi/codec"
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
		w, err := a.Connect(ca, ca)
		if err != nil {
			t.Error(err)
		}
		if _, err := b.Connect(cb, cb); err != nil {
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
	if _, err := srv.Connect(a, a); err != nil {
		t.Fatal(err)
	}
	w, err := cli.Connect(b, b)
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
	if _, err := i.Connect(a, a); !errors.Is(err, ipfi.ErrClosed) {
		t.Fatalf("Connect on a closed interface: %v", err)
	}
}

// TestErrorTypes: the errors a caller meets are the types this package
// names (declared in package actors, which builds them): a failure
// reported by a peer with the extensions is a *ipfi.RemoteError; a call
// pending when its wire ends, and a call on a dead wire, fail with a
// *ipfi.WireError.
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
	wa, err := a.Connect(ca, ca)
	must(t, err)
	wb, err := b.Connect(cb, cb)
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	_, err = ipfi.Call[int](ctx, wa, 1)
	if _, ok := err.(*ipfi.RemoteError); !ok {
		t.Errorf("a failed procedure's error is a %T (%v), want *ipfi.RemoteError", err, err)
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
		if _, ok := c.err.(*ipfi.WireError); !ok {
			t.Errorf("%s: error is a %T (%v), want *ipfi.WireError", c.name, c.err, c.err)
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
	wa, err := a.Connect(ca, ca)
	must(t, err)
	_, err = b.Connect(cb, cb)
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			i, err := ipfi.New(tc.opt)
			if !errors.Is(err, ipfi.ErrInvalidOption) || !strings.Contains(err.Error(), tc.name) || i != nil {
				t.Fatalf("New = %v, %v; want no interface and ErrInvalidOption naming %s", i, err, tc.name)
			}
		})
	}
	i := newInterface(t, ipfi.WithLimits(ipfi.Limits{}), ipfi.WithTimeouts(ipfi.Timeouts{}), ipfi.WithLogger(nil))
	defer i.Close()
	peer := newInterface(t)
	defer peer.Close()

	a, b := net.Pipe()
	w, err := i.Connect(a, a)
	must(t, err)
	_, err = peer.Connect(b, b)
	must(t, err)
	if _, err := w.Open(context.Background(), 1, ipfi.WithStreamWindow(-1)); !errors.Is(err, ipfi.ErrInvalidOption) {
		t.Fatalf("Open with a negative window: %v, want ErrInvalidOption", err)
	}
}

// TestMisplacedOptions: an option given to a call it does not configure
// (an interface's to a wire, a wire's to New, a stream's to a wire) is an
// error matching ErrInvalidOption that names the option; nothing is made.
func TestMisplacedOptions(t *testing.T) {
	if i, err := ipfi.New(ipfi.WithPlain()); !errors.Is(err, ipfi.ErrInvalidOption) || !strings.Contains(err.Error(), "WithPlain") || i != nil {
		t.Errorf("New(WithPlain()) = %v, %v; want ErrInvalidOption naming WithPlain", i, err)
	}
	i := newInterface(t)
	defer i.Close()
	peer := newInterface(t)
	defer peer.Close()
	for _, opt := range []struct {
		name string
		o    ipfi.Option
	}{
		{"WithLimits", ipfi.WithLimits(ipfi.Limits{})},
		{"WithInterceptors", ipfi.WithInterceptors()},
		{"WithStreamWindow", ipfi.WithStreamWindow(1 << 20)},
	} {
		a, b := net.Pipe()
		w, err := i.Connect(a, a, opt.o)
		if !errors.Is(err, ipfi.ErrInvalidOption) || !strings.Contains(err.Error(), opt.name) || w != nil {
			t.Errorf("Connect(%s) = %v, %v; want ErrInvalidOption naming it", opt.name, w, err)
		}
		a.Close()
		b.Close()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	if err := i.Serve(context.Background(), l, ipfi.WithLogger(nil)); !errors.Is(err, ipfi.ErrInvalidOption) {
		t.Errorf("Serve(WithLogger) = %v, want ErrInvalidOption", err)
	}
	a, b := net.Pipe()
	w, err := i.Connect(a, a)
	must(t, err)
	_, err = peer.Connect(b, b)
	must(t, err)
	if _, err := w.Open(context.Background(), 1, ipfi.WithCalleeOnly()); !errors.Is(err, ipfi.ErrInvalidOption) {
		t.Errorf("Open(WithCalleeOnly()) = %v, want ErrInvalidOption", err)
	}
}

// TestNilWire: every exported method of a nil *Wire (what WireFrom returns
// outside a procedure) returns at once without panicking: the calls and
// Err return ErrNoWire, Done is closed, the rest are zero values.
func TestNilWire(t *testing.T) {
	var w *ipfi.Wire
	ctx := context.Background()
	if w2 := ipfi.WireFrom(ctx); w2 != nil {
		t.Fatalf("WireFrom outside a procedure = %v, want nil", w2)
	}
	noWire := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, ipfi.ErrNoWire) {
			t.Errorf("%s on a nil wire: %v, want ErrNoWire", name, err)
		}
	}
	noWire("Call", w.Call(ctx, 1, nil))
	_, err := ipfi.Call[int](ctx, w, 1)
	noWire("ipfi.Call", err)
	_, err = ipfi.Call[ipfi.Raw](ctx, w, 1, ipfi.Raw(nil))
	noWire("Call of a Raw", err)
	_, err = w.Start(ctx, 1)
	noWire("Start", err)
	_, err = w.Open(ctx, 1)
	noWire("Open", err)
	_, err = w.Stream(ctx, 1, nil)
	noWire("Stream", err)
	for _, err := range ipfi.Iter[int](ctx, w, 1) {
		noWire("Iter", err)
	}
	_, err = ipfi.Collect[int](ctx, w, 1)
	noWire("Collect", err)
	_, err = w.Ping(ctx)
	noWire("Ping", err)
	noWire("SendEndOfInput", w.SendEndOfInput(ctx))
	noWire("Shutdown", w.Shutdown(ctx))
	noWire("Close", w.Close())
	noWire("Err", w.Err())
	select {
	case <-w.Done():
	default:
		t.Error("Done of a nil wire is not closed")
	}
	select {
	case <-w.EndOfInput():
		t.Error("EndOfInput of a nil wire received")
	default:
	}
	if w.ID() != 0 || w.Label() != "" || w.RemoteAddr() != nil || w.PeerExtensions() {
		t.Errorf("nil wire: ID %d, Label %q, RemoteAddr %v, PeerExtensions %v; want zero values", w.ID(), w.Label(), w.RemoteAddr(), w.PeerExtensions())
	}
	w.SetLabel("x") // nothing to label
	if got := w.String(); got != "wire <nil>" {
		t.Errorf("String = %q", got)
	}
}

// TestDefaultLimits pins the defaults the Limits fields document
// (Limits{}.WithDefaults()).
func TestDefaultLimits(t *testing.T) {
	want := ipfi.Limits{
		MaxFrame: 16 << 20, MaxCallArgs: 16 << 20, MaxWireArgs: 32 << 20,
		MaxOpenCalls: 1_000, MaxOpenStreams: 256, MaxCalls: 10_000, MaxWires: 10_000,
		MaxWriteQueue: 4 << 20, MaxCollected: 64 << 20,
	}
	if got := (ipfi.Limits{}).WithDefaults(); got != want {
		t.Fatalf("Limits{}.WithDefaults() = %+v, want %+v", got, want)
	}
}

// TestDefaultTimeouts pins the defaults the Timeouts fields document
// (Timeouts{}.WithDefaults()), and that WithDefaults keeps a timeout
// turned off.
func TestDefaultTimeouts(t *testing.T) {
	want := ipfi.Timeouts{
		KeepaliveInterval: 30 * time.Second, KeepaliveTimeout: 20 * time.Second,
		Write: 10 * time.Second, Handshake: 10 * time.Second, Idle: 2 * time.Minute, Stop: 10 * time.Second,
		CloseGrace: time.Second,
	}
	if got := (ipfi.Timeouts{}).WithDefaults(); got != want {
		t.Fatalf("Timeouts{}.WithDefaults() = %+v, want %+v", got, want)
	}
	off := ipfi.Timeouts{Idle: -1, Write: 3 * time.Second}.WithDefaults()
	if off.Idle != -1 || off.Write != 3*time.Second || off.Stop != want.Stop {
		t.Fatalf("WithDefaults of a timeout turned off and one set: %+v", off)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestRaw: a Raw argument is sent as it is, alone or among encoded ones,
// and a *Raw reply or stream value is the payload as it came, an empty one
// included (which any other reply reports as ErrRemote).
func TestRaw(t *testing.T) {
	a, b := newInterface(t), newInterface(t)
	defer a.Close()
	defer b.Close()
	must(t, b.Register(1, procedures.Func2(func(_ context.Context, n int, s string) (string, error) {
		return fmt.Sprint(n, s), nil
	})))
	ca, cb := net.Pipe()
	w, err := a.Connect(ca, ca, ipfi.WithPlain()) // a plain peer answers a failure with an empty response
	must(t, err)
	_, err = b.Connect(cb, cb, ipfi.WithPlain())
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	seven, err := codec.Marshal(7)
	must(t, err)
	if got, err := ipfi.Call[string](ctx, w, 1, ipfi.Raw(seven), "x"); got != "7x" || err != nil {
		t.Errorf("a Raw argument among encoded ones: %q, %v", got, err)
	}
	args, err := codec.AppendArgs(nil, 8, "y")
	must(t, err)
	want, err := codec.Marshal("8y")
	must(t, err)
	if got, err := ipfi.Call[ipfi.Raw](ctx, w, 1, ipfi.Raw(args)); !bytes.Equal(got, want) || err != nil {
		t.Errorf("a Raw call: %x, %v; want %x", got, err, want)
	}
	if got, err := ipfi.Call[ipfi.Raw](ctx, w, 1, ipfi.Raw{0xc1}); len(got) != 0 || err != nil {
		t.Errorf("a failed Raw call to a plain peer: %x, %v; want the empty response as it came", got, err)
	}
	if _, err := ipfi.Call[string](ctx, w, 1, ipfi.Raw{0xc1}); !errors.Is(err, ipfi.ErrRemote) {
		t.Errorf("the same call decoded: %v, want ErrRemote", err)
	}
}
