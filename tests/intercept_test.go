package tests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/actors"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// TestServerInterceptors: a chain of server interceptors (the first
// outermost) sees every call of every kind (unary, sequence, bidi, raw
// stream, Quick) with its wire, procedure and deadline, observes its
// result, and can refuse a call before its procedure runs (an
// authorisation interceptor answering an application error).
func TestServerInterceptors(t *testing.T) {
	// The interceptor logs a call's end after its answer went out: the
	// test reads the log from a channel, not as the call returns.
	logged := make(chan string, 16)
	var ran atomic.Int32
	logging := func(ctx context.Context, info ipfi.CallInfo, next func(context.Context) error) error {
		err := next(ctx)
		logged <- fmt.Sprintf("%d deadline=%v err=%v", info.Procedure, !info.Deadline.IsZero(), err != nil)
		return err
	}
	errDenied := &ipfi.Error{Code: 401, Message: "log in first"}
	auth := func(ctx context.Context, info ipfi.CallInfo, next func(context.Context) error) error {
		if info.Procedure != 1 && info.Wire.Label() == "" {
			return errDenied
		}
		return next(ctx)
	}
	server := newInterface(t, ipfi.WithInterceptors(ipfi.Interceptor{Server: logging}, ipfi.Interceptor{Server: auth}))
	must(t, server.Register(1, procedures.Func1(func(ctx context.Context, user string) (bool, error) {
		ipfi.WireFrom(ctx).SetLabel(user)
		return true, nil
	})))
	must(t, server.Register(2, procedures.Func0(func(context.Context) (int, error) { ran.Add(1); return 2, nil })))
	must(t, server.Register(3, procedures.Sequence0(func(_ context.Context, yield func(int) error) error {
		ran.Add(1)
		return yield(3)
	})))
	must(t, server.Register(4, procedures.Bidi(func(_ context.Context, in iter.Seq2[int, error], yield func(int) error) error {
		ran.Add(1)
		for v, err := range in {
			if err != nil {
				return err
			}
			if err := yield(v); err != nil {
				return err
			}
		}
		return nil
	})))
	must(t, server.Register(5, procedures.RawStream(func(_ context.Context, _ []byte, send procedures.Sender) error {
		ran.Add(1)
		return send([]byte{5}, wire.TermComplete)
	})))
	must(t, server.Register(6, procedures.Quick(procedures.Func0(func(context.Context) (int, error) { ran.Add(1); return 6, nil }))))
	must(t, server.Register(7, procedures.Func0(func(context.Context) (int, error) { return 0, errors.New("boom") })))
	w, _ := connect(t, pipe, newInterface(t), server)
	ctx := bounded(t, 10*time.Second)
	_, err := w.Ping(ctx) // the announcements are in: deadlines travel from the first call
	must(t, err)

	if _, err := ipfi.Call[int](ctx, w, 2); !errors.Is(err, errDenied) {
		t.Fatalf("a call before logging in: %v, want the interceptor's 401", err)
	}
	if ran.Load() != 0 {
		t.Fatal("a refused call's procedure ran")
	}
	if ok, err := ipfi.Call[bool](ctx, w, 1, "alice"); err != nil || !ok {
		t.Fatalf("login: %v, %v", ok, err)
	}
	if v, err := ipfi.Call[int](ctx, w, 2); err != nil || v != 2 {
		t.Fatalf("unary: %v, %v", v, err)
	}
	if v, err := ipfi.Collect[int](ctx, w, 3); err != nil || len(v) != 1 {
		t.Fatalf("sequence: %v, %v", v, err)
	}
	s, err := w.Open(ctx, 4)
	must(t, err)
	must(t, s.Send(4))
	must(t, s.CloseSend())
	var v int
	must(t, s.Recv(&v))
	// Read to the end before Close: a stream closed before its end is
	// cancelled, and the procedure may see that as it returns (err=true).
	if err := s.Recv(&v); err != io.EOF {
		t.Fatalf("the bidi stream after its value: %v, want io.EOF", err)
	}
	s.Close()
	if got, err := ipfi.Call[ipfi.Raw](ctx, w, 5, ipfi.Raw(nil)); err != nil || len(got) != 1 {
		t.Fatalf("raw stream: %x, %v", got, err)
	}
	if v, err := ipfi.Call[int](ctx, w, 6); err != nil || v != 6 {
		t.Fatalf("quick: %v, %v", v, err)
	}
	if _, err := ipfi.Call[int](ctx, w, 7); err == nil {
		t.Fatal("a failing procedure succeeded")
	}
	if ran.Load() != 5 {
		t.Fatalf("%d procedures ran, want 5", ran.Load())
	}
	var log []string
	for range 8 {
		log = append(log, <-logged)
	}
	want := []string{
		"2 deadline=true err=true", "1 deadline=true err=false", "2 deadline=true err=false",
		"3 deadline=true err=false", "4 deadline=true err=false", "5 deadline=true err=false",
		"6 deadline=false err=false", "7 deadline=true err=true",
	}
	// A call's line is logged after its answer went out, so the next call
	// may log first: the lines are compared in sorted order.
	slices.Sort(log)
	slices.Sort(want)
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Fatalf("the logging interceptor saw\n%q\nwant\n%q", log, want)
	}
}

