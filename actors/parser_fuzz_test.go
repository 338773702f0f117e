package actors

import (
	"fmt"
	"testing"

	"github.com/ipfi-go/ipfi/wire"
)

// flat is one value or message as a parser's consumer sees it.
type flat struct {
	kind       wire.Kind
	term       wire.Terminator
	proc, call uint64
	payload    string
}

// parseAll runs a parser over data cut at the given points and flattens
// its items (a run becomes its values, each a Chunk response).
func parseAll(data []byte, cuts []int) ([]flat, error) {
	p := newParser(&Conn{ext: true, limits: Limits{MaxFrame: 1 << 16}, settled: make(chan struct{})})
	var out []flat
	prev := 0
	for _, c := range append(cuts, len(data)) {
		if c <= prev || c > len(data) {
			continue
		}
		var fm chunkFrames
		err := p.parse(data[prev:c], &fm)
		prev = c
		for _, b := range fm.blocks {
			for _, it := range b {
				var ferr error
				if out, ferr = appendFlatItem(out, it); ferr != nil {
					return out, ferr
				}
			}
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// appendFlatItem appends the flattened it to out: a single frame as it is, a
// run as its values, each a Chunk response. It fails on a run that is not of
// Chunk responses or whose ends do not split its payload.
func appendFlatItem(out []flat, it item) ([]flat, error) {
	if it.ends == nil {
		return append(out, flat{it.Kind, it.Terminator, it.Procedure, it.Call, string(it.Payload)}), nil
	}
	if it.Kind != wire.KindResponse || it.Terminator != wire.TermChunk {
		return out, fmt.Errorf("a run of %v %v frames", it.Kind, it.Terminator)
	}
	var start uint32
	for _, e := range it.runEnds() {
		if e <= start || int(e) > len(it.Payload) {
			return out, fmt.Errorf("run ends %v over %d bytes", it.runEnds(), len(it.Payload))
		}
		out = append(out, flat{it.Kind, it.Terminator, it.Procedure, it.Call, string(it.Payload[start:e])})
		start = e
	}
	if int(start) != len(it.Payload) {
		return out, fmt.Errorf("run ends %v short of %d bytes", it.runEnds(), len(it.Payload))
	}
	return out, nil
}

// decodeAll is the reference: a plain decoder over the same cuts, skipping
// the announcement (and turning the extensions on) as the parser does.
func decodeAll(data []byte, cuts []int) ([]flat, error) {
	d := wire.NewDecoder(1 << 16)
	ext, v2 := false, false
	var out []flat
	prev := 0
	for _, c := range append(cuts, len(data)) {
		if c <= prev || c > len(data) {
			continue
		}
		err := d.Feed(data[prev:c], func(f wire.Frame) error {
			switch {
			case f.Kind == wire.KindAnnounce:
				if !ext {
					ext = true
					d.SetExtensions(true)
				}
			case f.Kind == wire.KindAnnounce2:
				// Dropped like the first announcement; after it, version
				// 2 (its kinds carry headers).
				if ext && !v2 {
					v2 = true
					d.SetExtensionVersion(2)
				}
			case f.Kind.IsExtension() && !ext:
			default:
				out = append(out, flat{f.Kind, f.Terminator, f.Procedure, f.Call, string(f.Payload)})
			}
			return nil
		})
		prev = c
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// cutsOf turns fuzz bytes into increasing cut points within n.
func cutsOf(b []byte, n int) []int {
	var cuts []int
	at := 0
	for _, x := range b {
		at += int(x)%64 + 1
		if at >= n {
			break
		}
		cuts = append(cuts, at)
	}
	return cuts
}

// streamBytes is a stream of small responses of two calls, interleaved,
// some values split in pieces, ending with Complete frames.
func streamBytes() []byte {
	b := []byte{byte(wire.KindAnnounce)}
	for i := range 200 {
		call := uint64(i / 20 % 2) // the two calls take turns, twenty values each
		t := wire.TermChunk
		if i%17 == 5 {
			t = wire.TermNone
		}
		b = wire.AppendFrame(b, wire.Frame{Kind: wire.KindResponse, Terminator: t, Procedure: 4, Call: call, Payload: []byte{0xa1, byte('a' + i%26)}})
	}
	for call := range uint64(2) {
		b = wire.AppendFrame(b, wire.Frame{Kind: wire.KindResponse, Terminator: wire.TermComplete, Procedure: 4, Call: call})
	}
	return b
}

// FuzzParser: the parser's items, runs expanded, are exactly the frames a
// plain decoder emits from the same bytes cut at the same points, and it
// fails exactly when the decoder does.
func FuzzParser(f *testing.F) {
	f.Add(streamBytes(), []byte{7, 200, 13, 1, 1, 90})
	f.Add(streamBytes(), []byte{})
	f.Add([]byte{0x02, 0x40, 0x01, 0x02, 0x03, 0x02, 0x40, 0x01, 0x02, 0x03}, []byte{3})
	// Version 2: its announcement, a deadline and a go-away, split anywhere.
	f.Add(append(append([]byte{0xf0, 0xf9}, wire.AppendDeadline(nil, 1, 2, 1500)...), wire.AppendGoAway(nil)...), []byte{1, 2, 4})
	f.Fuzz(func(t *testing.T, data, cutBytes []byte) {
		cuts := cutsOf(cutBytes, len(data))
		got, gotErr := parseAll(data, cuts)
		want, wantErr := decodeAll(data, cuts)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("parser error %v, decoder error %v", gotErr, wantErr)
		}
		if len(got) != len(want) {
			t.Fatalf("parser gave %d frames, decoder %d", len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("frame %d: parser %+v, decoder %+v", i, got[i], want[i])
			}
		}
	})
}

// TestParserFoldsRuns: a stream's values of one call that arrive together
// become runs (far fewer items than values), and nothing else does.
func TestParserFoldsRuns(t *testing.T) {
	data := streamBytes()
	p := newParser(&Conn{ext: true, limits: Limits{MaxFrame: 1 << 16}, settled: make(chan struct{})})
	var fm chunkFrames
	if err := p.parse(data, &fm); err != nil {
		t.Fatal(err)
	}
	items, runs := 0, 0
	for _, b := range fm.blocks {
		for _, it := range b {
			items++
			if it.ends != nil {
				runs++
			}
		}
	}
	want, _ := decodeAll(data, nil)
	if runs == 0 || items >= len(want)/2 {
		t.Fatalf("%d frames became %d items (%d runs): want runs folding most of them", len(want), items, runs)
	}
	got, err := parseAll(data, nil)
	if err != nil || len(got) != len(want) {
		t.Fatalf("expanded: %d frames, %v; want %d", len(got), err, len(want))
	}
}

// TestItemBlocksFitSteadyChunks: a wire under steady load reads chunks of
// the same frames, and the parser sizes each chunk's item block from the
// last one. The estimate must not fall one short (then a second block of
// twice the size is made for the last frame, tripling what the chunk
// allocates for its items).
func TestItemBlocksFitSteadyChunks(t *testing.T) {
	payload := []byte{0xa4, 'J', 'o', 'h', 'n', 0xa3, 'D', 'o', 'e'}
	for _, n := range []int{1, 3, 17, 63, 64, 200} {
		var chunk []byte
		for i := range n {
			chunk = wire.AppendHeader(chunk, wire.KindCall, wire.TermComplete, 1, uint64(i), len(payload))
			chunk = append(chunk, payload...)
		}
		p := newParser(&Conn{ext: true, limits: Limits{MaxFrame: 1 << 16}, settled: make(chan struct{})})
		for round := range 3 {
			var fm chunkFrames
			if err := p.parse(chunk, &fm); err != nil {
				t.Fatal(err)
			}
			items, capacity := 0, 0
			for _, b := range fm.blocks {
				items += len(b)
				capacity += cap(b)
			}
			if items != n {
				t.Fatalf("%d frames: parsed %d", n, items)
			}
			if round > 0 && (len(fm.blocks) != 1 || capacity > n+n/8+1) {
				t.Errorf("%d frames, chunk %d like the last: %d blocks holding %d items", n, round, len(fm.blocks), capacity)
			}
		}
	}
}
