package actors

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi/wire"
)

// slowWriter blocks its first Write until released, counting Writes.
type slowWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	writes  int
	entered chan struct{}
	release chan struct{}
	fail    error
}

func (s *slowWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.writes++
	first := s.writes == 1
	s.mu.Unlock()
	if first && s.entered != nil {
		close(s.entered)
		<-s.release
	}
	if s.fail != nil {
		return 0, s.fail
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// TestWriterBatchesFramesWrittenDuringAWrite: while one goroutine is inside
// Write, frames from others are queued and go out together in one more Write.
func TestWriterBatchesFramesWrittenDuringAWrite(t *testing.T) {
	sw := &slowWriter{entered: make(chan struct{}), release: make(chan struct{})}
	var wg sync.WaitGroup
	g := &goroutines{sys: &wg}
	w := newWriter(sw, g, DefaultLimits().MaxWriteQueue, nil)
	done := make(chan error, 1)
	go func() { done <- w.frame(bg, wire.KindCall, wire.TermComplete, 1, 0, []byte{1}) }()
	<-sw.entered
	for i := range 50 {
		if err := w.frame(bg, wire.KindCall, wire.TermComplete, 1, uint64(i+1), []byte{1}); err != nil {
			t.Fatal(err)
		}
	}
	close(sw.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-w.drained()
	wg.Wait()
	if sw.writes != 2 {
		t.Fatalf("%d writes for 51 frames, want 2 (the first, then one batch)", sw.writes)
	}
	var n int
	dec := wire.NewDecoder(0)
	if err := dec.Feed(sw.buf.Bytes(), func(f wire.Frame) error {
		if f.Call != uint64(n) {
			t.Errorf("frame %d has call %d: order lost", n, f.Call)
		}
		n++
		return nil
	}); err != nil || n != 51 {
		t.Fatalf("decoded %d frames, err %v", n, err)
	}
}

// TestWriterErrorIsStickyAndReported: a failed Write fails every later
// frame with the same error and is reported once.
func TestWriterErrorIsStickyAndReported(t *testing.T) {
	boom := errors.New("boom")
	sw := &slowWriter{fail: boom}
	var wg sync.WaitGroup
	g := &goroutines{sys: &wg}
	var reported []error
	w := newWriter(sw, g, DefaultLimits().MaxWriteQueue, func(err error) { reported = append(reported, err) })
	if err := w.frame(bg, wire.KindResponse, wire.TermComplete, 0, 0, nil); !errors.Is(err, boom) {
		t.Fatalf("first frame: %v", err)
	}
	if err := w.raw(bg, []byte{0}); !errors.Is(err, boom) {
		t.Fatalf("later frame: %v", err)
	}
	wg.Wait()
	if len(reported) != 1 {
		t.Fatalf("reported %d times", len(reported))
	}
}

// TestWriterLargePayloadGoesOutUncopiedAndInOrder: a blocking writer that
// finds the writer idle writes a large payload from its own slice (the
// payload may be reused as soon as frame returns), and frames queued while
// that write is in progress follow it, in order, in one more write.
func TestWriterLargePayloadGoesOutUncopiedAndInOrder(t *testing.T) {
	sw := &slowWriter{entered: make(chan struct{}), release: make(chan struct{})}
	var wg sync.WaitGroup
	g := &goroutines{sys: &wg}
	w := newWriter(sw, g, DefaultLimits().MaxWriteQueue, nil)
	big := bytes.Repeat([]byte{9}, directPayload)
	done := make(chan error, 1)
	go func() { done <- w.frame(bg, wire.KindResponse, wire.TermComplete, 2, 0, big) }()
	<-sw.entered // the header's Write (a plain io.Writer gets one Write per slice)
	for i := range 10 {
		if err := w.frame(bg, wire.KindResponse, wire.TermComplete, 2, uint64(i+1), []byte{1}); err != nil {
			t.Fatal(err)
		}
	}
	close(sw.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	clear(big) // frame has returned: the payload is no longer the writer's
	<-w.drained()
	wg.Wait()
	if sw.writes != 3 {
		t.Errorf("%d writes, want 3 (header, payload, then one batch)", sw.writes)
	}
	var n int
	if err := wire.NewDecoder(0).Feed(sw.buf.Bytes(), func(f wire.Frame) error {
		if f.Call != uint64(n) {
			t.Errorf("frame %d has call %d: order lost", n, f.Call)
		}
		if n == 0 && (len(f.Payload) != directPayload || f.Payload[0] != 9) {
			t.Errorf("large payload came out as %d bytes", len(f.Payload))
		}
		n++
		return nil
	}); err != nil || n != 11 {
		t.Fatalf("decoded %d frames, err %v", n, err)
	}
}

// TestWriterLargeFrameAfterADeadlineGoesOutUncopied: a large frame with a
// message before it (a call's deadline) takes the same uncopied path as
// one without: the message and the header in one Write, the payload from
// the caller's slice in the next.
func TestWriterLargeFrameAfterADeadlineGoesOutUncopied(t *testing.T) {
	sw := &slowWriter{}
	var wg sync.WaitGroup
	w := newWriter(sw, &goroutines{sys: &wg}, DefaultLimits().MaxWriteQueue, nil)
	big := bytes.Repeat([]byte{9}, directPayload)
	pre := wire.AppendDeadline(nil, 2, 5, 1500)
	if err := w.framePre(bg, pre, wire.KindCall, wire.TermComplete, 2, 5, big); err != nil {
		t.Fatal(err)
	}
	<-w.drained()
	wg.Wait()
	if sw.writes != 2 {
		t.Errorf("%d writes, want 2 (deadline and header, then the payload)", sw.writes)
	}
	want := wire.AppendHeader(slices.Clone(pre), wire.KindCall, wire.TermComplete, 2, 5, len(big))
	want = append(want, big...)
	if !bytes.Equal(sw.buf.Bytes(), want) {
		t.Errorf("wrote %d bytes, want the deadline, the header and the payload (%d bytes)", sw.buf.Len(), len(want))
	}
}

// TestQueueWritesItselfPastGather: a stream producer that finds the writer
// idle with gatherBelow bytes queued writes them itself, before queue
// returns, rather than leaving them to a flusher goroutine that on a busy
// processor would run only once the producer blocks.
func TestQueueWritesItselfPastGather(t *testing.T) {
	sw := &slowWriter{}
	var wg sync.WaitGroup
	g := &goroutines{sys: &wg}
	w := newWriter(sw, g, DefaultLimits().MaxWriteQueue, nil)
	w.held.Store(1) // as a reader's hold: the small frames below stay queued
	value := make([]byte, 1000)
	ctx := context.Background()
	n := 0
	for queued := 0; queued < gatherBelow; queued += wire.EncodedLen(wire.Frame{Kind: wire.KindResponse, Procedure: 1, Payload: value}) {
		if err := w.queue(ctx, wire.KindResponse, wire.TermChunk, 1, 0, value); err != nil {
			t.Fatal(err)
		}
		n++
	}
	w.held.Store(0)
	if err := w.queue(ctx, wire.KindResponse, wire.TermChunk, 1, 0, value); err != nil {
		t.Fatal(err)
	}
	n++
	sw.mu.Lock()
	writes, written := sw.writes, sw.buf.Len()
	sw.mu.Unlock()
	if want := n * (len(value) + 6); writes != 1 || written != want {
		t.Errorf("when queue returned: %d writes, %d bytes; want 1 write of all %d frames, %d bytes", writes, written, n, want)
	}
	<-w.drained()
	wg.Wait()
}

// TestBlockingFrameWritesAheadOfAKickedFlusher: a flusher goroutine
// started for a frame takes the flushing role only when it runs, so a
// goroutine that may block and comes first writes both frames itself.
// (GOMAXPROCS 1 keeps the flusher from running before then.)
func TestBlockingFrameWritesAheadOfAKickedFlusher(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	sw := &slowWriter{}
	var wg sync.WaitGroup
	g := &goroutines{sys: &wg}
	w := newWriter(sw, g, DefaultLimits().MaxWriteQueue, nil)
	if err := w.frame(noWait, wire.KindResponse, wire.TermComplete, 1, 0, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := w.frame(bg, wire.KindCall, wire.TermComplete, 1, 1, []byte{2}); err != nil {
		t.Fatal(err)
	}
	sw.mu.Lock()
	written := sw.buf.Len()
	sw.mu.Unlock()
	if written != 12 {
		t.Errorf("%d bytes written when the blocking frame returned, want both frames' 12", written)
	}
	<-w.drained()
	wg.Wait()
}

// TestUnholdLeavesOthersFramesToThem: a reader that writes its chunk's
// answers in unhold makes at most unholdPasses writes, however much others
// append meanwhile (a stream's producer), and goes back to reading; what
// is left is written all the same.
func TestUnholdLeavesOthersFramesToThem(t *testing.T) {
	sw := &slowWriter{}
	var wg sync.WaitGroup
	g := &goroutines{sys: &wg}
	w := newWriter(sw, g, DefaultLimits().MaxWriteQueue, nil)
	tries := 0
	w.try = func(b []byte) (int, error) {
		tries++
		n, err := sw.Write(b)
		if tries < 100 {
			// Another goroutine appends while the reader writes.
			_ = w.frame(noWait, wire.KindResponse, wire.TermChunk, 1, 0, []byte{byte(tries)})
		}
		return n, err
	}
	w.hold()
	_ = w.frame(noWait, wire.KindResponse, wire.TermComplete, 2, 0, []byte{0})
	w.unhold()
	if tries != unholdPasses {
		t.Errorf("unhold made %d writes, want %d", tries, unholdPasses)
	}
	<-w.drained()
	wg.Wait()
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if want := 6 * (unholdPasses + 1); sw.buf.Len() != want {
		t.Errorf("%d bytes written in all, want %d", sw.buf.Len(), want)
	}
}

// bg is the context of a writer's caller that may block and has no
// deadline.
var bg = context.Background()

// TestHoldsRaceAppendsAndLoseNoFrame: readers hold and let go of the writer
// (without its lock: held and left are atomics) while actors append
// frames without blocking; every frame is written, by a reader's unhold or
// by a flusher, none is left pending.
func TestHoldsRaceAppendsAndLoseNoFrame(t *testing.T) {
	sw := &slowWriter{}
	var wg sync.WaitGroup
	g := &goroutines{sys: &wg}
	w := newWriter(sw, g, DefaultLimits().MaxWriteQueue, nil)
	w.try = sw.Write
	const appenders, frames = 4, 2000
	var run sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		run.Add(1)
		go func() { // a reader dispatching chunks
			defer run.Done()
			for i := 0; i < 100000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				w.hold()
				w.unhold()
			}
		}()
	}
	var app sync.WaitGroup
	for a := range appenders {
		app.Add(1)
		go func() {
			defer app.Done()
			for i := range frames {
				_ = w.frame(noWait, wire.KindResponse, wire.TermComplete, uint64(a), uint64(i%100), []byte{1}) // 6 bytes
			}
		}()
	}
	app.Wait()
	close(stop)
	run.Wait()
	select {
	case <-w.drained():
	case <-time.After(10 * time.Second):
		t.Fatal("frames left pending with nobody to write them")
	}
	wg.Wait()
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if want := 6 * appenders * frames; sw.buf.Len() != want {
		t.Errorf("%d bytes written, want %d", sw.buf.Len(), want)
	}
}

// TestWriterNonBlockingLargeFrameKeepsOrder: a goroutine that must not
// block (an actor, noWait) with a large payload writes what was pending
// and the frame itself without blocking, as far as the transport takes
// them, and leaves only the rest, copied, to a flusher: everything comes
// out once, in order, and the payload is the caller's again when frame
// returns.
func TestWriterNonBlockingLargeFrameKeepsOrder(t *testing.T) {
	for _, take := range []int{0, 1, 3, 1000, directPayload / 2, 4 * directPayload} {
		out := &lockedBuffer{}
		var wg sync.WaitGroup
		w := newWriter(out, &goroutines{sys: &wg}, DefaultLimits().MaxWriteQueue, nil)
		tries := 0
		w.try = func(b []byte) (int, error) {
			tries++
			if tries > 1 {
				return 0, nil // the transport is full after its first take
			}
			return out.Write(b[:min(len(b), take)])
		}
		w.held.Add(1) // as a reader dispatching a chunk: the small frame waits
		if err := w.frame(noWait, wire.KindResponse, wire.TermComplete, 2, 1, []byte{1}); err != nil {
			t.Fatal(err)
		}
		w.held.Add(-1)
		big := bytes.Repeat([]byte{9}, directPayload)
		if err := w.frame(noWait, wire.KindResponse, wire.TermComplete, 2, 2, big); err != nil {
			t.Fatal(err)
		}
		clear(big) // frame has returned: the payload is the caller's
		if err := w.frame(noWait, wire.KindResponse, wire.TermComplete, 2, 3, []byte{3}); err != nil {
			t.Fatal(err)
		}
		<-w.drained()
		wg.Wait()
		var calls []uint64
		if err := wire.NewDecoder(0).Feed(out.bytes(), func(f wire.Frame) error {
			calls = append(calls, f.Call)
			if f.Call == 2 && (len(f.Payload) != directPayload || bytes.Count(f.Payload, []byte{9}) != directPayload) {
				t.Errorf("take %d: the large payload came out damaged", take)
			}
			return nil
		}); err != nil {
			t.Fatalf("take %d: %v", take, err)
		}
		if !slices.Equal(calls, []uint64{1, 2, 3}) {
			t.Fatalf("take %d: calls %v came out, want [1 2 3]", take, calls)
		}
	}
}
