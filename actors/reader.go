package actors

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Read buffer sizes: a wire starts small so that thousands of idle wires cost
// little, grows while reads keep filling the buffer, and shrinks back by half
// after shrinkAfter reads in a row that fill less than a quarter of it (a
// burst is over: a wire that alternates large and small reads, as one
// answering large calls does, keeps its buffer instead of reallocating it).
const (
	minReadBuf  = 2 << 10
	maxReadBuf  = 64 << 10
	shrinkAfter = 16
)

// readerActor is the byte-reader of a wire. On Started it starts the one
// goroutine that blocks in the transport's Read (never inside a Receive) and
// passes every chunk to the wire actor, which parses it; the rest of a large
// payload it reads in place, into the room the wire actor lends it
// (chunkMsg.room). The goroutine's stop signal is the
// transport's Close, its done signal the wire's goroutine count. Closing the
// transport is the wire's job, not this actor's (Conn.terminate): the
// transport is the writer's too, and closing it is also what fails a Write
// blocked on a peer that stopped reading.
type readerActor struct {
	w    *Conn
	wire *actor.PID // its parent, which parses
}

func (r *readerActor) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*actor.Started); ok {
		if r.w.push != nil {
			// Push mode: the program hands the bytes in (Conn.Feed); no
			// goroutine reads.
			r.w.push.wire = r.wire
			close(r.w.push.ready)
			return
		}
		r.w.goroutines.add()
		go r.loop(ctx.ActorSystem().Root)
	}
}

// pushIn is the input side of a wire in push mode (WireOptions.Push).
type pushIn struct {
	mu    sync.Mutex    // one Feed or EndInput at a time
	ready chan struct{} // closed once wire is set
	wire  *actor.PID
	ended bool // EndInput was called
}

// Feed hands the wire bytes that arrived from the peer, in push mode: it
// parses them and dispatches their frames before it returns (b may be
// reused afterwards). While the wire's writer holds more than it may for
// the peer (the peer is not taking this side's output), Feed waits, as a
// reader would stop reading, until the output drains or the wire ends. It
// returns the wire's error once the wire has ended. One Feed or EndInput
// at a time.
func (w *Conn) Feed(b []byte) error {
	p := w.push
	if p == nil {
		return errors.New("ipfi: Feed on a wire that is not in push mode")
	}
	if err := w.Err(); err != nil {
		return terminated(err)
	}
	if len(b) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return terminated(ErrPeerClosed)
	}
	select {
	case <-p.ready:
	case <-w.done:
		return terminated(w.Err())
	}
	msg := &chunkMsg{data: bytes.Clone(b)}
	w.dispatching.Store(true)
	defer w.dispatching.Store(false)
	w.reads.Add(1)
	w.bytesIn.Add(int64(len(b)))
	w.readAt.Store(int64(time.Since(epoch)))
	w.out.hold()
	w.sys.as.Root.Send(p.wire, msg)
	w.out.unhold()
	w.awaitChunk(msg)
	w.out.waitRoom()
	if err := w.Err(); err != nil {
		return terminated(err)
	}
	return nil
}

// awaitChunk waits until the wire actor has consumed msg, the chunk just
// sent, so that a wire never has more than one chunk in flight (a reader
// that went on reading while the chunks it sent were queued behind a busy
// wire actor would hold the peer's bytes without bound). With the inline
// mailbox the chunk is normally consumed by the time Send returns; it is
// still queued when the wire actor was running on another goroutine, which
// consumes it before it lets go. It returns false if the wire ended first:
// the chunk's buffer is then not the reader's to reuse.
func (w *Conn) awaitChunk(msg *chunkMsg) bool {
	if !msg.state.CompareAndSwap(chunkSent, chunkAwaited) {
		return true // consumed already
	}
	select {
	case <-w.chunkDone:
		return true
	case <-w.done:
		return false
	}
}

// EndInput tells a wire in push mode that its peer's bytes have ended:
// with err (nil means the peer's stream ended, ErrPeerClosed) as the
// cause, after the frames fed before. Later calls do nothing.
func (w *Conn) EndInput(err error) {
	p := w.push
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	p.ended = true
	if err == nil {
		err = ErrPeerClosed
	}
	select {
	case <-p.ready:
		w.sys.as.Root.Send(p.wire, &readEndedMsg{err: err})
	case <-w.done:
	}
}

