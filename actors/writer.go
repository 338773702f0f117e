package actors

import (
	"context"
	"io"
	"math"
	"net"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ipfi-go/ipfi/wire"
)

// writer serialises a wire's outbound frames in order and batches them.
//
// It is the "writer" of the actor tree, but deliberately not a mailbox: a
// mailbox would cost one goroutine hand-off per frame. Instead frames are
// appended to a pending buffer under a mutex, and whoever finds no write in
// progress becomes the flusher: it writes everything pending, including the
// frames other goroutines appended meanwhile, in one Write. Under load many
// small frames go out in one system call; alone, a caller writes its own
// frame with no hand-off at all.
//
// Goroutines that may block (a caller's, a procedure's) flush themselves;
// they pass frame and raw a context (never nil). A goroutine whose context
// can end writes without blocking (tryWriter) and leaves what the
// transport does not take at once to a flusher goroutine, or leaves it all
// to one when the transport cannot be written without blocking, so that it
// returns when its context ends. Actors never block in Receive: they pass
// a nil context, and when one enqueues a frame and nobody is flushing, a
// short-lived flusher goroutine is started (counted in g).
//
// What is pending is bounded by max (Limits.MaxWriteQueue): goroutines
// that may block wait for room while it is full and someone else writes;
// while it is full (full), actors do not add answers themselves but leave
// them to goroutines that wait (a quick procedure runs on one, a refused
// call is answered from one, a pong is dropped), each counted in the
// open-call limits until it has written. Past the bound and readerSlack,
// the wire's reader stops reading from the peer (waitRoom). The watchdog
// ends a wire whose write makes no progress (progress).
type writer struct {
	mu       sync.Mutex
	w        io.Writer
	pending  []byte
	spare    []byte
	flushing bool
	kicked   bool // a flusher goroutine was started and has not run yet (see kick)
	// held counts readers dispatching a chunk (see hold): frames appended
	// without blocking wait for the holder to flush them.
	held int
	// readerFlushes: the wire's reader writes what is pending itself
	// before each Read (flushHere; see readBlocksThread), so unhold
	// leaves its chunk's answers to it. Set when the wire is made, before
	// any goroutine uses the writer; never changed.
	readerFlushes bool
	// try writes without blocking (nil when the transport cannot): a
	// reader flushes with it, never blocking in Write.
	try     func(b []byte) (int, error)
	err     error         // sticky: the first write error, or the wire's end
	max     int           // the bound on pending (Limits.MaxWriteQueue)
	over    atomic.Bool   // len(pending) >= max, for full (which takes no lock)
	parked  atomic.Bool   // the wire's reader waits in waitRoom
	writing bool          // a blocking Write is in progress
	writes  uint64        // blocking Writes that returned
	written int64         // bytes handed to the transport's Write (counted before it returns, less what it did not take)
	g       *goroutines   // counts the flusher goroutines the writer starts
	onError func(error)   // called once, outside the lock, on a write error
	idle    chan struct{} // closed when the writer next goes idle; made on demand
	room    chan struct{} // closed when a flusher next takes the pending buffer; made on demand
}

// oneThread is set on runtimes with one thread and no preemption
// (WebAssembly): there a Write blocks every goroutine until the host has
// taken the bytes, whoever makes it, so a caller whose context can end
// writes itself all the same instead of starting a flusher goroutine.
const oneThread = runtime.GOOS == "wasip1" || runtime.GOOS == "js"

// highWater is how much a streaming producer may queue behind a write in
// progress before it waits (see queue). Half of maxRetained: the pending
// buffer, which grows by doubling, then stays small enough to be kept for
// the next burst instead of being dropped and grown again.
const highWater = maxRetained / 2

// maxRetained is the largest buffer the writer keeps between bursts, so an
// idle wire stays small.
const maxRetained = 256 << 10

// gatherBelow: a flusher that finds fewer bytes than this pending yields the
// processor once before writing, so frames that are about to be appended
// join the same write.
const gatherBelow = 16 << 10

func newWriter(w io.Writer, g *goroutines, max int, onError func(error)) *writer {
	return &writer{w: w, g: g, max: max, onError: onError, try: tryWriter(w)}
}

// frame appends one Call or Response frame. With a nil ctx (an actor) it
// returns at once. Otherwise it first waits while the writer is full and
// someone else writes (returning ctx's cause if ctx ends first); then, if
// no write is in progress, it writes the frame and anything else pending
// before returning (see writer for a ctx that can end). It returns the
// writer's sticky error.
//
// A payload larger than maxFramePayload goes as several frames: pieces of
// maxFramePayload bytes with terminator None, then the rest with t (the
// receiver appends None pieces to the value they begin).
func (w *writer) frame(ctx context.Context, k wire.Kind, t wire.Terminator, proc, call uint64, payload []byte) error {
	return w.framePre(ctx, nil, k, t, proc, call, payload)
}

