package tests

import (
	"context"
	"errors"
	"iter"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/procedures"
)

// The procedures of the main scenarios, on the callee's side; the caller
// serves scAdd too (the callee calls it back).
const (
	scAdd      = 10 // x, y -> x+y
	scSeq      = 11 // n -> 0..n-1, streamed
	scSum      = 12 // ints in pieces (bidi) -> their sum
	scBlock    = 13 // blocks until its context ends
	scCallback = 14 // x -> the caller's scAdd(x, x), called back over the same wire
)

// registerScenarioCallee registers the callee's procedures of the main
// scenarios on i (also in the child process).
func registerScenarioCallee(i *ipfi.Interface) {
	_ = i.Register(scAdd, procedures.Func2(func(_ context.Context, x, y int) (int, error) { return x + y, nil }))
	_ = i.Register(scSeq, procedures.Sequence1(func(_ context.Context, n int, yield func(int) error) error {
		for k := range n {
			if err := yield(k); err != nil {
				return err
			}
		}
		return nil
	}))
	_ = i.Register(scSum, procedures.Bidi(func(_ context.Context, in iter.Seq2[int, error], yield func(int) error) error {
		sum := 0
		for v, err := range in {
			if err != nil {
				return err
			}
			sum += v
		}
		return yield(sum)
	}))
	_ = i.Register(scBlock, procedures.Func0(func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, context.Cause(ctx)
	}))
	_ = i.Register(scCallback, procedures.Func1(func(ctx context.Context, x int) (int, error) {
		return ipfi.Call[int](ctx, ipfi.WireFrom(ctx), scAdd, x, x)
	}))
}

// mainScenarios runs the main scenarios on w, a wire to a peer with the
// callee's procedures: a call, a call the peer answers by calling back, a
// stream of 500 values, 50 argument pieces to a bidirectional procedure,
// and a call pending as cut kills the transport, which must fail with
// ErrWireTerminated.
func mainScenarios(t *testing.T, w *ipfi.Wire, cut func()) {
	t.Helper()
	ctx := bounded(t, 20*time.Second)
	if got, err := ipfi.Call[int](ctx, w, scAdd, 2, 3); err != nil || got != 5 {
		t.Fatalf("a call: %v, %v", got, err)
	}
	if got, err := ipfi.Call[int](ctx, w, scCallback, 21); err != nil || got != 42 {
		t.Fatalf("a call answered by calling back: %v, %v", got, err)
	}
	if got, err := ipfi.Collect[int](ctx, w, scSeq, 500); err != nil || len(got) != 500 || got[499] != 499 {
		t.Fatalf("a stream: %d values, %v", len(got), err)
	}
	s, err := w.Open(ctx, scSum)
	must(t, err)
	for k := 1; k <= 50; k++ {
		must(t, s.Send(k))
	}
	must(t, s.CloseSend())
	var sum int
	if err := s.Recv(&sum); err != nil || sum != 1275 {
		t.Fatalf("arguments in pieces: %v, %v", sum, err)
	}
	s.Close()
	p, err := w.Start(ctx, scBlock)
	must(t, err)
	cut()
	if err := p.Wait(ctx, nil); !errors.Is(err, ipfi.ErrWireTerminated) {
		t.Fatalf("a call pending as the transport died: %v, want ErrWireTerminated", err)
	}
}

// scenarioCaller is an interface that serves scAdd, for the callee's call
// back.
func scenarioCaller(t *testing.T) *ipfi.Interface {
	i := newInterface(t)
	must(t, i.Register(scAdd, procedures.Func2(func(_ context.Context, x, y int) (int, error) { return x + y, nil })))
	return i
}

// TestMainScenariosOverEveryTransport: the main scenarios over loopback
// TCP, a Unix socket, an in-memory pipe, one byte at a time both ways,
// push mode, and a child process's stdio.
func TestMainScenariosOverEveryTransport(t *testing.T) {
	conns := func(t *testing.T, network string) (net.Conn, net.Conn) {
		addr := "127.0.0.1:0"
		if network == "unix" {
			addr = filepath.Join(t.TempDir(), "s")
		}
		l, err := net.Listen(network, addr)
		must(t, err)
		defer l.Close()
		accepted := make(chan net.Conn, 1)
		go func() {
			c, _ := l.Accept()
			accepted <- c
		}()
		ca, err := net.Dial(network, l.Addr().String())
		must(t, err)
		cb := <-accepted
		if cb == nil {
			t.Fatal("accept failed")
		}
		return ca, cb
	}
	overConns := func(wrap func(net.Conn) net.Conn, network string) func(t *testing.T) {
		return func(t *testing.T) {
			caller, callee := scenarioCaller(t), newInterface(t)
			registerScenarioCallee(callee)
			ca, cb := conns(t, network)
			connA := wrap(ca)
			w, err := caller.Connect(connA, connA)
			must(t, err)
			connB := wrap(cb)
			_, err = callee.Connect(connB, connB)
			must(t, err)
			mainScenarios(t, w, func() { cb.Close() })
		}
	}
	same := func(c net.Conn) net.Conn { return c }
	t.Run("tcp", overConns(same, "tcp"))
	t.Run("unix", overConns(same, "unix"))
	t.Run("pipe", func(t *testing.T) {
		caller, callee := scenarioCaller(t), newInterface(t)
		registerScenarioCallee(callee)
		w, wb, err := ipfitest.Pipe(caller, callee)
		must(t, err)
		mainScenarios(t, w, func() { go wb.Close() }) // Close waits for the blocked procedure's return
	})
	t.Run("one-byte", func(t *testing.T) {
		caller, callee := scenarioCaller(t), newInterface(t)
		registerScenarioCallee(callee)
		ca, cb := net.Pipe()
		slowA := ipfitest.OneByteAtATime(ca)
		w, err := caller.Connect(slowA, slowA)
		must(t, err)
		slowB := ipfitest.OneByteAtATime(cb)
		_, err = callee.Connect(slowB, slowB)
		must(t, err)
		mainScenarios(t, w, func() { cb.Close() })
	})
	t.Run("push", func(t *testing.T) {
		caller, callee := scenarioCaller(t), newInterface(t)
		registerScenarioCallee(callee)
		w, _, pa, _ := pushPair(t, caller, callee)
		mainScenarios(t, w, func() { pa.End(errors.New("the line went quiet")) })
	})
	t.Run("child stdio", func(t *testing.T) {
		caller := scenarioCaller(t)
		cmd := childCmd()
		cmd.Stderr = os.Stderr
		w, err := caller.ConnectCmd(cmd)
		must(t, err)
		mainScenarios(t, w, func() { _ = cmd.Process.Kill() })
	})
}
