package wire

import (
	"errors"
	"testing"

	"github.com/ipfi-go/ipfi/internal/vectors"
)

// FuzzDecoder checks the decoder on arbitrary input: it never panics, never
// emits a payload over its limit, decodes the input split anywhere as it
// decodes it whole, and decodes the re-encoding of its frames to the same
// frames.
func FuzzDecoder(f *testing.F) {
	for _, v := range vectors.All() {
		f.Add(v.Bytes, uint16(len(v.Bytes)/2), uint16(1024))
	}
	seeds := []Frame{
		h(KindCall, TermNone, 1, 0, 0xa4, 'J', 'o', 'h', 'n'),
		h(KindResponse, TermChunk, 3, 0, 0),
		h(KindCall, TermComplete, 300, 70000, make([]byte, 300)...),
		h(KindResponse, TermComplete, 1<<32, 1<<40),
		{Kind: KindEndOfInput}, {Kind: KindTermination}, {Kind: 0x10},
	}
	for i, fr := range seeds {
		b := AppendFrame(nil, fr)
		f.Add(b, uint16(i), uint16(256))
		f.Add(append(b, AppendFrame(nil, seeds[(i+1)%len(seeds)])...), uint16(len(b)), uint16(4096))
	}
	f.Add([]byte{0x01, 0x80, 0, 0, 0}, uint16(1), uint16(10))
	f.Add([]byte{0x01, 0x00, 0, 0, 0}, uint16(3), uint16(10))
	f.Add([]byte{0x02, 0xf0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40}, uint16(5), uint16(10))

	f.Fuzz(func(t *testing.T, data []byte, split, limit uint16) {
		max := int(limit) + 1
		s := int(split) % (len(data) + 1)

		whole := decodeChunks(t, max, data)
		for _, fr := range whole.frames {
			if len(fr.Payload) > max {
				t.Fatalf("emitted a %d-byte payload, limit %d", len(fr.Payload), max)
			}
			if fr.Kind == KindCall && fr.Terminator == TermNone && len(fr.Payload) == 0 {
				t.Fatalf("emitted an empty call with terminator none")
			}
		}
		if whole.err != nil && !isMalformed(whole.err) {
			t.Fatalf("error %v does not wrap ErrMalformed", whole.err)
		}

		parts := map[string]result{"split": decodeChunks(t, max, data[:s], data[s:])}
		if len(data) <= 512 {
			parts["bytewise"] = decodeBytewise(t, max, data)
		}
		for name, r := range parts {
			if (r.err == nil) != (whole.err == nil) || !sameError(r.err, whole.err) ||
				errors.Is(r.err, ErrFrameTooLarge) != errors.Is(whole.err, ErrFrameTooLarge) {
				t.Fatalf("%s at %d: err %v, whole: %v", name, s, r.err, whole.err)
			}
			if diff := sameFrames(r.frames, whole.frames); diff != "" {
				t.Fatalf("%s at %d: %s", name, s, diff)
			}
			if whole.err == nil && r.buffered != whole.buffered {
				t.Fatalf("%s at %d: Buffered() %d, whole %d", name, s, r.buffered, whole.buffered)
			}
		}

		again := encodeAll(whole.frames)
		n := 0
		for _, fr := range whole.frames {
			n += EncodedLen(fr)
		}
		if n != len(again) {
			t.Fatalf("sum of EncodedLen %d, encoded %d bytes", n, len(again))
		}
		re := decodeChunks(t, max, again)
		if re.err != nil || re.buffered != 0 {
			t.Fatalf("re-encoded frames: err %v, Buffered() %d", re.err, re.buffered)
		}
		if diff := sameFrames(re.frames, whole.frames); diff != "" {
			t.Fatalf("re-encoded frames: %s", diff)
		}
	})
}
