package wire

import (
	"bytes"
	"math"
	"testing"
)

// edgeValues sit on both sides of every width boundary.
var edgeValues = []uint64{0, 255, 256, 65535, 65536, 1<<32 - 1, 1 << 32, math.MaxUint64}

// TestRoundTripWidths encodes frames with every combination of index
// widths, payload lengths and terminators, and decodes them back whole and
// one byte at a time.
func TestRoundTripWidths(t *testing.T) {
	payload := bytes.Repeat([]byte{0x5a}, 70000)
	lengths := []int{0, 1, 255, 256, 65535, 65536, 70000}
	for _, k := range []Kind{KindCall, KindResponse} {
		for _, term := range []Terminator{TermNone, TermChunk, TermComplete} {
			for _, proc := range edgeValues {
				for _, call := range edgeValues {
					for _, n := range lengths {
						f := Frame{Kind: k, Terminator: term, Procedure: proc, Call: call}
						if n > 0 {
							f.Payload = payload[:n]
						}
						checkRoundTrip(t, f)
					}
				}
			}
		}
	}
}

// checkRoundTrip encodes f, checks its length and widths, and decodes it
// (with extensions on for an extension kind).
func checkRoundTrip(t *testing.T, f Frame) {
	t.Helper()
	b := AppendFrame(nil, f)
	if EncodedLen(f) != len(b) {
		t.Fatalf("%s: EncodedLen %d, encoded %d bytes", fmtFrame(f), EncodedLen(f), len(b))
	}
	hlen := 2 + minWidth(f.Procedure) + minWidth(f.Call) + minWidth(uint64(len(f.Payload)))
	if len(b) != hlen+len(f.Payload) {
		t.Fatalf("%s: %d bytes, want header %d + payload %d", fmtFrame(f), len(b), hlen, len(f.Payload))
	}
	if hdr := AppendHeader(nil, f.Kind, f.Terminator, f.Procedure, f.Call, len(f.Payload)); !bytes.Equal(hdr, b[:hlen]) {
		t.Fatalf("%s: AppendHeader %x, AppendFrame header %x", fmtFrame(f), hdr, b[:hlen])
	}
	mode := extOff
	if f.Kind.IsExtension() {
		mode = extOn
	}
	r := decodeChunksExt(t, 0, mode, b)
	if f.Kind == KindCall && f.Terminator == TermNone && len(f.Payload) == 0 {
		if !isMalformed(r.err) {
			t.Fatalf("%s: err %v, want ErrMalformed", fmtFrame(f), r.err)
		}
		return
	}
	if r.err != nil || r.buffered != 0 {
		t.Fatalf("%s: err %v, Buffered() %d", fmtFrame(f), r.err, r.buffered)
	}
	if diff := sameFrames(r.frames, []Frame{f}); diff != "" {
		t.Fatal(diff)
	}
	if len(b) < 64 {
		if r := decodeBytewiseExt(t, 0, mode, b); r.err != nil || sameFrames(r.frames, []Frame{f}) != "" {
			t.Fatalf("%s bytewise: err %v, frames %s", fmtFrame(f), r.err, fmtFrames(r.frames))
		}
	}
}

// minWidth is the smallest byte width holding v.
func minWidth(v uint64) int {
	switch {
	case v < 1<<8:
		return 1
	case v < 1<<16:
		return 2
	case v < 1<<32:
		return 4
	}
	return 8
}

// TestAppendHeaderEncodings pins header bytes for every width of every
// field, including a u64 payload length that cannot be materialized.
func TestAppendHeaderEncodings(t *testing.T) {
	big := uint64(1<<62 + 5) // a u64 length, only an int on 64-bit platforms
	tests := []struct {
		name            string
		kind            Kind
		term            Terminator
		procedure, call uint64
		n               int
		want            string
	}{
		{"all u8 none", KindCall, TermNone, 1, 2, 3, "0100010203"},
		{"chunk", KindResponse, TermChunk, 0, 0, 0, "0240000000"},
		{"complete", KindResponse, TermComplete, 0, 0, 0, "02c0000000"},
		{"procedure u16", KindCall, TermComplete, 300, 0, 0, "01c22c010000"},
		{"procedure u32", KindCall, TermComplete, 65536, 0, 0, "01c1000001000000"},
		{"procedure u64", KindCall, TermComplete, 1 << 32, 0, 0, "01c300000000010000000000"},
		{"call u16", KindCall, TermComplete, 4, 256, 2, "01c804000102"},
		{"call u32", KindCall, TermComplete, 0, 1<<32 - 1, 0, "01c400ffffffff00"},
		{"call u64", KindCall, TermComplete, 0, math.MaxUint64, 0, "01cc00ffffffffffffffff00"},
		{"length u16", KindCall, TermComplete, 2, 1, 303, "01e002012f01"},
		{"length u32", KindCall, TermComplete, 2, 2, 70000, "01d0020270110100"},
		{"all u64", KindResponse, TermComplete, math.MaxUint64, 1 << 40, int(big), "02ff" +
			"ffffffffffffffff" + "0000000000010000" + "0500000000000040"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if uint64(tt.n) != big && tt.name == "all u64" {
				t.Skip("payload length does not fit an int")
			}
			got := hexOf(AppendHeader([]byte{}, tt.kind, tt.term, tt.procedure, tt.call, tt.n))
			if got != tt.want {
				t.Errorf("AppendHeader = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestAppendFrameAppends checks that AppendFrame extends dst rather than
// overwriting it, and writes bodiless kinds as one byte.
func TestAppendFrameAppends(t *testing.T) {
	b := []byte{0xaa}
	b = AppendFrame(b, Frame{Kind: KindEndOfInput, Procedure: 9, Payload: []byte{1}})
	b = AppendFrame(b, Frame{Kind: Kind(0x42)})
	b = AppendFrame(b, h(KindResponse, TermComplete, 0, 0, 0x2a))
	if got, want := hexOf(b), "aa034202c00000012a"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestAppendHeaderPanics checks the programming errors AppendHeader
// refuses.
func TestAppendHeaderPanics(t *testing.T) {
	tests := map[string]func(){
		"negative length":    func() { AppendHeader(nil, KindCall, TermComplete, 0, 0, -1) },
		"invalid terminator": func() { AppendHeader(nil, KindCall, Terminator(3), 0, 0, 0) },
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			fn()
		})
	}
}
