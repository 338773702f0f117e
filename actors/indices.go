package actors

import (
	"sync"
	"sync/atomic"

	"github.com/ipfi-go/ipfi/internal/core"
)

// maxRustCallIndex is the largest call index a peer without extensions
// accepts: the Rust crate keeps call indices in u16.
const maxRustCallIndex = core.MaxRustCallIndex

type callKey struct{ proc, call uint64 }

// indices numbers a wire's outbound calls (core.Indices decides the
// numbers and how long each stays taken) for the callers of the wire, who
// take indices on their own goroutines: mu is its owner. n is read without
// it (Conn.open).
type indices struct {
	mu sync.Mutex
	x  core.Indices
	n  atomic.Int64 // indices taken, over all procedures
}

func newIndices(max uint64) *indices {
	return &indices{x: core.Indices{Max: max}}
}

// take reserves a free call index for proc.
func (x *indices) take(proc uint64) (uint64, error) {
	x.mu.Lock()
	call, ok := x.x.Take(proc)
	x.mu.Unlock()
	if !ok {
		return 0, ErrTooManyCalls
	}
	x.n.Add(1)
	return call, nil
}

// release frees a call index once its call has fully ended.
func (x *indices) release(k callKey) {
	x.mu.Lock()
	taken := x.x.Release(core.Key{Proc: k.proc, Call: k.call})
	x.mu.Unlock()
	if taken {
		x.n.Add(-1)
	}
}
