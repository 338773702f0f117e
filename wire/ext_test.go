package wire

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ipfi-go/ipfi/internal/vectors"
)

// extVector is one golden vector of testdata/extensions.txt.
type extVector struct {
	name, desc string
	bytes      []byte
}

// extensionVectors parses testdata/extensions.txt, written by hand in the
// format of the Rust crate's vectors file.
func extensionVectors(tb testing.TB) []extVector {
	tb.Helper()
	b, err := os.ReadFile("testdata/extensions.txt")
	if err != nil {
		tb.Fatal(err)
	}
	all, err := vectors.Parse(string(b))
	if err != nil {
		tb.Fatalf("extensions.txt: %v", err)
	}
	out := make([]extVector, 0, len(all))
	for _, v := range all {
		out = append(out, extVector{name: v.Name, desc: v.Description, bytes: v.Bytes})
	}
	return out
}

// extWant is what an extension vector holds.
type extWant struct {
	kind            Kind
	procedure, call uint64
	code            ErrorCode // KindError
	msg             string    // KindError
	app             uint64    // KindError, CodeApplication
	details         string    // KindError, CodeApplication (hex)
	amount          uint64    // credits
	kv              []string  // metadata
}

var wantExtensions = map[string]extWant{
	"ext_announce":                    {kind: KindAnnounce},
	"ext_announce2":                   {kind: KindAnnounce2},
	"ext_deadline_p1_c2_1500ms":       {kind: KindDeadline, procedure: 1, call: 2, amount: 1500},
	"ext_goaway":                      {kind: KindGoAway},
	"ext_metadata_p1_c2_auth":         {kind: KindMetadata, procedure: 1, call: 2, kv: []string{"authorization", "Bearer t0k"}},
	"ext_error_p1_c0_procedure_boom":  {kind: KindError, procedure: 1, call: 0, code: CodeProcedure, msg: "boom"},
	"ext_error_p2_c5_unknown_empty":   {kind: KindError, procedure: 2, call: 5, code: CodeUnknownProcedure},
	"ext_error_p0_c0_code300":         {kind: KindError, code: 300, msg: "é"},
	"ext_error_p1_c2_application_404": {kind: KindError, procedure: 1, call: 2, code: CodeApplication, app: 404, msg: "not found", details: "81a2696407"},
	"ext_error_p0_c0_application_0":   {kind: KindError, code: CodeApplication},
	"ext_cancel_p3_c2":                {kind: KindCancel, procedure: 3, call: 2},
	"ext_response_credit_p3_c2_65536": {kind: KindResponseCredit, procedure: 3, call: 2, amount: 65536},
	"ext_argument_credit_p300_c256_1": {kind: KindArgumentCredit, procedure: 300, call: 256, amount: 1},
	"ext_argument_credit_p0_c10_max":  {kind: KindArgumentCredit, call: 10, amount: 1<<64 - 1},
	"ext_ping_7":                      {kind: KindPing, call: 7},
	"ext_pong_7":                      {kind: KindPong, call: 7},
	"ext_ping_2p32":                   {kind: KindPing, call: 1 << 32},
}

// encode writes w with the Append helper of its kind.
func (w extWant) encode(t *testing.T) []byte {
	switch w.kind {
	case KindAnnounce, KindAnnounce2:
		return AppendFrame(nil, Frame{Kind: w.kind})
	case KindDeadline:
		return AppendDeadline(nil, w.procedure, w.call, w.amount)
	case KindGoAway:
		return AppendGoAway(nil)
	case KindMetadata:
		b, err := AppendMetadata(nil, w.procedure, w.call, w.kv)
		if err != nil {
			t.Fatal(err)
		}
		return b
	case KindError:
		if w.code == CodeApplication {
			return AppendApplicationError(nil, w.procedure, w.call, w.app, w.msg, unhex(t, w.details))
		}
		return AppendError(nil, w.procedure, w.call, w.code, w.msg)
	case KindCancel:
		return AppendCancel(nil, w.procedure, w.call)
	case KindResponseCredit, KindArgumentCredit:
		return AppendCredit(nil, w.kind, w.procedure, w.call, w.amount)
	case KindPing, KindPong:
		if w.procedure != 0 {
			t.Fatalf("ping with procedure %d", w.procedure)
		}
		return AppendPing(nil, w.kind, w.call)
	}
	t.Fatalf("no encoder for %s", w.kind)
	return nil
}

