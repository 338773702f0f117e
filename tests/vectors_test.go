package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/internal/vectors"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// registerVectorProcedures registers the five procedures of the vectors
// file's callee ("alice").
func registerVectorProcedures(t testing.TB, i *ipfi.Interface) {
	t.Helper()
	must(t, i.Register(0, procedures.Func0(func(context.Context) (uint32, error) { return 42, nil })))
	must(t, i.Register(1, procedures.Func2(func(_ context.Context, a, b string) (string, error) {
		return fmt.Sprintf("Hello, %s %s!", a, b), nil
	})))
	must(t, i.Register(2, procedures.Func1(func(_ context.Context, b codec.ByteArray) (codec.ByteArray, error) {
		return b, nil
	})))
	must(t, i.Register(3, procedures.Sequence1(func(_ context.Context, n uint32, yield func(uint32) error) error {
		for i := range n {
			if err := yield(i); err != nil {
				return err
			}
		}
		return nil
	})))
	must(t, i.Register(4, procedures.Func2(func(_ context.Context, a, b int64) (int64, error) { return a + b, nil })))
}

// rawPeer is the far end of a wire driven by the test byte by byte.
type rawPeer struct {
	t testing.TB
	r *io.PipeReader // what the wire wrote
	w *io.PipeWriter // what the wire will read
}

// newRawPeer connects a wire of i to a peer the test drives by hand, and
// reads the wire's announcements of the extensions (versions 1 and 2), the
// first two bytes it writes (a Rust peer skips them).
func newRawPeer(t testing.TB, i *ipfi.Interface, opts ...ipfi.Option) (*ipfi.Wire, *rawPeer) {
	t.Helper()
	w, p := newPlainRawPeer(t, i, opts...)
	p.expectBytes("announce", announcements)
	return w, p
}

// newPlainRawPeer is newRawPeer without reading anything: for wires made
// with ipfi.Plain, which do not announce.
func newPlainRawPeer(t testing.TB, i *ipfi.Interface, opts ...ipfi.Option) (*ipfi.Wire, *rawPeer) {
	t.Helper()
	wireReads, peerWrites := io.Pipe()
	peerReads, wireWrites := io.Pipe()
	w, err := i.Connect(wireReads, wireWrites, opts...)
	must(t, err)
	t.Cleanup(func() { peerWrites.Close(); peerReads.Close() })
	return w, &rawPeer{t: t, r: peerReads, w: peerWrites}
}

// expectBytes reads exactly len(want) bytes and compares.
func (p *rawPeer) expectBytes(name string, want []byte) {
	p.t.Helper()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(p.r, got); err != nil {
		p.t.Fatalf("%s: reading %d bytes: %v", name, len(want), err)
	}
	if !bytes.Equal(got, want) {
		p.t.Fatalf("%s:\n got %x\nwant %x", name, got, want)
	}
}

func (p *rawPeer) skip(n int) {
	p.t.Helper()
	if _, err := io.CopyN(io.Discard, p.r, int64(n)); err != nil {
		p.t.Fatal(err)
	}
}

func (p *rawPeer) send(b []byte, oneByteAtATime bool) {
	p.t.Helper()
	if !oneByteAtATime {
		if _, err := p.w.Write(b); err != nil {
			p.t.Fatal(err)
		}
		return
	}
	for i := range b {
		if _, err := p.w.Write(b[i : i+1]); err != nil {
			p.t.Fatal(err)
		}
	}
}

func frame(k wire.Kind, term wire.Terminator, proc, call uint64, payload []byte) []byte {
	return wire.AppendFrame(nil, wire.Frame{Kind: k, Terminator: term, Procedure: proc, Call: call, Payload: payload})
}

// announcements are the first bytes a wire of this library writes.
var announcements = []byte{byte(wire.KindAnnounce), byte(wire.KindAnnounce2)}

