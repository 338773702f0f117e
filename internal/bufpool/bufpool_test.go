package bufpool

import (
	"runtime"
	"runtime/debug"
	"testing"
	"unsafe"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestClasses: each class holds what it is asked for, no more than an
// eighth above it, and the classes grow.
func TestClasses(t *testing.T) {
	if nClasses != classOf(maxKept)+1 {
		t.Fatalf("nClasses is %d, want classOf(maxKept)+1 = %d", nClasses, classOf(maxKept)+1)
	}
	for _, n := range []int{1, minClass, minClass + 1, 5000, 8192, 8193, 65549, 262157, 1 << 20, 1<<20 + 18, 4<<20 + 74, maxKept} {
		c := classOf(n)
		size := classSize(c)
		if size < n {
			t.Errorf("class %d of %d bytes has %d", c, n, size)
		}
		if n > minClass && size-n > n/8 {
			t.Errorf("class %d of %d bytes has %d: more than an eighth above", c, n, size)
		}
	}
	for c := 1; c < nClasses; c++ {
		if classSize(c) <= classSize(c-1) {
			t.Fatalf("class %d (%d bytes) not above class %d (%d)", c, classSize(c), c-1, classSize(c-1))
		}
		if classOf(classSize(c)) != c {
			t.Fatalf("class of %d bytes is %d, want %d", classSize(c), classOf(classSize(c)), c)
		}
	}
}

// TestGetCapHasRoom: GetCap returns an empty buffer with room for what was
// asked, also past the largest class.
func TestGetCapHasRoom(t *testing.T) {
	for _, n := range []int{0, 100, 70000, maxKept + 1} {
		if b := GetCap(n); len(b) != 0 || cap(b) < n {
			t.Errorf("GetCap(%d): len %d cap %d", n, len(b), cap(b))
		}
	}
}

// TestGrowKeepsTheBytes: Grow copies what b holds into a buffer with room.
func TestGrowKeepsTheBytes(t *testing.T) {
	b := append(make([]byte, 0, 8), "abcdefgh"...)
	g := Grow(b, 100000)
	if string(g) != "abcdefgh" || cap(g)-len(g) < 100000 {
		t.Fatalf("Grow: %q, cap %d", g, cap(g))
	}
	if h := Grow(g, 10); &h[0] != &g[0] {
		t.Fatal("Grow moved a buffer that had room")
	}
}

// TestPutKeepsByClass: a buffer put back serves a later GetCap of its
// class, and never one that asks for more than it has; buffers outside the
// classes are dropped (the race detector makes sync.Pool drop some puts: a
// few tries).
func TestPutKeepsByClass(t *testing.T) {
	b := make([]byte, 0, 300000) // between classes: kept in the one below
	for range 20 {
		Put(b)
		if c := GetCap(classSize(classOf(300000) - 1)); cap(c) == 300000 {
			break
		}
	}
	for range 20 {
		Put(b)
		if c := GetCap(300001); cap(c) < 300001 {
			t.Fatalf("GetCap(300001) returned a buffer of %d", cap(c))
		}
	}
	Put(make([]byte, 0, maxKept+1))
	Put(make([]byte, 0, 100))
	for range 100 {
		if c := Get(); c != nil && (cap(c) > maxKept || cap(c) < minClass) {
			t.Fatalf("a %d-byte buffer was kept", cap(c))
		}
	}
}

// TestBuffersAreReused: a buffer put back is what Get returns next.
func TestBuffersAreReused(t *testing.T) {
	b := make([]byte, 0, minClass)
	for range 20 {
		Put(b)
		if c := Get(); cap(c) == minClass && &c[:1][0] == &b[:1][0] {
			return
		}
	}
	t.Fatal("a buffer put back was never handed out again")
}

// TestLargeBuffersAreBounded: the free lists of large buffers hold at most
// maxLarge bytes, however many are put back, and hand them out again.
func TestLargeBuffersAreBounded(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no decay while it counts
	for c := range large {                           // what other tests left
		for large[c].pop() != nil {
		}
	}
	for range 3 * maxLarge / (1 << 20) {
		Put(make([]byte, 0, 1<<20))
	}
	if n := largeBytes.Load(); n != maxLarge {
		t.Fatalf("the free lists hold %d bytes, want %d", n, maxLarge)
	}
	got := 0
	for b := take(classOf(1 << 20)); b != nil; b = take(classOf(1 << 20)) {
		got += cap(b)
	}
	if got != maxLarge || largeBytes.Load() != 0 {
		t.Fatalf("got %d bytes of kept buffers back; %d left", got, largeBytes.Load())
	}
}

// TestDecayDropsWhatNoGetNeeded: a decay drops the buffers no Get took
// since the decay before it, and keeps those the Gets in between dipped
// into.
func TestDecayDropsWhatNoGetNeeded(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // only the decays called here
	c := classOf(1 << 20)
	for large[c].pop() != nil {
	}
	large[c].decay() // starts counting from an empty list
	for range 4 {
		Put(make([]byte, 0, 1<<20))
	}
	large[c].decay() // none were there at the last decay: none dropped
	if n := len(large[c].bufs); n != 4 {
		t.Fatalf("after the first decay %d buffers, want 4", n)
	}
	b := take(c) // the Gets since need at most one less than all 4
	Put(b)
	large[c].decay()
	if n := len(large[c].bufs); n != 1 {
		t.Fatalf("after a decay with one Get %d buffers kept, want 1", n)
	}
	large[c].decay()
	if n := len(large[c].bufs); n != 0 || largeBytes.Load() != 0 {
		t.Fatalf("after a decay with no Get %d buffers (%d bytes) kept, want none", n, largeBytes.Load())
	}
}

// TestDecayRunsAtCollections: large buffers that nobody takes are dropped
// after a few garbage collections, with no call of this package's.
func TestDecayRunsAtCollections(t *testing.T) {
	for c := range large { // what other tests left
		for large[c].pop() != nil {
		}
	}
	Put(make([]byte, 0, 1<<20))
	Put(make([]byte, 0, 1<<20))
	if largeBytes.Load() == 0 {
		t.Fatal("the free lists kept nothing")
	}
	for range 1000 { // a collection runs the decay, two drop what it found
		runtime.GC()
		if largeBytes.Load() == 0 {
			return
		}
		runtime.Gosched() // the finalizer goroutine runs the decay
	}
	t.Fatalf("after 1000 collections the free lists still hold %d bytes", largeBytes.Load())
}

// TestPutMovedKeepsABufferInUse: PutMoved gives the first buffer back only
// when the append moved out of it; one still in use is never handed out
// again.
func TestPutMovedKeepsABufferInUse(t *testing.T) {
	for range 100 {
		first := Get()
		grown := append(first, 1, 2, 3) // still in first's memory
		PutMoved(first, grown)
		next := Get()
		if unsafe.SliceData(next[:1]) == unsafe.SliceData(grown) {
			t.Fatal("PutMoved gave back a buffer the append still uses")
		}
		Put(next)
		Put(grown)
	}
}

// TestPutMovedGivesBackWhatWasLeft: after an append that outgrew the first
// buffer, PutMoved gives the first back, and a Get of its class takes it
// (in one try of ten at least: a goroutine that moves to another processor
// between the two misses the buffer; and not under the race detector,
// whose pools drop buffers at random).
func TestPutMovedGivesBackWhatWasLeft(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops buffers at random under the race detector")
	}
	for range 10 {
		first := Get()
		grown := Grow(first, 2*minClass)
		PutMoved(first, grown)
		next := Get()
		Put(grown)
		if unsafe.SliceData(next[:1]) == unsafe.SliceData(first[:1]) {
			return
		}
	}
	t.Fatal("PutMoved did not give back the buffer the append left, in ten tries")
}