// framePre is frame with the bytes pre (a message, such as a call's
// deadline) written right before the frame, with nothing in between.
func (w *writer) framePre(ctx context.Context, pre []byte, k wire.Kind, t wire.Terminator, proc, call uint64, payload []byte) error {
	_, err := w.framePreN(ctx, pre, k, t, proc, call, payload)
	return err
}

// framePreN is framePre, and also reports how many frames it appended:
// when ctx ends while it waits for room, the frames before went out and
// the rest did not (a call's arguments cut short).
func (w *writer) framePreN(ctx context.Context, pre []byte, k wire.Kind, t wire.Terminator, proc, call uint64, payload []byte) (int, error) {
	n := 0
	for len(payload) > maxFramePayload {
		if err := w.frame1(ctx, pre, k, wire.TermNone, proc, call, payload[:maxFramePayload]); err != nil {
			return n, err
		}
		n++
		pre, payload = nil, payload[maxFramePayload:]
	}
	if err := w.frame1(ctx, pre, k, t, proc, call, payload); err != nil {
		return n, err
	}
	return n + 1, nil
}

// maxFramePayload is the largest payload this side writes in one frame: a
// larger argument or value is split into pieces (terminator None), so that
// no frame goes over a peer's frame limit (Limits.MaxFrame, 16 MiB by
// default) and one large value cannot end a wire.
const maxFramePayload = 1 << 20

// frame1 is frame for a payload of at most maxFramePayload bytes.
func (w *writer) frame1(ctx context.Context, pre []byte, k wire.Kind, t wire.Terminator, proc, call uint64, payload []byte) error {
	w.mu.Lock()
	if err := w.roomLocked(ctx); err != nil {
		w.mu.Unlock()
		return err
	}
	if ctx != nil && ctx.Done() == nil && pre == nil && !w.flushing && len(w.pending) == 0 && len(payload) >= directPayload {
		return w.direct(k, t, proc, call, payload)
	}
	w.pending = append(w.pending, pre...)
	w.pending = wire.AppendHeader(w.pending, k, t, proc, call, len(payload))
	w.pending = append(w.pending, payload...)
	w.note()
	return w.release(ctx)
}

// roomLocked waits, for a goroutine that may block (ctx not nil), while
// the writer is full and another goroutine writes. It returns the writer's
// sticky error, or ctx's cause if ctx ends first. Called with mu held;
// returns with it held.
func (w *writer) roomLocked(ctx context.Context) error {
	for ctx != nil && w.err == nil && w.flushing && len(w.pending) >= w.max {
		room := w.roomChan()
		w.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			w.mu.Lock()
			return context.Cause(ctx)
		}
		w.mu.Lock()
	}
	return w.err
}

// roomChan returns the channel closed when a flusher next takes the
// pending buffer (or the writer fails). Called with mu held.
func (w *writer) roomChan() chan struct{} {
	if w.room == nil {
		w.room = make(chan struct{})
	}
	return w.room
}

// full reports whether the writer holds its bound for the peer: frames
// that actors would add in answer to the peer are then left to goroutines
// that wait for room.
func (w *writer) full() bool { return w.over.Load() }

// note records whether what is pending reaches the bound (full). Called
// with mu held after pending grew.
func (w *writer) note() {
	if len(w.pending) >= w.max {
		w.over.Store(true)
	}
}

// readerSlack is how far past its bound the writer may hold before the
// wire's reader stops (waitRoom): goroutines that wait for room may each
// have added one frame of up to maxFramePayload, and actors add small
// frames past the bound (credit, the answers to calls over an open-call
// limit) that only a peer that does not read makes pile up.
const readerSlack = maxFramePayload + 64<<10

// waitRoom blocks the wire's reader while the writer holds more than its
// bound and readerSlack: it returns once what is pending is below that, or
// the writer has failed (the watchdog fails a wire whose write makes no
// progress for Timeouts.Write). Honest peers never get there: what answers
// them waits in goroutines (see writer), so neither side stops reading
// for the other.
func (w *writer) waitRoom() {
	if !w.over.Load() {
		return // below the bound, so below the bound and readerSlack
	}
	w.mu.Lock()
	for w.err == nil && len(w.pending) >= w.max+readerSlack {
		room := w.roomChan()
		w.mu.Unlock()
		w.parked.Store(true)
		<-room
		w.parked.Store(false)
		w.mu.Lock()
	}
	w.mu.Unlock()
}

