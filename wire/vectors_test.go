package wire

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"

	"github.com/ipfi-go/ipfi/internal/vectors"
)

// h builds a Call or Response frame.
func h(k Kind, t Terminator, procedure, call uint64, payload ...byte) Frame {
	if len(payload) == 0 {
		payload = nil
	}
	return Frame{Kind: k, Terminator: t, Procedure: procedure, Call: call, Payload: payload}
}

// wantVectorFrames pins the decoding of some vectors field by field.
var wantVectorFrames = map[string][]Frame{
	"call_p0_noargs":     {h(KindCall, TermComplete, 0, 0)},
	"resp_p0":            {h(KindResponse, TermComplete, 0, 0, 0x2a)},
	"call_p0_second":     {h(KindCall, TermComplete, 0, 1)},
	"call_p300_noargs":   {h(KindCall, TermComplete, 300, 0)},
	"call_p300_arg1":     {h(KindCall, TermComplete, 300, 1, 0x01)},
	"call_p4_callidx256": {h(KindCall, TermComplete, 4, 256, 0x01, 0x01)},
	"call_p4_neg7_2":     {h(KindCall, TermComplete, 4, 2, 0xf9, 0x02)},
	"resp_p3_n0":         {h(KindResponse, TermComplete, 3, 1)},
	"resp_p3_n3_stream": {
		h(KindResponse, TermChunk, 3, 0, 0x00),
		h(KindResponse, TermChunk, 3, 0, 0x01),
		h(KindResponse, TermComplete, 3, 0, 0x02),
	},
	"call_p1_partial_stream": {
		h(KindCall, TermNone, 1, 0, 0xa4, 'J', 'o', 'h', 'n'),
		h(KindCall, TermNone, 1, 0, 0xa3, 'D', 'o', 'e'),
		h(KindCall, TermComplete, 1, 0),
	},
	"termination":                   {{Kind: KindTermination}},
	"termination_free_fn":           {{Kind: KindTermination}},
	"end_of_input":                  {{Kind: KindEndOfInput}},
	"flush_end_after_call_p0":       {h(KindCall, TermComplete, 0, 0), {Kind: KindEndOfInput}},
	"flush_terminate_after_call_p0": {h(KindCall, TermComplete, 0, 0), {Kind: KindTermination}},
}

// TestVectorsRoundTrip decodes every whole golden vector and re-encodes its
// frames to the same bytes.
func TestVectorsRoundTrip(t *testing.T) {
	all := wireVectors()
	if len(all) < 30 {
		t.Fatalf("only %d wire vectors", len(all))
	}
	pinned := 0
	for _, v := range all {
		t.Run(v.Name, func(t *testing.T) {
			r := decodeChunks(t, 0, v.Bytes)
			if r.err != nil {
				t.Fatalf("Feed(%x): %v", v.Bytes, r.err)
			}
			if r.buffered != 0 {
				t.Errorf("Buffered() = %d after whole vector", r.buffered)
			}
			if len(r.frames) == 0 {
				t.Fatalf("no frame")
			}
			if want, ok := wantVectorFrames[v.Name]; ok {
				pinned++
				if diff := sameFrames(r.frames, want); diff != "" {
					t.Error(diff)
				}
			}
			n := 0
			for _, f := range r.frames {
				n += EncodedLen(f)
			}
			if got := encodeAll(r.frames); !bytes.Equal(got, v.Bytes) {
				t.Errorf("re-encoded %x, want %x", got, v.Bytes)
			}
			if n != len(v.Bytes) {
				t.Errorf("sum of EncodedLen = %d, want %d", n, len(v.Bytes))
			}
		})
	}
	if pinned != len(wantVectorFrames) {
		t.Errorf("pinned %d vectors, want %d (a vector was renamed?)", pinned, len(wantVectorFrames))
	}
}

// TestVectorsSplit decodes every whole golden vector one byte at a time and
// split at every position, and expects the frames of the whole decode.
func TestVectorsSplit(t *testing.T) {
	for _, v := range wireVectors() {
		t.Run(v.Name, func(t *testing.T) {
			want := decodeChunks(t, 0, v.Bytes)
			if r := decodeBytewise(t, 0, v.Bytes); r.err != nil || r.buffered != 0 {
				t.Fatalf("bytewise: err %v, Buffered() %d", r.err, r.buffered)
			} else if diff := sameFrames(r.frames, want.frames); diff != "" {
				t.Fatalf("bytewise: %s", diff)
			}
			for i := 0; i <= len(v.Bytes); i++ {
				r := decodeChunks(t, 0, v.Bytes[:i], v.Bytes[i:])
				if r.err != nil || r.buffered != 0 {
					t.Fatalf("split at %d: err %v, Buffered() %d", i, r.err, r.buffered)
				}
				if diff := sameFrames(r.frames, want.frames); diff != "" {
					t.Fatalf("split at %d: %s", i, diff)
				}
			}
		})
	}
}

