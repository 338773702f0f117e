package actors

import (
	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/wire"
)

// parser is the wire actor's incremental decoder: it turns the byte
// chunks the reader passes the wire actor into frames, in blocks of items
// that the wire actor then routes (chunkMsg). It is the wire actor's, used
// only inside its Receive. A malformed frame ends the wire.
type parser struct {
	w     *Conn
	dec   *wire.Decoder
	heard bool // a chunk was read (w.heard is closed)
	// neg is the extensions' handshake, which the decoder it drives makes
	// the parser's; its state is published in Conn.peer.
	neg core.Negotiation
	// density is how many frames the last chunk held per KiB (rounded
	// up), last how many: the first block of the next chunk is sized from them, capped
	// at twice the last count (so that a small chunk of small frames does
	// not make a big chunk with one large frame allocate thousands).
	density, last int
	// lastValues and lastPayload are how many stream values, and payload
	// bytes copied, the last chunk held: the first blocks of the next are
	// sized from them.
	lastValues, lastPayload int
}

// newParser returns the parser of wire w.
func newParser(w *Conn) *parser {
	version := 0
	if w.ext {
		version = 2
	}
	return &parser{w: w, dec: wire.NewDecoder(w.limits.MaxFrame), neg: core.NewNegotiation(version)}
}

// item is one frame of a chunk, or a run: consecutive values of one call's
// stream (Response frames with terminator Chunk) whose payloads lie back to
// back in the chunk's payload block. A run is one item whatever its length:
// a chunk of a fast stream holds thousands of values, and a frame each
// (48 bytes with a pointer, routed one by one) was most of the reader's
// work.
type item struct {
	wire.Frame
	// ends is nil for a single frame. For a run, Payload holds len(*ends)
	// values and value i ends at (*ends)[i] (and begins where value i-1
	// ends). A pointer: a chunk holds few runs and many single frames,
	// whose items stay 16 bytes smaller.
	ends *[]uint32
}

// runEnds returns the ends of a run's values, nil for a single frame.
func (it *item) runEnds() []uint32 {
	if it.ends == nil {
		return nil
	}
	return *it.ends
}

// Item blocks: a chunk's items are collected in blocks that double in size
// up to maxFrameBlock, never copied to grow (a fast stream's chunk holds
// thousands of items, and guessing the count from the last chunk misfires
// when chunk sizes vary).
const (
	minFrameBlock = 1
	maxFrameBlock = 4096
)

// minArena is the size of a chunk's first payload block.
const minArena = 512

// parse decodes one chunk into fm's blocks of items, in order, with the
// payloads copied out of data (or handed over by the decoder). It returns
// the decoder's error if the chunk holds a malformed frame (the items
// before it are in fm).
func (p *parser) parse(data []byte, fm *chunkFrames) error {
	c := chunkParse{p: p, data: data}
	err := p.dec.FeedRuns(data, c.emit, &c.r)
	c.closeRun()
	c.end(fm)
	return err
}

// roomFrom is the fewest bytes a payload being gathered must still lack
// for the reader to read them in place (room): below it, a read into the
// chunk buffer costs less than the read it would take apart.
const roomFrom = 16 << 10

// room returns where the reader may read more of a large payload in place,
// straight into the decoder's buffer, or nil (see wire.Decoder.BodyRoom).
func (p *parser) room() []byte { return p.dec.BodyRoom(roomFrom) }

// parseRoom takes n bytes the reader read into room as parse takes a
// chunk: the payload's frame, once complete, goes to fm.
func (p *parser) parseRoom(n int, fm *chunkFrames) error {
	c := chunkParse{p: p}
	err := p.dec.BodyRead(n, c.emit)
	c.end(fm)
	return err
}

// chunkParse is parse's work on one chunk: the items so far, and the
// arena their payloads are copied to.
type chunkParse struct {
	p      *parser
	data   []byte   // the chunk
	blocks [][]item // the full blocks of items
	items  []item   // the block being filled
	// r.Payload is the arena: the payloads that lie in this chunk, copied
	// once. r.Ends holds the ends of the values of this chunk's runs, the
	// open run's from endsFrom on, counted from r.Base, where the open run
	// begins in the arena. The decoder appends the values that repeat the
	// open run's header to both (FeedRuns); emit appends the rest.
	r      wire.Run
	copied int // payload bytes in the arena blocks before r.Payload
	// The open run: the last item, a stream value whose payload is in the
	// arena, and the values that joined it since (nil: none is open). Its
	// ends and payload are stored in the item when it closes: per value
	// only r changes (no pointer store, so no write barrier, per value).
	runItem  *item
	endsFrom int
	msgs     int // messages other than pongs (each value of a run counts once)
}

