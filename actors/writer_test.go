package actors

import (
	"bytes"
	"errors"
	"sync"
	"testing"

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
	w := newWriter(sw, &wg, nil)
	done := make(chan error, 1)
	go func() { done <- w.frame(wire.KindCall, wire.TermComplete, 1, 0, []byte{1}, true) }()
	<-sw.entered
	for i := range 50 {
		if err := w.frame(wire.KindCall, wire.TermComplete, 1, uint64(i+1), []byte{1}, true); err != nil {
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
	var reported []error
	w := newWriter(sw, &wg, func(err error) { reported = append(reported, err) })
	if err := w.frame(wire.KindResponse, wire.TermComplete, 0, 0, nil, true); !errors.Is(err, boom) {
		t.Fatalf("first frame: %v", err)
	}
	if err := w.raw([]byte{0}, true); !errors.Is(err, boom) {
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
	w := newWriter(sw, &wg, nil)
	big := bytes.Repeat([]byte{9}, directPayload)
	done := make(chan error, 1)
	go func() { done <- w.frame(wire.KindResponse, wire.TermComplete, 2, 0, big, true) }()
	<-sw.entered // the header's Write (a plain io.Writer gets one Write per slice)
	for i := range 10 {
		if err := w.frame(wire.KindResponse, wire.TermComplete, 2, uint64(i+1), []byte{1}, true); err != nil {
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
