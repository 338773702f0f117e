package actors

import (
	"bytes"

	"github.com/ipfi-go/ipfi/internal/bufpool"
)

// gather collects the pieces of one value sent in several messages (the
// arguments of a call in Call messages, a response value in Response
// messages with terminator None) and joins them once the last has come:
// a large piece is copied once, by join, and not at all while the pieces
// after it fit in the room it has (the decoder gives a large piece that
// more will follow room for a small last one, see wire.Decoder). A piece
// under minPart is copied onto the part before it, so that a peer sending
// many tiny pieces makes gather hold little more than their bytes.
//
// A piece is the parser's: no one else writes to it or reuses it, so it is
// held as it came, and so is the capacity past its length. What the parser
// slices from memory it shares (its arena, a run of values) has its
// capacity cut to its length; a piece with room past its length is a
// buffer of its own (the decoder's, or one add grew), which join puts back
// into the pool once it has copied it.
type gather struct {
	first []byte   // the first part, while it is the only one
	more  [][]byte // every part, first included, once there are several
	n     int      // bytes gathered
}

// minPart is the smallest piece gather holds as a part of its own.
const minPart = 4 << 10

// add gathers piece p.
func (g *gather) add(p []byte) {
	last := &g.first
	if k := len(g.more); k > 0 {
		last = &g.more[k-1]
	}
	switch {
	case g.n == 0 && len(g.more) == 0:
		g.first = p
	case cap(*last)-len(*last) >= len(p) || len(p) < minPart:
		*last = append(*last, p...)
	case len(g.more) == 0:
		g.more = append(g.more, g.first, p)
	default:
		g.more = append(g.more, p)
	}
	g.n += len(p)
}

// join returns the gathered value, in one buffer, and empties g.
func (g *gather) join() []byte {
	v := g.first
	if len(g.more) > 0 {
		v = bytes.Join(g.more, nil) // into memory it does not zero first
		for _, p := range g.more {
			if cap(p) > len(p) {
				bufpool.Put(p)
			}
		}
	}
	g.reset()
	return v
}

// reset drops what g holds.
func (g *gather) reset() {
	clear(g.more)
	g.first, g.more, g.n = nil, g.more[:0], 0
}

// size returns the bytes gathered so far.
func (g *gather) size() int { return g.n }
