// Package bufpool keeps byte buffers for reuse, in size classes: the
// payload a call's arguments or a procedure's result is encoded into, the
// writer's buffers, and the receive buffers of large payloads. Reused
// memory is neither zeroed by the runtime nor faulted in from the OS again,
// which for large payloads costs more than the copies themselves.
//
// Buffers below largeFrom are kept in sync.Pools, one per class: the
// runtime drops what stays unused over two collections. Larger ones are
// kept in free lists, one per class, that hold at most maxLarge bytes
// together (a sync.Pool grows without bound between collections, and a
// fast stream of large values would fill it): past that, Put drops them.
// At each garbage collection a list drops the buffers that no Get needed
// since the one before (decay), so that a process done with large
// payloads gives their memory back.
package bufpool

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// largeFrom is the smallest buffer kept in the bounded free lists, and
// maxLarge the bytes they hold at most, together.
const (
	largeFrom = 256 << 10
	maxLarge  = 64 << 20
)

// large[c] is the free list of class c, used for classes of largeFrom
// bytes or more; largeBytes counts the bytes they hold.
var (
	large      [nClasses]freeList
	largeBytes atomic.Int64
)

// freeList is a class's kept large buffers.
type freeList struct {
	mu   sync.Mutex
	bufs [][]byte
	low  int // the fewest buffers held since the last decay: those no Get needed
}

func (l *freeList) pop() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.bufs)
	if n == 0 {
		return nil
	}
	b := l.bufs[n-1]
	l.bufs[n-1] = nil
	l.bufs = l.bufs[:n-1]
	l.low = min(l.low, n-1)
	largeBytes.Add(-int64(cap(b)))
	return b
}

// decay drops the list's buffers that no Get needed since the last decay
// (the oldest: Get takes the newest).
func (l *freeList) decay() {
	l.mu.Lock()
	defer l.mu.Unlock()
	drop := min(l.low, len(l.bufs))
	for i, b := range l.bufs[:drop] {
		largeBytes.Add(-int64(cap(b)))
		l.bufs[i] = nil
	}
	l.bufs = append(l.bufs[:0], l.bufs[drop:]...)
	clear(l.bufs[len(l.bufs):cap(l.bufs)])
	l.low = len(l.bufs)
}

// push keeps b unless the lists would then hold more than maxLarge bytes.
func (l *freeList) push(b []byte) {
	if largeBytes.Add(int64(cap(b))) > maxLarge {
		largeBytes.Add(-int64(cap(b)))
		return
	}
	decaying.Do(armDecay)
	l.mu.Lock()
	l.bufs = append(l.bufs, b[:0])
	l.mu.Unlock()
}

// decaying starts the decay of the free lists, at the first large Put.
var decaying sync.Once

// armDecay has decayAll run after the next garbage collection, and arms it
// again from there: the finalizer of an object that nothing keeps runs
// once the collection has found it unreachable.
func armDecay() {
	runtime.SetFinalizer(new(gcTick), func(*gcTick) {
		decayAll()
		armDecay()
	})
}

// gcTick is the object whose collection marks a garbage collection; large
// enough not to share a tiny block with others.
type gcTick [32]byte

// decayAll decays every large free list.
func decayAll() {
	for c := range large {
		if classSize(c) >= largeFrom {
			large[c].decay()
		}
	}
}

// Classes: from minClass to maxKept bytes, eight per doubling (each at
// most an eighth above the size asked for).
const (
	minClass = 4 << 10
	maxKept  = 16 << 20
	steps    = 8
)

// nClasses is how many classes there are: eight per doubling from minClass
// up to maxKept, maxKept's included (classOf(maxKept) + 1).
const nClasses = 97

// pools[i] holds buffers of capacity classSize(i) or more (less than the
// next class's).
var pools [nClasses]sync.Pool

// holders are pooled empty holders (a *[]byte fits in an interface without
// an allocation), so that Get and Put allocate nothing in steady state.
var holders = sync.Pool{New: func() any { return new([]byte) }}

// classOf returns the smallest class whose size is at least n (n >
// minClass).
func classOf(n int) int {
	if n <= minClass {
		return 0
	}
	e := bits.Len(uint(n-1)) - 1 // 2^e < n <= 2^(e+1)
	step := (n - 1 - 1<<e) >> (e - 3)
	return (e-12)*steps + step + 1
}

// classSize returns the size of class c.
func classSize(c int) int {
	if c == 0 {
		return minClass
	}
	e, step := (c-1)/steps+12, (c-1)%steps
	return (1 << e) + (step+1)<<(e-3)
}

// Get returns an empty buffer of the smallest class: a kept one, or a new
// one (which Put then keeps).
func Get() []byte { return GetCap(minClass) }

// GetCap returns an empty buffer with a capacity of at least n: a kept one
// of n's class, or a new one of the class's size. Above maxKept it is a
// new one of n bytes.
func GetCap(n int) []byte {
	if n > maxKept {
		return make([]byte, 0, n)
	}
	c := classOf(n)
	if b := take(c); b != nil {
		return b
	}
	return make([]byte, 0, classSize(c))
}

func take(c int) []byte {
	if classSize(c) >= largeFrom {
		return large[c].pop()
	}
	h, _ := pools[c].Get().(*[]byte)
	if h == nil {
		return nil
	}
	b := (*h)[:0]
	*h = nil
	holders.Put(h)
	return b
}

// Grow returns b with room for n more bytes: b itself if it has it, else a
// buffer from GetCap holding a copy of b. b is not put back: the caller may
// still hold it.
func Grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := GetCap(max(len(b)+n, 2*cap(b)))
	return append(nb, b...)
}

// PutMoved gives first back if grown, what an append to first returned,
// no longer uses first's memory (the append moved it into a larger
// buffer), for a caller that took first from Get and handed it to an
// encoder: the encoder's growth keeps nothing of first. If grown still
// uses it, first stays the caller's, with grown.
func PutMoved(first, grown []byte) {
	if unsafe.SliceData(first[:cap(first)]) != unsafe.SliceData(grown[:cap(grown)]) {
		Put(first)
	}
}

// Put gives a buffer back; the caller must not use it (or a slice of it)
// afterwards. Buffers below the smallest class or above maxKept are
// dropped.
func Put(b []byte) {
	n := cap(b)
	if n < minClass || n > maxKept {
		return
	}
	// The largest class whose size n reaches: a buffer is kept where every
	// Get it may serve asks for no more than it has.
	c := classOf(n)
	if classSize(c) > n {
		c--
	}
	if classSize(c) >= largeFrom {
		large[c].push(b)
		return
	}
	h := holders.Get().(*[]byte)
	*h = b[:0]
	pools[c].Put(h)
}
