package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// runBench is "ipfi bench ADDR PROC [ARGS...]": -c callers call PROC over
// -conns connections (caller k on connection k mod -conns) as fast as they
// can for -d, with a progress line every -i, then a histogram of the
// calls' latencies and their percentiles.
func runBench(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	concurrency := fs.Int("c", 8, "how many callers call at once, spread over the -conns connections in turn")
	conns := fs.Int("conns", 1, "how many connections to make, for the callers to share (at most -c)")
	duration := fs.Duration("d", 5*time.Second, "how long to call")
	interval := fs.Duration("i", 0, "how often to print progress (default 1s, or a third of -d when -d is shorter than 3s)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long connecting, and then each call, may take")
	tlsFlags := addClientTLSFlags(fs)
	rest, err := parseFlags(fs, args, 2, -1)
	if err != nil {
		return err
	}
	if *concurrency < 1 || *duration <= 0 || *interval < 0 {
		return usageError{"-c and -d must be positive, -i not negative"}
	}
	if *conns < 1 || *conns > *concurrency {
		return usageError{fmt.Sprintf("-conns is %d: it must be at least 1 and at most -c (%d)", *conns, *concurrency)}
	}
	if *interval == 0 {
		*interval = min(time.Second, *duration/3)
	}
	addr, proc, payload, err := parseTarget(rest)
	if err != nil {
		return err
	}
	if err := tlsFlags.apply(&addr, stderr); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, *timeout)
	iface, wires, err := connectN(cctx, addr, *conns, stderr)
	cancel()
	if err != nil {
		return err
	}
	defer iface.Close()

	t := &benchTarget{wires: wires, proc: proc, payload: payload, timeout: *timeout}
	if err := t.probe(ctx); err != nil {
		return err
	}
	kind := "plain"
	if t.streamed {
		kind = "streamed"
	}
	fmt.Fprintf(stdout, "bench: procedure %d (%s response) at %s, %d callers over %s, for %v\n",
		proc, kind, addr, *concurrency, plural(len(wires), "connection"), *duration)
	r := &benchRun{latencies: make([][]time.Duration, *concurrency)}
	elapsed := r.run(ctx, t, *duration, *interval, stdout)
	return r.report(stdout, elapsed, wires)
}

// plural is n and noun, with an s unless n is 1: "1 connection", "3
// connections".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// benchTarget is the procedure a bench calls, and how.
type benchTarget struct {
	wires    []*ipfi.Wire // the connections; caller k calls over wires[k%len(wires)]
	proc     procedures.Index
	payload  []byte
	timeout  time.Duration // for each call
	streamed bool          // the response is streamed: each call reads it to its end
}

// probe makes a first call on each connection, which checks that the
// procedure answers there, and sets streamed: a plain response is called
// for as a Raw call, a streamed one read to its end.
func (t *benchTarget) probe(ctx context.Context) error {
	for k, w := range t.wires {
		streamed, err := t.probeOne(ctx, w)
		if err != nil {
			err = callError(err, t.proc, t.timeout)
			if len(t.wires) > 1 {
				return fmt.Errorf("first call on connection %d of %d: %w", k+1, len(t.wires), err)
			}
			return fmt.Errorf("first call: %w", err)
		}
		t.streamed = streamed
	}
	return nil
}

// probeOne makes a first call over w and says whether the response is
// streamed.
func (t *benchTarget) probeOne(ctx context.Context, w *ipfi.Wire) (streamed bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	_, err = ipfi.Call[ipfi.Raw](ctx, w, t.proc, ipfi.Raw(t.payload))
	if errors.Is(err, ipfi.ErrStreamed) {
		return true, nil
	}
	return false, err
}

// call makes one call over w and reads its whole response.
func (t *benchTarget) call(ctx context.Context, w *ipfi.Wire) error {
	if t.streamed {
		return invoke(ctx, w, t.proc, t.payload, func([]byte) error { return nil })
	}
	resp, err := ipfi.Call[ipfi.Raw](ctx, w, t.proc, ipfi.Raw(t.payload))
	if err == nil && len(resp) == 0 {
		err = fmt.Errorf("%w (an empty response)", ipfi.ErrRemote)
	}
	return err
}

// benchRun is what a run's callers count: one caller for each element of
// latencies, which holds that caller's latencies.
type benchRun struct {
	calls, errs atomic.Int64
	firstErr    error
	errOnce     sync.Once
	latencies   [][]time.Duration
}

// run has r's callers call t for d, prints progress every interval until
// they have all returned, and returns how long that took.
func (r *benchRun) run(ctx context.Context, t *benchTarget, d, interval time.Duration, stdout io.Writer) time.Duration {
	// The run ends by a cancel, not a deadline: a deadline would travel
	// with each call to the peer, which would fail the calls open at the
	// end as its own errors.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	end := time.AfterFunc(d, stop)
	defer end.Stop()
	var callers sync.WaitGroup
	start := time.Now()
	for c := range r.latencies {
		callers.Add(1)
		go func() {
			defer callers.Done()
			r.caller(runCtx, stop, t, c)
		}()
	}
	done := make(chan struct{})
	go func() {
		callers.Wait()
		close(done)
	}()
	r.progress(stdout, interval, start, done)
	return time.Since(start)
}

