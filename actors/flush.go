package actors

import (
	"context"
	"math"
	"runtime"

	"github.com/ipfi-go/ipfi/internal/bufpool"
)

// flushSoon has what is pending written without blocking, as a frame an
// actor appends is (note, then release): by whoever is writing, by a
// reader holding the writer as it lets go (unhold), or by a flusher
// goroutine.
func (w *writer) flushSoon() {
	w.mu.Lock()
	if w.err != nil || w.flushing || len(w.pending) == 0 {
		w.mu.Unlock()
		return
	}
	w.note()
	_ = w.release(noWait)
}

// flushNow writes what is pending here, if anything is and nobody is
// writing, with a write that cannot block: the rest, if the transport
// takes only part, goes to a flusher goroutine, as everything does on a
// transport that has no such write (flushSoon).
func (w *writer) flushNow() {
	if w.try == nil || oneThread {
		w.flushSoon()
		return
	}
	w.mu.Lock()
	if w.err != nil || w.flushing || len(w.pending) == 0 || w.held.Load() > 0 {
		w.mu.Unlock() // nothing to write, or its writer will (a reader holding it)
		return
	}
	w.flushing = true
	w.tryFlush(1)
}

// writeEarly writes what is pending (the announcement) with one write that
// cannot block, before the wire's actor and reader exist: nobody else has
// the writer yet. What the transport does not take stays pending, and an
// error is left for the wire's first write or read to find (the wire
// cannot end before it is built). A transport without such a write, or
// one that may keep bytes it took (holds: TLS), is left to flushNow and
// flushSoon, which see to what it keeps.
func (w *writer) writeEarly() {
	if w.try == nil || w.holds != nil || oneThread {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 {
		return
	}
	n, err := w.try(w.pending)
	if err != nil || n == 0 {
		return
	}
	w.written += int64(n)
	w.pending = w.pending[:copy(w.pending, w.pending[n:])]
}

// flushHere writes what is pending on the calling goroutine, blocking in
// Write, unless a reader holds the writer or the writer fails. If another
// goroutine is flushing (it may have yielded in take), it first yields to
// it a few times. For a reader whose Read may stop every goroutine (see
// readBlocksThread), before it reads.
func (w *writer) flushHere() {
	w.mu.Lock()
	for i := 0; w.flushing && i < 8; i++ {
		w.mu.Unlock()
		runtime.Gosched()
		w.mu.Lock()
	}
	if w.err == nil && !w.flushing && w.held.Load() == 0 && len(w.pending) > 0 {
		w.flushing = true
		_ = w.flushLocked()
	}
	w.mu.Unlock()
}

// hold is called by a reader before it dispatches a chunk: the frames that
// the chunk's calls answer without blocking (quick procedures, errors,
// pongs, credit) are appended and left for unhold, which writes them
// together. It takes no lock.
func (w *writer) hold() { w.held.Add(1) }

// unholdPasses is how many writes a reader makes at most in unhold: its
// chunk's answers, then what others appended meanwhile.
const unholdPasses = 2

// unhold ends a hold. The last holder writes what is pending, if nobody is
// writing, without blocking: with a non-blocking write on a socket
// (transportWriters) when the transport allows, handing what is left to a
// flusher goroutine otherwise. A reader that blocked in Write could deadlock with a
// peer whose reader blocks in Write too. It takes the lock only if
// something was appended since the last write (left).
func (w *writer) unhold() {
	if w.held.Add(-1) > 0 || !w.left.Load() {
		return
	}
	w.mu.Lock()
	if w.held.Load() > 0 || w.flushing || len(w.pending) == 0 || w.err != nil {
		w.mu.Unlock()
		return
	}
	switch {
	case w.readerFlushes:
		w.mu.Unlock() // the reader writes it before its next Read (flushHere)
		return
	case w.try == nil:
		_ = w.release(noWait)
		return
	}
	w.flushing = true
	w.tryFlush(unholdPasses)
}

// tryFlush writes what is pending without blocking, in at most passes
// writes (a reader makes few: it has reading to do; a caller writes until
// nothing is pending, as a blocking flusher does), and hands what is left
// to a flusher goroutine. Called with mu held, flushing set and w.try not
// nil; unlocks mu.
func (w *writer) tryFlush(passes int) {
	for pass := 0; len(w.pending) > 0 && w.err == nil; pass++ {
		if pass == passes {
			// Others keep appending (a stream's producer does): they
			// write it themselves, or a flusher does, while this
			// goroutine goes on.
			w.flushing = false
			w.kick()
			return
		}
		buf := w.take()
		w.written += int64(len(buf))
		w.mu.Unlock()
		n, err := w.try(buf)
		w.mu.Lock()
		w.written -= int64(len(buf) - n)
		if err != nil {
			w.fail(err)
			break
		}
		if n < len(buf) || w.holding() {
			// The socket is full: what is left goes first, then what was
			// appended meanwhile, written by a flusher that may block
			// (which also sends what the transport holds).
			w.requeue(buf[n:])
			bufpool.Put(buf)
			w.note()
			w.startFlusher()
			return
		}
		w.recycle(buf)
	}
	if cap(w.pending) > maxRetained {
		bufpool.Put(w.pending)
		w.pending = nil
	}
	w.flushing = false
	w.wakeIdle()
	w.mu.Unlock()
}

// requeue puts parts, the rest of a write that the transport did not
// take, before whatever was appended meanwhile, so that it goes out first.
// Large buffers come from the buffer pool. Called with mu held and
// flushing set.
func (w *writer) requeue(parts ...[]byte) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 {
		return
	}
	var rest []byte
	if size := n + len(w.pending); size >= pooledFrom {
		rest = bufpool.GetCap(size)
	} else {
		rest = make([]byte, 0, size)
	}
	for _, p := range parts {
		rest = append(rest, p...)
	}
	rest = append(rest, w.pending...)
	if cap(w.pending) >= pooledFrom {
		bufpool.Put(w.pending)
	}
	w.pending = rest
}

