package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// result is what the rounds of one (scenario, system) pair measured.
type result struct {
	samples []float64     // ns per item, one per round
	cpu     time.Duration // user + system CPU time over the rounds
	mallocs uint64        // heap allocations over the rounds
	spawned uint64        // goroutines created over the rounds
	items   int           // items over the rounds
}

func (r *result) medianNs() float64 {
	s := slices.Clone(r.samples)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func (r *result) minNs() float64 { return slices.Min(r.samples) }
func (r *result) maxNs() float64 { return slices.Max(r.samples) }

// opsPerSec is the throughput of the median round.
func (r *result) opsPerSec() float64 { return 1e9 / r.medianNs() }

func (r *result) cpuNsPerOp() float64 { return float64(r.cpu.Nanoseconds()) / float64(r.items) }

func (r *result) allocsPerOp() float64 { return float64(r.mallocs) / float64(r.items) }

func (r *result) goroutinesPerOp() float64 { return float64(r.spawned) / float64(r.items) }

// contender is one system's operation in a scenario.
type contender struct {
	name string
	op   func(context.Context) error
}

// measure runs scenario sc for every contender: a warm-up batch each, then
// up to rounds rounds in which every contender runs one batch, in an order
// that rotates from round to round. It stops starting rounds once budget has
// passed (after one round at least) or ctx is done.
func measure(ctx context.Context, sc scenario, cs []contender, rounds int, budget time.Duration) (map[string]*result, error) {
	for _, c := range cs {
		if err := runBatch(ctx, sc, c.op, sc.batch); err != nil {
			return nil, fmt.Errorf("%s %s warm-up: %w", sc.name, c.name, err)
		}
	}
	res := make(map[string]*result, len(cs))
	for _, c := range cs {
		res[c.name] = &result{}
	}
	start := time.Now()
	for r := range rounds {
		if r > 0 && (time.Since(start) > budget || ctx.Err() != nil) {
			break
		}
		for i := range cs {
			c := cs[(i+r)%len(cs)]
			if err := timeBatch(ctx, sc, c.op, res[c.name]); err != nil {
				return nil, fmt.Errorf("%s %s round %d: %w", sc.name, c.name, r, err)
			}
		}
	}
	return res, nil
}

// timeBatch runs one measured batch and adds it to res.
func timeBatch(ctx context.Context, sc scenario, op func(context.Context) error, res *result) error {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := goroutinesCreated()
	cpu0 := cpuTime()
	t0 := time.Now()
	err := runBatch(ctx, sc, op, sc.batch)
	elapsed := time.Since(t0)
	cpu1 := cpuTime()
	g1 := goroutinesCreated()
	runtime.ReadMemStats(&m1)
	if err != nil {
		return err
	}
	items := sc.batch * sc.items
	res.samples = append(res.samples, float64(elapsed.Nanoseconds())/float64(items))
	res.cpu += cpu1 - cpu0
	res.mallocs += m1.Mallocs - m0.Mallocs
	res.spawned += g1 - g0
	res.items += items
	return nil
}

// runBatch runs op n times, on sc.callers goroutines sharing the count. It
// returns the first error; the other callers then stop at their next op.
func runBatch(ctx context.Context, sc scenario, op func(context.Context) error, n int) error {
	if sc.callers <= 1 {
		for range n {
			if err := op(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range sc.callers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := op(ctx); err != nil {
					errOnce.Do(func() { firstErr = err })
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// cpuTime returns the user + system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// goroutinesCreated returns how many goroutines this process has created.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
