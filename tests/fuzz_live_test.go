package tests

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"iter"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/internal/vectors"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// The procedures of FuzzLiveWire's interface, besides the five of the
// golden vectors' callee at 0 to 4 (registerVectorProcedures: 0 Func0,
// 1 Func2 of strings, 2 Func1 of a byte array, 3 a sequence of n uint32,
// 4 Func2 adding two int64).
const (
	flBidi      = 5  // bidirectional: echoes every value it is sent
	flRawStream = 6  // raw stream: one message per argument byte, terminator chosen by the byte
	flQuick     = 7  // quick unary: adds two ints
	flBlock     = 8  // unary: waits for its context (cancel, wire end)
	flFail      = 9  // unary: returns an error
	flPanic     = 10 // unary: panics
	flQuickPan  = 11 // quick unary: panics on the wire's reader goroutine
	flEchoAny   = 12 // unary: decodes its argument into any and returns it
	flRawBidi   = 13 // raw bidirectional: echoes the raw values
	flSeqAny    = 14 // sequence: yields its argument n times (n capped)
	flUnknown   = 300
	flLiveLimit = 5 * time.Second       // the longest the wire may take to read its input, or to end
	flIdle      = 2 * time.Millisecond  // the wire is done with the input once its output pauses this long...
	flSettle    = 30 * time.Millisecond // ... or after this long in any case
)

// FuzzLiveWire feeds arbitrary bytes, as a peer would send them, to a wire of
// a live interface (a new one per input, over net.Pipe) that has procedures
// of every kind registered, while the peer reads and discards whatever the
// wire writes back. Once the input is written, the wire is given until its
// output pauses (flIdle, at most flSettle) to run the procedures and answer,
// then the peer's end is closed. For every input:
//
//   - no panic escapes any goroutine (that would crash the run);
//   - the wire takes all the input (or ends) without stalling for flLiveLimit;
//   - once the peer's end is closed the wire ends (Done) within flLiveLimit,
//     and Err is a cause other than nil and io.EOF;
//   - Interface.Close returns within flLiveLimit, without an error;
//   - after it, no goroutine started for the input remains (goleak.Find,
//     with its retries, against a snapshot taken before the input).
//
// An interface costs about 3.5 ms to make (protoactor's process registry),
// which bounds the rate to a few hundred inputs a second per worker; the
// seed corpus takes about 5 s under -race.
func FuzzLiveWire(f *testing.F) {
	for _, s := range liveWireSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		liveWire(t, data)
	})
}

func liveWire(t *testing.T, data []byte) {
	before := goleak.IgnoreCurrent()

	i := mustNew(t,
		ipfi.WithLimits(ipfi.Limits{MaxFrame: 1 << 20, MaxCallArgs: 16 << 10, MaxOpenCalls: 16}),
		ipfi.WithTimeouts(ipfi.Timeouts{CloseGrace: 200 * time.Millisecond}))
	closed := false
	defer func() { // on a failure: close, but do not wait for a hung wire forever
		if !closed {
			within(flLiveLimit, func() { i.Close() })
		}
	}()
	registerLiveProcedures(t, i)

	wireEnd, peer := net.Pipe()
	w, err := i.Connect(wireEnd, wireEnd)
	if err != nil {
		peer.Close()
		t.Fatal(err)
	}

	// Read and discard whatever the wire writes, so its writes never block,
	// noting when it last wrote.
	var lastOutput atomic.Int64
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		buf := make([]byte, 4096)
		for {
			if _, err := peer.Read(buf); err != nil {
				return
			}
			lastOutput.Store(time.Now().UnixNano())
		}
	}()

	// The wire must take the input (or end, which closes its end of the
	// pipe and fails the write): a write still blocked after flLiveLimit
	// means the wire stopped reading while it was up.
	_ = peer.SetWriteDeadline(time.Now().Add(flLiveLimit))
	if _, err := peer.Write(data); errors.Is(err, os.ErrDeadlineExceeded) {
		select {
		case <-w.Done():
		default:
			peer.Close()
			t.Fatalf("the wire read nothing for %v while it was up (input %d bytes)\n%s", flLiveLimit, len(data), allStacks())
		}
	}

	// Let the wire act on the input (run the procedures, answer) until it
	// ends, its output has been idle for flIdle, or flSettle has passed
	// (a stream without flow control may never pause).
	wrote := time.Now().UnixNano()
