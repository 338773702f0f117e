package actors

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"sync"
	"testing"

	"github.com/ipfi-go/ipfi/wire"
)

// lockedBuffer is a transport's write side that a test reads while the
// wire writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// scriptedReader hands out one chunk, then reports what had been written
// when the reader came back for more, and ends the stream.
type scriptedReader struct {
	chunk   []byte
	out     *lockedBuffer
	reads   int
	written [2][]byte // what was written when Read was called the first and second time
}

func (r *scriptedReader) Read(p []byte) (int, error) {
	r.written[r.reads] = r.out.bytes()
	r.reads++
	if r.reads == 1 {
		return copy(p, r.chunk), nil
	}
	return 0, io.EOF
}

// TestSingleThreadedReaderWritesBeforeItReads: on a single-threaded runtime
// (WebAssembly), a Read of a host file descriptor that blocks stops every
// goroutine (readBlocksThread), so nothing may
// wait for another goroutine to be written while the reader reads: the
// announcement is written before the first Read, and the answers that a
// chunk produced (here a pong) before the next one. GOMAXPROCS(1) stands
// for the single thread: a flusher goroutine started meanwhile has not run.
func TestSingleThreadedReaderWritesBeforeItReads(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	old := readBlocksThread
	readBlocksThread = func(io.Reader) bool { return true }
	defer func() { readBlocksThread = old }()

	announce := []byte{byte(wire.KindAnnounce), byte(wire.KindAnnounce2)}
	out := &lockedBuffer{}
	in := &scriptedReader{chunk: wire.AppendPing(bytes.Clone(announce), wire.KindPing, 5), out: out}
	sys := NewSystem(Config{})
	defer func() { must(t, sys.Close()) }()
	w, err := sys.Connect(in, out, nil, WireOptions{})
	must(t, err)
	<-w.Done()
	if !errors.Is(w.Err(), ErrPeerClosed) {
		t.Fatalf("the wire ended with %v, want ErrPeerClosed", w.Err())
	}
	if !bytes.HasPrefix(in.written[0], announce) {
		t.Errorf("before the first Read the wire had written %x, want its announcement %x", in.written[0], announce)
	}
	pong := wire.AppendPing(nil, wire.KindPong, 5)
	if !bytes.Contains(in.written[1], pong) {
		t.Errorf("before the second Read the wire had written %x, want the pong %x", in.written[1], pong)
	}
}

// TestAwaitChunk: the reader waits for the chunk it sent while the wire
// actor has not consumed it (it was queued behind a run on another
// goroutine), goes on at once when it was consumed inline, and stops
// waiting, with the buffer not its own, when the wire ends first.
func TestAwaitChunk(t *testing.T) {
	w := &Conn{chunkDone: make(chan struct{}, 1), done: make(chan struct{})}

	inline := &chunkMsg{}
	inline.consumed(w) // consumed during Send
	if !w.awaitChunk(inline) {
		t.Fatal("a chunk consumed inline was not reported consumed")
	}

	queued := &chunkMsg{}
	got := make(chan bool)
	go func() { got <- w.awaitChunk(queued) }()
	for queued.state.Load() != chunkAwaited {
		runtime.Gosched() // until the reader has said it waits
	}
	select {
	case <-got:
		t.Fatal("awaitChunk returned before the chunk was consumed")
	default:
	}
	queued.consumed(w)
	if !<-got {
		t.Fatal("a chunk consumed later was not reported consumed")
	}

	lost := &chunkMsg{}
	go func() { got <- w.awaitChunk(lost) }()
	for lost.state.Load() != chunkAwaited {
		runtime.Gosched()
	}
	close(w.done)
	if <-got {
		t.Fatal("a chunk the wire never consumed was reported consumed")
	}
}
