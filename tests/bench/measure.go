package main

import (
	"context"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ipfi-go/ipfi/tests/bench/internal/stats"
)

// result is what the rounds of one (scenario, system) pair measured.
type result struct {
	samples  []float64     // ns per item, one per round that measured it
	perRound []float64     // ns per item by round, 0 for a round that did not (for paired ratios)
	cpu      time.Duration // user + system CPU time over the rounds
	mallocs  uint64        // heap allocations over the rounds
	spawned  uint64        // goroutines created over the rounds
	items    int           // items over the rounds
}

func (r *result) medianNs() float64 { return stats.Median(r.samples) }

// add records one round's batch, measured in a child.
func (r *result) add(round int, c childResult) {
	r.samples = append(r.samples, c.NsPerOp)
	if round < len(r.perRound) {
		r.perRound[round] = c.NsPerOp
	}
	r.cpu += time.Duration(c.CPUNs)
	r.mallocs += c.Mallocs
	r.spawned += c.Spawned
	r.items += c.Items
}

func (r *result) minNs() float64 { return slices.Min(r.samples) }
func (r *result) maxNs() float64 { return slices.Max(r.samples) }

// opsPerSec is the throughput of the median round.
func (r *result) opsPerSec() float64 { return 1e9 / r.medianNs() }

func (r *result) cpuNsPerOp() float64 { return float64(r.cpu.Nanoseconds()) / float64(r.items) }

func (r *result) allocsPerOp() float64 { return float64(r.mallocs) / float64(r.items) }

func (r *result) goroutinesPerOp() float64 { return float64(r.spawned) / float64(r.items) }

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
