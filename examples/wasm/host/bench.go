package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/examples/wasm/internal/contract"
)

// Targets to compare against.
const (
	targetFirstAnswer = 20 * time.Millisecond  // instantiation to first answer, cache warm
	targetInstances   = 500 * time.Millisecond // 50 instances start, answer and close
	targetHandRatio   = 0.5                    // library guest's calls/s over the hand-written guest's
)

// handoffRounds is how many channel round trips the hand-off figure times.
const handoffRounds = 100_000

// startRuns is how many instances the start-to-first-answer figures time.
const startRuns = 10

// maxBenchCalls bounds each calls/s figure besides its duration.
const maxBenchCalls = 1_000_000

// figures are what bench measures.
type figures struct {
	first, handFirst       []time.Duration // instantiation to first answer
	startup                []time.Duration // the library guest's own account of its start (procedure 6), medians
	toGuest, toHost        rate            // sequential calls, library guest
	toHand, native         rate            // the hand-written guest; ipfitest.Pipe between two native interfaces
	procLib, procHand      rate            // both guests as native child processes on one thread
	procErr                error           // why those could not be measured
	handoff, nativeHandoff time.Duration   // a channel round trip between two goroutines, in the guest and here
	guestMem               uint32          // linear memory, library guest, after its calls
	handMem                uint32
	many                   time.Duration // o.n instances of the library guest side by side

	// The lightweight guest (package guest).
	liteFirst          []time.Duration
	toLite, liteToHost rate
	liteMem            uint32
	liteMany           time.Duration
}

// rate is a calls/s figure, with what the calls cost inside the library
// guest (procedure 5's counters, per call; nil when not measured).
type rate struct {
	perSecond float64
	inside    []float64
}

// bench measures and prints the figures as a table.
func bench(ctx context.Context, e *engine, o options) error {
	fmt.Fprintln(o.out, "\nmeasuring...")
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var f figures
	var err error

	if f.first, f.startup, err = startToFirstAnswer(ctx, e, e.guest); err != nil {
		return err
	}
	if f.handFirst, _, err = startToFirstAnswer(ctx, e, e.hand); err != nil {
		return err
	}

	in, err := e.start(ctx, e.guest)
	if err != nil {
		return err
	}
	defer in.kill()
	if f.toGuest, err = measure(ctx, in.wire, true, func() (int, error) { return sequential(ctx, in.wire, o.benchTime) }); err != nil {
		return fmt.Errorf("host→guest: %w", err)
	}
	if f.toHost, err = guestToHost(ctx, in.wire, true, o.benchTime); err != nil {
		return fmt.Errorf("guest→host: %w", err)
	}
	ns, err := ipfi.Call[int64](ctx, in.wire, contract.ProcHandoff, handoffRounds)
	if err != nil {
		return fmt.Errorf("handoff: %w", err)
	}
	f.handoff, f.nativeHandoff = time.Duration(ns), time.Duration(contract.Handoff(handoffRounds))
	f.guestMem = e.memory(in)
	if err := in.kill(); err != nil {
		return err
	}

	hand, err := e.start(ctx, e.hand)
	if err != nil {
		return err
	}
	defer hand.kill()
	if f.toHand, err = measure(ctx, hand.wire, false, func() (int, error) { return sequential(ctx, hand.wire, o.benchTime) }); err != nil {
		return fmt.Errorf("hand-written guest: %w", err)
	}
	f.handMem = e.memory(hand)
	if err := hand.kill(); err != nil {
		return err
	}

	if f.liteFirst, _, err = startToFirstAnswer(ctx, e, e.lite); err != nil {
		return err
	}
	lite, err := e.start(ctx, e.lite)
	if err != nil {
		return err
	}
	defer lite.kill()
	if f.toLite, err = measure(ctx, lite.wire, false, func() (int, error) { return sequential(ctx, lite.wire, o.benchTime) }); err != nil {
		return fmt.Errorf("lightweight guest: %w", err)
	}
	if f.liteToHost, err = guestToHost(ctx, lite.wire, false, o.benchTime); err != nil {
		return fmt.Errorf("lightweight guest: guest→host: %w", err)
	}
	f.liteMem = e.memory(lite)
	if err := lite.kill(); err != nil {
		return err
	}

	if f.native, err = nativePipe(ctx, o.benchTime); err != nil {
		return fmt.Errorf("native pipe: %w", err)
	}
	f.procLib, f.procHand, f.procErr = nativeProcesses(ctx, e, o)
	if f.many, err = instances(ctx, e, e.guest, o.n); err != nil {
		return err
	}
	if f.liteMany, err = instances(ctx, e, e.lite, o.n); err != nil {
		return fmt.Errorf("lightweight guests: %w", err)
	}
	return f.print(o, e)
}

