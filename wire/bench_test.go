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