settle:
	for {
		select {
		case <-w.Done():
			break settle
		default:
		}
		now := time.Now().UnixNano()
		if now-wrote >= int64(flSettle) || now-max(wrote, lastOutput.Load()) >= int64(flIdle) {
			break
		}
		time.Sleep(flIdle / 8)
	}

	// Closing the raw side is the end of the peer's stream: the wire must
	// end, whatever state the input left it in.
	peer.Close()
	timer := time.NewTimer(flLiveLimit)
	select {
	case <-w.Done():
		timer.Stop()
	case <-timer.C:
		t.Fatalf("the wire is still up %v after its peer's end was closed\n%s", flLiveLimit, allStacks())
	}
	if err := w.Err(); err == nil || err == io.EOF {
		t.Fatalf("ended wire: Err() = %v, want a cause other than nil and io.EOF", err)
	}

	closed = true
	var closeErr error
	if !within(flLiveLimit, func() { closeErr = i.Close() }) {
		t.Fatalf("Interface.Close has not returned after %v\n%s", flLiveLimit, allStacks())
	}
	if closeErr != nil {
		t.Fatalf("Interface.Close: %v", closeErr)
	}
	<-drained
	if err := goleak.Find(before); err != nil {
		t.Fatalf("after Interface.Close: %v", err)
	}
}

// within runs f and reports whether it returned within d (if not, it is
// left running).
func within(d time.Duration, f func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		return false
	}
}

// allStacks returns the stacks of every goroutine, for a hang's report.
func allStacks() []byte {
	buf := make([]byte, 1<<20)
	return buf[:runtime.Stack(buf, true)]
}

// registerLiveProcedures registers the vectors' procedures and one of every
// other kind, each returning promptly or when its context ends.
func registerLiveProcedures(t testing.TB, i *ipfi.Interface) {
	t.Helper()
	registerVectorProcedures(t, i)
	must(t, i.Register(flBidi, procedures.Bidi(liveProcEcho)))
	must(t, i.Register(flRawStream, procedures.RawStream(liveProcRawStream)))
	must(t, i.Register(flQuick, procedures.Quick(procedures.Func2(func(_ context.Context, a, b int) (int, error) { return a + b, nil }))))
	must(t, i.Register(flBlock, procedures.Func0(func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, context.Cause(ctx)
	})))
	must(t, i.Register(flFail, procedures.Func0(func(context.Context) (int, error) { return 0, errors.New("boom") })))
	must(t, i.Register(flPanic, procedures.Func0(func(context.Context) (int, error) { panic("fuzz: deliberate panic") })))
	must(t, i.Register(flQuickPan, procedures.Quick(procedures.Func0(func(context.Context) (int, error) {
		panic("fuzz: deliberate panic in a quick procedure")
	}))))
	must(t, i.Register(flEchoAny, procedures.Func1(func(_ context.Context, v any) (any, error) { return v, nil })))
	must(t, i.Register(flRawBidi, procedures.RawBidi(liveProcRawEcho)))
	must(t, i.Register(flSeqAny, procedures.Sequence2(liveProcRepeat)))
}

// liveProcEcho is flBidi: it yields every value it is sent.
func liveProcEcho(_ context.Context, in iter.Seq2[any, error], yield func(any) error) error {
	for v, err := range in {
		if err != nil {
			return err
		}
		if err := yield(v); err != nil {
			return err
		}
	}
	return nil
}