// headerOnlyRE reads the lengths in a header-only vector's description.
var headerOnlyRE = regexp.MustCompile(`HEADER ONLY: first (\d+) of (\d+) bytes`)

// headerOnlyWant is the frame a header-only vector starts: its kind,
// procedure and call, and the length of its payload.
type headerOnlyWant struct {
	kind            Kind
	procedure, call uint64
	n               int
}

// TestVectorsHeaderOnly feeds the truncated golden vectors: no frame, no
// error, all bytes held; AppendHeader with the declared length gives the
// same header; the rest of the payload then completes the frame.
func TestVectorsHeaderOnly(t *testing.T) {
	tests := map[string]headerOnlyWant{
		"call_p2_300bytes_hdr": {KindCall, 2, 1, 303},
		"resp_p2_300bytes_hdr": {KindResponse, 2, 1, 303},
		"call_raw_70000_hdr":   {KindCall, 2, 2, 70000},
		"call_p2_vec70000_hdr": {KindCall, 2, 3, 70005},
	}
	all := headerOnlyVectors()
	if len(all) != len(tests) {
		t.Errorf("%d header-only vectors, test knows %d", len(all), len(tests))
	}
	for _, v := range all {
		t.Run(v.Name, func(t *testing.T) {
			tt, ok := tests[v.Name]
			if !ok {
				t.Fatalf("no expectation for %s", v.Name)
			}
			checkHeaderOnlyVector(t, v, tt)
		})
	}
}

// checkHeaderOnlyVector checks one header-only vector against tt: its
// description gives its lengths, AppendHeader writes its header, the
// decoder holds it all without a frame, and the rest of the payload
// completes the frame.
func checkHeaderOnlyVector(t *testing.T, v vectors.Vector, tt headerOnlyWant) {
	t.Helper()
	total := headerOnlyTotal(t, v)
	hdr := AppendHeader(nil, tt.kind, TermComplete, tt.procedure, tt.call, tt.n)
	if len(hdr)+tt.n != total {
		t.Errorf("header %d + payload %d bytes, description says %d", len(hdr), tt.n, total)
	}
	if !bytes.HasPrefix(v.Bytes, hdr) {
		t.Errorf("AppendHeader = %x, vector %x", hdr, v.Bytes)
	}
	full := bytes.Clone(v.Bytes)
	fill := v.Bytes[len(v.Bytes)-1]
	for len(full) < total {
		full = append(full, fill)
	}

	checkHeaderOnlyHeld(t, v)

	r := decodeChunks(t, 0, v.Bytes, full[len(v.Bytes):])
	want := []Frame{h(tt.kind, TermComplete, tt.procedure, tt.call, full[len(hdr):]...)}
	if r.err != nil || r.buffered != 0 {
		t.Fatalf("completed: err %v, Buffered() %d", r.err, r.buffered)
	}
	if diff := sameFrames(r.frames, want); diff != "" {
		t.Fatalf("completed: %s", diff)
	}
	if got := AppendFrame(nil, r.frames[0]); !bytes.Equal(got, full) {
		t.Errorf("re-encoded completed frame differs")
	}
}

// headerOnlyTotal reads the lengths in v's description, checks the first
// against the vector's bytes and returns the second, the whole message's.
func headerOnlyTotal(t *testing.T, v vectors.Vector) int {
	t.Helper()
	m := headerOnlyRE.FindStringSubmatch(v.Description)
	if m == nil {
		t.Fatalf("no lengths in description %q", v.Description)
	}
	first, _ := strconv.Atoi(m[1])
	total, _ := strconv.Atoi(m[2])
	if first != len(v.Bytes) {
		t.Fatalf("description says %d bytes, vector has %d", first, len(v.Bytes))
	}
	return total
}

// checkHeaderOnlyHeld feeds v whole and byte by byte: no frame, no error,
// all bytes held.
func checkHeaderOnlyHeld(t *testing.T, v vectors.Vector) {
	t.Helper()
	for name, r := range map[string]result{
		"whole":    decodeChunks(t, 0, v.Bytes),
		"bytewise": decodeBytewise(t, 0, v.Bytes),
	} {
		if r.err != nil || len(r.frames) != 0 {
			t.Errorf("%s: %d frames, err %v; want none", name, len(r.frames), r.err)
		}
		if r.buffered != len(v.Bytes) {
			t.Errorf("%s: Buffered() = %d, want %d", name, r.buffered, len(v.Bytes))
		}
	}
}

// TestVectorsSpecExamples checks the examples the spec quotes by name.
func TestVectorsSpecExamples(t *testing.T) {
	tests := []struct{ name, hex string }{
		{"call_p300_noargs", "01c22c010000"},
		{"call_p4_callidx256", "01c8040001020101"},
		{"call_raw_70000_hdr", "01d0020270110100"},
		{"call_p2_300bytes_hdr", "01e002012f01dc01"},
	}
	for _, tt := range tests {
		if got := vectors.Get(tt.name); hexOf(got) != tt.hex {
			t.Errorf("%s = %x, want %s", tt.name, got, tt.hex)
		}
	}
}