// TestClientInterceptors: client interceptors (the first outermost) run
// around Call and Wire.Call (Raw ones too): one retries a call that failed, one
// observes.
func TestClientInterceptors(t *testing.T) {
	server := newInterface(t)
	var tries atomic.Int32
	must(t, server.Register(1, procedures.Func0(func(context.Context) (int, error) {
		if tries.Add(1) == 1 {
			return 0, &ipfi.Error{Code: 503, Message: "try again"}
		}
		return 1, nil
	})))
	var seen []string
	observe := func(ctx context.Context, info ipfi.CallInfo, invoke func(context.Context) error) error {
		err := invoke(ctx)
		seen = append(seen, fmt.Sprintf("%d %v", info.Procedure, err == nil))
		return err
	}
	retry := func(ctx context.Context, info ipfi.CallInfo, invoke func(context.Context) error) error {
		err := invoke(ctx)
		if errors.Is(err, &ipfi.Error{Code: 503}) {
			err = invoke(ctx)
		}
		return err
	}
	client := newInterface(t, ipfi.WithInterceptors(ipfi.Interceptor{Client: observe}, ipfi.Interceptor{Client: retry}))
	w, _ := connect(t, pipe, client, server)
	ctx := bounded(t, 10*time.Second)
	if v, err := ipfi.Call[int](ctx, w, 1); err != nil || v != 1 {
		t.Fatalf("a call retried once: %v, %v", v, err)
	}
	if _, err := ipfi.Call[ipfi.Raw](ctx, w, 1, ipfi.Raw(nil)); err != nil {
		t.Fatal(err)
	}
	if tries.Load() != 3 || fmt.Sprint(seen) != "[1 true 1 true]" {
		t.Fatalf("tries %d, observed %q", tries.Load(), seen)
	}
}

// TestServerInterceptorSeesTheResponse: once next returns, CallInfo.Response
// counts what the call sent: a unary procedure's one value and its bytes,
// each value of a sequence, to a peer with the extensions and to one
// without (whose last value carries the Complete).
func TestServerInterceptorSeesTheResponse(t *testing.T) {
	for _, plain := range []bool{false, true} {
		seen := make(chan actors.CallOut, 4)
		record := func(ctx context.Context, info ipfi.CallInfo, next func(context.Context) error) error {
			err := next(ctx)
			seen <- *info.Response
			return err
		}
		server := newInterface(t, ipfi.WithInterceptors(ipfi.Interceptor{Server: record}))
		must(t, server.Register(1, procedures.Func0(func(context.Context) (string, error) { return "hello", nil })))
		must(t, server.Register(2, procedures.Sequence1(func(_ context.Context, n int, yield func(int) error) error {
			for i := range n {
				if err := yield(1000 + i); err != nil {
					return err
				}
			}
			return nil
		})))
		client := newInterface(t)
		var opts []ipfi.Option
		if plain {
			opts = append(opts, ipfi.WithPlain())
		}
		wc, ws, err := ipfitest.Pipe(client, server, opts...)
		must(t, err)
		_ = ws
		ctx := bounded(t, 10*time.Second)
		if _, err := ipfi.Call[string](ctx, wc, 1); err != nil {
			t.Fatal(err)
		}
		if got := <-seen; got.Values != 1 || got.Bytes != 6 { // a5 68656c6c6f
			t.Errorf("plain=%v: a unary call sent %+v, want 1 value of 6 bytes", plain, got)
		}
		if _, err := ipfi.Collect[int](ctx, wc, 2, 5); err != nil {
			t.Fatal(err)
		}
		if got := <-seen; got.Values != 5 || got.Bytes != 15 { // cd 03e8 .. cd 03ec
			t.Errorf("plain=%v: a sequence of five sent %+v, want 5 values of 15 bytes", plain, got)
		}
	}
}
