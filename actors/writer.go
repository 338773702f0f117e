package actors

import (
	"context"
	"io"
	"math"
	"net"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ipfi-go/ipfi/internal/bufpool"
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
// they pass frame and raw their context. A goroutine whose context
// can end writes without blocking (transportWriters) and leaves what the
// transport does not take at once to a flusher goroutine, or leaves it all
// to one when the transport cannot be written without blocking, so that it
// returns when its context ends; a large frame it writes from its own
// slice, waiting for the transport until its context ends,
// and only then copies the rest for a flusher. Large frames skip the
// pending buffer on every path that finds the writer idle (direct,
// waitDirect, tryDirect): what was pending goes first, in the same write. Actors never block in Receive: they pass
// noWait, and when one enqueues a frame and nobody is flushing, a
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
	// without blocking wait for the holder to flush them. An atomic
	// counter, so that a reader holds and lets go without the lock; left
	// is the flag that tells it, as it lets go, whether anything is
	// pending for it to write.
	held atomic.Int32
	// left: something was appended since a flusher last took what was
	// pending (set by note before release looks at held; cleared by
	// take). A reader whose unhold finds it clear has nothing to write
	// and takes no lock.
	left atomic.Bool
	// readerFlushes: the wire's reader writes what is pending itself
	// before each Read (flushHere; see readBlocksThread), so unhold
	// leaves its chunk's answers to it. Set when the wire is made, before
	// any goroutine uses the writer; never changed.
	readerFlushes bool
	// try writes without blocking (nil when the transport cannot): a
	// reader flushes with it, never blocking in Write.
	try func(b []byte) (int, error)
	// wait writes parts in order, waiting for the transport until a
	// context ends (nil when the transport cannot): a caller whose
	// context can end writes a large frame with it (waitDirect).
	wait func(ctx context.Context, parts [][]byte) (sent, i int, err error)
	// holds reports whether the transport holds bytes that a try took
	// but could not send yet (nil for a socket: see NonBlockingWriter); a
	// Write, even of nothing, sends them first.
	holds   func() bool
	err     error         // sticky: the first write error, or the wire's end
	max     int           // the bound on pending (Limits.MaxWriteQueue)
	over    atomic.Bool   // len(pending) >= max, for full (which takes no lock)
	writing bool          // a blocking Write is in progress
	writes  uint64        // blocking Writes that returned
	written int64         // bytes handed to the transport's Write (counted before it returns, less what it did not take)
	g       *goroutines   // counts the flusher goroutines the writer starts
	onError func(error)   // called once, outside the lock, on a write error
	idle    chan struct{} // closed when the writer next goes idle; made on demand
	room    chan struct{} // closed when a flusher next takes the pending buffer; made on demand
	// shared reports whether more than one call is open on the wire, so
	// that others may join a write (take); set once by the wire.
	shared func() bool
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

// gatherBelow: a flusher that finds fewer bytes than this pending, on a
// wire with other calls open (shared), yields the processor once before
// writing, so frames that are about to be appended join the same write.
const gatherBelow = 16 << 10

func newWriter(w io.Writer, g *goroutines, max int, onError func(error)) *writer {
	if h, ok := w.(NonBlockingWriter); ok {
		return &writer{w: w, g: g, max: max, onError: onError, try: h.TryWrite, holds: h.Holds}
	}
	try, wait := transportWriters(w)
	return &writer{w: w, g: g, max: max, onError: onError, try: try, wait: wait}
}

// NonBlockingWriter is a transport of the program's own that can write
// without blocking: the wire's writer uses TryWrite where it would use a
// socket's non-blocking write, and so writes on the goroutine that has
// something to write instead of handing each write to a flusher
// goroutine. A transport may hold back bytes TryWrite took (a TLS
// connection over a socket, whose records, once made, must go out whole
// and in order: the root package's, for Dial and Serve); the writer then
// hands it to a flusher goroutine while Holds reports bytes held.
type NonBlockingWriter interface {
	io.Writer
	// TryWrite takes what it can of b without blocking, maybe nothing.
	TryWrite(b []byte) (int, error)
	// Holds reports whether bytes TryWrite took are not sent yet. Write,
	// even of nothing, blocks until they are (or fails).
	Holds() bool
}

// TryWriter returns the non-blocking write the writer would use for w (a
// TCP or Unix socket's, or a pipe's in non-blocking mode: see
// transportWriters), or nil. It takes as much of b as the kernel takes at
// once, maybe nothing.
func TryWriter(w io.Writer) func(b []byte) (int, error) {
	try, _ := transportWriters(w)
	return try
}

// holding reports whether the transport holds bytes a Write must send
// (see NonBlockingWriter).
func (w *writer) holding() bool { return w.holds != nil && w.holds() }

// noWait is the context of a write that must not wait: one made inside an
// actor's Receive, or one that gives up rather than wait (a cancel, a
// keepalive ping). The writer appends its bytes at once, over its bound if
// need be, and leaves the writing to a goroutine that may block.
var noWait = context.WithValue(context.Background(), noWaitKey{}, true)

type noWaitKey struct{}

// frame appends one Call or Response frame. With noWait (an actor) it
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
	if !w.flushing && len(payload) >= directPayload {
		switch {
		case ctx != noWait && ctx.Done() == nil:
			return w.direct(pre, k, t, proc, call, payload)
		case ctx != noWait && w.wait != nil && !oneThread:
			return w.waitDirect(ctx, pre, k, t, proc, call, payload)
		case w.try != nil && !oneThread:
			return w.tryDirect(pre, k, t, proc, call, payload)
		}
	}
	w.grow(len(pre) + wire.MaxHeaderLen + len(payload))
	w.pending = append(w.pending, pre...)
	w.pending = wire.AppendHeader(w.pending, k, t, proc, call, len(payload))
	w.pending = append(w.pending, payload...)
	w.note()
	return w.release(ctx)
}