// bytesOut returns the bytes written to the transport so far, counting a
// Write in progress: so that a peer that has read bytes never sees a
// count without them.
func (w *writer) bytesOut() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}

// progress reports whether a blocking Write is in progress, and how many
// have returned (the watchdog's view of a stalled write).
func (w *writer) progress() (writing bool, writes uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writing, w.writes
}

// directPayload is the payload size from which a blocking writer that finds
// the writer idle writes the payload from the caller's slice (one writev
// with the header on a net.Conn) instead of copying it into the buffer.
// Below it, copying and one write is faster (see BENCHMARKS.md); above, the
// buffer would not be kept (maxRetained) and the copy would cost an
// allocation too.
const directPayload = maxRetained

// queue appends one frame of a stream, for a producer that may block. It
// writes only once gatherBelow bytes are queued and nobody is writing (then
// it writes them all itself); below that a flusher goroutine is kicked, so
// a fast producer's frames go out many per write. It returns once the
// frame is queued, waiting first while more than highWater bytes are queued
// (or until ctx ends), or once it has written.
//
// A payload larger than maxFramePayload goes in pieces, as with frame.
func (w *writer) queue(ctx context.Context, k wire.Kind, t wire.Terminator, proc, call uint64, payload []byte) error {
	for len(payload) > maxFramePayload {
		if err := w.queue1(ctx, k, wire.TermNone, proc, call, payload[:maxFramePayload]); err != nil {
			return err
		}
		payload = payload[maxFramePayload:]
	}
	return w.queue1(ctx, k, t, proc, call, payload)
}

// queue1 is queue for a payload of at most maxFramePayload bytes.
func (w *writer) queue1(ctx context.Context, k wire.Kind, t wire.Terminator, proc, call uint64, payload []byte) error {
	w.mu.Lock()
	for w.err == nil && len(w.pending) >= highWater {
		room := w.roomChan()
		w.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		w.mu.Lock()
	}
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	buf := wire.AppendHeader(w.pending, k, t, proc, call, len(payload))
	buf = append(buf, payload...)
	if cap(buf) == cap(w.pending) {
		// Only the length changed: reslicing in place stores no pointer,
		// so no write barrier while the collector runs (a stream's
		// producer comes here per value).
		w.pending = w.pending[:len(buf)]
	} else {
		w.pending = buf
	}
	w.note()
	if !w.flushing && w.held == 0 && len(w.pending) >= gatherBelow {
		// The producer, which may block, writes what it has queued
		// itself: a flusher goroutine started for it would mostly wait
		// for a processor behind the producer, until the producer blocks,
		// and the stream would go out in bursts instead of steadily.
		w.flushing = true
		err := w.flushLocked()
		w.mu.Unlock()
		return err
	}
	return w.release(nil)
}

// direct writes one large frame without copying its payload, then flushes
// whatever other goroutines appended meanwhile. Called with mu held, the
// writer idle and nothing pending; unlocks mu.
func (w *writer) direct(k wire.Kind, t wire.Terminator, proc, call uint64, payload []byte) error {
	w.flushing = true
	w.mu.Unlock()
	var hdr [wire.MaxHeaderLen]byte
	bufs := net.Buffers{wire.AppendHeader(hdr[:0], k, t, proc, call, len(payload)), payload}
	total := int64(len(bufs[0]) + len(bufs[1]))
	w.mu.Lock()
	w.writing = true
	w.written += total
	w.mu.Unlock()
	n, err := bufs.WriteTo(w.w)
	w.mu.Lock()
	w.writing = false
	w.writes++
	w.written -= total - n
	if err != nil {
		w.fail(err)
	}
	err = w.flushLocked()
	w.mu.Unlock()
	return err
}

// raw appends bytes as they are (a bodiless message such as Termination,
// or an extension message); ctx is as for frame.
func (w *writer) raw(ctx context.Context, b []byte) error {
	w.mu.Lock()
	if err := w.roomLocked(ctx); err != nil {
		w.mu.Unlock()
		return err
	}
	w.pending = append(w.pending, b...)
	w.note()
	return w.release(ctx)
}

