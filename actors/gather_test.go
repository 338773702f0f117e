package actors

import (
	"bytes"
	"testing"
)

// TestGatherJoinsOnce: pieces come back joined in order; a piece that fits
// in the room of the one before it is appended there (no new buffer), a
// small piece is copied onto the part before it, and a value in one piece
// is that piece itself.
func TestGatherJoinsOnce(t *testing.T) {
	var g gather
	one := []byte("only")
	g.add(one)
	if v := g.join(); &v[0] != &one[0] || string(v) != "only" {
		t.Fatalf("one piece: got %q, not the piece itself", v)
	}
	if g.size() != 0 {
		t.Fatalf("size after join = %d", g.size())
	}

	// A large piece with room for the last one: joined in place.
	big := make([]byte, 8<<10, 9<<10)
	for i := range big {
		big[i] = byte(i)
	}
	g.add(big)
	g.add([]byte{1, 2, 3})
	v := g.join()
	if &v[0] != &big[0] || len(v) != 8<<10+3 || !bytes.Equal(v[8<<10:], []byte{1, 2, 3}) {
		t.Fatalf("piece with room: len %d, in place %v", len(v), &v[0] == &big[0])
	}

	// Large pieces without room: one buffer of the exact size.
	a, b := bytes.Repeat([]byte{'a'}, 8<<10), bytes.Repeat([]byte{'b'}, 8<<10)
	g.add(a[:len(a):len(a)])
	g.add(b[:len(b):len(b)])
	g.add([]byte("c"))
	v = g.join()
	want := append(append(append([]byte{}, a...), b...), 'c')
	if !bytes.Equal(v, want) || cap(v) != len(want) {
		t.Fatalf("joined %d bytes (cap %d), want %d", len(v), cap(v), len(want))
	}
	if len(g.more) != 0 || g.first != nil {
		t.Fatal("join left parts behind")
	}
}

// TestGatherTinyPiecesHoldTheirBytes: many one-byte pieces are copied into
// one part, not held as a part each (a slice header per byte).
func TestGatherTinyPiecesHoldTheirBytes(t *testing.T) {
	var g gather
	g.add(bytes.Repeat([]byte{'x'}, 8<<10))
	for range 10_000 {
		g.add([]byte{'y'})
	}
	if len(g.more) != 0 {
		t.Fatalf("%d parts for 10,000 one-byte pieces", len(g.more))
	}
	if v := g.join(); len(v) != 8<<10+10_000 || v[len(v)-1] != 'y' {
		t.Fatalf("joined %d bytes", len(v))
	}
}