// check compares a decoded frame with w, parsing its body.
func (w extWant) check(t *testing.T, f Frame) {
	t.Helper()
	if f.Kind != w.kind {
		t.Fatalf("kind %s, want %s", f.Kind, w.kind)
	}
	if w.kind == KindAnnounce || w.kind == KindAnnounce2 {
		if sameFrames([]Frame{f}, []Frame{{Kind: w.kind}}) != "" {
			t.Fatalf("announce decoded as %s", fmtFrame(f))
		}
		return
	}
	if f.Terminator != TermComplete || f.Procedure != w.procedure || f.Call != w.call {
		t.Fatalf("decoded %s, want %s/complete p=%d c=%d", fmtFrame(f), w.kind, w.procedure, w.call)
	}
	switch w.kind {
	case KindError:
		code, msg, err := ParseError(f)
		if err != nil || code != w.code || msg != w.msg {
			t.Fatalf("ParseError = %v, %q, %v; want %v, %q", code, msg, err, w.code, w.msg)
		}
		b, err := ParseErrorBody(f)
		if err != nil || b.App != w.app || hexOf(b.Details) != w.details {
			t.Fatalf("ParseErrorBody = %+v, %v; want application code %d, details %s", b, err, w.app, w.details)
		}
	case KindResponseCredit, KindArgumentCredit:
		amount, err := ParseCredit(f)
		if err != nil || amount != w.amount {
			t.Fatalf("ParseCredit = %d, %v; want %d", amount, err, w.amount)
		}
	case KindMetadata:
		kv, err := ParseMetadata(f)
		if err != nil || fmt.Sprint(kv) != fmt.Sprint(w.kv) {
			t.Fatalf("ParseMetadata = %q, %v; want %q", kv, err, w.kv)
		}
	case KindDeadline:
		ms, err := ParseDeadline(f)
		if err != nil || ms != w.amount {
			t.Fatalf("ParseDeadline = %d, %v; want %d", ms, err, w.amount)
		}
	default:
		if f.Payload != nil {
			t.Fatalf("payload %x, want none", f.Payload)
		}
	}
}

// TestExtensionVectors checks the hand-written extension vectors: the
// Append helpers write them, a decoder with extensions on reads them back to
// the same values whole and byte by byte, and with extensions off their
// first byte is a bodiless unknown frame.
func TestExtensionVectors(t *testing.T) {
	all := extensionVectors(t)
	if len(all) != len(wantExtensions) {
		t.Errorf("%d vectors in extensions.txt, test knows %d", len(all), len(wantExtensions))
	}
	kinds := map[Kind]bool{}
	var stream []byte
	var streamWant []extWant
	for _, v := range all {
		t.Run(v.name, func(t *testing.T) {
			w, ok := wantExtensions[v.name]
			if !ok {
				t.Fatalf("no expectation for %s", v.name)
			}
			if v.desc == "" {
				t.Errorf("no description")
			}
			kinds[w.kind] = true
			stream = append(stream, v.bytes...)
			streamWant = append(streamWant, w)
			checkExtensionVector(t, v, w)
		})
	}
	for k := KindAnnounce; k <= KindPong; k++ {
		if !kinds[k] {
			t.Errorf("no vector of kind %s", k)
		}
	}

	// All of them in one stream, extensions turned on by the announce.
	if len(all) == 0 || all[0].name != "ext_announce" {
		t.Fatalf("the first vector is not the announce")
	}
	checkExtensionStream(t, stream, streamWant)
}

