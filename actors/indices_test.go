package actors

import (
	"errors"
	"testing"
)

// TestIndicesCountUpThenWrapSkippingOpenOnes: indices go 0, 1, 2... per
// procedure like the Rust crate's counter, wrap at the limit and skip calls
// still open; with every index open, take fails with ErrTooManyCalls.
func TestIndicesCountUpThenWrapSkippingOpenOnes(t *testing.T) {
	x := newIndices(3) // indices 0..3
	for want := uint64(0); want <= 3; want++ {
		got, err := x.take(7)
		if err != nil || got != want {
			t.Fatalf("take = %d, %v; want %d", got, err, want)
		}
	}
	if _, err := x.take(7); !errors.Is(err, ErrTooManyCalls) {
		t.Fatalf("take with all open: %v", err)
	}
	if got, err := x.take(8); err != nil || got != 0 {
		t.Fatalf("another procedure counts on its own: %d, %v", got, err)
	}
	x.release(callKey{7, 2})
	if got, err := x.take(7); err != nil || got != 2 {
		t.Fatalf("after releasing 2: take = %d, %v", got, err)
	}
	x.release(callKey{7, 0})
	x.release(callKey{7, 3})
	// The counter is at 3 (after the wrap found 2): next is 3, then 0.
	for _, want := range []uint64{3, 0} {
		if got, err := x.take(7); err != nil || got != want {
			t.Fatalf("take = %d, %v; want %d", got, err, want)
		}
	}
}
