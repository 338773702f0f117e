package actors

import (
	"sync"
	"sync/atomic"
)

// maxRustCallIndex is the largest call index a peer without extensions
// accepts: the Rust crate keeps call indices in u16.
const maxRustCallIndex = 1<<16 - 1

type callKey struct{ proc, call uint64 }

// indices numbers a wire's outbound calls per procedure, from 0 up, as the
// Rust crate does; once the counter reaches the limit it wraps and skips the
// indices of calls still open. Safe for concurrent use.
type indices struct {
	mu    sync.Mutex
	max   uint64
	procs map[uint64]*procIndices
	n     atomic.Int64 // indices taken, over all procedures
}

type procIndices struct {
	next uint64
	open map[uint64]struct{}
}

func newIndices(max uint64) *indices {
	return &indices{max: max, procs: make(map[uint64]*procIndices)}
}

// take reserves a free call index for proc.
func (x *indices) take(proc uint64) (uint64, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.procs[proc]
	if p == nil {
		p = &procIndices{open: make(map[uint64]struct{})}
		x.procs[proc] = p
	}
	if uint64(len(p.open)) > x.max {
		return 0, ErrTooManyCalls
	}
	for {
		i := p.next
		if p.next == x.max {
			p.next = 0
		} else {
			p.next++
		}
		if _, busy := p.open[i]; !busy {
			p.open[i] = struct{}{}
			x.n.Add(1)
			return i, nil
		}
	}
}

// release frees a call index once its call has fully ended.
func (x *indices) release(k callKey) {
	x.mu.Lock()
	if p := x.procs[k.proc]; p != nil {
		if _, ok := p.open[k.call]; ok {
			delete(p.open, k.call)
			x.n.Add(-1)
		}
	}
	x.mu.Unlock()
}
