package wire

import (
	"bytes"
	"testing"
)

// TestUnknownTypeBytes checks that an unknown type byte is emitted alone
// and that the next byte starts a new message.
func TestUnknownTypeBytes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Frame
	}{
		{"alone", "07", []Frame{{Kind: 7}}},
		{"then call", "07 01c0000000", []Frame{{Kind: 7}, h(KindCall, TermComplete, 0, 0)}},
		{"between messages", "01c0000000 ff 03 80", []Frame{h(KindCall, TermComplete, 0, 0), {Kind: 0xff}, {Kind: KindEndOfInput}, {Kind: 0x80}}},
		{"next byte is not a multiflag", "04 c0 00 03", []Frame{{Kind: 4}, {Kind: 0xc0}, {Kind: KindTermination}, {Kind: KindEndOfInput}}},
		{"run of unknowns", "10 11 12", []Frame{{Kind: 0x10}, {Kind: 0x11}, {Kind: 0x12}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(t, tt.in)
			for name, r := range map[string]result{
				"whole":    decodeChunks(t, 0, in),
				"bytewise": decodeBytewise(t, 0, in),
			} {
				if r.err != nil || r.buffered != 0 {
					t.Fatalf("%s: err %v, Buffered() %d", name, r.err, r.buffered)
				}
				if diff := sameFrames(r.frames, tt.want); diff != "" {
					t.Fatalf("%s: %s", name, diff)
				}
			}
			if got := encodeAll(tt.want); !bytes.Equal(got, in) {
				t.Errorf("re-encoded %x, want %x", got, in)
			}
		})
	}
}

