package core

// Key names one call on one wire: its (procedure, call) pair, in both
// directions of the conversation.
type Key struct{ Proc, Call uint64 }

// MaxRustCallIndex is the largest call index a peer without the extensions
// accepts: the Rust crate keeps call indices in u16.
const MaxRustCallIndex = 1<<16 - 1

// Indices numbers the calls this side makes, per procedure, from 0 up, as
// the Rust crate does; once the counter passes Max it wraps and skips the
// indices still taken. An index stays taken from Take until Release: until
// both the call's arguments and its response have ended, since the peer may
// send on the pair until then.
type Indices struct {
	Max   uint64
	procs map[uint64]*procIndices
	n     int // indices taken, over all procedures
}

type procIndices struct {
	next uint64
	open map[uint64]struct{}
}

// Take reserves a free call index for proc; ok is false when every index of
// proc is taken.
func (x *Indices) Take(proc uint64) (call uint64, ok bool) {
	if x.procs == nil {
		x.procs = make(map[uint64]*procIndices)
	}
	p := x.procs[proc]
	if p == nil {
		p = &procIndices{open: make(map[uint64]struct{})}
		x.procs[proc] = p
	}
	if uint64(len(p.open)) > x.Max {
		return 0, false
	}
	for {
		i := p.next
		if p.next == x.Max {
			p.next = 0
		} else {
			p.next++
		}
		if _, busy := p.open[i]; !busy {
			p.open[i] = struct{}{}
			x.n++
			return i, true
		}
	}
}

// Release frees k's index and reports whether it was taken; releasing a
// free index does nothing.
func (x *Indices) Release(k Key) bool {
	if p := x.procs[k.Proc]; p != nil {
		if _, ok := p.open[k.Call]; ok {
			delete(p.open, k.Call)
			x.n--
			return true
		}
	}
	return false
}

// Taken reports whether k's index is taken.
func (x *Indices) Taken(k Key) bool {
	p := x.procs[k.Proc]
	if p == nil {
		return false
	}
	_, ok := p.open[k.Call]
	return ok
}

// Len returns how many indices are taken.
func (x *Indices) Len() int { return x.n }