// startFlusher hands the flushing role, which the caller holds, to a
// goroutine of its own. Called with mu held; unlocks it.
func (w *writer) startFlusher() {
	w.g.add()
	w.mu.Unlock()
	go func() {
		defer w.g.done()
		w.mu.Lock()
		w.flushLocked()
		w.mu.Unlock()
	}()
}

// kick makes sure a flusher goroutine will write what is pending, unless
// someone else flushes first: the goroutine takes the flushing role only
// when it runs. (Taking it at once, for a goroutine that on a busy
// processor runs only when the goroutine that started it blocks, left the
// frames of goroutines that could write them themselves waiting.) Called
// with mu held; unlocks it.
func (w *writer) kick() {
	if w.kicked {
		w.mu.Unlock()
		return
	}
	w.kicked = true
	w.g.add()
	w.mu.Unlock()
	go func() {
		defer w.g.done()
		w.mu.Lock()
		w.kicked = false
		if !w.flushing && w.held.Load() == 0 && len(w.pending) > 0 && w.err == nil {
			w.flushing = true
			w.flushLocked()
		}
		w.mu.Unlock()
	}()
}

// release has what was just appended written: by the caller, for a
// goroutine that may block (ctx not noWait) and finds nobody writing; else by
// whoever is writing, by the reader holding the writer, or by a flusher
// goroutine. A caller whose ctx can end writes only without blocking. It
// is called with mu held and unlocks it.
func (w *writer) release(ctx context.Context) error {
	if w.flushing || (ctx == noWait && w.held.Load() > 0) {
		// Someone is writing, or a reader holding the writer will.
		w.mu.Unlock()
		return nil
	}
	switch {
	case ctx == noWait:
		w.kick()
		return nil
	case ctx.Done() != nil && !oneThread:
		// A write that blocked would outlive the caller's context.
		if w.try == nil {
			w.kick()
			return nil
		}
		w.flushing = true
		w.tryFlush(math.MaxInt)
		return nil
	}
	w.flushing = true
	err := w.flushLocked()
	w.mu.Unlock()
	return err
}

// take returns what is pending for a flusher to write, leaving the spare
// buffer in its place and waking producers waiting for room. If little is
// pending and other calls are open on the wire (shared), it first lets the
// goroutines that are ready to run append their frames: under load on one
// wire many go out in one write. A wire with one call open writes at
// once: nobody would join, and the yield would cost a trip through the
// scheduler's queue, which many busy wires make long. Called with mu held
// and flushing set (mu is released during the yield).
func (w *writer) take() []byte {
	if len(w.pending) < gatherBelow && w.shared != nil && w.shared() {
		w.mu.Unlock()
		runtime.Gosched()
		w.mu.Lock()
	}
	return w.takeNow()
}

// takeNow is take without the yield.
func (w *writer) takeNow() []byte {
	buf := w.pending
	w.pending = w.spare[:0]
	w.spare = nil
	w.left.Store(false)
	w.over.Store(false)
	if w.room != nil {
		close(w.room)
		w.room = nil
	}
	return buf
}

// recycle keeps a written buffer as the spare, or puts a large one back
// in the pool (maxRetained). Called with mu held.
func (w *writer) recycle(buf []byte) {
	if cap(buf) <= maxRetained {
		w.spare = buf[:0]
	} else {
		bufpool.Put(buf)
	}
}

// flushLocked writes until nothing is pending. Called with mu held and
// flushing set; returns with mu held and flushing cleared.
func (w *writer) flushLocked() error {
	for (len(w.pending) > 0 || w.holding()) && w.err == nil {
		buf := w.take()
		w.writing = true
		w.written += int64(len(buf))
		w.mu.Unlock()
		n, err := w.w.Write(buf)
		w.mu.Lock()
		w.writing = false
		w.writes++
		w.written -= int64(len(buf) - n)
		w.recycle(buf)
		if err != nil {
			w.fail(err)
		}
	}
	if cap(w.pending) > maxRetained {
		bufpool.Put(w.pending)
		w.pending = nil
	}
	w.flushing = false
	w.wakeIdle()
	return w.err
}

// fail records a write error: it becomes sticky, what is pending is dropped
// and onError runs (outside the lock). Called with mu held.
func (w *writer) fail(err error) {
	if w.err != nil {
		return
	}
	w.err = err
	w.pending = nil
	w.over.Store(false)
	if w.room != nil {
		close(w.room)
		w.room = nil
	}
	if w.onError != nil {
		w.mu.Unlock()
		w.onError(err)
		w.mu.Lock()
	}
}

// wakeIdle closes the idle channel, if anyone waits on it. Called with mu held.
func (w *writer) wakeIdle() {
	if w.idle != nil {
		close(w.idle)
		w.idle = nil
	}
}

// drained returns a channel closed once nothing is pending and no write is in
// progress (or the writer has failed).
func (w *writer) drained() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil || (!w.flushing && len(w.pending) == 0) {
		return closedChan
	}
	if w.idle == nil {
		w.idle = make(chan struct{})
	}
	return w.idle
}

// closedChan is a channel closed from the start: drained's answer for a
// writer that is idle already.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// close makes every later frame fail with err and drops what is pending.
func (w *writer) close(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.pending = nil
	w.over.Store(false)
	w.spare = nil
	if w.room != nil {
		close(w.room)
		w.room = nil
	}
	if !w.flushing {
		w.wakeIdle()
	}
	w.mu.Unlock()
}
