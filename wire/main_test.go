package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ipfi-go/ipfi/internal/vectors"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wireVectors returns the golden vectors that are whole wire messages.
func wireVectors() []vectors.Vector {
	var out []vectors.Vector
	for _, v := range vectors.All() {
		if !v.IsMsgpack() && !v.HeaderOnly {
			out = append(out, v)
		}
	}
	return out
}

// headerOnlyVectors returns the golden vectors that are the start of a
// longer wire message.
func headerOnlyVectors() []vectors.Vector {
	var out []vectors.Vector
	for _, v := range vectors.All() {
		if !v.IsMsgpack() && v.HeaderOnly {
			out = append(out, v)
		}
	}
	return out
}

// result is what a decoder produced for some input.
type result struct {
	frames   []Frame
	err      error
	buffered int
}

// extMode says when a test decoder parses extension headers.
type extMode int

const (
	extOff        extMode = iota // never, as for a peer that never announced
	extOn                        // version 2 from the first byte
	extOnAnnounce                // version 1 from the byte after a KindAnnounce, 2 after a KindAnnounce2 that follows, as the actors layer does
)

func (m extMode) String() string {
	return [...]string{"ext-off", "ext-on", "ext-on-announce"}[m]
}

// decodeChunks feeds chunks in order to a new decoder with limit max and
// returns copies of the frames it emitted, its error and Buffered().
func decodeChunks(tb testing.TB, max int, chunks ...[]byte) result {
	tb.Helper()
	return decodeChunksExt(tb, max, extOff, chunks...)
}

// extDecoder returns a decoder with extensions handled as mode says, and
// an emit that follows the handshake and collects frames into r.
func extDecoder(max int, mode extMode, r *result) (*Decoder, func(Frame) error) {
	d := NewDecoder(max)
	v := startVersion(mode)
	d.SetExtensionVersion(v)
	add := collect(&r.frames)
	return d, func(f Frame) error {
		v = nextVersion(mode, v, f.Kind)
		d.SetExtensionVersion(v)
		return add(f)
	}
}

// decodeChunksExt is decodeChunks with extensions handled as mode says.
func decodeChunksExt(tb testing.TB, max int, mode extMode, chunks ...[]byte) result {
	tb.Helper()
	var r result
	d, emit := extDecoder(max, mode, &r)
	for _, c := range chunks {
		if r.err = d.Feed(c, emit); r.err != nil {
			break
		}
	}
	r.buffered = d.Buffered()
	return r
}

// decodeInPlaceExt decodes p as a reader reading in place would: in pieces
// of at most step bytes, each copied into BodyRoom's room (BodyRead) while
// a payload is being gathered, else fed (Feed).
func decodeInPlaceExt(tb testing.TB, max int, mode extMode, p []byte, step int) result {
	tb.Helper()
	var r result
	d, emit := extDecoder(max, mode, &r)
	for len(p) > 0 && r.err == nil {
		k := min(step, len(p))
		if room := d.BodyRoom(1); room != nil {
			k = copy(room, p[:k])
			r.err = d.BodyRead(k, emit)
		} else {
			r.err = d.Feed(p[:k], emit)
		}
		p = p[k:]
	}
	r.buffered = d.Buffered()
	return r
}

// decodeBytewise feeds p one byte at a time.
func decodeBytewise(tb testing.TB, max int, p []byte) result {
	tb.Helper()
	return decodeBytewiseExt(tb, max, extOff, p)
}

// decodeBytewiseExt is decodeBytewise with extensions handled as mode says.
func decodeBytewiseExt(tb testing.TB, max int, mode extMode, p []byte) result {
	tb.Helper()
	chunks := make([][]byte, len(p))
	for i := range p {
		chunks[i] = p[i : i+1]
	}
	return decodeChunksExt(tb, max, mode, chunks...)
}

// collect returns an emit function appending copies of frames to dst.
func collect(dst *[]Frame) func(Frame) error {
	return func(f Frame) error {
		*dst = append(*dst, cloneFrame(f))
		return nil
	}
}

// cloneFrame copies f's payload out of the decoder's memory.
func cloneFrame(f Frame) Frame {
	if f.Payload != nil {
		f.Payload = bytes.Clone(f.Payload)
	}
	return f
}