func repeat(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

// TestGoCallerWritesVectorBytes: a Go caller on a fresh wire writes exactly
// the Rust crate's call bytes, and decodes the Rust crate's responses.
func TestGoCallerWritesVectorBytes(t *testing.T) {
	caller := newInterface(t)
	w, peer := newRawPeer(t, caller)
	ctx := bounded(t, 10*time.Second)

	type step struct {
		vector string
		call   func() (any, error)
		// total is the full length of a HEADER ONLY vector's message.
		total   int
		respond []byte
		want    any
		wantErr error
	}
	call := func(proc procedures.Index, args ...any) func() (any, error) {
		return func() (any, error) {
			var out any
			err := w.Call(ctx, proc, &out, args...)
			return out, err
		}
	}
	steps := []step{
		{vector: "call_p0_noargs", call: call(0), respond: vectors.Get("resp_p0"), want: int8(42)},
		{vector: "call_p1_john_doe", call: call(1, "John", "Doe"), respond: vectors.Get("resp_p1"), want: "Hello, John Doe!"},
		{vector: "call_p0_second", call: call(0), respond: vectors.Get("resp_p0_second"), want: int8(42)},
		{vector: "call_p3_n3", call: call(3, uint32(3)), respond: vectors.Get("resp_p3_n3_stream"), wantErr: ipfi.ErrStreamed},
		{vector: "call_p3_n0", call: call(3, uint32(0)), respond: vectors.Get("resp_p3_n0"), wantErr: ipfi.ErrRemote},
		{vector: "call_p4_1_2", call: call(4, int64(1), int64(2)), respond: vectors.Get("resp_p4_3"), want: int8(3)},
		{vector: "call_p4_neg300_5e9", call: call(4, int64(-300), int64(5000000000)), respond: vectors.Get("resp_p4_4999999700"), want: uint64(4999999700)},
		{vector: "call_p4_neg7_2", call: call(4, int64(-7), int64(2)), respond: vectors.Get("resp_p4_neg5"), want: int8(-5)},
		{vector: "call_p2_echo_1_2_200", call: call(2, codec.ByteArray{1, 2, 200}), respond: vectors.Get("resp_p2_echo"), want: []any{int8(1), int8(2), uint8(200)}},
		{vector: "call_p2_300bytes_hdr", total: 309, call: call(2, codec.ByteArray(repeat(5, 300))),
			respond: frame(wire.KindResponse, wire.TermComplete, 2, 1, []byte{0xc0}), want: nil},
		{vector: "call_raw_70000_hdr", total: 70008, call: func() (any, error) { return ipfi.Call[ipfi.Raw](ctx, w, 2, ipfi.Raw(repeat(0xab, 70000))) },
			respond: frame(wire.KindResponse, wire.TermComplete, 2, 2, []byte{0xc3}), want: ipfi.Raw{0xc3}},
		{vector: "call_p2_vec70000_hdr", total: 70013, call: call(2, codec.ByteArray(repeat(7, 70000))),
			respond: frame(wire.KindResponse, wire.TermComplete, 2, 3, []byte{0xc0}), want: nil},
		{vector: "call_p300_noargs", call: call(300), respond: frame(wire.KindResponse, wire.TermComplete, 300, 0, []byte{1}), want: int8(1)},
		{vector: "call_p300_arg1", call: call(300, uint8(1)), respond: frame(wire.KindResponse, wire.TermComplete, 300, 1, []byte{2}), want: int8(2)},
	}
	// Calls 3..255 of procedure 4, so that the next one is its 257th.
	for i := 3; i < 256; i++ {
		steps = append(steps, step{call: call(4, int64(1), int64(1)), total: 7,
			respond: frame(wire.KindResponse, wire.TermComplete, 4, uint64(i), []byte{2}), want: int8(2)})
	}
	steps = append(steps, step{vector: "call_p4_callidx256", call: call(4, int64(1), int64(1)),
		respond: frame(wire.KindResponse, wire.TermComplete, 4, 256, []byte{2}), want: int8(2)})

	for _, s := range steps {
		type result struct {
			v   any
			err error
		}
		res := make(chan result, 1)
		go func() {
			v, err := s.call()
			res <- result{v, err}
		}()
		name := s.vector
		if name != "" {
			want := vectors.Get(name)
			peer.expectBytes(name, want)
			if s.total > 0 {
				peer.skip(s.total - len(want))
			}
		} else {
			peer.skip(s.total)
		}
		peer.send(s.respond, false)
		r := <-res
		if s.wantErr != nil {
			if !errors.Is(r.err, s.wantErr) {
				t.Fatalf("%s: err = %v, want %v", name, r.err, s.wantErr)
			}
			continue
		}
		if r.err != nil {
			t.Fatalf("%s: %v", name, r.err)
		}
		if fmt.Sprintf("%#v", r.v) != fmt.Sprintf("%#v", s.want) {
			t.Fatalf("%s: result %#v, want %#v", name, r.v, s.want)
		}
	}
}

// TestGoCalleeAnswersVectorBytes: a Go interface with the vector file's
// procedures answers each vector call with exactly the vector response,
// whether the call arrives whole or one byte at a time.
func TestGoCalleeAnswersVectorBytes(t *testing.T) {
	p2Args := append([]byte{0xdc, 0x01, 0x2c}, repeat(5, 300)...)
	cases := []struct{ call, resp []byte }{
		{vectors.Get("call_p0_noargs"), vectors.Get("resp_p0")},
		{vectors.Get("call_p1_john_doe"), vectors.Get("resp_p1")},
		{vectors.Get("call_p0_second"), vectors.Get("resp_p0_second")},
		{vectors.Get("call_p3_n3"), vectors.Get("resp_p3_n3_stream")},
		{vectors.Get("call_p3_n0"), vectors.Get("resp_p3_n0")},
		{vectors.Get("call_p4_1_2"), vectors.Get("resp_p4_3")},
		{vectors.Get("call_p4_neg300_5e9"), vectors.Get("resp_p4_4999999700")},
		{vectors.Get("call_p4_neg7_2"), vectors.Get("resp_p4_neg5")},
		{vectors.Get("call_p2_echo_1_2_200"), vectors.Get("resp_p2_echo")},
		{frame(wire.KindCall, wire.TermComplete, 2, 1, p2Args), frame(wire.KindResponse, wire.TermComplete, 2, 1, p2Args)},
		{vectors.Get("call_p1_partial_stream"), vectors.Get("resp_p1_partial")},
		{vectors.Get("flush_end_after_call_p0"), vectors.Get("resp_p0")},
	}
	// The 300-byte call and response we built start as the Rust crate's did.
	if !bytes.HasPrefix(cases[9].call, vectors.Get("call_p2_300bytes_hdr")) ||
		!bytes.HasPrefix(cases[9].resp, vectors.Get("resp_p2_300bytes_hdr")) {
		t.Fatal("300-byte call/response do not start with the vector headers")
	}
	for _, oneByte := range []bool{false, true} {
		t.Run(fmt.Sprintf("one-byte=%v", oneByte), func(t *testing.T) {
			callee := newInterface(t)
			registerVectorProcedures(t, callee)
			w, peer := newRawPeer(t, callee)
			for _, c := range cases {
				peer.send(c.call, oneByte)
				peer.expectBytes(fmt.Sprintf("response to %x", c.call[:min(len(c.call), 12)]), c.resp)
			}
			if w.Err() != nil {
				t.Fatalf("wire ended: %v", w.Err())
			}
			// The Rust crate's termination byte ends the wire.
			peer.send(vectors.Get("termination"), oneByte)
			<-w.Done()
			if !errors.Is(w.Err(), ipfi.ErrPeerTerminated) {
				t.Fatalf("Err() = %v, want ErrPeerTerminated", w.Err())
			}
		})
	}
}
