package ipfi_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/supervision"
)

var (
	supGreet = ipfi.Proc1[string, string]{Index: 1}
	supCount = ipfi.SeqProc1[int, int]{Index: 2}
	supUpper = ipfi.BidiProc[string, string]{Index: 3}
)

// callerServer returns an interface serving supGreet, supCount and
// supUpper, closed when the test ends.
func callerServer(t *testing.T) *ipfi.Interface {
	t.Helper()
	server := greetServer(t) // supGreet
	must(t, supCount.Register(server, func(_ context.Context, n int, yield func(int) error) error {
		for i := range n {
			if err := yield(i); err != nil {
				return err
			}
		}
		return nil
	}))
	must(t, supUpper.Register(server, func(_ context.Context, in iter.Seq2[string, error], yield func(string) error) error {
		for s, err := range in {
			if err != nil {
				return err
			}
			if err := yield(strings.ToUpper(s)); err != nil {
				return err
			}
		}
		return nil
	}))
	return server
}

// TestSupervisedIsACaller: calls and streams go through a *Supervised as
// through a *Wire: ipfi.Call, Iter, Collect, the descriptors, and the
// Call, Stream and Open methods.
func TestSupervisedIsACaller(t *testing.T) {
	server := callerServer(t)
	client := newInterface(t)
	defer client.Close()
	ctx := supBounded(t, 10*time.Second)
	sup, err := client.Supervise(ctx, newPipeDialer(client, server, 0, nil).dial, supervision.Restart{}, nil)
	must(t, err)
	defer sup.Close()
	var c ipfi.Caller = sup

	if got, err := ipfi.Call[string](ctx, c, 1, "a"); err != nil || got != "Hello, a!" {
		t.Errorf("ipfi.Call: %q, %v", got, err)
	}
	if got, err := supGreet.Call(ctx, c, "b"); err != nil || got != "Hello, b!" {
		t.Errorf("Proc1.Call: %q, %v", got, err)
	}
	var got string
	if err := sup.Call(ctx, 1, &got, "c"); err != nil || got != "Hello, c!" {
		t.Errorf("Supervised.Call: %q, %v", got, err)
	}
	if got, err := ipfi.Collect[int](ctx, c, 2, 3); err != nil || fmt.Sprint(got) != "[0 1 2]" {
		t.Errorf("ipfi.Collect: %v, %v", got, err)
	}
	var seen []int
	for v, err := range supCount.Iter(ctx, c, 2) {
		if err != nil {
			t.Fatalf("SeqProc1.Iter: %v", err)
		}
		seen = append(seen, v)
	}
	if fmt.Sprint(seen) != "[0 1]" {
		t.Errorf("SeqProc1.Iter: %v", seen)
	}
	st, err := sup.Stream(ctx, 2, []any{2})
	must(t, err)
	var n int
	for i := range 2 {
		if err := st.Recv(&n); err != nil || n != i {
			t.Fatalf("Supervised.Stream value %d: %d, %v", i, n, err)
		}
	}
	st.Close()

	bidi, err := supUpper.Open(ctx, c)
	must(t, err)
	must(t, bidi.Send("hi"))
	if up, err := bidi.Recv(); err != nil || up != "HI" {
		t.Errorf("BidiProc over a Supervised: %q, %v", up, err)
	}
	bidi.Close()
	open, err := sup.Open(ctx, 3)
	must(t, err)
	must(t, open.Send("yo"))
	must(t, open.CloseSend())
	var s string
	if err := open.Recv(&s); err != nil || s != "YO" {
		t.Errorf("Supervised.Open: %q, %v", s, err)
	}
	open.Close()
}

// TestSupervisedCallIsNotRetried: a call pending when its wire ends fails
// as on any wire (a *WireError) and is not made again on the next wire,
// even one already up: it may have run.
func TestSupervisedCallIsNotRetried(t *testing.T) {
	server := newInterface(t)
	defer server.Close()
	runs := make(chan struct{}, 4)
	must(t, supGreet.Register(server, func(ctx context.Context, _ string) (string, error) {
		runs <- struct{}{}
		<-ctx.Done() // until its wire ends
		return "", ctx.Err()
	}))
	client := newInterface(t)
	defer client.Close()
	d := newPipeDialer(client, server, 0, nil)
	events := newEventLog()
	ctx := supBounded(t, 10*time.Second)
	sup, err := client.Supervise(ctx, d.dial, supervision.Restart{Initial: time.Millisecond}, events.record)
	must(t, err)
	defer sup.Close()
	go func() {
		<-runs
		(<-d.serverEnds).Close()
	}()
	_, err = supGreet.Call(ctx, sup, "x")
	var we *ipfi.WireError
	if !errors.As(err, &we) {
		t.Fatalf("a call whose wire ended: %v, want a *WireError", err)
	}
	events.expect(ctx, t,
		supervision.Event{Kind: supervision.Up},
		supervision.Event{Kind: supervision.Down, Err: ipfi.ErrPeerTerminated},
		supervision.Event{Kind: supervision.Up, Restarts: 1},
	)
	select {
	case <-runs:
		t.Fatal("the call ran again")
	default:
	}
}

// TestSupervisedWaitEndsWithCtx: a call waiting for a wire that cannot be
// made ends with its context, and its error, which matches the context's,
// tells the last failure.
func TestSupervisedWaitEndsWithCtx(t *testing.T) {
	client := newInterface(t)
	defer client.Close()
	events := newEventLog()
	ctx := supBounded(t, 10*time.Second)
	sup, err := client.Supervise(ctx, newPipeDialer(client, nil, 1<<30, errRefused).dial, supervision.Restart{Initial: time.Hour}, events.record)
	must(t, err)
	defer sup.Close()
	events.expect(ctx, t, supervision.Event{Kind: supervision.Down, Err: errRefused})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = supGreet.Call(cctx, sup, "x")
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), errRefused.Error()) {
		t.Fatalf("a call whose context ended while connecting: %v, want context.Canceled telling %q", err, errRefused)
	}
	if errors.Is(err, errRefused) {
		t.Fatalf("%v matches the dial's error: the call would look as if it had failed on the wire", err)
	}
}

// TestNilSupervised: a nil *Supervised, like a nil *Wire, fails every call
// with ErrNoWire.
func TestNilSupervised(t *testing.T) {
	var sup *ipfi.Supervised
	ctx := context.Background()
	if err := sup.Call(ctx, 1, nil); !errors.Is(err, ipfi.ErrNoWire) {
		t.Errorf("Call: %v", err)
	}
	if _, err := sup.Stream(ctx, 1, nil); !errors.Is(err, ipfi.ErrNoWire) {
		t.Errorf("Stream: %v", err)
	}
	if _, err := sup.Open(ctx, 1); !errors.Is(err, ipfi.ErrNoWire) {
		t.Errorf("Open: %v", err)
	}
	if _, err := ipfi.Call[int](ctx, sup, 1); !errors.Is(err, ipfi.ErrNoWire) {
		t.Errorf("ipfi.Call: %v", err)
	}
}