// checkExtensionVector checks one extension vector against w: its Append
// helper writes it, a decoder with extensions on reads it back whole and
// byte by byte, and with extensions off its first byte is a bodiless
// unknown frame.
func checkExtensionVector(t *testing.T, v extVector, w extWant) {
	t.Helper()
	if got := w.encode(t); !bytes.Equal(got, v.bytes) {
		t.Errorf("encoded %x, want %x", got, v.bytes)
	}
	for name, r := range map[string]result{
		"whole":    decodeChunksExt(t, 0, extOn, v.bytes),
		"bytewise": decodeBytewiseExt(t, 0, extOn, v.bytes),
	} {
		if r.err != nil || r.buffered != 0 || len(r.frames) != 1 {
			t.Fatalf("%s: err %v, Buffered() %d, frames %s", name, r.err, r.buffered, fmtFrames(r.frames))
		}
		w.check(t, r.frames[0])
		if got := AppendFrame(nil, r.frames[0]); !bytes.Equal(got, v.bytes) {
			t.Errorf("%s: AppendFrame of the decoded frame = %x", name, got)
		}
		if n := EncodedLen(r.frames[0]); n != len(v.bytes) {
			t.Errorf("%s: EncodedLen = %d, want %d", name, n, len(v.bytes))
		}
	}

	// Extensions off: the type byte alone is an unknown frame.
	off := decodeChunks(t, 0, v.bytes[:1])
	if off.err != nil || off.buffered != 0 || sameFrames(off.frames, []Frame{{Kind: w.kind}}) != "" {
		t.Fatalf("extensions off, first byte: err %v, Buffered() %d, frames %s", off.err, off.buffered, fmtFrames(off.frames))
	}
	if off := decodeChunks(t, 0, v.bytes); len(off.frames) == 0 || sameFrames(off.frames[:1], []Frame{{Kind: w.kind}}) != "" {
		t.Fatalf("extensions off, whole: frames %s (err %v)", fmtFrames(off.frames), off.err)
	}
}

// checkExtensionStream decodes the extension vectors in one stream, whole
// and byte by byte, with extensions turned on by its leading announce, and
// checks each frame against want.
func checkExtensionStream(t *testing.T, stream []byte, want []extWant) {
	t.Helper()
	for _, r := range []result{decodeChunksExt(t, 0, extOnAnnounce, stream), decodeBytewiseExt(t, 0, extOnAnnounce, stream)} {
		if r.err != nil || r.buffered != 0 || len(r.frames) != len(want) {
			t.Fatalf("stream: err %v, Buffered() %d, frames %s", r.err, r.buffered, fmtFrames(r.frames))
		}
		for i, f := range r.frames {
			want[i].check(t, f)
		}
	}
}

// TestExtensionVectorsHex pins some vectors against the bytes of the
// specification's examples, so that the file cannot drift.
func TestExtensionVectorsHex(t *testing.T) {
	want := map[string]string{
		"ext_announce":                    "f0",
		"ext_error_p1_c0_procedure_boom":  "f1c001000503626f6f6d",
		"ext_error_p1_c2_application_404": "f1c0010212089403096e6f7420666f756e6481a2696407",
		"ext_announce2":                   "f9",
		"ext_deadline_p1_c2_1500ms":       "f7c0010202dc0b",
		"ext_goaway":                      "f8c0000000",
		"ext_metadata_p1_c2_auth":         "fac001021a010d617574686f72697a6174696f6e0a4265617265722074306b",
		"ext_cancel_p3_c2":                "f2c0030200",
		"ext_response_credit_p3_c2_65536": "f3c0030203808004",
		"ext_argument_credit_p300_c256_1": "f4ca2c0100010101",
		"ext_ping_7":                      "f5c0000700",
		"ext_pong_7":                      "f6c0000700",
	}
	for _, v := range extensionVectors(t) {
		if hx, ok := want[v.name]; ok {
			delete(want, v.name)
			if hexOf(v.bytes) != hx {
				t.Errorf("%s = %x, want %s", v.name, v.bytes, hx)
			}
		}
	}
	for name := range want {
		t.Errorf("no vector %s", name)
	}
}

