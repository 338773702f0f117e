package actors

import (
	"sync"
	"time"
)

// runners are the goroutines that run a wire's procedures. A procedure runs
// off the call actor (it may block, or call back over the same wire), so
// each call needs a goroutine; a fresh one starts with a 2 KiB stack that a
// typed procedure outgrows at once (growing and copying it was a fifth of
// the CPU of a small call under load). A runner that finishes a call waits
// a little for the next one instead of ending, so under load procedures run
// on goroutines whose stacks have already grown. A runner ends once a whole
// period of runnerIdle has passed without a call for it, or as soon as its
// wire ends; runners are counted in the wire's WaitGroup like any goroutine
// it starts.
type runners struct {
	mu     sync.Mutex
	idle   []chan func() // one per parked runner; a job sent on it never blocks
	closed bool          // the wire has ended: runners end instead of parking
}

// runnerIdle is how long a runner waits for another call before it ends (a
// variable for tests).
var runnerIdle = 100 * time.Millisecond

// maxIdleRunners bounds the runners a wire keeps parked.
const maxIdleRunners = 64

// goProc runs f on an idle runner of the wire, or on a new one.
func (w *Wire) goProc(f func()) {
	rs := &w.runners
	rs.mu.Lock()
	if n := len(rs.idle); n > 0 {
		ch := rs.idle[n-1]
		rs.idle[n-1] = nil
		rs.idle = rs.idle[:n-1]
		rs.mu.Unlock()
		ch <- f
		return
	}
	rs.mu.Unlock()
	w.wg.Add(1)
	go w.runner(f)
}

// endRunners tells the parked runners to end, and the others not to park
// (the wire is ending).
func (w *Wire) endRunners() {
	rs := &w.runners
	rs.mu.Lock()
	rs.closed = true
	for i, ch := range rs.idle {
		ch <- nil // parked: the buffer is empty
		rs.idle[i] = nil
	}
	rs.idle = nil
	rs.mu.Unlock()
}

// runner runs f, then the jobs handed to it while it is parked. Its timer
// is not reset per job: when it fires, a runner that ran a job since the
// last time waits another period (a reset and a stop per call, and a third
// case in the select, cost the parking a tenth of a small call's CPU).
func (w *Wire) runner(f func()) {
	defer w.wg.Done()
	var ch chan func()
	var idle *time.Timer
	jobs := 0
	for {
		f()
		f = nil
		jobs++
		if ch == nil {
			ch = make(chan func(), 1)
		}
		rs := &w.runners
		rs.mu.Lock()
		if rs.closed || len(rs.idle) >= maxIdleRunners {
			rs.mu.Unlock()
			return
		}
		rs.idle = append(rs.idle, ch)
		rs.mu.Unlock()
		if idle == nil {
			idle = time.NewTimer(runnerIdle)
		}
	wait:
		select {
		case f = <-ch:
			if f == nil {
				idle.Stop()
				return // the wire ended (endRunners took it off the list)
			}
			continue
		case <-idle.C:
			if jobs > 0 {
				jobs = 0
				idle.Reset(runnerIdle)
				goto wait
			}
		}
		// A whole period without a job: end, unless a job is on the way.
		rs.mu.Lock()
		parked := false
		for i, c := range rs.idle {
			if c == ch {
				parked = true
				last := len(rs.idle) - 1
				rs.idle[i] = rs.idle[last]
				rs.idle[last] = nil
				rs.idle = rs.idle[:last]
				break
			}
		}
		rs.mu.Unlock()
		if parked {
			return
		}
		if f = <-ch; f == nil {
			return // the wire ended
		}
	}
}