// startToFirstAnswer times startRuns instances of compiled, one at a time,
// from the start of their instantiation to the answer to their first call
// (procedure 1); each is then closed. For the library guest it also returns
// the medians of the guest's own account of its start (procedure 6).
func startToFirstAnswer(ctx context.Context, e *engine, compiled wazero.CompiledModule) (first, startup []time.Duration, err error) {
	var parts [3][]time.Duration
	for range startRuns {
		in, err := e.start(ctx, compiled)
		if err != nil {
			return nil, nil, err
		}
		_, err = ipfi.Call[int](ctx, in.wire, contract.ProcAdd, 1, 2)
		first = append(first, time.Since(in.started))
		var s []int64
		if err == nil && compiled == e.guest {
			if s, err = ipfi.Call[[]int64](ctx, in.wire, contract.ProcStartup); err == nil && len(s) != len(parts) {
				err = fmt.Errorf("startup: %d values", len(s))
			}
			for i := range s {
				parts[i] = append(parts[i], time.Duration(s[i]))
			}
		}
		if err != nil {
			return nil, nil, errors.Join(fmt.Errorf("%s: %w", in.name, err), in.kill())
		}
		if err := in.kill(); err != nil {
			return nil, nil, err
		}
	}
	if compiled == e.guest {
		for _, p := range parts {
			startup = append(startup, median(p))
		}
	}
	return first, startup, nil
}

// measure runs calls, which returns how many calls it made, and returns
// their rate; with stats, also what they cost inside the library guest at
// the end of w.
func measure(ctx context.Context, w *ipfi.Wire, stats bool, calls func() (int, error)) (rate, error) {
	var before, after []uint64
	var err error
	if stats {
		if before, err = ipfi.Call[[]uint64](ctx, w, contract.ProcStats); err != nil {
			return rate{}, fmt.Errorf("stats: %w", err)
		}
	}
	start := time.Now()
	n, err := calls()
	took := time.Since(start)
	if err != nil {
		return rate{}, err
	}
	r := rate{perSecond: float64(n) / took.Seconds()}
	if stats {
		if after, err = ipfi.Call[[]uint64](ctx, w, contract.ProcStats); err != nil {
			return rate{}, fmt.Errorf("stats: %w", err)
		}
		for i := range min(len(before), len(after)) {
			r.inside = append(r.inside, float64(after[i]-before[i])/float64(n))
		}
	}
	return r, nil
}

// sequential calls add(i, 1) on w, one call at a time, for d (after a
// warm-up) and returns how many calls it made.
func sequential(ctx context.Context, w *ipfi.Wire, d time.Duration) (int, error) {
	for i := range 100 {
		if _, err := ipfi.Call[int](ctx, w, contract.ProcAdd, i, 1); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	n := 0
	for ; n < maxBenchCalls && (n%64 != 0 || time.Since(start) < d); n++ {
		if sum, err := ipfi.Call[int](ctx, w, contract.ProcAdd, n, 1); err != nil || sum != n+1 {
			return 0, fmt.Errorf("add(%d, 1) = %d, %v", n, sum, err)
		}
	}
	return n, nil
}

// guestToHost has the guest call the host's procedure n times in turn (its
// procedure 4), with n calibrated so that it takes about d, and returns the
// rate of those calls (with stats, what they cost inside the library
// guest).
func guestToHost(ctx context.Context, w *ipfi.Wire, stats bool, d time.Duration) (rate, error) {
	calibrate := 200
	start := time.Now()
	if _, err := ipfi.Call[int](ctx, w, contract.ProcCallHost, calibrate); err != nil {
		return rate{}, fmt.Errorf("callhost(%d): %w", calibrate, err)
	}
	n := max(1, min(maxBenchCalls, int(float64(calibrate)*d.Seconds()/time.Since(start).Seconds())))
	return measure(ctx, w, stats, func() (int, error) {
		if sum, err := ipfi.Call[int](ctx, w, contract.ProcCallHost, n); err != nil || sum != n*(n-1) {
			return 0, fmt.Errorf("callhost(%d) = %d, %v", n, sum, err)
		}
		return n, nil
	})
}
