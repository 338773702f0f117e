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
// on goroutines whose stacks have already grown. Idle runners end after
// runnerIdle, or as soon as their wire ends; they are counted in the wire's
// WaitGroup like any goroutine it starts.
type runners struct {
	mu   sync.Mutex
	idle []chan func() // one per parked runner; a job sent on it never blocks
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

// runner runs f, then the jobs handed to it while it is parked.
func (w *Wire) runner(f func()) {
	defer w.wg.Done()
	var ch chan func()
	var idle *time.Timer
	for {
		f()
		f = nil
		if ch == nil {
			ch = make(chan func(), 1)
		}
		rs := &w.runners
		rs.mu.Lock()
		if w.procCtx.Err() != nil || len(rs.idle) >= maxIdleRunners {
			rs.mu.Unlock()
			return
		}
		rs.idle = append(rs.idle, ch)
		rs.mu.Unlock()
		if idle == nil {
			idle = time.NewTimer(runnerIdle)
		} else {
			idle.Reset(runnerIdle)
		}
		select {
		case f = <-ch:
			idle.Stop()
			continue
		case <-idle.C:
		case <-w.procCtx.Done():
			idle.Stop()
		}
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
		f = <-ch // taken as the timer fired: its job is on the way
	}
}