// rawNow appends b, as raw does for an actor, and then, if nobody is
// writing, writes what is pending at once without blocking (tryFlush),
// leaving what the transport does not take to a flusher goroutine. For a
// goroutine that may write but must not block in Write: Close's, sending
// the Termination message, which then seldom needs a flusher or a timer.
func (w *writer) rawNow(b []byte) {
	w.mu.Lock()
	if w.err != nil {
		w.mu.Unlock()
		return
	}
	w.pending = append(w.pending, b...)
	w.note()
	if w.flushing || w.held > 0 || w.try == nil || oneThread {
		_ = w.release(nil)
		return
	}
	w.flushing = true
	w.tryFlush(math.MaxInt)
}

// flushSoon starts a flusher for what is pending, if anything is and nobody
// is writing, without blocking.
func (w *writer) flushSoon() {
	w.mu.Lock()
	if w.err != nil || w.flushing || len(w.pending) == 0 {
		w.mu.Unlock()
		return
	}
	_ = w.release(nil)
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
	if w.err == nil && !w.flushing && w.held == 0 && len(w.pending) > 0 {
		w.flushing = true
		_ = w.flushLocked()
	}
	w.mu.Unlock()
}

// hold is called by a reader before it dispatches a chunk: the frames that
// the chunk's calls answer without blocking (quick procedures, errors,
// pongs, credit) are appended and left for unhold, which writes them
// together.
func (w *writer) hold() {
	w.mu.Lock()
	w.held++
	w.mu.Unlock()
}

// unholdPasses is how many writes a reader makes at most in unhold: its
// chunk's answers, then what others appended meanwhile.
const unholdPasses = 2

// unhold ends a hold. The last holder writes what is pending, if nobody is
// writing, without blocking: with a non-blocking write on a socket
// (tryWriter) when the transport allows, handing what is left to a flusher
// goroutine otherwise. A reader that blocked in Write could deadlock with a
// peer whose reader blocks in Write too.
func (w *writer) unhold() {
	w.mu.Lock()
	w.held--
	if w.held > 0 || w.flushing || len(w.pending) == 0 || w.err != nil {
		w.mu.Unlock()
		return
	}
	switch {
	case w.readerFlushes:
		w.mu.Unlock() // the reader writes it before its next Read (flushHere)
		return
	case w.try == nil:
		_ = w.release(nil)
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
		if n < len(buf) {
			// The socket is full: what is left goes first, then what was
			// appended meanwhile, written by a flusher that may block.
			rest := make([]byte, 0, len(buf)-n+len(w.pending))
			rest = append(append(rest, buf[n:]...), w.pending...)
			w.pending = rest
			w.note()
			w.startFlusher()
			return
		}
		if cap(buf) <= maxRetained {
			w.spare = buf[:0]
		}
	}
	if cap(w.pending) > maxRetained {
		w.pending = nil
	}
	w.flushing = false
	w.wakeIdle()
	w.mu.Unlock()
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
		if !w.flushing && w.held == 0 && len(w.pending) > 0 && w.err == nil {
			w.flushing = true
			w.flushLocked()
		}
		w.mu.Unlock()
	}()
}

// release has what was just appended written: by the caller, for a
// goroutine that may block (ctx not nil) and finds nobody writing; else by
// whoever is writing, by the reader holding the writer, or by a flusher
// goroutine. A caller whose ctx can end writes only without blocking. It
// is called with mu held and unlocks it.
func (w *writer) release(ctx context.Context) error {
	if w.flushing || (ctx == nil && w.held > 0) {
		// Someone is writing, or a reader holding the writer will.
		w.mu.Unlock()
		return nil
	}
	switch {
	case ctx == nil:
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
// pending it first lets the goroutines that are ready to run append their
// frames: under load many go out in one write; alone, this costs a trip
// through the scheduler. Called with mu held and flushing set (mu is
// released during the yield).
func (w *writer) take() []byte {
	if len(w.pending) < gatherBelow {
		w.mu.Unlock()
		runtime.Gosched()
		w.mu.Lock()
	}
	buf := w.pending
	w.pending = w.spare[:0]
	w.spare = nil
	w.over.Store(false)
	if w.room != nil {
		close(w.room)
		w.room = nil
	}
	return buf
}

// flushLocked writes until nothing is pending. Called with mu held and
// flushing set; returns with mu held and flushing cleared.
func (w *writer) flushLocked() error {
	for len(w.pending) > 0 && w.err == nil {
		buf := w.take()
		w.writing = true
		w.written += int64(len(buf))
		w.mu.Unlock()
		n, err := w.w.Write(buf)
		w.mu.Lock()
		w.writing = false
		w.writes++
		w.written -= int64(len(buf) - n)
		if cap(buf) <= maxRetained {
			w.spare = buf[:0]
		}
		if err != nil {
			w.fail(err)
		}
	}
	if cap(w.pending) > maxRetained {
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
