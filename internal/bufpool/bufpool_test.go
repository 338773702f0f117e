package bufpool

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestGetIsEmptyAndHugeBuffersAreDropped: a buffer comes back empty, and one
// above maxKept is not kept.
func TestGetIsEmptyAndHugeBuffersAreDropped(t *testing.T) {
	b := append(Get(), "some bytes"...)
	Put(b)
	if c := Get(); len(c) != 0 {
		t.Fatalf("Get returned %d bytes, want an empty buffer", len(c))
	}
	Put(make([]byte, maxKept+1))
	for range 100 {
		if c := Get(); cap(c) > maxKept {
			t.Fatalf("a %d-byte buffer was kept", cap(c))
		}
	}
}

// TestBuffersAreReused: a buffer put back is what Get returns next (the
// race detector makes sync.Pool drop some puts: a few tries).
func TestBuffersAreReused(t *testing.T) {
	b := make([]byte, 0, 1024)
	for range 20 {
		Put(b)
		if c := Get(); cap(c) == 1024 && &c[:1][0] == &b[:1][0] {
			return
		}
	}
	t.Fatal("a buffer put back was never handed out again")
}
