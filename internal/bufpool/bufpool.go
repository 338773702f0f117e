// Package bufpool keeps encoding buffers for reuse: the payload a call's
// arguments or a procedure's result is encoded into is only needed until the
// writer has taken it (copied or written), so a 64 KiB echo need not
// allocate two 64 KiB buffers per call.
package bufpool

import "sync"

// maxKept is the largest buffer put back: a rare huge payload does not stay
// in the pool.
const maxKept = 256 << 10

// Buffers travel in holders (a *[]byte fits in an interface without an
// allocation); empty holders are pooled too, so Get and Put allocate nothing
// in steady state.
var (
	full    sync.Pool // of *[]byte holding a buffer
	holders = sync.Pool{New: func() any { return new([]byte) }}
)

// Get returns an empty buffer, with whatever capacity it had (nil when the
// pool is empty).
func Get() []byte {
	h, _ := full.Get().(*[]byte)
	if h == nil {
		return nil
	}
	b := (*h)[:0]
	*h = nil
	holders.Put(h)
	return b
}

// Put gives a buffer back; the caller must not use it (or a slice of it)
// afterwards. Buffers larger than 256 KiB, and empty ones, are dropped.
func Put(b []byte) {
	if cap(b) == 0 || cap(b) > maxKept {
		return
	}
	h := holders.Get().(*[]byte)
	*h = b[:0]
	full.Put(h)
}
