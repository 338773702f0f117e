package tests

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// TestMixedLoadOnServedWires: many served wires at once, each running
// every kind of call in both directions (quick and goroutine unary calls,
// callbacks, streams read whole or cut short, cancelled calls) while some
// wires are closed mid-way. Every call ends with its answer or with an
// error that says why (the wire was closed, the call was cancelled), the
// wires left open keep serving, and nothing leaks (goleak at the end of the
// package). Run with -race: it exercises the reuse of call actors and
// runners, the quick path and stream runs across wires concurrently.
func TestMixedLoadOnServedWires(t *testing.T) {
	const wires, rounds = 12, 20
	server, client := newInterface(t), newInterface(t)
	join := procedures.Func2(func(_ context.Context, a, b string) (string, error) { return a + b, nil })
	must(t, server.Register(1, join))
	must(t, server.Register(2, procedures.Quick(join)))
	must(t, server.Register(3, procedures.Func1(func(ctx context.Context, s string) (string, error) {
		return ipfi.Call[string](ctx, ipfi.WireFrom(ctx), 10, s)
	})))
	must(t, server.Register(4, procedures.Sequence1(func(_ context.Context, n int, yield func(int) error) error {
		for i := range n {
			if err := yield(i); err != nil {
				return err
			}
		}
		return nil
	})))
	must(t, server.Register(5, procedures.Func0(func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, context.Cause(ctx)
	})))
	must(t, client.Register(10, procedures.Quick(procedures.Func1(func(_ context.Context, s string) (string, error) {
		return "<" + s + ">", nil
	}))))

	addr, stop := serveLoopback(t, server)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	inParallel(t, wires, func(i int) error {
		w, err := client.Dial(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		defer w.Close()
		closer := i%4 == 3 // these wires are closed half-way
		if err := mixedRounds(ctx, w, rounds, closer); err != nil {
			return fmt.Errorf("wire %d: %w", i, err)
		}
		return nil
	})
	stop()
}

// mixedRounds runs rounds of every kind of call on w, concurrently within
// a round; with closer, it closes w half-way and then expects every call to
// fail with ErrWireTerminated.
func mixedRounds(ctx context.Context, w *ipfi.Wire, rounds int, closer bool) error {
	for r := range rounds {
		closed := closer && r >= rounds/2
		if closer && r == rounds/2 {
			if err := w.Close(); err != nil {
				return err
			}
		}
		if err := mixedRoundOfCalls(ctx, w, r, closed); err != nil {
			return err
		}
	}
	return nil
}

// mixedRoundOfCalls runs round r of mixedRounds: every kind of call on w,
// concurrently. It returns a failure if any call fails; with closed, every
// call must fail with ErrWireTerminated.
func mixedRoundOfCalls(ctx context.Context, w *ipfi.Wire, r int, closed bool) error {
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	check := func(what string, err error, ok bool) {
		switch {
		case closed && errors.Is(err, ipfi.ErrWireTerminated):
		case closed:
			errs <- fmt.Errorf("round %d %s on a closed wire: %v", r, what, err)
		case err != nil || !ok:
			errs <- fmt.Errorf("round %d %s: %v (ok %v)", r, what, err, ok)
		}
	}
	run := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	run(func() { got, err := ipfi.Call[string](ctx, w, 1, "a", "b"); check("call", err, got == "ab") })
	run(func() { got, err := ipfi.Call[string](ctx, w, 2, "c", "d"); check("quick call", err, got == "cd") })
	run(func() { got, err := ipfi.Call[string](ctx, w, 3, "e"); check("callback", err, got == "<e>") })
	run(func() {
		got, err := ipfi.Collect[int](ctx, w, 4, 500)
		check("stream", err, len(got) == 500 && got[499] == 499)
	})
	run(func() {
		n, err := mixedCutShort(ctx, w)
		check("stream cut short", err, n == 100)
	})
	run(func() {
		cctx, ccancel := context.WithTimeout(ctx, time.Millisecond)
		defer ccancel()
		_, err := ipfi.Call[int](cctx, w, 5)
		if !closed && errors.Is(err, context.DeadlineExceeded) {
			err = nil // cancelled as asked
		}
		check("cancelled call", err, true)
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	return nil
}

// mixedCutShort ranges over a long stream from w's procedure 4, breaking
// out after 100 values (which cancels the producer) or at the first error
// or value out of order; it returns how many values it counted in order
// and the error it stopped at.
func mixedCutShort(ctx context.Context, w *ipfi.Wire) (int, error) {
	n := 0
	var err error
	for v, e := range ipfi.Iter[int](ctx, w, 4, 1_000_000) {
		if err = e; e != nil || v != n {
			break
		}
		if n++; n == 100 {
			break // cut short: the producer is cancelled
		}
	}
	return n, err
}