// TestRustVectorsWithExtensions: the Rust crate's vectors decode the same
// with extensions on (the crate never writes an extension type byte).
func TestRustVectorsWithExtensions(t *testing.T) {
	for _, v := range wireVectors() {
		off := decodeChunks(t, 0, v.Bytes)
		for _, mode := range []extMode{extOn, extOnAnnounce} {
			r := decodeChunksExt(t, 0, mode, v.Bytes)
			if !sameError(r.err, off.err) || r.buffered != off.buffered {
				t.Fatalf("%s %s: err %v, Buffered() %d; off: %v, %d", v.Name, mode, r.err, r.buffered, off.err, off.buffered)
			}
			if diff := sameFrames(r.frames, off.frames); diff != "" {
				t.Fatalf("%s %s: %s", v.Name, mode, diff)
			}
		}
	}
}

// TestSetExtensionsMidFeed: turned on from inside emit on an announce, the
// extensions apply to the very next byte of the same Feed; turned off, the
// next extension byte is bodiless again.
func TestSetExtensionsMidFeed(t *testing.T) {
	errMsg := AppendError(nil, 1, 0, CodeProcedure, "boom")
	in := append([]byte{byte(KindAnnounce)}, errMsg...)
	in = append(in, vectors.Get("call_p0_noargs")...)
	want := []Frame{
		{Kind: KindAnnounce},
		h(KindError, TermComplete, 1, 0, 0x03, 'b', 'o', 'o', 'm'),
		h(KindCall, TermComplete, 0, 0),
	}
	for name, r := range map[string]result{
		"one feed":  decodeChunksExt(t, 0, extOnAnnounce, in),
		"bytewise":  decodeBytewiseExt(t, 0, extOnAnnounce, in),
		"announce+": decodeChunksExt(t, 0, extOnAnnounce, in[:2], in[2:]),
	} {
		if r.err != nil || r.buffered != 0 {
			t.Fatalf("%s: err %v, Buffered() %d", name, r.err, r.buffered)
		}
		if diff := sameFrames(r.frames, want); diff != "" {
			t.Fatalf("%s: %s", name, diff)
		}
	}

	// Without the announce's effect the error's type byte is unknown.
	if r := decodeChunks(t, 0, in); len(r.frames) < 3 || sameFrames(r.frames[:3], []Frame{{Kind: KindAnnounce}, {Kind: KindError}, {Kind: 0xc0}}) != "" {
		t.Fatalf("extensions never on: frames %s, err %v", fmtFrames(r.frames), r.err)
	}

	// Turned off from inside emit: the next ping is a single byte.
	d := NewDecoder(0)
	d.SetExtensions(true)
	in = append(bytes.Clone(errMsg), byte(KindPing), byte(KindEndOfInput))
	var got []Frame
	err := d.Feed(in, func(f Frame) error {
		if f.Kind == KindError {
			d.SetExtensions(false)
		}
		got = append(got, cloneFrame(f))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := sameFrames(got, []Frame{want[1], {Kind: KindPing}, {Kind: KindEndOfInput}}); diff != "" {
		t.Fatalf("turned off: %s", diff)
	}

	// Reset turns them off.
	d.SetExtensions(true)
	d.Reset()
	got = nil
	if err := d.Feed([]byte{byte(KindPong)}, collect(&got)); err != nil || d.Buffered() != 0 ||
		sameFrames(got, []Frame{{Kind: KindPong}}) != "" {
		t.Fatalf("after Reset: err %v, Buffered() %d, frames %s", err, d.Buffered(), fmtFrames(got))
	}
}

// TestExtensionsSplit decodes extension messages, alone and in a stream
// with base messages, split at every position and byte by byte.
func TestExtensionsSplit(t *testing.T) {
	var stream []byte
	for _, v := range extensionVectors(t) {
		stream = append(stream, v.bytes...)
		stream = append(stream, vectors.Get("resp_p3_n3_stream")...)
	}
	stream = append(stream, AppendError(nil, 1<<40, 65536, CodePanic, strings.Repeat("x", 300))...)
	for _, mode := range []extMode{extOn, extOnAnnounce} {
		want := decodeChunksExt(t, 0, mode, stream)
		if want.err != nil || want.buffered != 0 {
			t.Fatalf("%s: err %v, Buffered() %d", mode, want.err, want.buffered)
		}
		if got := encodeAllExt(want.frames, mode); !bytes.Equal(got, stream) {
			t.Fatalf("%s: re-encoded %x, want %x", mode, got, stream)
		}
		if r := decodeBytewiseExt(t, 0, mode, stream); r.err != nil || r.buffered != 0 || sameFrames(r.frames, want.frames) != "" {
			t.Fatalf("%s bytewise: err %v, Buffered() %d, %s", mode, r.err, r.buffered, sameFrames(r.frames, want.frames))
		}
		for i := 0; i <= len(stream); i++ {
			r := decodeChunksExt(t, 0, mode, stream[:i], stream[i:])
			if r.err != nil || r.buffered != 0 {
				t.Fatalf("%s split at %d: err %v, Buffered() %d", mode, i, r.err, r.buffered)
			}
			if diff := sameFrames(r.frames, want.frames); diff != "" {
				t.Fatalf("%s split at %d: %s", mode, i, diff)
			}
		}
	}
}

// TestRoundTripExtensionWidths encodes extension frames with every width
// and terminator and decodes them back with extensions on.
func TestRoundTripExtensionWidths(t *testing.T) {
	payload := bytes.Repeat([]byte{0xa5}, 300)
	for k := KindError; k <= KindPong; k++ {
		for _, term := range []Terminator{TermNone, TermChunk, TermComplete} {
			for _, proc := range edgeValues {
				for _, call := range edgeValues {
					for _, n := range []int{0, 1, 256} {
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

// TestExtensionsMalformed: with extensions on, an extension header is held
// to the same rules as a Call or Response header, except that an empty
// payload is valid with any terminator.
func TestExtensionsMalformed(t *testing.T) {
	bad := []struct {
		name     string
		in       string
		max      int
		tooLarge bool
	}{
		{"terminator bits (0,1) error", "f1 80 00 00 01 01", 0, false},
		{"terminator bits (0,1) ping", "f5 80 00 07 00", 0, false},
		{"over limit credit", "f3 c0 00 00 11", 16, true},
		{"over limit u64 length", "f1 f0 00 00 ffffffffffffffff", 0, true},
	}
	for _, tt := range bad {
		in := unhex(t, tt.in)
		for _, r := range []result{decodeChunksExt(t, tt.max, extOn, in), decodeBytewiseExt(t, tt.max, extOn, in)} {
			if !isMalformed(r.err) || errors.Is(r.err, ErrFrameTooLarge) != tt.tooLarge || len(r.frames) != 0 {
				t.Errorf("%s: err %v, frames %s", tt.name, r.err, fmtFrames(r.frames))
			}
		}
		// Off, the same bytes are a run of single bytes or a base message.
		if r := decodeChunks(t, tt.max, in[:1]); r.err != nil || len(r.frames) != 1 {
			t.Errorf("%s, extensions off: err %v, frames %s", tt.name, r.err, fmtFrames(r.frames))
		}
	}
	good := []struct {
		name string
		in   string
		want Frame
	}{
		{"empty cancel none", "f2 00 03 02 00", h(KindCancel, TermNone, 3, 2)},
		{"empty ping chunk", "f5 40 00 07 00", h(KindPing, TermChunk, 0, 7)},
		{"non-minimal widths", "f4 ff 0100000000000000 0200000000000000 0100000000000000 07", h(KindArgumentCredit, TermComplete, 1, 2, 7)},
	}
	for _, tt := range good {
		r := decodeChunksExt(t, 0, extOn, unhex(t, tt.in))
		if r.err != nil {
			t.Errorf("%s: %v", tt.name, r.err)
		} else if diff := sameFrames(r.frames, []Frame{tt.want}); diff != "" {
			t.Errorf("%s: %s", tt.name, diff)
		}
	}
}

// TestMalformedBodies: a credit that is not exactly one varint, or an error
// that does not start with one, is malformed; decoded from the wire, too.
func TestMalformedBodies(t *testing.T) {
	for _, payload := range []string{"", "80", "0102", "ffffffffffffffffffff01", "ff"} {
		for _, k := range []Kind{KindResponseCredit, KindArgumentCredit} {
			f := h(k, TermComplete, 3, 2, unhex(t, payload)...)
			if v, err := ParseCredit(f); !isMalformed(err) {
				t.Errorf("ParseCredit(%s [%s]) = %d, %v; want ErrMalformed", k, payload, v, err)
			}
		}
	}
	for _, payload := range []string{"", "80", "0102", "ffffffffffffffffffff01"} {
		f := h(KindDeadline, TermComplete, 3, 2, unhex(t, payload)...)
		if v, err := ParseDeadline(f); !isMalformed(err) {
			t.Errorf("ParseDeadline([%s]) = %d, %v; want ErrMalformed", payload, v, err)
		}
	}
	// An application error (code 8) without its application code, or with a
	// message length past its end, is malformed too.
	for _, payload := range []string{"", "80", "ffffffffffffffffffff01", "08", "0880", "0800", "08000561", "0800ffffffffffffffffff01"} {
		f := h(KindError, TermComplete, 1, 0, unhex(t, payload)...)
		if code, msg, err := ParseError(f); !isMalformed(err) {
			t.Errorf("ParseError([%s]) = %v, %q, %v; want ErrMalformed", payload, code, msg, err)
		}
	}

	// A malformed credit arrives as a well-formed frame; its body is bad.
	r := decodeChunksExt(t, 0, extOn, unhex(t, "f3 c0 03 02 02 8080"))
	if r.err != nil || len(r.frames) != 1 {
		t.Fatalf("err %v, frames %s", r.err, fmtFrames(r.frames))
	}
	if _, err := ParseCredit(r.frames[0]); !isMalformed(err) {
		t.Errorf("ParseCredit of a truncated varint: %v", err)
	}

	// Parsing a frame of another kind is an error.
	if _, err := ParseCredit(h(KindError, TermComplete, 0, 0, 1)); err == nil {
		t.Errorf("ParseCredit of an error frame succeeded")
	}
	if _, _, err := ParseError(h(KindResponseCredit, TermComplete, 0, 0, 1)); err == nil {
		t.Errorf("ParseError of a credit frame succeeded")
	}
	// A non-minimal varint is accepted.
	if v, err := ParseCredit(h(KindResponseCredit, TermComplete, 0, 0, 0x81, 0x00)); err != nil || v != 1 {
		t.Errorf("ParseCredit(8100) = %d, %v", v, err)
	}
}

// TestAppendErrorTruncates: a message over MaxErrorMessage bytes is cut at
// a UTF-8 boundary.
func TestAppendErrorTruncates(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want int
	}{
		{"short", "boom", 4},
		{"at the limit", strings.Repeat("a", MaxErrorMessage), MaxErrorMessage},
		{"one over", strings.Repeat("a", MaxErrorMessage+1), MaxErrorMessage},
		{"long", strings.Repeat("a", 5000), MaxErrorMessage},
		{"rune across the limit", strings.Repeat("a", MaxErrorMessage-1) + "é", MaxErrorMessage - 1},
		{"rune ending at the limit", strings.Repeat("a", MaxErrorMessage-2) + "éé", MaxErrorMessage},
		{"three-byte runes", strings.Repeat("€", 400), 341 * 3},
		{"four-byte runes", strings.Repeat("😀", 300), 256 * 4},
	}
	for _, tt := range tests {
		b := AppendError([]byte{0xee}, 7, 8, CodeLimit, tt.msg)
		if b[0] != 0xee {
			t.Fatalf("%s: did not append", tt.name)
		}
		r := decodeChunksExt(t, 0, extOn, b[1:])
		if r.err != nil || len(r.frames) != 1 {
			t.Fatalf("%s: err %v, frames %s", tt.name, r.err, fmtFrames(r.frames))
		}
		code, msg, err := ParseError(r.frames[0])
		if err != nil || code != CodeLimit || len(msg) != tt.want || !strings.HasPrefix(tt.msg, msg) || !utf8.ValidString(msg) {
			t.Errorf("%s: %v, %d bytes, %v; want %d bytes", tt.name, code, len(msg), err, tt.want)
		}
	}
}

// TestAppendExtensionPanics: the helpers refuse kinds they do not write.
func TestAppendExtensionPanics(t *testing.T) {
	tests := map[string]func(){
		"credit of error":  func() { AppendCredit(nil, KindError, 0, 0, 1) },
		"credit of call":   func() { AppendCredit(nil, KindCall, 0, 0, 1) },
		"ping of cancel":   func() { AppendPing(nil, KindCancel, 1) },
		"ping of response": func() { AppendPing(nil, KindResponse, 1) },
	}
	for name, fn := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			fn()
		}()
	}
}

// TestExtensionZeroCopyAndKeep: an extension payload inside the fed slice
// aliases it without allocating; a split one may be kept.
func TestExtensionZeroCopyAndKeep(t *testing.T) {
	in := AppendError(nil, 1, 2, CodeProcedure, "boom")
	in = AppendCredit(in, KindResponseCredit, 1, 2, 1000)
	d := NewDecoder(0)
	d.SetExtensions(true)
	var got []Frame
	if err := d.Feed(in, func(f Frame) error { got = append(got, f); return nil }); err != nil || len(got) != 2 {
		t.Fatalf("err %v, %d frames", err, len(got))
	}
	if &got[0].Payload[0] != &in[5] || cap(got[0].Payload) != 5 {
		t.Errorf("error payload does not alias the input (cap %d)", cap(got[0].Payload))
	}
	emit := func(Frame) error { return nil }
	if allocs := testing.AllocsPerRun(1000, func() {
		if err := d.Feed(in, emit); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("%v allocations per Feed", allocs)
	}

	big := AppendError(nil, 1, 2, CodeProcedure, strings.Repeat("y", 200))
	var kept []byte
	if err := d.Feed(big[:50], emit); err != nil {
		t.Fatal(err)
	}
	if err := d.Feed(big[50:], func(f Frame) error {
		if !d.Keep() {
			t.Errorf("Keep refused a split extension payload")
		}
		kept = f.Payload
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.Feed(AppendError(nil, 1, 3, CodePanic, strings.Repeat("z", 200))[:60], emit); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := ParseError(Frame{Kind: KindError, Payload: kept}); err != nil || msg != strings.Repeat("y", 200) {
		t.Errorf("kept payload was overwritten: %q, %v", msg, err)
	}
}

// TestMetadataLimits: metadata over its limits is refused on both sides,
// and a payload that does not hold the pairs it counts is malformed.
func TestMetadataLimits(t *testing.T) {
	many := make([]string, 2*(MaxMetadataEntries+1))
	if _, err := AppendMetadata(nil, 1, 0, many); !errors.Is(err, ErrMetadataTooLarge) {
		t.Fatalf("%d pairs: %v, want ErrMetadataTooLarge", len(many)/2, err)
	}
	big := []string{"k", strings.Repeat("v", MaxMetadataBytes)}
	if _, err := AppendMetadata(nil, 1, 0, big); !errors.Is(err, ErrMetadataTooLarge) {
		t.Fatalf("a %d-byte value: %v, want ErrMetadataTooLarge", MaxMetadataBytes, err)
	}
	if _, err := AppendMetadata(nil, 1, 0, []string{"odd"}); err == nil {
		t.Fatal("an odd number of keys and values was accepted")
	}
	for _, payload := range []string{"", "80", "01", "0101", "01016101", "0101610162ff", "4100"} {
		f := h(KindMetadata, TermComplete, 1, 0, unhex(t, payload)...)
		_, err := ParseMetadata(f)
		if payload == "4100" {
			if !errors.Is(err, ErrMetadataTooLarge) {
				t.Errorf("ParseMetadata of 65 pairs: %v, want ErrMetadataTooLarge", err)
			}
			continue
		}
		if !isMalformed(err) {
			t.Errorf("ParseMetadata([%s]) = %v, want ErrMalformed", payload, err)
		}
	}
}