// caller is caller c: it calls t over connection c mod len(t.wires) until
// runCtx ends, keeping each successful call's latency and counting the
// calls that fail. When a call fails because its wire has ended it ends the
// run (stop), since every further call on it would fail too.
func (r *benchRun) caller(runCtx context.Context, stop context.CancelFunc, t *benchTarget, c int) {
	w := t.wires[c%len(t.wires)]
	for runCtx.Err() == nil {
		ctx, cancel := context.WithTimeout(runCtx, t.timeout)
		t0 := time.Now()
		err := t.call(ctx, w)
		took := time.Since(t0)
		cancel()
		if err == nil {
			r.calls.Add(1)
			r.latencies[c] = append(r.latencies[c], took)
			continue
		}
		if runCtx.Err() != nil {
			return // cut short by the end of the run: not counted
		}
		r.errs.Add(1)
		r.errOnce.Do(func() { r.firstErr = callError(err, t.proc, t.timeout) })
		if w.Err() != nil {
			stop()
			return
		}
	}
}

// progress prints, every interval until done is closed, the time since
// start, the calls so far, their rate since the line before, and the
// errors so far.
func (r *benchRun) progress(stdout io.Writer, interval time.Duration, start time.Time, done <-chan struct{}) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	lastCalls, lastTime := int64(0), start
	for {
		select {
		case now := <-tick.C:
			n := r.calls.Load()
			rate := float64(n-lastCalls) / now.Sub(lastTime).Seconds()
			fmt.Fprintf(stdout, "  %6.1fs  %10d calls  %10.0f calls/s  %6d errors\n", now.Sub(start).Seconds(), n, rate, r.errs.Load())
			lastCalls, lastTime = n, now
		case <-done:
			return
		}
	}
}

// report prints the finished run's totals, its first error and the
// histogram of its latencies; it returns an error if one of the wires
// ended during the run or no call succeeded.
func (r *benchRun) report(stdout io.Writer, elapsed time.Duration, wires []*ipfi.Wire) error {
	all := slices.Concat(r.latencies...)
	slices.Sort(all)
	n := len(all)
	fmt.Fprintf(stdout, "%d calls in %v: %.0f calls/s, %d errors\n", n, round(elapsed), float64(n)/elapsed.Seconds(), r.errs.Load())
	if r.firstErr != nil {
		fmt.Fprintf(stdout, "first error: %s\n", oneLine(r.firstErr.Error()))
	}
	if n > 0 {
		printHistogram(stdout, all)
	}
	for k, w := range wires {
		werr := w.Err()
		switch {
		case werr == nil:
		case len(wires) == 1:
			return fmt.Errorf("the wire ended during the run: %w", werr)
		default:
			return fmt.Errorf("connection %d of %d ended during the run: %w", k+1, len(wires), werr)
		}
	}
	if n == 0 {
		return errors.New("no call succeeded")
	}
	return nil
}

// bucketBounds are the histogram's bucket upper bounds, 1-2-5 from 1µs to
// 100s; a last bucket holds anything longer.
var bucketBounds = func() []time.Duration {
	var b []time.Duration
	for d := time.Microsecond; d <= 100*time.Second; d *= 10 {
		b = append(b, d, 2*d, 5*d)
	}
	return b
}()

// printHistogram prints the latencies (sorted) in buckets, each with its
// count, its share and a bar, then the percentiles.
func printHistogram(out io.Writer, sorted []time.Duration) {
	const width = 40
	counts := make([]int, len(bucketBounds)+1)
	for _, d := range sorted {
		i, _ := slices.BinarySearch(bucketBounds, d+1) // the first bound > d
		counts[i]++
	}
	first := slices.IndexFunc(counts, func(c int) bool { return c > 0 })
	last := len(counts) - 1
	for counts[last] == 0 {
		last--
	}
	top := slices.Max(counts)
	fmt.Fprintln(out, "latency:")
	for i := first; i <= last; i++ {
		lo, hi := "0", "+Inf"
		if i > 0 {
			lo = bucketBounds[i-1].String()
		}
		if i < len(bucketBounds) {
			hi = bucketBounds[i].String()
		}
		bar := int(math.Ceil(float64(counts[i]) * width / float64(top)))
		fmt.Fprintf(out, "  %6s .. %-6s %-*s %9d  %5.1f%%\n", lo, hi, width, strings.Repeat("#", bar), counts[i], 100*float64(counts[i])/float64(len(sorted)))
	}
	pct := func(p float64) time.Duration {
		return sorted[max(0, int(math.Ceil(p*float64(len(sorted))))-1)]
	}
	fmt.Fprintf(out, "p50 %v  p90 %v  p99 %v  max %v\n", round(pct(0.50)), round(pct(0.90)), round(pct(0.99)), round(sorted[len(sorted)-1]))
}
