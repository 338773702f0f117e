package actors

// gather collects the pieces of one value sent in several messages (the
// arguments of a call in Call messages, a response value in Response
// messages with terminator None) and joins them once the last has come:
// each byte is copied at most once, and not at all while a piece fits in
// the room the one before it has (the decoder gives a large piece that
// more will follow room for a small last one, see wire.Decoder).
//
// A piece is the parser's: no one else writes to it or reuses it, so it is
// held as it came, and so is the capacity past its length (a piece sliced
// from a larger buffer must have its capacity cut). A piece under minPart is copied onto the part before
// it, so that a peer sending many tiny pieces makes gather hold little
// more than their bytes.
type gather struct {
	first []byte   // the first part (a value in one piece needs no more)
	more  [][]byte // the parts after it
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
	default:
		g.more = append(g.more, p)
	}
	g.n += len(p)
}

// join returns the gathered value, in one buffer, and empties g.
func (g *gather) join() []byte {
	v := g.first
	if len(g.more) > 0 {
		v = make([]byte, 0, g.n)
		v = append(v, g.first...)
		for _, p := range g.more {
			v = append(v, p...)
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
