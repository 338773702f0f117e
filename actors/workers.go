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
// parks a little for the next one instead of ending, so under load
// procedures run on goroutines whose stacks have already grown. A worker
// ends once a whole idle period (System.workerIdle) has passed without a
// call for it, or as soon as its wire ends (stopWorkers, its stop signal);
// the wire's goroutine count is its done signal.
type workers struct {
	mu     sync.Mutex
	idle   []chan func() // one per parked worker; a job sent on it never blocks
	closed bool          // the wire has ended: workers end instead of parking
}

// defaultWorkerIdle is how long a worker parks waiting for another call
// before it ends.
const defaultWorkerIdle = 100 * time.Millisecond

// maxIdleWorkers bounds the workers a wire keeps parked.
const maxIdleWorkers = 64

// goWork runs f on a parked worker of the wire, or on a new one.
func (w *Conn) goWork(f func()) {
	ws := &w.workers
	ws.mu.Lock()
	if n := len(ws.idle); n > 0 {
		ch := ws.idle[n-1]
		ws.idle[n-1] = nil
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
// (the wire is ending).
func (w *Conn) stopWorkers() {
	ws := &w.workers
	ws.mu.Lock()
	ws.closed = true
	for i, ch := range ws.idle {
		ch <- nil // parked: the buffer is empty
		ws.idle[i] = nil
	}
	ws.idle = nil
	ws.mu.Unlock()
}

// worker runs f, then the jobs handed to it while it is parked. Its timer
// is not reset per job: when it fires, a worker that ran a job since the
// last time parks another period.
func (w *Conn) worker(f func()) {
	defer w.goroutines.done()
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
		ws := &w.workers
		ws.mu.Lock()
		if ws.closed || len(ws.idle) >= maxIdleWorkers {
			ws.mu.Unlock()
			return
		}
		ws.idle = append(ws.idle, ch)
		ws.mu.Unlock()
		if idle == nil {
			idle = time.NewTimer(w.sys.workerIdle)
		}
	wait:
		select {
		case f = <-ch:
			if f == nil {
				idle.Stop()
				return // the wire ended (stopWorkers took it off the list)
			}
			continue
		case <-idle.C:
			if jobs > 0 {
				jobs = 0
				idle.Reset(w.sys.workerIdle)
				goto wait
			}
		}
		// A whole period without a job: end, unless a job is on the way.
		ws.mu.Lock()
		parked := false
		for i, c := range ws.idle {
			if c == ch {
				parked = true
				last := len(ws.idle) - 1
				ws.idle[i] = ws.idle[last]
				ws.idle[last] = nil
				ws.idle = ws.idle[:last]
				break
			}
		}
		ws.mu.Unlock()
		if parked {
			return
		}
		if f = <-ch; f == nil {
			return // the wire ended
		}
	}
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
