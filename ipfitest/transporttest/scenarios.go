// Package transporttest checks that a transport carries wires of package
// ipfi as the library promises: the main scenarios (RunScenarios) and the
// adversarial essentials with the bounds SECURITY.md states
// (RunAdversarial). The library runs both over every transport it has
// (TCP, Unix sockets, pipes, a child's stdio, TLS, WebSocket, QUIC); a
// program with a transport of its own runs them the same way:
//
//	func TestMyTransport(t *testing.T) {
//		transporttest.RunScenarios(t, func(t *testing.T, caller, callee *ipfi.Interface) (*ipfi.Wire, func()) {
//			a, b := myTransportPair(t)
//			w, err := caller.Connect(a, a)
//			...
//			_, err = callee.Connect(b, b)
//			...
//			return w, func() { b.Break() }
//		})
//	}
package transporttest

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// The procedures of the main scenarios, on the callee's side
// (RegisterCallee); the caller serves Add too, for the callee's call back.
const (
	Add      = 10 // x, y -> x+y
	Seq      = 11 // n -> 0..n-1, streamed
	Sum      = 12 // ints in pieces (bidi) -> their sum
	Block    = 13 // blocks until its context ends
	Callback = 14 // x -> the caller's Add(x, x), called back over the same wire
	Echo     = 15 // b -> b (bytes)
)

// RegisterCallee registers the callee's procedures of the main scenarios on
// i: for a Pair whose callee is another process, which calls it on its
// own interface.
func RegisterCallee(i *ipfi.Interface) error {
	return errors.Join(
		i.Register(Add, procedures.Func2(add)),
		i.Register(Seq, procedures.Sequence1(func(_ context.Context, n int, yield func(int) error) error {
			for k := range n {
				if err := yield(k); err != nil {
					return err
				}
			}
			return nil
		})),
		i.Register(Sum, procedures.Bidi(func(_ context.Context, in iter.Seq2[int, error], yield func(int) error) error {
			sum := 0
			for v, err := range in {
				if err != nil {
					return err
				}
				sum += v
			}
			return yield(sum)
		})),
		i.Register(Block, procedures.Func0(func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, context.Cause(ctx)
		})),
		i.Register(Callback, procedures.Func1(func(ctx context.Context, x int) (int, error) {
			return ipfi.Call[int](ctx, ipfi.WireFrom(ctx), Add, x, x)
		})),
		i.Register(Echo, procedures.Func1(func(_ context.Context, b []byte) ([]byte, error) { return b, nil })),
	)
}

func add(_ context.Context, x, y int) (int, error) { return x + y, nil }

// Pair connects caller to callee over the transport under test and returns
// the caller's wire, and cut: a function that kills the transport under
// both wires as a failure would (a connection reset, a killed process),
// not by closing either wire. A Pair whose callee is another process
// ignores callee and connects to that process instead, which has called
// RegisterCallee. What Pair makes it ends (t.Cleanup) or hands to the
// wires, which close it as they end.
type Pair func(t *testing.T, caller, callee *ipfi.Interface) (w *ipfi.Wire, cut func())

// RunScenarios runs the main scenarios over pair, each a subtest: a call; a
// call the callee answers by calling the caller back; a stream of 500
// values; 50 argument pieces to a bidirectional procedure; an echo of
// 1 MiB and 1 KiB (a value in pieces both ways); 64 calls at once; and a call pending as
// cut kills the transport, which must fail with ipfi.ErrWireTerminated
// (and does so last, on a wire of its own). The interfaces are made here
// with ipfi.New() and closed as the test ends.
//
// A transport that moves bytes slowly (one at a time) passes Slow: its
// echo is then of 64 KiB.
func RunScenarios(t *testing.T, pair Pair, opts ...Option) {
	t.Helper()
	var c config
	for _, o := range opts {
		o(&c)
	}
	caller, callee := newInterface(t), newInterface(t)
	mustOK(t, caller.Register(Add, procedures.Func2(add)))
	mustOK(t, RegisterCallee(callee))
	w, _ := pair(t, caller, callee)
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := s.run(ctx, w, c); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("a call pending as the transport dies", func(t *testing.T) {
		caller, callee := newInterface(t), newInterface(t)
		mustOK(t, RegisterCallee(callee))
		w, cut := pair(t, caller, callee)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		p, err := w.Start(ctx, Block)
		mustOK(t, err)
		cut()
		if err := p.Wait(ctx, nil); !errors.Is(err, ipfi.ErrWireTerminated) {
			t.Fatalf("a call pending as the transport died: %v, want ErrWireTerminated", err)
		}
	})
}

// An Option changes what RunScenarios asks of a transport.
type Option func(*config)

type config struct {
	slow bool // the echo is of 64 KiB
}

// Slow is for a transport that moves bytes slowly, such as one byte at a
// time through the race detector: its echo is of 64 KiB, not 1 MiB and
// more.
func Slow() Option { return func(c *config) { c.slow = true } }

// scenarios are RunScenarios' scenarios on one wire, in order.
var scenarios = []struct {
	name string
	run  func(ctx context.Context, w *ipfi.Wire, c config) error
}{
	{"a call", func(ctx context.Context, w *ipfi.Wire, c config) error {
		return expect(ipfi.Call[int](ctx, w, Add, 2, 3))(5)
	}},
	{"a call answered by calling back", func(ctx context.Context, w *ipfi.Wire, c config) error {
		return expect(ipfi.Call[int](ctx, w, Callback, 21))(42)
	}},
	{"a stream of 500 values", func(ctx context.Context, w *ipfi.Wire, c config) error {
		got, err := ipfi.Collect[int](ctx, w, Seq, 500)
		if err != nil || len(got) != 500 || got[499] != 499 {
			return errorf("got %d values, %v; want 500, the last 499", len(got), err)
		}
		return nil
	}},
	{"arguments in 50 pieces", func(ctx context.Context, w *ipfi.Wire, c config) error {
		s, err := w.Open(ctx, Sum)
		if err != nil {
			return err
		}
		defer s.Close()
		for k := 1; k <= 50; k++ {
			if err := s.Send(k); err != nil {
				return err
			}
		}
		if err := s.CloseSend(); err != nil {
			return err
		}
		var sum int
		if err := s.Recv(&sum); err != nil || sum != 1275 {
			return errorf("sum %d, %v; want 1275", sum, err)
		}
		return nil
	}},
	{"an echo of 1 MiB and more", func(ctx context.Context, w *ipfi.Wire, c config) error {
		n := 1<<20 + 1<<10 // over the largest frame: in pieces both ways
		if c.slow {
			n = 64 << 10
		}
		b := bytes.Repeat([]byte("ipfi"), n/4)
		got, err := ipfi.Call[[]byte](ctx, w, Echo, b)
		if err != nil || !bytes.Equal(got, b) {
			return errorf("echoed %d bytes (equal: %v), %v; want the %d sent", len(got), bytes.Equal(got, b), err, len(b))
		}
		return nil
	}},
	{"64 calls at once", func(ctx context.Context, w *ipfi.Wire, c config) error {
		errs := make(chan error, 64)
		for k := range 64 {
			go func() { errs <- expect(ipfi.Call[int](ctx, w, Add, k, 1))(k + 1) }()
		}
		var all []error
		for range 64 {
			all = append(all, <-errs)
		}
		return errors.Join(all...)
	}},
}
