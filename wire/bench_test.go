package wire

import (
	"fmt"
	"testing"
)

// benchSizes are the payload sizes every benchmark runs.
var benchSizes = []int{16, 64 << 10}

// benchFrame is a typical response carrying n payload bytes.
func benchFrame(n int) Frame {
	return Frame{Kind: KindResponse, Terminator: TermComplete, Procedure: 3, Call: 300, Payload: make([]byte, n)}
}

func BenchmarkAppendFrame(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("payload=%d", n), func(b *testing.B) {
			f := benchFrame(n)
			buf := make([]byte, 0, EncodedLen(f))
			b.ResetTimer()
			b.ReportAllocs()
			b.SetBytes(int64(EncodedLen(f)))
			for i := 0; i < b.N; i++ {
				buf = AppendFrame(buf[:0], f)
			}
		})
	}
}

func BenchmarkDecoderFeed(b *testing.B) {
	for _, n := range benchSizes {
		in := AppendFrame(nil, benchFrame(n))
		emit := func(Frame) error { return nil }
		// whole: each Feed holds one complete frame (zero copy).
		// split: each frame arrives in 4 KiB pieces (buffered copy).
		for _, piece := range []int{len(in), 4 << 10} {
			name := fmt.Sprintf("payload=%d/whole", n)
			if piece < len(in) {
				name = fmt.Sprintf("payload=%d/split=%d", n, piece)
			} else if piece != len(in) {
				continue
			}
			b.Run(name, func(b *testing.B) {
				d := NewDecoder(0)
				b.ResetTimer()
				b.ReportAllocs()
				b.SetBytes(int64(len(in)))
				for i := 0; i < b.N; i++ {
					for off := 0; off < len(in); off += piece {
						if err := d.Feed(in[off:min(off+piece, len(in))], emit); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}

// BenchmarkStreamValues decodes a chunk of 4,096 small values of one
// stream (as a reader gets them) with Feed, emitting a frame per value,
// and with FeedRuns, taking them into a Run; per value.
func BenchmarkStreamValues(b *testing.B) {
	const values = 4096
	var in []byte
	for i := range values {
		in = AppendFrame(in, Frame{Kind: KindResponse, Terminator: TermChunk, Procedure: 3, Call: 1,
			Payload: []byte{0xcd, byte(i >> 8), byte(i)}})
	}
	var arena []byte
	emit := func(f Frame) error { arena = append(arena, f.Payload...); return nil }
	b.Run("Feed", func(b *testing.B) {
		d := NewDecoder(0)
		arena = make([]byte, 0, 3*values)
		b.ReportAllocs()
		for range b.N / values {
			arena = arena[:0]
			if err := d.Feed(in, emit); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FeedRuns", func(b *testing.B) {
		d := NewDecoder(0)
		r := Run{Payload: make([]byte, 0, 3*values), Ends: make([]uint32, 0, values)}
		b.ReportAllocs()
		for range b.N / values {
			r.Payload, r.Ends = r.Payload[:0], r.Ends[:0]
			if err := d.FeedRuns(in, func(f Frame) error { return nil }, &r); err != nil {
				b.Fatal(err)
			}
			if len(r.Ends) != values-1 {
				b.Fatalf("%d values in the run, want %d", len(r.Ends), values-1)
			}
		}
	})
}