// emit is the decoder's emit: it takes one frame of the chunk into the
// items, copying its payload to the arena if it aliases the chunk. A
// stream value (Response Chunk) whose payload lies in the chunk starts a
// run, or joins the open one when it is the same call's and its payload
// follows the run's in the arena; the decoder then appends the values
// after it to r.
func (c *chunkParse) emit(f wire.Frame) error {
	if (!c.p.neg.State().Settled() || f.Kind.IsExtension()) && c.p.hears(f.Kind) {
		return nil // a Call or Response after the handshake skips hears: the common case
	}
	if f.Kind != wire.KindPong {
		c.msgs++
	}
	from := -1
	if len(f.Payload) > 0 && !c.p.dec.Keep() {
		// The payload aliases the chunk: copy it, it travels to another
		// actor. A payload the decoder assembled across chunks is handed
		// over instead.
		if cap(c.r.Payload)-len(c.r.Payload) < len(f.Payload) {
			c.newArena(len(f.Payload))
		}
		from = len(c.r.Payload)
		c.r.Payload = append(c.r.Payload, f.Payload...)
		f.Payload = c.r.Payload[from:len(c.r.Payload):len(c.r.Payload)]
	}
	value := f.Kind == wire.KindResponse && f.Terminator == wire.TermChunk && from >= 0
	if value && c.runItem != nil && c.runItem.Procedure == f.Procedure && c.runItem.Call == f.Call &&
		c.r.Base+int(c.r.Ends[len(c.r.Ends)-1]) == from {
		// A value of the same call right after the run's: it joins.
		c.r.Ends = append(c.r.Ends, uint32(len(c.r.Payload)-c.r.Base))
		return nil
	}
	c.closeRun()
	if len(c.items) == cap(c.items) {
		c.newBlock()
	}
	c.items = append(c.items, item{Frame: f})
	if value {
		c.openRun(from, len(f.Payload))
	}
	return nil
}

// hears shows the kind of a frame to the negotiation while it matters
// (until the peer's announcements are over, and a go-away) and reports
// whether the parser keeps the frame to itself: an announcement, which
// turns the decoder's extensions on (version 1, then 2), or an extension
// byte from a peer that has not announced them, skipped. emit calls it
// for every frame until the handshake is over, then for extension kinds.
func (p *parser) hears(k wire.Kind) bool {
	if !p.neg.State().Settled() || k == wire.KindGoAway {
		was := p.neg.State()
		consumed := p.neg.Heard(k, p.dec)
		if s := p.neg.State(); s != was {
			p.w.peer.Store(uint32(s))
			if s.Settled() {
				p.w.announceLate()
				p.w.settle()
			}
		}
		if consumed {
			return true
		}
	}
	return k.IsExtension() && !p.neg.State().Ext()
}

// newArena starts a new arena block with room for at least n bytes. The
// payloads of one chunk are copied into a few blocks, each twice the last
// (a stream's chunk is mostly headers: a block the chunk's size would be
// mostly unused, and zeroed all the same), the first sized from the last
// chunk's payload bytes.
func (c *chunkParse) newArena(n int) {
	c.closeRun() // nothing in the old block is contiguous with the new
	c.copied += len(c.r.Payload)
	size := min(max(2*cap(c.r.Payload), minArena, c.p.lastPayload+c.p.lastPayload/4), len(c.data))
	c.r.Payload = make([]byte, 0, max(size, n))
}

// newBlock starts a new block of items, after the full one if any: the
// first sized from the last chunk's frames per KiB, each next twice the
// last, up to maxFrameBlock.
func (c *chunkParse) newBlock() {
	if c.items != nil {
		c.blocks = append(c.blocks, c.items)
	}
	size := 2 * cap(c.items)
	if c.items == nil {
		// Rounded up, as density is: one frame short, the chunk's last
		// frame would get a block twice this size.
		size = min((c.p.density*len(c.data)+1023)>>10, len(c.data)/4, 2*c.p.last+16)
	}
	c.items = make([]item, 0, min(max(size, minFrameBlock), maxFrameBlock))
}

// openRun makes the last item, a stream value whose n payload bytes begin
// at from in the arena, the open run.
func (c *chunkParse) openRun(from, n int) {
	if c.r.Ends == nil {
		// Room for twice as many values as the last chunk held, or as
		// many as this one can (a value's frame is at least 6 bytes):
		// grown by append from nothing, the block was copied a dozen
		// times per chunk.
		c.r.Ends = make([]uint32, 0, min(len(c.data)/6+1, 2*c.p.lastValues+16))
	}
	c.runItem, c.endsFrom, c.r.Base = &c.items[len(c.items)-1], len(c.r.Ends), from
	c.r.Ends = append(c.r.Ends, uint32(n))
}

// closeRun closes the open run, if any: a run of more than one value gets
// its ends and its payload, all its values' bytes.
func (c *chunkParse) closeRun() {
	if c.runItem == nil {
		return
	}
	if k := len(c.r.Ends); k-c.endsFrom > 1 {
		end := c.r.Base + int(c.r.Ends[k-1])
		ends := c.r.Ends[c.endsFrom:k:k]
		c.runItem.ends = &ends
		c.runItem.Payload = c.r.Payload[c.r.Base:end:end]
	}
	c.runItem = nil
}

// end counts the chunk's messages, records the sizes the next chunk's
// blocks start from, and hands the items over to fm.
func (c *chunkParse) end(fm *chunkFrames) {
	p := c.p
	if c.msgs > 0 {
		p.w.msgs.Add(uint64(c.msgs))
	}
	n := len(c.items)
	for _, b := range c.blocks {
		n += len(b)
	}
	if len(c.data) > 0 { // not a read in place (parseRoom)
		p.density, p.last = (n<<10+len(c.data)-1)/len(c.data), n
		p.lastValues, p.lastPayload = len(c.r.Ends), c.copied+len(c.r.Payload)
	}
	switch {
	case len(c.items) == 0:
	case c.blocks == nil:
		fm.one[0] = c.items
		fm.blocks = fm.one[:]
	default:
		fm.blocks = append(c.blocks, c.items)
	}
}
