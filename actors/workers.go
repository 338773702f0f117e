package actors

import (
	"sync"
	"sync/atomic"
	"time"
)

// workers are the goroutines that execute a wire's procedures. A procedure
// runs off its call actor (it may block, or call back over the same wire),
// so each call needs a goroutine; a fresh one starts with a small stack
// that a typed procedure outgrows at once. A worker that finishes a call
// parks on its job channel for the next one instead of ending, so under
// load procedures run on goroutines whose stacks have already grown.
//
// A parked worker ends once it has been parked for a whole idle period
// (System.workerIdle), give or take a period, or as soon as its wire ends
// (stopWorkers): the wire's one reaper timer, armed while any worker is
// parked, tells the workers parked longest to end. A parked worker waits
// on its channel alone, with no timer of its own, so parking costs no
// timer. The wire's goroutine count is their done signal.
type workers struct {
	mu     sync.Mutex
	idle   []idleWorker // parked workers, the longest parked first; a job sent to one never blocks
	closed bool         // the wire has ended: workers end instead of parking
	reaper *time.Timer  // armed while idle is not empty (reaping); nil until first needed
	// reaping: the reaper is armed, or running and will arm itself again
	// if workers are still parked.
	reaping bool
}

// idleWorker is a parked worker: its job channel (nil ends it) and when it
// parked (since epoch).
type idleWorker struct {
	ch    chan func()
	since time.Duration
}

// defaultWorkerIdle is how long a worker parks waiting for another call
// before it ends.
const defaultWorkerIdle = 100 * time.Millisecond

// maxIdleWorkers bounds the workers a wire keeps parked.
const maxIdleWorkers = 64

// goWork runs f on a parked worker of the wire (the one parked last), or
// on a new one.
func (w *Conn) goWork(f func()) {
	ws := &w.workers
	ws.mu.Lock()
	if n := len(ws.idle); n > 0 {
		ch := ws.idle[n-1].ch
		ws.idle[n-1] = idleWorker{}
		ws.idle = ws.idle[:n-1]
		ws.mu.Unlock()
		ch <- f
		return
	}
	ws.mu.Unlock()
	w.goroutines.add()
	go w.worker(f)
}

// stopWorkers tells the parked workers to end, and the others not to park
// (the wire is ending); the reaper is stopped.
func (w *Conn) stopWorkers() {
	ws := &w.workers
	ws.mu.Lock()
	ws.closed = true
	for i, p := range ws.idle {
		p.ch <- nil // parked: the buffer is empty
		ws.idle[i] = idleWorker{}
	}
	ws.idle = nil
	if ws.reaper != nil {
		ws.reaper.Stop()
	}
	ws.mu.Unlock()
}

// worker runs f, then the jobs handed to it while it is parked, until it
// is told to end (a nil job) or finds the wire ending.
func (w *Conn) worker(f func()) {
	defer w.goroutines.done()
	var ch chan func() // made at the first park: a procedure that blocks costs no channel
	for f != nil {
		f()
		if ch == nil {
			ch = make(chan func(), 1)
		}
		if !w.park(ch) {
			return
		}
		f = <-ch
	}
}

// park lists the worker whose job channel is ch as parked, arming the
// reaper if it is not; false if the worker must end instead (the wire is
// ending, or enough workers are parked).
func (w *Conn) park(ch chan func()) bool {
	ws := &w.workers
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed || len(ws.idle) >= maxIdleWorkers {
		return false
	}
	ws.idle = append(ws.idle, idleWorker{ch, time.Since(epoch)})
	if !ws.reaping {
		ws.reaping = true
		w.armReaper(w.sys.workerIdle)
	}
	return true
}

// armReaper has reap run in d. Called with workers.mu held.
func (w *Conn) armReaper(d time.Duration) {
	ws := &w.workers
	if ws.reaper == nil {
		ws.reaper = time.AfterFunc(d, w.reap)
		return
	}
	ws.reaper.Reset(d)
}

// reap, on the reaper's goroutine, ends the workers parked for a whole
// idle period and arms the reaper again for the next to reach it, if any
// worker is still parked. All of it runs under the workers' lock, which
// stopWorkers takes: once the wire has ended it does nothing.
func (w *Conn) reap() {
	ws := &w.workers
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed {
		return
	}
	cutoff := time.Since(epoch) - w.sys.workerIdle
	n := 0
	for n < len(ws.idle) && ws.idle[n].since <= cutoff {
		ws.idle[n].ch <- nil // parked: the buffer is empty
		n++
	}
	kept := copy(ws.idle, ws.idle[n:])
	clear(ws.idle[kept:])
	ws.idle = ws.idle[:kept]
	if kept == 0 {
		ws.reaping = false
		return
	}
	w.armReaper(ws.idle[0].since - cutoff)
}

// goroutines counts the goroutines a wire started (reader, workers,
// flushers): for the wire, whose Close waits for its own, and for its
// system, whose Close waits for all. Each such goroutine calls add before
// it starts and done as it returns.
type goroutines struct {
	sys *sync.WaitGroup
	n   atomic.Int64 // how many are running

	mu   sync.Mutex
	zero chan struct{} // closed when n next reaches 0, for wait; made on demand
}

func (g *goroutines) add() {
	g.sys.Add(1)
	g.n.Add(1)
}

func (g *goroutines) done() {
	if g.n.Add(-1) == 0 {
		g.mu.Lock()
		if g.zero != nil {
			close(g.zero)
			g.zero = nil
		}
		g.mu.Unlock()
	}
	g.sys.Done()
}

// wait blocks until every goroutine counted has returned, or d has passed
// (then it reports false).
func (g *goroutines) wait(d time.Duration) bool {
	g.mu.Lock()
	if g.n.Load() == 0 {
		g.mu.Unlock()
		return true
	}
	if g.zero == nil {
		g.zero = make(chan struct{})
	}
	zero := g.zero
	g.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-zero:
		return true
	case <-t.C:
		return false
	}
}

// waitGroup waits for wg at most d and reports whether it was done. When
// d passes first, a goroutine stays waiting for wg (as long as the
// goroutines wg counts, which ignore their contexts).
func waitGroup(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
