package actors

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/wire"
)

// parserActor decodes a wire's byte chunks incrementally and routes the
// frames to the wire actor, which owns the routing table (so that routes are
// created and dropped in the one place that spawns and stops call actors).
// A malformed frame ends the wire.
type parserActor struct {
	w      *Conn
	dec    *wire.Decoder
	wire   *actor.PID
	failed bool
	ext    bool // the peer's announcement was read
	v2     bool // and its announcement of version 2
	heard  bool // a chunk was read (w.heard is closed)
	// announcing: the peer's announcements may not all be read yet
	// (Conn.settled is open).
	announcing bool
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

func (p *parserActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *chunkMsg:
		p.chunk(ctx, m)
	case *readEndedMsg:
		switch {
		case p.failed:
		case m.err == ErrPeerClosed:
			ctx.Send(p.wire, inputEndedMsg{}) // a half-close (Conn.endInput)
		default:
			ctx.Send(p.wire, &fatalMsg{cause: m.err})
		}
	}
}

func (p *parserActor) chunk(ctx actor.Context, m *chunkMsg) {
	defer m.consumed.Store(true)
	if p.failed {
		return
	}
	fm := &framesMsg{}
	err := p.parse(m.data, fm)
	switch {
	case !p.heard:
		// The peer's first bytes are in: whether it announced is known.
		// A peer of this project writes its announcements (f0 f9) before
		// anything else, so they are over too unless this chunk is f0
		// alone; then the next chunk ends them.
		p.heard = true
		close(p.w.heard)
		p.announcing = len(m.data) == 1 && m.data[0] == byte(wire.KindAnnounce)
		if !p.announcing {
			p.w.settle()
		}
	case p.announcing:
		p.announcing = false
		p.w.settle()
	}
	if len(fm.blocks) > 0 {
		ctx.Send(p.wire, fm)
	}
	if err != nil {
		p.failed = true
		ctx.Send(p.wire, &fatalMsg{cause: err})
	}
}

// parse decodes one chunk into fm's blocks of items, in order, with the
// payloads copied out of data (or handed over by the decoder). It returns
// the decoder's error if the chunk holds a malformed frame (the items
// before it are in fm).
func (p *parserActor) parse(data []byte, fm *framesMsg) error {
	var blocks [][]item
	var items []item // the block being filled
	// r.Payload is the arena: the payloads that lie in this chunk, copied
	// once. r.Ends holds the ends of the values of this chunk's runs, the
	// open run's from endsFrom on, counted from r.Base, where the open run
	// begins in the arena. The decoder appends the values that repeat the
	// open run's header to both (FeedRuns); emit appends the rest.
	var r wire.Run
	copied := 0 // payload bytes in the arena blocks before r.Payload
	// The open run: the last item, a stream value whose payload is in the
	// arena, and the values that joined it since. Its ends and payload are
	// stored in the item when it closes: per value only r changes (no
	// pointer store, so no write barrier, per value).
	var (
		runItem  *item
		endsFrom int
	)
	msgs := 0 // messages other than pongs (each value of a run counts once)
	closeRun := func() {
		if runItem == nil {
			return
		}
		if k := len(r.Ends); k-endsFrom > 1 {
			end := r.Base + int(r.Ends[k-1])
			ends := r.Ends[endsFrom:k:k]
			runItem.ends = &ends
			runItem.Payload = r.Payload[r.Base:end:end]
		}
		runItem = nil
	}
	emit := func(f wire.Frame) error {
		switch f.Kind {
		case wire.KindAnnounce:
			if p.w.ext && !p.ext {
				// Everything after this byte is from a peer with the
				// extensions: their messages carry headers from now on.
				p.ext = true
				p.dec.SetExtensions(true)
				p.w.peerExt.Store(true)
			}
			return nil
		case wire.KindAnnounce2:
			if p.ext && !p.v2 {
				// And version 2's (deadline, go-away) too.
				p.v2 = true
				p.dec.SetExtensionVersion(2)
				p.w.peerV2.Store(true)
			}
			return nil
		}
		if f.Kind.IsExtension() && !p.ext {
			return nil // a stray byte from a peer without extensions: skipped
		}
		if f.Kind != wire.KindPong {
			msgs++
		}
		from := -1
		if len(f.Payload) > 0 && !p.dec.Keep() {
			// The payload aliases the chunk: copy it, it travels to another
			// actor. The payloads of one chunk are copied into a few
			// blocks, each twice the last (a stream's chunk is mostly
			// headers: a block the chunk's size would be mostly unused,
			// and zeroed all the same); a payload the decoder assembled
			// across chunks is handed over instead.
			if cap(r.Payload)-len(r.Payload) < len(f.Payload) {
				closeRun() // nothing in the old block is contiguous with the new
				copied += len(r.Payload)
				size := min(max(2*cap(r.Payload), minArena, p.lastPayload+p.lastPayload/4), len(data))
				r.Payload = make([]byte, 0, max(size, len(f.Payload)))
			}
			from = len(r.Payload)
			r.Payload = append(r.Payload, f.Payload...)
			f.Payload = r.Payload[from:len(r.Payload):len(r.Payload)]
		}
		// Every Response Chunk whose payload lay in the chunk is a value
		// here, which starts or joins the open run: the decoder appends
		// the values after it to r.
		value := f.Kind == wire.KindResponse && f.Terminator == wire.TermChunk && from >= 0
		if value && runItem != nil && runItem.Procedure == f.Procedure && runItem.Call == f.Call &&
			r.Base+int(r.Ends[len(r.Ends)-1]) == from {
			// A value of the same call right after the run's: it joins.
			r.Ends = append(r.Ends, uint32(len(r.Payload)-r.Base))
			return nil
		}
		closeRun()
		if len(items) == cap(items) {
			if items != nil {
				blocks = append(blocks, items)
			}
			size := 2 * cap(items)
			if items == nil {
				// Rounded up, as density is: one frame short, the
				// chunk's last frame would get a block twice this size.
				size = min((p.density*len(data)+1023)>>10, len(data)/4, 2*p.last+16)
			}
			items = make([]item, 0, min(max(size, minFrameBlock), maxFrameBlock))
		}
		items = append(items, item{Frame: f})
		if value {
			if r.Ends == nil {
				// Room for twice as many values as the last chunk held, or
				// as many as this one can (a value's frame is at least 6
				// bytes): grown by append from nothing, the block was
				// copied a dozen times per chunk.
				r.Ends = make([]uint32, 0, min(len(data)/6+1, 2*p.lastValues+16))
			}
			runItem, endsFrom, r.Base = &items[len(items)-1], len(r.Ends), from
			r.Ends = append(r.Ends, uint32(len(f.Payload)))
		}
		return nil
	}
	err := p.dec.FeedRuns(data, emit, &r)
	closeRun()
	if msgs > 0 {
		p.w.msgs.Add(uint64(msgs))
	}
	n := len(items)
	for _, b := range blocks {
		n += len(b)
	}
	p.density, p.last = (n<<10+len(data)-1)/len(data), n
	p.lastValues, p.lastPayload = len(r.Ends), copied+len(r.Payload)
	switch {
	case len(items) == 0:
	case blocks == nil:
		fm.one[0] = items
		fm.blocks = fm.one[:]
	default:
		fm.blocks = append(blocks, items)
	}
	return err
}
