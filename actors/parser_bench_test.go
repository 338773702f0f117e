package actors

import (
	"testing"

	"github.com/ipfi-go/ipfi/wire"
)

// benchParse parses the chunks, in turn, with one parser, as a wire's
// reader hands them over; per chunk.
func benchParse(b *testing.B, chunks ...[]byte) {
	p := newParser(&Conn{ext: true, settled: make(chan struct{})})
	var fm chunkFrames
	if err := p.parse([]byte{byte(wire.KindAnnounce)}, &fm); err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, c := range chunks {
		n += len(c)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, c := range chunks {
			fm = chunkFrames{}
			if err := p.parse(c, &fm); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkParse: a chunk of one stream's small values (runs), a chunk of
// small calls (a frame each), and a large response split across chunks
// (the decoder assembles it).
func BenchmarkParse(b *testing.B) {
	b.Run("stream", func(b *testing.B) {
		var chunk []byte
		for i := range 4096 {
			chunk = wire.AppendFrame(chunk, wire.Frame{Kind: wire.KindResponse, Terminator: wire.TermChunk,
				Procedure: 3, Call: 1, Payload: []byte{0xcd, byte(i >> 8), byte(i)}})
		}
		benchParse(b, chunk)
	})
	b.Run("calls", func(b *testing.B) {
		payload := []byte{0xa4, 'J', 'o', 'h', 'n', 0xa3, 'D', 'o', 'e'}
		var chunk []byte
		for i := range 256 {
			chunk = wire.AppendHeader(chunk, wire.KindCall, wire.TermComplete, 1, uint64(i), len(payload))
			chunk = append(chunk, payload...)
			if i%16 == 0 {
				chunk = wire.AppendCredit(chunk, wire.KindResponseCredit, 1, uint64(i), 1<<16)
			}
		}
		benchParse(b, chunk)
	})
	b.Run("split", func(b *testing.B) {
		in := wire.AppendFrame(nil, wire.Frame{Kind: wire.KindResponse, Terminator: wire.TermComplete,
			Procedure: 3, Call: 300, Payload: make([]byte, 64<<10)})
		var chunks [][]byte
		for off := 0; off < len(in); off += 16 << 10 {
			chunks = append(chunks, in[off:min(off+16<<10, len(in))])
		}
		benchParse(b, chunks...)
	})
}