// grow makes room for n more bytes in pending. A large buffer comes from
// the library's buffer pool, and the one it replaces goes back to it:
// reused memory, which the runtime neither zeroes nor faults in again.
// Called with mu held.
func (w *writer) grow(n int) {
	if cap(w.pending)-len(w.pending) >= n || len(w.pending)+n < pooledFrom {
		return
	}
	old := w.pending
	w.pending = bufpool.Grow(old, n)
	bufpool.Put(old)
}

// pooledFrom is the size from which the writer's buffers come from the
// buffer pool and go back to it.
const pooledFrom = 32 << 10

// roomLocked waits, for a goroutine that may block (ctx not noWait), while
// the writer is full and another goroutine writes. It returns the writer's
// sticky error, or ctx's cause if ctx ends first. Called with mu held;
// returns with it held.
func (w *writer) roomLocked(ctx context.Context) error {
	for ctx != noWait && w.err == nil && w.flushing && len(w.pending) >= w.max {
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

// note records that something is pending (left) and whether it reaches the
// bound (full). Called with mu held after pending grew, before release
// looks at held: a reader that lets go after that look finds left set.
func (w *writer) note() {
	if !w.left.Load() {
		w.left.Store(true)
	}
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
		<-room
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
	w.grow(wire.MaxHeaderLen + len(payload))
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
	if !w.flushing && w.held.Load() == 0 && len(w.pending) >= gatherBelow {
		// The producer, which may block, writes what it has queued
		// itself: a flusher goroutine started for it would mostly wait
		// for a processor behind the producer, until the producer blocks,
		// and the stream would go out in bursts instead of steadily.
		w.flushing = true
		err := w.flushLocked()
		w.mu.Unlock()
		return err
	}
	return w.release(noWait)
}

// directFrame is one large frame written from its sender's slice, after
// what was pending (direct, waitDirect, tryDirect).
type directFrame struct {
	head  [64]byte  // the message before the frame (a deadline) and the frame's header
	first []byte    // the pending buffer taken
	parts [3][]byte // what was pending, the head, the payload: the writes' own views
	total int64
}

// start takes the flushing role and what is pending for d, and counts all
// of it as written (finishDirect takes back what was not); pre is the
// message written right before the frame. Called with mu held and the
// writer idle.
func (d *directFrame) start(w *writer, pre []byte, k wire.Kind, t wire.Terminator, proc, call uint64, payload []byte) {
	w.flushing = true
	d.first = w.takeNow()
	head := wire.AppendHeader(append(d.head[:0], pre...), k, t, proc, call, len(payload))
	d.parts = [3][]byte{d.first, head, payload}
	d.total = int64(len(d.first) + len(head) + len(payload))
	w.written += d.total
}

// finishDirect records that d's writes sent sent bytes and left parts[i:]:
// with err, the writer fails; without, the rest goes back to be written
// first, copied. The taken pending buffer is recycled. Called with mu held.
func (w *writer) finishDirect(d *directFrame, sent int64, i int, err error) {
	w.written -= d.total - sent
	if err != nil {
		w.fail(err)
	} else {
		w.requeue(d.parts[i:]...)
	}
	w.recycle(d.first)
}

// handOff ends a direct write that must not block: the writer goes idle
// if nothing is left pending (or it failed: then its error is returned),
// else a flusher goroutine writes the rest. Called with mu held and
// flushing set; unlocks mu.
func (w *writer) handOff() error {
	if w.err != nil || (len(w.pending) == 0 && !w.holding()) {
		w.flushing = false
		w.wakeIdle()
		err := w.err
		w.mu.Unlock()
		return err
	}
	w.note()
	w.startFlusher()
	return nil
}

// direct writes what is pending and one large frame d (the message before
// it, its header and its payload: see start), without copying the frame's
// payload, in one writev on a net.Conn; then it flushes whatever
// other goroutines appended meanwhile. Called with mu held and the writer
// idle; unlocks mu.
func (w *writer) direct(pre []byte, k wire.Kind, t wire.Terminator, proc, call uint64, payload []byte) error {
	var d directFrame
	d.start(w, pre, k, t, proc, call, payload)
	bufs := net.Buffers(d.parts[:])
	if len(d.first) == 0 {
		bufs = bufs[1:] // a plain io.Writer gets a Write per slice
	}
	w.writing = true
	w.mu.Unlock()
	n, err := bufs.WriteTo(w.w)
	w.mu.Lock()
	w.writing = false
	w.writes++
	w.finishDirect(&d, n, len(d.parts), err)
	err = w.flushLocked()
	w.mu.Unlock()
	return err
}

// waitDirect is direct for a goroutine whose ctx can end: it writes what is
// pending and the frame from the caller's slice, waiting for the transport
// while ctx lasts. If ctx ends first, the rest of the frame is copied for a
// flusher goroutine to write and waitDirect returns (the frame is queued,
// as with frame's other paths). What others appended meanwhile is then
// written without blocking (tryFlush). Called with mu held and the writer
// idle; unlocks mu.
func (w *writer) waitDirect(ctx context.Context, pre []byte, k wire.Kind, t wire.Terminator, proc, call uint64, payload []byte) error {
	var d directFrame
	d.start(w, pre, k, t, proc, call, payload)
	w.writing = true
	w.mu.Unlock()
	sent, i, err := w.wait(ctx, d.parts[:])
	w.mu.Lock()
	w.writing = false
	w.writes++
	cut := err != nil && ctx.Err() != nil
	if cut {
		err = nil // the rest is queued for a flusher
	}
	w.finishDirect(&d, int64(sent), i, err)
	if cut || w.err != nil || len(w.pending) == 0 {
		return w.handOff()
	}
	w.tryFlush(math.MaxInt)
	return nil
}

// tryDirect is direct for a goroutine that must not block in Write (an
// actor, or a caller whose context can end on a transport without a write
// deadline): it writes what is pending, the header and as much of the
// payload as the transport takes at once without blocking, from the
// caller's slice, and copies only the rest, for a flusher goroutine to
// write. Called with mu held, the writer idle and w.try set; unlocks mu.
func (w *writer) tryDirect(pre []byte, k wire.Kind, t wire.Terminator, proc, call uint64, payload []byte) error {
	var d directFrame
	d.start(w, pre, k, t, proc, call, payload)
	w.mu.Unlock()
	sent, i, err := w.tryParts(d.parts[:])
	w.mu.Lock()
	w.finishDirect(&d, int64(sent), i, err)
	return w.handOff()
}

// tryParts writes parts in order without blocking until the transport
// takes less than it is given or fails. It returns the bytes written and
// the index of the first part not written in full, which it leaves holding
// only its unwritten rest. Called without mu, by the flusher.
func (w *writer) tryParts(parts [][]byte) (sent, i int, err error) {
	for ; i < len(parts); i++ {
		if len(parts[i]) == 0 {
			continue
		}
		n, err := w.try(parts[i])
		sent += n
		if err != nil || n < len(parts[i]) {
			parts[i] = parts[i][n:]
			return sent, i, err
		}
	}
	return sent, i, nil
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
	if w.flushing || w.held.Load() > 0 || w.try == nil || oneThread {
		_ = w.release(noWait)
		return
	}
	w.flushing = true
	w.tryFlush(math.MaxInt)
}