// encodeAll concatenates the encodings of frames.
func encodeAll(frames []Frame) []byte {
	var b []byte
	for _, f := range frames {
		b = AppendFrame(b, f)
	}
	return b
}

// encodeAllExt concatenates the encodings of frames a decoder in mode
// emitted: an extension frame decoded while extensions were off is written
// as its type byte alone.
func encodeAllExt(frames []Frame, mode extMode) []byte {
	var b []byte
	v := startVersion(mode)
	for _, f := range frames {
		if f.Kind.IsExtension() && f.Kind.extVersion() > v {
			b = append(b, byte(f.Kind)) // bodiless at this version
		} else {
			b = AppendFrame(b, f)
		}
		v = nextVersion(mode, v, f.Kind)
	}
	return b
}

// startVersion is the extension version a decoder starts with in mode.
func startVersion(mode extMode) int {
	if mode == extOn {
		return 2
	}
	return 0
}

// nextVersion is the extension version after a frame of kind k, from v.
func nextVersion(mode extMode, v int, k Kind) int {
	switch {
	case mode != extOnAnnounce:
	case k == KindAnnounce && v == 0:
		return 1
	case k == KindAnnounce2 && v == 1:
		return 2
	}
	return v
}

// sameFrames reports where two frame lists differ, or "" if they don't.
func sameFrames(got, want []Frame) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d frames, want %d:\n got %s\nwant %s", len(got), len(want), fmtFrames(got), fmtFrames(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Kind != w.Kind || g.Terminator != w.Terminator || g.Procedure != w.Procedure ||
			g.Call != w.Call || !bytes.Equal(g.Payload, w.Payload) || (g.Payload == nil) != (len(w.Payload) == 0) {
			return fmt.Sprintf("frame %d = %s, want %s", i, fmtFrame(g), fmtFrame(w))
		}
	}
	return ""
}

func fmtFrame(f Frame) string {
	if !f.Kind.encodesHeader() {
		return f.Kind.String()
	}
	p := fmt.Sprintf("%x", f.Payload)
	if len(p) > 40 {
		p = fmt.Sprintf("%s...(%d bytes)", p[:40], len(f.Payload))
	}
	return fmt.Sprintf("%s/%s p=%d c=%d [%s]", f.Kind, f.Terminator, f.Procedure, f.Call, p)
}

func fmtFrames(fs []Frame) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = fmtFrame(f)
	}
	return "{" + strings.Join(s, ", ") + "}"
}

// sameError reports whether a and b are both nil or are the same error.
func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

// hexOf is b in lower-case hex.
func hexOf(b []byte) string { return fmt.Sprintf("%x", b) }

// isMalformed reports whether err wraps ErrMalformed.
func isMalformed(err error) bool { return errors.Is(err, ErrMalformed) }

// unhex decodes a hex string, ignoring spaces.
func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		tb.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// decodeRunsExt is decodeChunksExt through FeedRuns: after each frame
// emitted, the Run offers room bytes (none when room is 0), and the values
// taken into it are expanded back into the frames they stand for, in
// order. It also reports how many values the Run took.
func decodeRunsExt(tb testing.TB, max int, mode extMode, room int, chunks ...[]byte) (result, int) {
	tb.Helper()
	d := NewDecoder(max)
	v := startVersion(mode)
	d.SetExtensionVersion(v)
	var r result
	add := collect(&r.frames)
	var run Run
	var last Frame
	taken := 0
	expand := func() {
		from := uint32(0)
		for _, end := range run.Ends {
			_ = add(Frame{Kind: KindResponse, Terminator: TermChunk, Procedure: last.Procedure, Call: last.Call,
				Payload: run.Payload[run.Base+int(from) : run.Base+int(end)]})
			from = end
		}
		taken += len(run.Ends)
		run = Run{}
	}
	emit := func(f Frame) error {
		expand()
		v = nextVersion(mode, v, f.Kind)
		d.SetExtensionVersion(v)
		last = f
		if room > 0 {
			// Some bytes before Base, as a caller's arena has.
			run.Payload, run.Base = make([]byte, 3, 3+room), 3
		}
		return add(f)
	}
	for _, c := range chunks {
		if r.err = d.FeedRuns(c, emit, &run); r.err != nil {
			break
		}
	}
	expand()
	r.buffered = d.Buffered()
	return r, taken
}