// TestZeroCopy checks that a payload wholly inside the fed slice is a
// sub-slice of it whose capacity ends with the payload, and that decoding
// such frames allocates nothing.
func TestZeroCopy(t *testing.T) {
	in := AppendFrame(nil, h(KindResponse, TermComplete, 1, 2, 'a', 'b', 'c'))
	in = AppendFrame(in, h(KindCall, TermChunk, 3, 4, 'd'))
	d := NewDecoder(0)
	var got []Frame
	err := d.Feed(in, func(f Frame) error { got = append(got, f); return nil })
	if err != nil || len(got) != 2 {
		t.Fatalf("err %v, %d frames", err, len(got))
	}
	if &got[0].Payload[0] != &in[5] || cap(got[0].Payload) != 3 {
		t.Errorf("first payload does not alias the input (cap %d)", cap(got[0].Payload))
	}
	if &got[1].Payload[0] != &in[len(in)-1] {
		t.Errorf("second payload does not alias the input")
	}

	emit := func(Frame) error { return nil }
	allocs := testing.AllocsPerRun(1000, func() {
		if err := d.Feed(in, emit); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per Feed", allocs)
	}
}

// TestBodyReadInPlace: the rest of a large payload read straight into
// BodyRoom's room, in reads of varying sizes, arrives whole and in order,
// with the bytes held never more than twice those arrived; the frame after
// it goes through Feed as usual.
func TestBodyReadInPlace(t *testing.T) {
	const n = 1 << 20
	payload := make([]byte, n)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	in := AppendFrame(nil, h(KindResponse, TermComplete, 3, 9, payload...))
	in = AppendFrame(in, h(KindResponse, TermComplete, 3, 10, 1, 2, 3))
	d := NewDecoder(0)
	var got []Frame
	if err := d.Feed(in[:1000], collect(&got)); err != nil {
		t.Fatal(err)
	}
	at, reads := 1000, 0
	for room := d.BodyRoom(1); room != nil; room = d.BodyRoom(1) {
		k := copy(room, in[at:at+min(len(room), 1+reads*3001%70000)])
		at += k
		reads++
		if err := d.BodyRead(k, collect(&got)); err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 {
			break
		}
		held := cap(d.buf)
		for _, seg := range d.stage {
			held += cap(seg)
		}
		if held > max(2*d.got(), minBufferCap) || held > n {
			t.Fatalf("after %d bytes: %d held", d.got(), held)
		}
	}
	if d.BodyRoom(1) != nil {
		t.Error("room offered between frames")
	}
	if err := d.Feed(in[at:], collect(&got)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !bytes.Equal(got[0].Payload, payload) || got[0].Call != 9 || !bytes.Equal(got[1].Payload, []byte{1, 2, 3}) {
		t.Fatalf("%d frames; the first intact: %v", len(got), len(got) > 0 && bytes.Equal(got[0].Payload, payload))
	}
	if reads < 10 {
		t.Errorf("%d reads in place, want the payload's rest in many", reads)
	}
}

// TestBufferGrowsWithInput feeds a large frame in small pieces and checks
// that the buffer never runs ahead of the bytes received by more than
// twice, never exceeds the declared length, and is dropped once the frame
// is emitted.
func TestBufferGrowsWithInput(t *testing.T) {
	const n = 300 << 10
	payload := bytes.Repeat([]byte{7}, n)
	in := AppendFrame(nil, h(KindCall, TermComplete, 1, 1, payload...))
	d := NewDecoder(0)
	var got []Frame
	for i := 0; i < len(in); i += 1000 {
		if err := d.Feed(in[i:min(i+1000, len(in))], collect(&got)); err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			c := cap(d.buf)
			for _, seg := range d.stage {
				c += cap(seg)
			}
			if c > max(2*d.got(), minBufferCap) || c > n {
				t.Fatalf("after %d bytes: %d buffered, capacity %d", i+1000, d.got(), c)
			}
			if d.Buffered() != min(i+1000, len(in)) {
				t.Fatalf("Buffered() = %d after %d bytes", d.Buffered(), i+1000)
			}
		}
	}
	if len(got) != 1 || !bytes.Equal(got[0].Payload, payload) {
		t.Fatalf("%d frames", len(got))
	}
	if d.buf != nil || d.Buffered() != 0 {
		t.Errorf("after a %d-byte frame: buffer cap %d, Buffered() %d", n, cap(d.buf), d.Buffered())
	}

	// A small split frame keeps its buffer for the next one.
	small := AppendFrame(nil, h(KindResponse, TermComplete, 0, 0, bytes.Repeat([]byte{1}, 100)...))
	if err := d.Feed(small[:50], collect(&got)); err != nil {
		t.Fatal(err)
	}
	if err := d.Feed(small[50:], collect(&got)); err != nil {
		t.Fatal(err)
	}
	if cap(d.buf) == 0 || cap(d.buf) > keepBufferCap {
		t.Errorf("small frame's buffer capacity %d", cap(d.buf))
	}
}

// TestBufferedAndReset checks Buffered through a frame's header and
// payload, and that Reset forgets a partial frame.
func TestBufferedAndReset(t *testing.T) {
	in := AppendFrame(nil, h(KindCall, TermComplete, 300, 70000, 1, 2, 3))
	d := NewDecoder(0)
	var got []Frame
	for i := range in {
		if d.Buffered() != i {
			t.Fatalf("Buffered() = %d after %d bytes", d.Buffered(), i)
		}
		if err := d.Feed(in[i:i+1], collect(&got)); err != nil {
			t.Fatal(err)
		}
	}
	if d.Buffered() != 0 || len(got) != 1 {
		t.Fatalf("Buffered() = %d, %d frames", d.Buffered(), len(got))
	}

	if err := d.Feed(in[:len(in)-1], collect(&got)); err != nil {
		t.Fatal(err)
	}
	d.Reset()
	if d.Buffered() != 0 || d.buf != nil {
		t.Fatalf("after Reset: Buffered() = %d, buffer %v", d.Buffered(), d.buf)
	}
	got = nil
	if err := d.Feed(unhex(t, "03"), collect(&got)); err != nil || len(got) != 1 || got[0].Kind != KindEndOfInput {
		t.Fatalf("after Reset: err %v, frames %s", err, fmtFrames(got))
	}
}

// TestNewDecoderLimit checks the default limit.
func TestNewDecoderLimit(t *testing.T) {
	for _, max := range []int{0, -1} {
		if d := NewDecoder(max); d.max != DefaultMaxPayload {
			t.Errorf("NewDecoder(%d) limit %d, want %d", max, d.max, DefaultMaxPayload)
		}
	}
	if d := NewDecoder(10); d.max != 10 {
		t.Errorf("NewDecoder(10) limit %d", d.max)
	}
}

// TestKeepHandsOverTheBuffer: a split frame's payload may be kept (the
// decoder then assembles the next one elsewhere); a payload that aliases
// the input may not.
func TestKeepHandsOverTheBuffer(t *testing.T) {
	d := NewDecoder(0)
	one := AppendFrame(nil, h(KindResponse, TermComplete, 0, 0, bytes.Repeat([]byte{1}, 100)...))
	two := AppendFrame(nil, h(KindResponse, TermComplete, 0, 1, bytes.Repeat([]byte{2}, 100)...))
	var kept [][]byte
	keep := func(f Frame) error {
		if !d.Keep() {
			t.Fatalf("Keep refused a payload assembled in the decoder's buffer")
		}
		kept = append(kept, f.Payload)
		return nil
	}
	for _, in := range [][]byte{one, two} {
		if err := d.Feed(in[:50], keep); err != nil {
			t.Fatal(err)
		}
		if err := d.Feed(in[50:], keep); err != nil {
			t.Fatal(err)
		}
	}
	if len(kept) != 2 || !bytes.Equal(kept[0], bytes.Repeat([]byte{1}, 100)) || !bytes.Equal(kept[1], bytes.Repeat([]byte{2}, 100)) {
		t.Fatalf("kept payloads were overwritten: %v", kept)
	}
	whole := 0
	if err := d.Feed(one, func(Frame) error {
		if d.Keep() {
			t.Errorf("Keep accepted a payload that aliases the input")
		}
		whole++
		return nil
	}); err != nil || whole != 1 {
		t.Fatalf("whole frame: %d frames, %v", whole, err)
	}
	if d.Keep() {
		t.Errorf("Keep outside emit returned true")
	}
}

// TestFeedRunsTakesRepeatedHeaders checks which frames FeedRuns takes into
// its Run: the values after an emitted stream value that repeat its header
// and fit the room, and no other frame; and that it decodes what Feed
// decodes.
func TestFeedRunsTakesRepeatedHeaders(t *testing.T) {
	value := func(call uint64, b ...byte) Frame { return h(KindResponse, TermChunk, 3, call, b...) }
	var in []byte
	for _, f := range []Frame{
		value(1, 'a'), value(1, 'b'), value(1, 'c', 'd'), // two taken
		value(2, 'e'), value(1, 'f'), value(1, 'g'), // another call: emitted; then f emitted, g taken
		h(KindResponse, TermChunk, 3, 1), value(1, 'h'), // an empty value ends a run
		value(1, 'i'), value(1, 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q'), // too big for the room: emitted
		value(300, 'r'), value(300, 's'), // a wider header repeats too
		h(KindResponse, TermComplete, 3, 300, 't'), h(KindCall, TermChunk, 3, 300, 'u'),
	} {
		in = AppendFrame(in, f)
	}
	want := decodeChunks(t, 0, in)
	got, taken := decodeRunsExt(t, 0, extOff, 4, in)
	if got.err != nil || want.err != nil {
		t.Fatalf("FeedRuns: %v; Feed: %v", got.err, want.err)
	}
	if diff := sameFrames(got.frames, want.frames); diff != "" {
		t.Fatal(diff)
	}
	// b, c-d, g, i, s.
	if taken != 5 {
		t.Errorf("took %d values into the run, want 5", taken)
	}
	if _, none := decodeRunsExt(t, 0, extOff, 0, in); none != 0 {
		t.Errorf("took %d values into a run without room", none)
	}
	// Split anywhere, it decodes the same (values split across Feeds are
	// emitted).
	for s := range len(in) + 1 {
		r, _ := decodeRunsExt(t, 0, extOff, 4, in[:s], in[s:])
		if diff := sameFrames(r.frames, want.frames); r.err != nil || diff != "" {
			t.Fatalf("split at %d: err %v %s", s, r.err, diff)
		}
	}
}

// TestDeclaredLengthIsNotTrusted: a frame that declares a payload the
// decoder would allocate at once (up to eagerBufferCap) and sends a few
// bytes of it makes the decoder hold no more than a small buffer; the
// declared length is allocated once an eighth of it has arrived.
func TestDeclaredLengthIsNotTrusted(t *testing.T) {
	d := NewDecoder(0)
	hdr := AppendHeader(nil, KindCall, TermComplete, 1, 0, eagerBufferCap)
	emit := func(Frame) error { t.Fatal("a frame was emitted before its payload arrived"); return nil }
	if err := d.Feed(append(hdr, make([]byte, 15)...), emit); err != nil {
		t.Fatal(err)
	}
	if c := cap(d.buf); c > minBufferCap {
		t.Fatalf("after 15 bytes of a %d-byte payload the decoder holds %d bytes, want at most %d", eagerBufferCap, c, minBufferCap)
	}
	if err := d.Feed(make([]byte, eagerBufferCap/8), emit); err != nil {
		t.Fatal(err)
	}
	if c := cap(d.buf); c != eagerBufferCap {
		t.Fatalf("after an eighth of the payload the buffer is %d bytes, want the declared %d", c, eagerBufferCap)
	}
}

// TestLargePieceGetsRoom: a large Call piece that more pieces will follow
// (terminator None), split across Feeds, is delivered in a buffer with room
// for an eighth more (where the receiver appends a small last piece); a
// Complete one in a buffer of its length.
func TestLargePieceGetsRoom(t *testing.T) {
	const n = 1 << 20
	for _, term := range []Terminator{TermNone, TermComplete} {
		in := AppendFrame(nil, h(KindCall, term, 1, 1, bytes.Repeat([]byte{3}, n)...))
		d := NewDecoder(0)
		var got []Frame
		keep := func(f Frame) error { // the payload as delivered, kept
			if !d.Keep() {
				t.Fatal("a payload split across Feeds is not the decoder's buffer")
			}
			got = append(got, f)
			return nil
		}
		for i := 0; i < len(in); i += 64 << 10 {
			if err := d.Feed(in[i:min(i+64<<10, len(in))], keep); err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != 1 || !bytes.Equal(got[0].Payload, bytes.Repeat([]byte{3}, n)) {
			t.Fatalf("terminator %v: %d frames", term, len(got))
		}
		want := n
		if term == TermNone {
			want += n / pieceRoom
		}
		if c := cap(got[0].Payload); c != want {
			t.Errorf("terminator %v: payload capacity %d, want %d", term, c, want)
		}
	}
}
