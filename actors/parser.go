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
	w      *Wire
	dec    *wire.Decoder
	wire   *actor.PID
	failed bool
	ext    bool // the peer's announcement was read
	heard  bool // a chunk was read (w.heard is closed)
	// density is how many frames the previous chunk held per KiB: the next
	// chunk's frame slice is allocated for its size at that density (a fast
	// stream's chunks hold thousands each; growing the slice from nothing
	// cost a tenth of its CPU).
	density int
}

// minArena is the size of a chunk's first payload block.
const minArena = 512

func (p *parserActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *chunkMsg:
		p.chunk(ctx, m)
	case *readEndedMsg:
		if !p.failed {
			ctx.Send(p.wire, &fatalMsg{cause: m.err})
		}
	}
}

func (p *parserActor) chunk(ctx actor.Context, m *chunkMsg) {
	defer m.consumed.Store(true)
	if p.failed {
		return
	}
	var frames []wire.Frame
	// A frame with a payload takes at least 4 bytes: no guess beyond that.
	if guess := min(p.density*len(m.data)>>10, len(m.data)/4); guess > 1 {
		frames = make([]wire.Frame, 0, guess+guess/8)
	}
	var arena []byte // the payloads that lie in this chunk, copied once
	err := p.dec.Feed(m.data, func(f wire.Frame) error {
		if f.Kind == wire.KindAnnounce {
			if p.w.ext && !p.ext {
				// Everything after this byte is from a peer with the
				// extensions: their messages carry headers from now on.
				p.ext = true
				p.dec.SetExtensions(true)
				p.w.peerExt.Store(true)
			}
			return nil
		}
		if f.Kind.IsExtension() && !p.ext {
			return nil // a stray byte from a peer without extensions: skipped
		}
		if len(f.Payload) > 0 && !p.dec.Keep() {
			// The payload aliases the chunk: copy it, it travels to another
			// actor. The payloads of one chunk are copied into a few
			// blocks, each twice the last (a stream's chunk is mostly
			// headers: a block the chunk's size would be mostly unused,
			// and zeroed all the same); a payload the decoder assembled
			// across chunks is handed over instead.
			if cap(arena)-len(arena) < len(f.Payload) {
				size := min(max(2*cap(arena), minArena), len(m.data))
				arena = make([]byte, 0, max(size, len(f.Payload)))
			}
			n := len(arena)
			arena = append(arena, f.Payload...)
			f.Payload = arena[n:len(arena):len(arena)]
		}
		frames = append(frames, f)
		return nil
	})
	if !p.heard {
		// The peer's first bytes are in: whether it announced is settled.
		p.heard = true
		close(p.w.heard)
	}
	p.density = len(frames) << 10 / len(m.data)
	if len(frames) > 0 {
		ctx.Send(p.wire, &framesMsg{frames: frames})
	}
	if err != nil {
		p.failed = true
		ctx.Send(p.wire, &fatalMsg{cause: err})
	}
}
