package procedures

import (
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
)

// Index identifies a procedure on an interface. The protocol carries indices
// up to u64; the Rust crate's callers commonly use small ones.
type Index uint64

// smallIndices is the number of indices kept in a table's slice rather than
// its map.
const smallIndices = 256

// Registry maps indices to procedures. The zero Registry is empty and ready
// to use; a Registry must not be copied after first use.
//
// All methods are safe for concurrent use. Lookup takes no lock and does not
// allocate: it reads an immutable snapshot. Register and Unregister copy the
// snapshot (O(number of procedures)) and are serialized among themselves; a
// Lookup running concurrently with them sees the registry either before or
// after the change.
type Registry struct {
	mu    sync.Mutex // serializes writers
	table atomic.Pointer[table]
}

// table is one immutable snapshot of a Registry.
type table struct {
	small []Procedure // indices below smallIndices; length up to the highest one used, plus one
	large map[Index]Procedure
	n     int
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return new(Registry) }

// Register adds p at index i. It returns an error wrapping ErrDuplicate if a
// procedure is already registered there, and ErrInvalid if p is the zero
// Procedure. The copy Lookup returns knows its index, and names it in the
// error of a result it cannot encode.
func (r *Registry) Register(i Index, p Procedure) error {
	if !p.valid() {
		return fmt.Errorf("%w (index %d)", ErrInvalid, i)
	}
	p.index, p.indexed = i, true
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.table.Load()
	if _, ok := old.lookup(i); ok {
		return fmt.Errorf("%w: %d", ErrDuplicate, i)
	}
	r.table.Store(old.with(i, p, 1))
	return nil
}

// Unregister removes the procedure at index i and reports whether there was
// one. Calls already running it are not affected.
func (r *Registry) Unregister(i Index) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.table.Load()
	if _, ok := old.lookup(i); !ok {
		return false
	}
	r.table.Store(old.with(i, Procedure{}, -1))
	return true
}

// Lookup returns the procedure registered at index i, if any. It never
// blocks.
func (r *Registry) Lookup(i Index) (Procedure, bool) {
	return r.table.Load().lookup(i)
}

// Len returns the number of registered procedures.
func (r *Registry) Len() int {
	if t := r.table.Load(); t != nil {
		return t.n
	}
	return 0
}

func (t *table) lookup(i Index) (Procedure, bool) {
	if t == nil {
		return Procedure{}, false
	}
	if i < Index(len(t.small)) {
		p := t.small[i]
		return p, p.valid()
	}
	p, ok := t.large[i]
	return p, ok
}

// with returns a copy of t (which may be nil) with p at index i (the zero
// Procedure removes it) and dn added to the count.
func (t *table) with(i Index, p Procedure, dn int) *table {
	nt := new(table)
	if t != nil {
		nt.n = t.n
		nt.small = t.small
		nt.large = t.large
	}
	nt.n += dn
	if i < smallIndices {
		n := max(len(nt.small), int(i)+1)
		small := make([]Procedure, n)
		copy(small, nt.small)
		small[i] = p
		nt.small = small
		return nt
	}
	large := maps.Clone(nt.large)
	if p.valid() {
		if large == nil {
			large = make(map[Index]Procedure)
		}
		large[i] = p
	} else {
		delete(large, i)
	}
	nt.large = large
	return nt
}
