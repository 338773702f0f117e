package main

import (
	"bufio"
	"bytes"
	"math"
	"testing"

	"go.uber.org/goleak"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/wire"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestServe feeds serve what the library's host sends (its announcements,
// calls whole and in pieces, with indices of every width, a response, End of
// input) and reads its answers with the library's decoder.
func TestServe(t *testing.T) {
	args := func(v ...any) []byte {
		b, err := codec.AppendArgs(nil, v...)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	call := func(proc, call uint64, term wire.Terminator, payload []byte) wire.Frame {
		return wire.Frame{Kind: wire.KindCall, Terminator: term, Procedure: proc, Call: call, Payload: payload}
	}
	var in []byte
	for _, f := range []wire.Frame{
		{Kind: wire.KindAnnounce}, {Kind: wire.KindAnnounce2}, // skipped as unknown bytes
		call(procAdd, 0, wire.TermComplete, args(2, 40)),
		call(procAdd, 300, wire.TermNone, args(-5)),                         // in pieces, a u16 call index
		call(procAdd, 70000, wire.TermComplete, args(math.MaxInt32, 1<<40)), // a u32 one, between the pieces
		call(procAdd, 300, wire.TermComplete, args(-200)),
		{Kind: wire.KindResponse, Terminator: wire.TermComplete, Procedure: 3, Call: 0, Payload: args(1)}, // ignored
		call(9, 0, wire.TermComplete, nil),                                                                // unknown: an empty answer
		call(procAdd, 1, wire.TermComplete, args("two", "strings")),                                       // bad arguments: an empty answer
		{Kind: wire.KindEndOfInput},
		call(procAdd, 2, wire.TermComplete, args(1, 1)), // after End of input: not read
	} {
		in = wire.AppendFrame(in, f)
	}
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	if err := serve(bufio.NewReader(bytes.NewReader(in)), w); err != nil {
		t.Fatal(err)
	}

	type answer struct {
		call  uint64
		value any // nil for an empty payload
	}
	var got []answer
	terminated := false
	err := wire.NewDecoder(wire.DefaultMaxPayload).Feed(out.Bytes(), func(f wire.Frame) error {
		switch f.Kind {
		case wire.KindTermination:
			terminated = true
		case wire.KindResponse:
			if f.Terminator != wire.TermComplete {
				t.Errorf("response to call %d: terminator %v", f.Call, f.Terminator)
			}
			a := answer{call: f.Call}
			if len(f.Payload) > 0 {
				var v int64
				if err := codec.Unmarshal(f.Payload, &v); err != nil {
					return err
				}
				a.value = v
			}
			got = append(got, a)
		default:
			t.Errorf("unexpected frame %+v", f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []answer{{0, int64(42)}, {70000, int64(math.MaxInt32 + 1<<40)}, {300, int64(-205)}, {0, nil}, {1, nil}}
	if len(got) != len(want) {
		t.Fatalf("answers %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("answer %d: %v, want %v", i, got[i], want[i])
		}
	}
	if !terminated {
		t.Error("no Termination after End of input")
	}
}

// TestInts checks the hand-written MessagePack integers against the
// library's codec, both ways, at every boundary between forms.
func TestInts(t *testing.T) {
	for _, v := range []int64{
		0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64,
	} {
		enc, err := codec.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendInt(nil, v); !bytes.Equal(got, enc) {
			t.Errorf("appendInt(%d) = %x, the codec writes %x", v, got, enc)
		}
		if got, rest, ok := readInt(enc); !ok || got != v || len(rest) != 0 {
			t.Errorf("readInt(%x) = %d, %x, %t; want %d", enc, got, rest, ok, v)
		}
	}
	if _, _, ok := readInt([]byte{0xcd, 0x01}); ok {
		t.Error("readInt accepted a truncated uint16")
	}
}