// liveProcRawStream is flRawStream: one message per argument byte (at most
// 64), the byte choosing its terminator.
func liveProcRawStream(_ context.Context, args []byte, send procedures.Sender) error {
	for n, b := range args {
		if n == 64 {
			break
		}
		// Two bits choose the terminator (3: stop and return an error),
		// the rest how many bytes of a string value to send.
		var err error
		switch b & 3 {
		case 0:
			err = send([]byte{0xa1}, wire.TermNone)
		case 1:
			err = send(append([]byte{0xa0 | b>>3}, bytes.Repeat([]byte{'x'}, int(b>>3))...), wire.TermChunk)
		case 2:
			err = send([]byte{0x2a}, wire.TermComplete)
		case 3:
			return errors.New("raw stream: stopped by its argument")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// liveProcRawEcho is flRawBidi: it emits every raw value it is sent.
func liveProcRawEcho(_ context.Context, next procedures.Input, emit func([]byte) error) error {
	for {
		v, err := next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := emit(v); err != nil {
			return err
		}
	}
}

// liveProcRepeat is flSeqAny: it yields v n times (at most 1000).
func liveProcRepeat(_ context.Context, v any, n int, yield func(any) error) error {
	for range min(n, 1000) {
		if err := yield(v); err != nil {
			return err
		}
	}
	return nil
}

// liveWireSeeds returns FuzzLiveWire's seed corpus: the golden vectors of the
// Rust crate and of the extensions, valid calls of every procedure, and
// messages a well-behaved peer would not send.
func liveWireSeeds(tb testing.TB) [][]byte {
	const ann = byte(wire.KindAnnounce)
	call := func(term wire.Terminator, proc, c uint64, payload ...byte) []byte {
		return frame(wire.KindCall, term, proc, c, payload)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	nested := func(open byte, depth int, leaf ...byte) []byte { return append(repeat(open, depth), leaf...) }
	deepArray := nested(0x91, 1000, 0xc0) // [[[...nil...]]]
	deepMap := nested(0x81, 1000, 0xc0)   // maps as keys of maps, the innermost without its value: truncated
	deepMapOK := []byte{}
	for range 500 {
		deepMapOK = append(deepMapOK, 0x81, 0xc0) // {nil: {nil: ... }}
	}
	deepMapOK = append(deepMapOK, 0xc0)

	var seeds [][]byte
	add := func(b []byte) { seeds = append(seeds, b) }
	// both adds b as a Rust peer sends it, and after the announcements of
	// version 1, and of versions 1 and 2.
	both := func(b []byte) {
		seeds = append(seeds, b, cat([]byte{ann}, b), cat([]byte{ann, byte(wire.KindAnnounce2)}, b))
	}

	// The Rust crate's golden vectors, each alone as a Rust peer sends it
	// (no announcement), and every wire vector back to back, with and
	// without the announcement.
	var all []byte
	for _, v := range vectors.All() {
		if v.IsMsgpack() {
			continue
		}
		add(v.Bytes)
		all = append(all, v.Bytes...)
	}
	both(all)

	// The extensions' golden vectors, with and without the announcement
	// (without it they are single unknown bytes followed by garbage).
	text, err := os.ReadFile("../wire/testdata/extensions.txt")
	must(tb, err)
	ext, err := vectors.Parse(string(text))
	must(tb, err)
	for _, v := range ext {
		both(v.Bytes)
	}

	// Valid calls of every procedure.
	a := func(vals ...byte) []byte { return vals }
	valid := [][]byte{
		call(wire.TermComplete, 4, 0, 0x01, 0x02),                       // add(1, 2)
		call(wire.TermComplete, 3, 0, 0x03),                             // sequence of 3
		call(wire.TermComplete, 3, 1, 0xce, 0xff, 0xff, 0xff, 0xff),     // sequence of 2^32-1: stopped by the wire's end
		call(wire.TermComplete, flQuick, 0, 0x05, 0x07),                 // quick add
		call(wire.TermComplete, flEchoAny, 0, 0x92, 0xa1, 'a', 0x01),    // echo ["a", 1]
		call(wire.TermComplete, flSeqAny, 0, 0xa1, 'v', 0x05),           // "v" five times
		call(wire.TermComplete, flRawStream, 0, 0x00, 0x01, 0x29, 0x02), // None, Chunk, Chunk, Complete
		call(wire.TermComplete, flRawStream, 1, 0x01, 0x03),             // a chunk then an error
		call(wire.TermComplete, flRawStream, 2, 0x02, 0x02),             // Complete, then a send that must fail
		call(wire.TermComplete, flFail, 0),                              // an error
		call(wire.TermComplete, flPanic, 0),                             // a panic
		call(wire.TermComplete, flQuickPan, 0),                          // a panic on the reader goroutine
		call(wire.TermComplete, flUnknown, 0),                           // unknown procedure
		cat(call(wire.TermNone, flBidi, 0, 0x01), call(wire.TermNone, flBidi, 0, 0x02, 0xa1, 'x'), call(wire.TermComplete, flBidi, 0)),
		cat(call(wire.TermNone, flRawBidi, 0, 0x01, 0x02), call(wire.TermComplete, flRawBidi, 0, 0x03)),
		cat(call(wire.TermNone, flBidi, 0, 0xa5, 'h', 'e'), call(wire.TermNone, flBidi, 0, 'l', 'l', 'o'), call(wire.TermComplete, flBidi, 0)), // a value split over pieces
		cat(call(wire.TermNone, 4, 0, 0x01), call(wire.TermComplete, 4, 0, 0x02)),                                                              // arguments in pieces
	}
	var allValid []byte
	for _, b := range valid {
		both(b)
		allValid = append(allValid, b...)
	}
	both(allValid)

	// A call left open, then cancelled; a bidi call left open; a stream
	// given credit; pings.
	both(cat(call(wire.TermComplete, flBlock, 0), wire.AppendCancel(nil, flBlock, 0)))
	both(cat(call(wire.TermNone, flBidi, 3, 0x01), wire.AppendCancel(nil, flBidi, 3)))
	both(call(wire.TermNone, flBidi, 4, 0x01))
	both(cat(call(wire.TermComplete, flSeqAny, 0, cat(a(0xc5, 0x04, 0x00), repeat('z', 1024), a(0xcd, 0x03, 0xe8))...), wire.AppendCredit(nil, wire.KindResponseCredit, flSeqAny, 0, 1<<20)))
	both(cat(call(wire.TermComplete, flSeqAny, 0, 0x01, 0xcd, 0x03, 0xe8), wire.AppendCredit(nil, wire.KindResponseCredit, flSeqAny, 0, 1<<64-1), wire.AppendCredit(nil, wire.KindResponseCredit, flSeqAny, 0, 1<<64-1)))
	both(wire.AppendPing(nil, wire.KindPing, 7))
	both(wire.AppendPing(wire.AppendPing(nil, wire.KindPing, 1<<40), wire.KindPong, 3))

	// Over the limits: more blocked calls than MaxOpenCalls, a call reusing
	// an open call's index, arguments over MaxCallArgs in pieces.
	var many []byte
	for c := range uint64(20) {
		many = append(many, call(wire.TermComplete, flBlock, c)...)
	}
	both(many)
	both(cat(call(wire.TermComplete, flBlock, 0), call(wire.TermComplete, flBlock, 0), call(wire.TermNone, flBidi, 0, 0x01), call(wire.TermNone, flBidi, 0, 0x02)))
	var big []byte
	for range 6 {
		big = append(big, call(wire.TermNone, flBidi, 9, append([]byte{0xc5, 0x0b, 0xb8}, repeat(0, 3000)...)...)...)
	}
	both(cat(big, call(wire.TermComplete, flBidi, 9)))
	var bigUnary []byte
	for range 6 {
		bigUnary = append(bigUnary, call(wire.TermNone, 2, 0, repeat(0x01, 3000)...)...)
	}
	both(cat(bigUnary, call(wire.TermComplete, 2, 0)))

	// A frame declaring 2^40 payload bytes; the invalid terminator 0x80;
	// an empty Call with terminator None; a truncated header.
	both(wire.AppendHeader(nil, wire.KindCall, wire.TermComplete, 4, 0, 1<<40))
	both(wire.AppendHeader(nil, wire.KindResponse, wire.TermChunk, 4, 0, 1<<40))
	both(wire.AppendHeader(nil, wire.KindCancel, wire.TermComplete, 4, 0, 1<<40))
	both(a(0x01, 0x80, 0x04, 0x00, 0x00))
	both(a(0xf3, 0x80, 0x04, 0x00, 0x00))
	both(a(0x01, 0x00, 0x04, 0x00, 0x00))
	both(a(0x01, 0x3f, 0x04))

	// Deeply nested MessagePack, and values declaring huge lengths, as
	// arguments of every kind of procedure (one input calls them all).
	for _, arg := range [][]byte{
		deepArray, deepMap, deepMapOK,
		a(0xdd, 0xff, 0xff, 0xff, 0xff),       // array32 of 2^32-1 elements, none present
		a(0xdf, 0xff, 0xff, 0xff, 0xff),       // map32 of 2^32-1 entries
		a(0xc6, 0xff, 0xff, 0xff, 0xff, 0x00), // bin32 of 2^32-1 bytes
		a(0xdb, 0x7f, 0xff, 0xff, 0xff),       // str32
		a(0xc9, 0xff, 0xff, 0xff, 0xff, 0x01), // ext32
		a(0xc1),                               // never used
	} {
		var calls []byte
		for _, proc := range []uint64{1, 2, 4, flQuick, flEchoAny, flSeqAny, flRawStream} {
			calls = append(calls, call(wire.TermComplete, proc, 0, arg...)...)
		}
		calls = cat(calls, call(wire.TermNone, flBidi, 0, arg...), call(wire.TermComplete, flBidi, 0))
		calls = cat(calls, call(wire.TermNone, flRawBidi, 0, arg...), call(wire.TermComplete, flRawBidi, 0))
		both(calls)
	}

	// Messages about calls never made: responses, credits, cancels, errors,
	// a pong never asked for; termination and end of input.
	both(frame(wire.KindResponse, wire.TermComplete, 4, 0, a(0x03)))
	both(frame(wire.KindResponse, wire.TermChunk, 3, 99, a(0x01)))
	both(frame(wire.KindResponse, wire.TermNone, 1<<63, 1<<63, a(0xa1, 'x')))
	both(wire.AppendCredit(nil, wire.KindResponseCredit, 3, 0, 100))
	both(wire.AppendCredit(nil, wire.KindArgumentCredit, flBidi, 0, 100))
	both(wire.AppendCancel(nil, flBlock, 5))
	both(wire.AppendCancel(nil, 1<<62, 1<<62))
	both(wire.AppendError(nil, 4, 0, wire.CodeProcedure, "not asked"))
	both(wire.AppendPing(nil, wire.KindPong, 42))
	both(append(wire.AppendHeader(nil, wire.KindResponseCredit, wire.TermComplete, 3, 0, 3), 0x80, 0x80, 0x80)) // a credit that is not one uvarint
	both(binary.AppendUvarint(wire.AppendHeader(nil, wire.KindError, wire.TermComplete, 3, 0, 1), 0))           // an error of code 0
	both(a(0x03, 0x03, byte(wire.KindTermination)))
	both(cat(call(wire.TermComplete, flBlock, 0), a(byte(wire.KindTermination)), call(wire.TermComplete, 4, 0, 0x01, 0x02)))
	both(a(ann, ann, ann, 0xf7, 0xff, 0x10))
	// Version 2: deadlines before their calls (0 ms, 1 ms, the largest),
	// one not followed by its call, go-away, and an application error.
	both(cat(wire.AppendDeadline(nil, flBlock, 0, 1), call(wire.TermComplete, flBlock, 0)))
	both(cat(wire.AppendDeadline(nil, 4, 0, 0), call(wire.TermComplete, 4, 0, 0x01, 0x02)))
	both(cat(wire.AppendDeadline(nil, 4, 0, 1<<64-1), call(wire.TermComplete, 4, 0, 0x01, 0x02)))
	both(cat(wire.AppendDeadline(nil, 4, 9, 5), call(wire.TermComplete, 4, 0, 0x01, 0x02), call(wire.TermComplete, 4, 9, 0x01, 0x02)))
	both(cat(wire.AppendGoAway(nil), call(wire.TermComplete, 4, 0, 0x01, 0x02)))
	both(wire.AppendApplicationError(nil, 4, 0, 404, "not asked", []byte{0xc0}))
	meta, _ := wire.AppendMetadata(nil, 4, 0, []string{"authorization", "Bearer x", "trace", "t"})
	both(cat(meta, call(wire.TermComplete, 4, 0, 0x01, 0x02)))
	both(append(wire.AppendHeader(nil, wire.KindMetadata, wire.TermComplete, 4, 0, 2), 0x01, 0x05)) // malformed
	both(nil)
	return seeds
}
