package wire

import (
	"errors"
	"testing"

	"github.com/ipfi-go/ipfi/internal/vectors"
)

// FuzzDecoder checks the decoder on arbitrary input, with extensions off, on
// from the start, and turned on by a KindAnnounce frame from inside emit (as
// the actors layer does): it never panics, never emits a payload over its
// limit, decodes the input split anywhere as it decodes it whole, and
// decodes the re-encoding of its frames to the same frames. The extension
// body parsers never panic on what it emits.
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
	// Extension messages, alone, after an announce, and with a call between.
	for i, v := range extensionVectors(f) {
		f.Add(v.bytes, uint16(i), uint16(64))
		withAnnounce := append([]byte{byte(KindAnnounce)}, v.bytes...)
		f.Add(withAnnounce, uint16(i+1), uint16(64))
		f.Add(append(withAnnounce, vectors.Get("call_p0_noargs")...), uint16(2*i), uint16(1024))
	}
	f.Add([]byte{0xf0, 0xf3, 0x80, 0, 0, 0}, uint16(2), uint16(10))

	f.Fuzz(func(t *testing.T, data []byte, split, limit uint16) {
		for _, mode := range []extMode{extOff, extOn, extOnAnnounce} {
			fuzzDecode(t, mode, data, split, limit)
		}
	})
}

// fuzzDecode is FuzzDecoder's check with extensions handled as mode says.
func fuzzDecode(t *testing.T, mode extMode, data []byte, split, limit uint16) {
	max := int(limit) + 1
	s := int(split) % (len(data) + 1)

	whole := decodeChunksExt(t, max, mode, data)
	fuzzCheckWhole(t, mode, whole, max)
	fuzzCheckParts(t, mode, data, s, max, whole)
	fuzzCheckRuns(t, mode, data, s, max, whole)
	fuzzCheckReencoded(t, mode, max, whole)
}

// fuzzCheckWhole checks the input decoded whole: no payload over max, no
// empty call with terminator none, extension bodies parsed without a
// panic, and any error wraps ErrMalformed.
func fuzzCheckWhole(t *testing.T, mode extMode, whole result, max int) {
	t.Helper()
	for _, fr := range whole.frames {
		if len(fr.Payload) > max {
			t.Fatalf("%s: emitted a %d-byte payload, limit %d", mode, len(fr.Payload), max)
		}
		if fr.Kind == KindCall && fr.Terminator == TermNone && len(fr.Payload) == 0 {
			t.Fatalf("%s: emitted an empty call with terminator none", mode)
		}
		switch fr.Kind {
		case KindError:
			_, _, _ = ParseError(fr)
		case KindResponseCredit, KindArgumentCredit:
			_, _ = ParseCredit(fr)
		}
	}
	if whole.err != nil && !isMalformed(whole.err) {
		t.Fatalf("%s: error %v does not wrap ErrMalformed", mode, whole.err)
	}
}

// fuzzCheckParts decodes data split at s, in place and byte by byte (if
// short), and expects the error, frames and bytes held of the whole decode.
func fuzzCheckParts(t *testing.T, mode extMode, data []byte, s, max int, whole result) {
	t.Helper()
	parts := map[string]result{
		"split":         decodeChunksExt(t, max, mode, data[:s], data[s:]),
		"in place":      decodeInPlaceExt(t, max, mode, data, 1+s%97),
		"in place 4096": decodeInPlaceExt(t, max, mode, data, 4096),
	}
	if len(data) <= 512 {
		parts["bytewise"] = decodeBytewiseExt(t, max, mode, data)
	}
	for name, r := range parts {
		if (r.err == nil) != (whole.err == nil) || !sameError(r.err, whole.err) ||
			errors.Is(r.err, ErrFrameTooLarge) != errors.Is(whole.err, ErrFrameTooLarge) {
			t.Fatalf("%s: %s at %d: err %v, whole: %v", mode, name, s, r.err, whole.err)
		}
		if diff := sameFrames(r.frames, whole.frames); diff != "" {
			t.Fatalf("%s: %s at %d: %s", mode, name, s, diff)
		}
		if whole.err == nil && r.buffered != whole.buffered {
			t.Fatalf("%s: %s at %d: Buffered() %d, whole %d", mode, name, s, r.buffered, whole.buffered)
		}
	}
}

// fuzzCheckRuns checks that FeedRuns decodes the same frames as Feed,
// whatever room its Run offers.
func fuzzCheckRuns(t *testing.T, mode extMode, data []byte, s, max int, whole result) {
	t.Helper()
	for _, room := range []int{0, 1, 7, 600} {
		r, _ := decodeRunsExt(t, max, mode, room, data[:s], data[s:])
		if !sameError(r.err, whole.err) || errors.Is(r.err, ErrFrameTooLarge) != errors.Is(whole.err, ErrFrameTooLarge) {
			t.Fatalf("%s: FeedRuns (room %d) at %d: err %v, Feed: %v", mode, room, s, r.err, whole.err)
		}
		if diff := sameFrames(r.frames, whole.frames); diff != "" {
			t.Fatalf("%s: FeedRuns (room %d) at %d: %s", mode, room, s, diff)
		}
	}
}

// fuzzCheckReencoded checks EncodedLen against AppendFrame for each frame
// of the whole decode, and that their re-encoding decodes to the same
// frames.
func fuzzCheckReencoded(t *testing.T, mode extMode, max int, whole result) {
	t.Helper()
	again := encodeAllExt(whole.frames, mode)
	for _, fr := range whole.frames {
		if n, b := EncodedLen(fr), AppendFrame(nil, fr); n != len(b) {
			t.Fatalf("%s: EncodedLen(%s) = %d, encoded %d bytes", mode, fmtFrame(fr), n, len(b))
		}
	}
	re := decodeChunksExt(t, max, mode, again)
	if re.err != nil || re.buffered != 0 {
		t.Fatalf("%s: re-encoded frames: err %v, Buffered() %d", mode, re.err, re.buffered)
	}
	if diff := sameFrames(re.frames, whole.frames); diff != "" {
		t.Fatalf("%s: re-encoded frames: %s", mode, diff)
	}
}