// readBlocksThread reports whether a Read of r may stop every goroutine
// of the program: on a runtime with one thread and no preemption
// (WebAssembly), a Read of a host file descriptor (an *os.File, such as
// standard input) that blocks in the host does. Then the reader writes
// what is pending itself before each Read (the announcement, and the
// answers its chunks produced without blocking: quick procedures, errors,
// pongs, credit) instead of leaving it to a flusher goroutine that could
// not run. Not for an in-process pipe: its Read parks only the reader,
// and a reader blocked writing to a peer that does the same would
// deadlock.
var readBlocksThread = func(r io.Reader) bool {
	_, file := r.(*os.File)
	return file && oneThread
}

func (r *readerActor) loop(root *actor.RootContext) {
	defer r.w.goroutines.done()
	s := &reading{r: r, root: root, msg: &chunkMsg{data: make([]byte, minReadBuf)}}
	if r.w.polled.rc != nil {
		s.end(s.poll())
		return
	}
	for {
		if r.w.out.readerFlushes {
			r.w.out.flushHere()
		}
		buf, inRoom := s.buffer()
		n, err := r.w.r.Read(buf)
		if n > 0 {
			s.deliver(buf, inRoom, n, time.Now())
		}
		if err != nil {
			s.end(err)
			return
		}
	}
}

// reading is the reader goroutine's state from one read to the next.
type reading struct {
	r    *readerActor
	root *actor.RootContext
	msg  *chunkMsg // the chunk the next read fills
	size readSize
	// check is when the poller's wait ends for a read that makes sure the
	// socket has not ended (see reading.poll); zero for none. lastShort is
	// when a read last found the socket drained.
	check     time.Time
	lastShort time.Time
	// lent is the holder of the buffer a polled reader took from
	// waitingBufs (readpoll_linux.go), reused to put a buffer back without
	// an allocation; nil when it has none.
	lent *[]byte
}

// buffer returns where the next read goes: the chunk's buffer, or the
// room the wire actor lent for the rest of a large payload (inRoom).
func (s *reading) buffer() (buf []byte, inRoom bool) {
	if s.msg.room != nil {
		return s.msg.room, true
	}
	return s.msg.data[:cap(s.msg.data)], false
}

// deliver hands the n bytes read into buf at now to the wire actor, waits
// until it has consumed them, and readies the chunk for the next read.
func (s *reading) deliver(buf []byte, inRoom bool, n int, now time.Time) {
	w, msg := s.r.w, s.msg
	w.dispatching.Store(true)
	w.reads.Add(1)
	w.bytesIn.Add(int64(n))
	w.readAt.Store(int64(now.Sub(epoch)))
	if inRoom {
		msg.room = nil
		msg.data, msg.roomRead = msg.data[:0], n
	} else {
		msg.data, msg.roomRead = buf[:n], 0
	}
	msg.state.Store(chunkSent)
	// Answers written without blocking while the chunk is dispatched
	// (quick procedures, errors, pongs, credit) go out together
	// when it is done.
	w.out.hold()
	s.root.Send(s.r.wire, msg)
	w.out.unhold()
	consumed := w.awaitChunk(msg)
	next := cap(msg.data)
	if !inRoom {
		next = s.size.next(n, next)
	}
	if !consumed || next != cap(msg.data) {
		s.msg = &chunkMsg{data: make([]byte, next)}
	}
	// While the writer holds far more than it may for the peer,
	// read no more from it (see writer.waitRoom).
	w.out.waitRoom()
	w.dispatching.Store(false)
}

// end tells the wire actor that reading ended with err.
func (s *reading) end(err error) {
	if err == io.EOF {
		// A stream that ends without a Termination message: never
		// io.EOF in a call's error, where io.EOF means a
		// complete stream.
		err = ErrPeerClosed
	}
	s.root.Send(s.r.wire, &readEndedMsg{err: err})
}

// readSize adapts the reader's buffer to its reads (see minReadBuf).
type readSize struct {
	small int // reads in a row that filled less than a quarter of the buffer
}

// next returns the buffer size for the next read after one that read n
// bytes into a buffer of size bytes.
func (s *readSize) next(n, size int) int {
	if n < size/4 {
		s.small++
	} else {
		s.small = 0
	}
	switch {
	case n == size && size < maxReadBuf:
		return size * 2
	case s.small >= shrinkAfter && size > minReadBuf:
		s.small = 0
		return size / 2
	}
	return size
}
