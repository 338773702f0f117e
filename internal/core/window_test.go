package core

import (
	"testing"

	"github.com/ipfi-go/ipfi/wire"
)

const ic = wire.InitialCredit

// TestRecvWindowGrantsAtHalf: a fixed window grants back what was consumed
// once that reaches half the window, all of it, and nothing before.
func TestRecvWindowGrantsAtHalf(t *testing.T) {
	r := FixedWindow()
	steps := []struct{ consume, grant int64 }{
		{ic/2 - 1, 0},
		{1, ic / 2}, // reaches half: everything owed
		{100, 0},
		{ic/2 - 100, ic / 2},
		{ic, ic}, // a message larger than half the window is granted at once
	}
	for i, s := range steps {
		if g := r.Consumed(s.consume); g != s.grant {
			t.Fatalf("step %d: consumed(%d) granted %d, want %d", i, s.consume, g, s.grant)
		}
	}
	if g := r.Dry(); g != 0 || r.size != ic {
		t.Fatalf("a fixed window ran dry: granted %d, size %d; want 0, %d", g, r.size, ic)
	}
}

// TestRecvWindowLargerThanInitial: the producer starts with the initial
// credit, so the rest of a larger window goes with the first grant.
func TestRecvWindowLargerThanInitial(t *testing.T) {
	r := NewRecvWindow(4*ic, 0)
	if g := r.Consumed(1); g != 3*ic+1 {
		t.Fatalf("first grant of a 4x window: %d, want %d", g, 3*ic+1)
	}
	if g := r.Consumed(2*ic - 1); g != 0 {
		t.Fatalf("granted %d below half the window", g)
	}
	if g := r.Consumed(1); g != 2*ic {
		t.Fatalf("granted %d at half the window, want %d", g, 2*ic)
	}
	if r := NewRecvWindow(1, 0); r.size != ic || r.max != ic {
		t.Fatalf("a window below the initial one: size %d max %d, want %d", r.size, r.max, ic)
	}
}

// TestRecvWindowGrowsOnlyWhenDryAfterTakingData: an adaptive window doubles
// when its program runs dry after consuming half the initial window since
// it last grew, granting what is owed plus the growth; never after a
// trickle, and never beyond max.
func TestRecvWindowGrowsOnlyWhenDryAfterTakingData(t *testing.T) {
	r := NewRecvWindow(ic, 4*ic)
	r.Consumed(ic/2 - 1)
	if g := r.Dry(); g != 0 || r.size != ic {
		t.Fatalf("dry after a trickle: granted %d, size %d; want 0, %d", g, r.size, ic)
	}
	r.Consumed(1) // reaches half the initial window: granted now
	if g := r.Dry(); g != ic || r.size != 2*ic {
		t.Fatalf("dry after taking half: granted %d, size %d; want %d, %d", g, r.size, ic, 2*ic)
	}
	if g := r.Dry(); g != 0 {
		t.Fatalf("dry again without taking: granted %d, want 0", g)
	}
	r.Consumed(ic / 2) // below half of the grown window: owed
	if g := r.Dry(); g != ic/2+2*ic || r.size != 4*ic {
		t.Fatalf("second growth: granted %d, size %d; want %d, %d", g, r.size, ic/2+2*ic, 4*ic)
	}
	r.Consumed(ic)
	if g := r.Dry(); g != 0 || r.size != 4*ic {
		t.Fatalf("growth beyond max: granted %d, size %d", g, r.size)
	}
}
